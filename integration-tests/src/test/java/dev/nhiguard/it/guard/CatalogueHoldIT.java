package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Table-driven over the catalogue: each guarded operation tried directly through the admin REST
 * API by a realm admin is held (202, Location, change request), leaves its target unchanged, and
 * is applied through Keycloak's own admin code after a second admin's approval.
 */
@ExtendWith(KeycloakExtension.class)
class CatalogueHoldIT {

    static final String A = GuardTestRealm.ADMIN;

    /** Ids the cases need, looked up once as ann (reads are never held). */
    record Ctx(GuardTestRealm realm, String token) {
        String client(String clientId) { return realm.clientUuid(clientId, token); }
        String saUser(String clientId) { return realm.serviceAccountUserId(clientId, token); }
        String user(String username) { return realm.userId(username, token); }
        String role(String name) { return "[" + realm.realmRole(name, token) + "]"; }
        JsonNode get(String path) { return realm.getJson(path, token); }
    }

    /** What applying a case's change request shows. */
    enum OnApply {
        /** Applied, and the target visibly changed. */
        CHANGES,
        /** Applied; the target has nothing visible to change (e.g. no rotated secret to invalidate). */
        NO_VISIBLE_CHANGE,
        /**
         * Only the hold is checked here: generating an RSA key pair in Keycloak takes longer than
         * the HTTP client's timeout on a loaded C1-only test JVM.
         */
        NOT_APPLIED_HERE
    }

    /** A self-signed certificate (EC P-256, CN=sa-upload, valid until 2126) as the admin console uploads it. */
    static final String UPLOADED_CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\r\n"
            + "MIIBfjCCASWgAwIBAgIUS/GdCJy0siwnexBtr3gF3NO4dPwwCgYIKoZIzj0EAwIw\r\n"
            + "FDESMBAGA1UEAwwJc2EtdXBsb2FkMCAXDTI2MTIwNzE4NTQ1NFoYDzIxMjYxMTEz\r\n"
            + "MTg1NDU0WjAUMRIwEAYDVQQDDAlzYS11cGxvYWQwWTATBgcqhkjOPQIBBggqhkjO\r\n"
            + "PQMBBwNCAASrSce7Gi/7Y/u2dTy/SbuHOk3L+blVr+keCghUonEMcOXHg9v+jNB/\r\n"
            + "bsDcndAjDu33lTk3re8uE8sVgBrJLdE9o1MwUTAdBgNVHQ4EFgQUmLP/Ns4G/oIZ\r\n"
            + "DIq7bLGGRzg9e7EwHwYDVR0jBBgwFoAUmLP/Ns4G/oIZDIq7bLGGRzg9e7EwDwYD\r\n"
            + "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiA+GP2CA+MTVqrlM2xq56ph\r\n"
            + "VhRT+oGvQmg2Udqh4MYqDgIgF/ceEm7Ns2Re2DysVfc/CiBntE917dGA09GK4Y2P\r\n"
            + "hz8=\r\n"
            + "-----END CERTIFICATE-----";

    /** The admin console's certificate upload: a multipart form with the format and the PEM file. */
    static String certificateUpload() {
        return "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"keystoreFormat\"\r\n\r\nCertificate PEM\r\n"
                + "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.pem\"\r\n"
                + "Content-Type: application/x-x509-ca-cert\r\n\r\n" + UPLOADED_CERTIFICATE_PEM + "\r\n--XBOUNDARY--\r\n";
    }

    /** One catalogue entry: how to try it, where to look at its target, and what applying it shows. */
    record Case(String operation, String method, Function<Ctx, String> path, Function<Ctx, String> body,
            Function<Ctx, String> snapshot, OnApply onApply, String contentType) {
        Case(String operation, String method, Function<Ctx, String> path, Function<Ctx, String> body,
                Function<Ctx, String> snapshot, boolean changesOnApply) {
            this(operation, method, path, body, snapshot, changesOnApply ? OnApply.CHANGES : OnApply.NO_VISIBLE_CHANGE,
                    "application/json");
        }
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("client-create-service-account", "POST", x -> A + "/clients",
                x -> "{\"clientId\":\"created-by-guard\",\"serviceAccountsEnabled\":true,\"publicClient\":false}",
                x -> A + "/clients?clientId=created-by-guard", true));
        c.add(new Case("client-update", "PUT", x -> A + "/clients/" + x.client("sa-update"),
                x -> {
                    ObjectNode rep = (ObjectNode) x.get(A + "/clients/" + x.client("sa-update"));
                    rep.put("enabled", false);
                    return rep.toString();
                },
                x -> A + "/clients/" + x.client("sa-update"), true));
        c.add(new Case("client-secret-regenerate", "POST", x -> A + "/clients/" + x.client("sa-secret") + "/client-secret",
                x -> null, x -> A + "/clients/" + x.client("sa-secret") + "/client-secret", true));
        c.add(new Case("client-secret-rotated-invalidate", "DELETE",
                x -> A + "/clients/" + x.client("sa-rotated") + "/client-secret/rotated",
                x -> null, x -> A + "/clients/" + x.client("sa-rotated"), false));
        c.add(new Case("client-certificate-generate", "POST",
                x -> A + "/clients/" + x.client("sa-cert") + "/certificates/jwt.credential/generate",
                x -> null, x -> A + "/clients/" + x.client("sa-cert") + "/certificates/jwt.credential",
                OnApply.NOT_APPLIED_HERE, null));
        c.add(new Case("client-certificate-upload-certificate", "POST",
                x -> A + "/clients/" + x.client("sa-upload") + "/certificates/jwt.credential/upload-certificate",
                x -> certificateUpload(), x -> A + "/clients/" + x.client("sa-upload") + "/certificates/jwt.credential",
                OnApply.CHANGES, "multipart/form-data; boundary=XBOUNDARY"));
        c.add(new Case("client-protocol-mapper-create", "POST",
                x -> A + "/clients/" + x.client("sa-mapper") + "/protocol-mappers/models",
                x -> "{\"name\":\"team\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                        + "\"config\":{\"claim.name\":\"team\",\"claim.value\":\"x\",\"access.token.claim\":\"true\",\"jsonType.label\":\"String\"}}",
                x -> A + "/clients/" + x.client("sa-mapper") + "/protocol-mappers/models", true));
        c.add(new Case("client-scope-mapping-realm-add", "POST",
                x -> A + "/clients/" + x.client("sa-scope") + "/scope-mappings/realm", x -> x.role("reporting"),
                x -> A + "/clients/" + x.client("sa-scope") + "/scope-mappings/realm", true));
        c.add(new Case("client-default-scope-add", "PUT",
                x -> A + "/clients/" + x.client("sa-defscope") + "/default-client-scopes/" + scopeId(x, "guard-extra"),
                x -> null, x -> A + "/clients/" + x.client("sa-defscope") + "/default-client-scopes", true));
        c.add(new Case("service-account-realm-role-grant", "POST",
                x -> A + "/users/" + x.saUser("sa-rolegrant") + "/role-mappings/realm", x -> x.role("reporting"),
                x -> A + "/users/" + x.saUser("sa-rolegrant") + "/role-mappings/realm", true));
        c.add(new Case("service-account-client-role-grant", "POST",
                x -> A + "/users/" + x.saUser("sa-clientrole") + "/role-mappings/clients/" + x.client("realm-management"),
                x -> "[" + x.get(A + "/clients/" + x.client("realm-management") + "/roles/view-users") + "]",
                x -> A + "/users/" + x.saUser("sa-clientrole") + "/role-mappings/clients/" + x.client("realm-management"), true));
        c.add(new Case("service-account-group-join", "PUT",
                x -> A + "/users/" + x.saUser("sa-group") + "/groups/" + x.get(A + "/groups?search=ops&exact=true").get(0).get("id").asText(),
                x -> null, x -> A + "/users/" + x.saUser("sa-group") + "/groups", true));
        c.add(new Case("approver-role-grant", "POST", x -> A + "/users/" + x.user("dave") + "/role-mappings/realm",
                x -> x.role("nhi-approver"), x -> A + "/users/" + x.user("dave") + "/role-mappings/realm", true));
        c.add(new Case("privileged-user-reset-password", "PUT", x -> A + "/users/" + x.user("priv-reset") + "/reset-password",
                x -> "{\"type\":\"password\",\"value\":\"another-long-pass-1\",\"temporary\":false}",
                x -> A + "/users/" + x.user("priv-reset") + "/credentials", true));
        c.add(new Case("privileged-user-update", "PUT", x -> A + "/users/" + x.user("priv-update"),
                x -> {
                    ObjectNode rep = (ObjectNode) x.get(A + "/users/" + x.user("priv-update"));
                    rep.put("email", "attacker@evil.test");
                    rep.remove("access");
                    return rep.toString();
                },
                x -> A + "/users/" + x.user("priv-update"), true));
        c.add(new Case("privileged-user-credential-delete", "DELETE",
                x -> A + "/users/" + x.user("priv-cred") + "/credentials/"
                        + x.get(A + "/users/" + x.user("priv-cred") + "/credentials").get(0).get("id").asText(),
                x -> null, x -> A + "/users/" + x.user("priv-cred") + "/credentials", true));
        c.add(new Case("realm-events-config", "PUT", x -> A + "/events/config",
                x -> "{\"eventsEnabled\":true,\"eventsListeners\":[\"jboss-logging\"],\"adminEventsEnabled\":true,\"adminEventsDetailsEnabled\":false}",
                x -> A + "/events/config", true));
        c.add(new Case("realm-security-settings", "PUT", x -> A, x -> "{\"passwordPolicy\":\"length(14)\"}", x -> A, true));
        c.add(new Case("realm-partial-import", "POST", x -> A + "/partialImport",
                x -> "{\"ifResourceExists\":\"SKIP\",\"clients\":[{\"clientId\":\"imported-by-guard\",\"publicClient\":true}]}",
                x -> A + "/clients?clientId=imported-by-guard", true));
        c.add(new Case("guard-policy-update", "PUT", x -> GuardTestRealm.GUARD + "/policy",
                x -> "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0},\"expirySeconds\":7200}",
                x -> GuardTestRealm.GUARD + "/policy", true));
        c.add(new Case("client-delete", "DELETE", x -> A + "/clients/" + x.client("sa-delete"), x -> null,
                x -> A + "/clients?clientId=sa-delete", true));
        return c;
    }

    static String scopeId(Ctx x, String name) {
        for (JsonNode s : x.get(A + "/client-scopes")) {
            if (name.equals(s.path("name").asText())) {
                return s.get("id").asText();
            }
        }
        throw new AssertionError("client scope " + name + " missing");
    }

    @Test
    void everyCatalogueEntryIsHeldThenAppliedAfterApproval(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        // An unguarded write passes untouched: creating a client scope is not in the catalogue.
        HttpAdmin.Response scope = realm.http.post(A + "/client-scopes", ann,
                "{\"name\":\"guard-extra\",\"protocol\":\"openid-connect\"}");
        assertEquals(201, scope.status(), scope.body());

        List<Executable> checks = new ArrayList<>();
        for (Case c : cases()) {
            checks.add(() -> runCase(realm, c));
        }
        assertAll(checks);
    }

    /**
     * Twenty-third red-team review: a key set uploaded with its private members (a JWK with {@code d}, {@code p},
     * {@code q}) was shown to the approver as a value "generated by Keycloak", then stored in clear in {@code jwks.string},
     * where anyone who may view the client read it, recorded as no reader. A change whose dry run would store a value
     * that looks like a credential outside a place where Keycloak keeps credentials is refused (400), as a body carrying
     * one is; the same key set's public part is held.
     */
    @Test
    void anUploadedKeySetWithAPrivateKeyIsRefused(KeycloakTarget keycloak) throws Exception {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        String path = A + "/clients/" + realm.clientUuid("sa-upload", ann) + "/certificates/jwt.credential/upload-certificate";
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        java.security.interfaces.RSAPrivateCrtKey key = (java.security.interfaces.RSAPrivateCrtKey) generator.generateKeyPair().getPrivate();
        String publicJwk = "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"uploaded\",\"n\":\"" + b64(key.getModulus())
                + "\",\"e\":\"" + b64(key.getPublicExponent()) + "\"";
        String privateJwk = publicJwk + ",\"d\":\"" + b64(key.getPrivateExponent()) + "\",\"p\":\"" + b64(key.getPrimeP())
                + "\",\"q\":\"" + b64(key.getPrimeQ()) + "\",\"dp\":\"" + b64(key.getPrimeExponentP()) + "\",\"dq\":\""
                + b64(key.getPrimeExponentQ()) + "\",\"qi\":\"" + b64(key.getCrtCoefficient()) + "\"}";
        java.util.function.Function<String, String> keySetUpload = jwk -> "--XBOUNDARY\r\nContent-Disposition: form-data; "
                + "name=\"keystoreFormat\"\r\n\r\nJSON Web Key Set\r\n--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\";"
                + " filename=\"keys.json\"\r\n\r\n{\"keys\":[" + jwk + "]}\r\n--XBOUNDARY--\r\n";
        String open = realm.http.get(GuardTestRealm.GUARD + "/change-requests?state=PENDING", ann).body();
        HttpAdmin.Response withPrivate = realm.http.send("POST", path, cara, "multipart/form-data; boundary=XBOUNDARY",
                keySetUpload.apply(privateJwk));
        assertAll(
                () -> assertEquals(400, withPrivate.status(), withPrivate.body()),
                () -> assertTrue(withPrivate.body().contains("looks like a credential"), withPrivate.body()),
                () -> assertTrue(!withPrivate.body().contains(b64(key.getPrivateExponent())), "the key is not echoed"),
                () -> assertEquals(open, realm.http.get(GuardTestRealm.GUARD + "/change-requests?state=PENDING", ann).body(),
                        "nothing held"));
        HttpAdmin.Response publicOnly = realm.http.send("POST", path, cara, "multipart/form-data; boundary=XBOUNDARY",
                keySetUpload.apply(publicJwk + "}"));
        assertEquals(202, publicOnly.status(), "the public key set is held: " + publicOnly.body());
        realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + publicOnly.json().path("id").asText() + "/cancel", cara, null);
    }

    private static String b64(java.math.BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * An upload the guard cannot read strictly (a field given twice: Keycloak would take the first) is refused (400), and
     * one whose key set holds no signing key is refused with Keycloak's answer at once, from the dry run: neither is
     * held, so no approver is asked to approve a change that could not apply.
     */
    @Test
    void anUploadThatCouldNotApplyIsRefusedNotHeld(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        String path = A + "/clients/" + realm.clientUuid("sa-upload", ann) + "/certificates/jwt.credential/upload-certificate";
        String open = realm.http.get(GuardTestRealm.GUARD + "/change-requests?state=PENDING", ann).body();
        String format = "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"keystoreFormat\"\r\n\r\nCertificate PEM\r\n";
        HttpAdmin.Response twice = realm.http.send("POST", path, cara, "multipart/form-data; boundary=XBOUNDARY",
                format + certificateUpload().replace("Certificate PEM", "JSON Web Key Set"));
        HttpAdmin.Response unreadable = realm.http.send("POST", path, cara, "multipart/form-data; boundary=XBOUNDARY",
                format.replace("Certificate PEM", "JSON Web Key Set") + "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\";"
                        + " filename=\"keys.json\"\r\n\r\n{\"keys\":[]}\r\n--XBOUNDARY--\r\n");
        assertAll(
                () -> assertEquals(400, twice.status(), twice.body()),
                () -> assertTrue(twice.body().contains("keystoreFormat is given more than once"), twice.body()),
                () -> assertEquals(400, unreadable.status(), unreadable.body()),
                () -> assertTrue(unreadable.body().contains("certificate-not-found"), "Keycloak's answer: " + unreadable.body()),
                () -> assertEquals(open, realm.http.get(GuardTestRealm.GUARD + "/change-requests?state=PENDING", ann).body(),
                        "nothing held"));
    }

    private static void runCase(GuardTestRealm realm, Case c) {
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        Ctx ctx = new Ctx(realm, ann);
        String path = c.path().apply(ctx);
        String body = c.body().apply(ctx);
        String snapshotPath = c.snapshot().apply(ctx);
        String before = realm.http.get(snapshotPath, ann).body();

        HttpAdmin.Response held = realm.http.send(c.method(), path, cara, body == null ? null : c.contentType(), body);
        assertEquals(202, held.status(), c.operation() + " not held: " + held.body());
        JsonNode cr = held.json();
        String id = cr.path("id").asText();
        assertEquals(c.operation(), cr.path("operation").asText(), c.operation());
        assertEquals("PENDING", cr.path("state").asText(), c.operation());
        assertEquals(1, cr.path("needs").path("approvals").asInt(), c.operation() + ": " + cr);
        assertTrue(held.header("Location").endsWith(GuardTestRealm.GUARD + "/change-requests/" + id),
                c.operation() + ": Location " + held.header("Location"));
        assertEquals(before, realm.http.get(snapshotPath, ann).body(), c.operation() + ": target changed while held");

        JsonNode stored = realm.changeRequest(id, ann);
        assertEquals(c.method(), stored.path("method").asText());
        assertEquals(path, stored.path("path").asText());
        assertNotNull(stored.get("beforeImage"), c.operation());
        String digest = stored.path("digest").asText();
        if (c.onApply() == OnApply.NOT_APPLIED_HERE) {
            return;
        }

        HttpAdmin.Response approved = realm.approve(id, digest, ann);
        assertEquals(200, approved.status(), c.operation() + " approve: " + approved.body());
        assertEquals("APPROVED", approved.json().path("state").asText(), c.operation() + ": " + approved.body());

        HttpAdmin.Response applied = realm.apply(id, cara);
        assertEquals(200, applied.status(), c.operation() + " apply: " + applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), c.operation());
        int status = applied.json().path("result").path("status").asInt();
        assertTrue(status >= 200 && status < 300, c.operation() + ": Keycloak answered " + applied.body());
        if (c.onApply() == OnApply.CHANGES) {
            assertNotEquals(before, realm.http.get(snapshotPath, ann).body(), c.operation() + ": not applied");
        }
        assertEquals("APPLIED", realm.changeRequest(id, ann).path("state").asText());
    }
}
