package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.RealmRepresentation;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * The rest of the catalogue, table-driven in realm {@code guard-cover} (default guarded set, no
 * cooldowns): each entry {@link CatalogueHoldIT} does not try is tried directly through the admin
 * REST API by a realm admin. Guarded entries are held (202, Location, body; target unchanged) and,
 * after a second admin's approval, applied so that the target shows exactly the requested change.
 * Privilege-reducing entries pass by default and are recorded as Keycloak admin events. A further
 * test checks that the two tables together name every entry of the server's catalogue.
 */
@ExtendWith(KeycloakExtension.class)
class CatalogueCoverageIT {

    static final String A = CoverRealm.ADMIN;

    /** Lookups for the cases; reads are never held. */
    record Ctx(CoverRealm realm, String token, SmtpReceiver smtp) {
        String client(String clientId) { return realm.client(clientId, token); }
        String saUser(String clientId) { return realm.saUser(clientId, token); }
        String user(String username) { return realm.user(username, token); }
        JsonNode get(String path) { return realm.get(path, token); }
        String role(String name) { return "[" + get(A + "/roles/" + name) + "]"; }
        String group(String name) { return get(A + "/groups?exact=true&search=" + name).get(0).get("id").asText(); }
        String realmManagement() { return client("realm-management"); }
        String clientRole(String role) { return "[" + get(A + "/clients/" + realmManagement() + "/roles/" + role) + "]"; }
        String scope(String name) {
            for (JsonNode s : get(A + "/client-scopes")) {
                if (name.equals(s.path("name").asText())) {
                    return s.get("id").asText();
                }
            }
            throw new AssertionError("client scope " + name + " missing");
        }
        String credential(String username, String type) {
            for (JsonNode c : get(A + "/users/" + user(username) + "/credentials")) {
                if (type.equals(c.path("type").asText())) {
                    return c.get("id").asText();
                }
            }
            throw new AssertionError(username + " has no " + type + " credential");
        }
        String agent(String name) {
            for (JsonNode a : get(A + "/agents").path("items")) {
                if (name.equals(a.path("name").asText())) {
                    return a.get("id").asText();
                }
            }
            throw new AssertionError("agent " + name + " missing");
        }
    }

    enum Expect {
        /** Held; applied after approval; the target then shows the requested change. */
        HELD_THEN_APPLIED,
        /**
         * Held; applied after approval (Keycloak answers 2xx); the snapshot stays the same and
         * {@code after} checks the effect elsewhere (a mail) or why there is none.
         */
        HELD_THEN_APPLIED_SNAPSHOT_SAME,
        /**
         * Held; its replay would make Keycloak mail a link, and this server has no configured hostname nor the realm a
         * frontend URL (the request's Host is not trusted): apply answers 409 {@code no_trusted_hostname}, the request
         * stays APPROVED and no mail leaves (the mail on a trusted base: {@code AttackTenthReviewIT}).
         */
        HELD_APPLY_NEEDS_HOSTNAME,
        /** Privilege-reducing: passes by default and is recorded as an admin event. */
        PASSES_RECORDED
    }

    /**
     * One catalogue entry. {@code snapshot} is where the target's state is read before and after;
     * {@code after} asserts, on the state after, that exactly the requested change happened.
     */
    record Case(String operation, String method, Function<Ctx, String> path, Function<Ctx, String> body,
            Function<Ctx, String> snapshot, Expect expect, BiConsumer<Ctx, JsonNode> after, Consumer<Ctx> prepare,
            String contentType) {
        Case(String operation, String method, Function<Ctx, String> path, Function<Ctx, String> body,
                Function<Ctx, String> snapshot, Expect expect, BiConsumer<Ctx, JsonNode> after) {
            this(operation, method, path, body, snapshot, expect, after, x -> { }, "application/json");
        }
    }

    static Set<String> names(JsonNode array, String field) {
        return StreamSupport.stream(array.spliterator(), false).map(n -> n.path(field).asText()).collect(Collectors.toSet());
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // --- the approver role and the guard policy through the realm ---
        c.add(new Case("approver-role-revoke", "DELETE", x -> A + "/users/" + x.user("erin") + "/role-mappings/realm",
                x -> x.role("nhi-approver"), x -> A + "/users/" + x.user("erin") + "/role-mappings/realm",
                Expect.HELD_THEN_APPLIED, (x, s) -> assertFalse(names(s, "name").contains("nhi-approver"), s.toString())));
        c.add(new Case("realm-guard-policy-attribute", "PUT", x -> A,
                x -> "{\"attributes\":{\"nhi.guard.policy\":\"{\\\"cooldownSeconds\\\":{\\\"credential\\\":0,\\\"recovery\\\":0},"
                        + "\\\"expirySeconds\\\":86000}\"}}",
                x -> CoverRealm.GUARD + "/policy", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(86000, s.path("effective").path("expirySeconds").asLong(), s.toString())));

        // --- service-account clients ---
        c.add(new Case("client-certificate-generate-and-download", "POST",
                x -> A + "/clients/" + x.client("sa-cert-dl") + "/certificates/jwt.credential/generate-and-download",
                x -> "{\"format\":\"PKCS12\",\"keyAlias\":\"cover\",\"keyPassword\":\"cover-key-pass\",\"storePassword\":\"cover-store-pass\"}",
                x -> A + "/clients/" + x.client("sa-cert-dl") + "/certificates/jwt.credential", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertTrue(s.path("certificate").asText().length() > 100, "certificate set: " + s)));
        c.add(new Case("client-certificate-upload", "POST",
                x -> A + "/clients/" + x.client("sa-cert-upload") + "/certificates/jwt.credential/upload",
                x -> CatalogueHoldIT.certificateUpload(),
                x -> A + "/clients/" + x.client("sa-cert-upload") + "/certificates/jwt.credential", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(CatalogueHoldIT.UPLOADED_CERTIFICATE_PEM.replaceAll("-----[A-Z ]+-----|\\s", ""),
                        s.path("certificate").asText(), "the uploaded certificate is the client's: " + s),
                x -> { }, "multipart/form-data; boundary=XBOUNDARY"));
        c.add(new Case("client-protocol-mappers-add", "POST",
                x -> A + "/clients/" + x.client("sa-mappers-add") + "/protocol-mappers/add-models",
                x -> "[{\"name\":\"dept\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                        + "\"config\":{\"claim.name\":\"dept\",\"claim.value\":\"ops\",\"access.token.claim\":\"true\",\"jsonType.label\":\"String\"}}]",
                x -> A + "/clients/" + x.client("sa-mappers-add") + "/protocol-mappers/models", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(Set.of("dept"), names(s, "name"), s.toString())));
        c.add(new Case("client-protocol-mapper-update", "PUT",
                x -> A + "/clients/" + x.client("sa-mapper-upd") + "/protocol-mappers/models/" + mapperId(x, "sa-mapper-upd"),
                x -> {
                    com.fasterxml.jackson.databind.node.ObjectNode m = (com.fasterxml.jackson.databind.node.ObjectNode) x.get(
                            A + "/clients/" + x.client("sa-mapper-upd") + "/protocol-mappers/models/" + mapperId(x, "sa-mapper-upd"));
                    ((com.fasterxml.jackson.databind.node.ObjectNode) m.get("config")).put("claim.value", "red");
                    return m.toString();
                },
                x -> A + "/clients/" + x.client("sa-mapper-upd") + "/protocol-mappers/models", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals("red", s.get(0).path("config").path("claim.value").asText(), s.toString())));
        c.add(new Case("client-protocol-mapper-delete", "DELETE",
                x -> A + "/clients/" + x.client("sa-mapper-del") + "/protocol-mappers/models/" + mapperId(x, "sa-mapper-del"),
                x -> null, x -> A + "/clients/" + x.client("sa-mapper-del") + "/protocol-mappers/models", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(0, s.size(), s.toString())));
        c.add(new Case("client-scope-mapping-client-add", "POST",
                x -> A + "/clients/" + x.client("sa-scope-client") + "/scope-mappings/clients/" + x.realmManagement(),
                x -> x.clientRole("view-users"),
                x -> A + "/clients/" + x.client("sa-scope-client") + "/scope-mappings/clients/" + x.realmManagement(),
                Expect.HELD_THEN_APPLIED, (x, s) -> assertEquals(Set.of("view-users"), names(s, "name"), s.toString())));
        c.add(new Case("client-optional-scope-add", "PUT",
                x -> A + "/clients/" + x.client("sa-optscope") + "/optional-client-scopes/" + x.scope("phone"), x -> null,
                x -> A + "/clients/" + x.client("sa-optscope") + "/optional-client-scopes", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(Set.of("address", "phone"), names(s, "name"), s.toString())));
        c.add(new Case("client-scope-mapping-realm-remove", "DELETE",
                x -> A + "/clients/" + x.client("sa-scope-remove") + "/scope-mappings/realm", x -> x.role("reporting"),
                x -> A + "/clients/" + x.client("sa-scope-remove") + "/scope-mappings/realm", Expect.PASSES_RECORDED,
                (x, s) -> assertFalse(names(s, "name").contains("reporting"), s.toString())));
        c.add(new Case("client-scope-mapping-client-remove", "DELETE",
                x -> A + "/clients/" + x.client("sa-scope-remove") + "/scope-mappings/clients/" + x.realmManagement(),
                x -> x.clientRole("view-users"),
                x -> A + "/clients/" + x.client("sa-scope-remove") + "/scope-mappings/clients/" + x.realmManagement(),
                Expect.PASSES_RECORDED, (x, s) -> assertEquals(0, s.size(), s.toString())));
        c.add(new Case("client-default-scope-remove", "DELETE",
                x -> A + "/clients/" + x.client("sa-scopes-remove") + "/default-client-scopes/" + x.scope("profile"), x -> null,
                x -> A + "/clients/" + x.client("sa-scopes-remove") + "/default-client-scopes", Expect.PASSES_RECORDED,
                (x, s) -> assertFalse(names(s, "name").contains("profile"), s.toString())));
        c.add(new Case("client-optional-scope-remove", "DELETE",
                x -> A + "/clients/" + x.client("sa-scopes-remove") + "/optional-client-scopes/" + x.scope("address"), x -> null,
                x -> A + "/clients/" + x.client("sa-scopes-remove") + "/optional-client-scopes", Expect.PASSES_RECORDED,
                (x, s) -> assertFalse(names(s, "name").contains("address"), s.toString())));

        // --- privileges of service-account users (revocations reduce privileges) ---
        c.add(new Case("service-account-realm-role-revoke", "DELETE",
                x -> A + "/users/" + x.saUser("sa-revoke") + "/role-mappings/realm", x -> x.role("reporting"),
                x -> A + "/users/" + x.saUser("sa-revoke") + "/role-mappings/realm", Expect.PASSES_RECORDED,
                (x, s) -> assertFalse(names(s, "name").contains("reporting"), s.toString())));
        c.add(new Case("service-account-client-role-revoke", "DELETE",
                x -> A + "/users/" + x.saUser("sa-revoke") + "/role-mappings/clients/" + x.realmManagement(),
                x -> x.clientRole("view-users"),
                x -> A + "/users/" + x.saUser("sa-revoke") + "/role-mappings/clients/" + x.realmManagement(),
                Expect.PASSES_RECORDED, (x, s) -> assertEquals(0, s.size(), s.toString())));
        c.add(new Case("service-account-group-leave", "DELETE",
                x -> A + "/users/" + x.saUser("sa-revoke") + "/groups/" + x.get(A + "/groups?search=ops&exact=true").get(0).get("id").asText(),
                x -> null, x -> A + "/users/" + x.saUser("sa-revoke") + "/groups", Expect.PASSES_RECORDED,
                (x, s) -> assertEquals(0, s.size(), s.toString())));

        // --- recovery settings of privileged users ---
        c.add(new Case("privileged-user-credential-move-first", "POST",
                x -> A + "/users/" + x.user("priv-move1") + "/credentials/" + x.credential("priv-move1", "otp") + "/moveToFirst",
                x -> null, x -> A + "/users/" + x.user("priv-move1") + "/credentials", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(List.of("otp", "password"), types(s), s.toString())));
        c.add(new Case("privileged-user-credential-move-after", "POST",
                x -> A + "/users/" + x.user("priv-move2") + "/credentials/" + x.credential("priv-move2", "password")
                        + "/moveAfter/" + x.credential("priv-move2", "otp"),
                x -> null, x -> A + "/users/" + x.user("priv-move2") + "/credentials", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(List.of("otp", "password"), types(s), s.toString())));
        c.add(new Case("privileged-user-disable-credential-types", "PUT",
                x -> A + "/users/" + x.user("priv-disable") + "/disable-credential-types", x -> "[\"otp\"]",
                x -> A + "/users/" + x.user("priv-disable") + "/credentials", Expect.HELD_THEN_APPLIED_SNAPSHOT_SAME,
                // Keycloak 26.7 disables credential types only through user-storage providers; a
                // local user has none it can disable (disableableCredentialTypes is empty), so
                // Keycloak answers 204 and the credentials stay.
                (x, s) -> {
                    assertEquals(List.of("password", "otp"), types(s), s.toString());
                    JsonNode user = x.get(A + "/users/" + x.user("priv-disable"));
                    assertEquals(0, user.path("disableableCredentialTypes").size(), user.toString());
                }));
        c.add(new Case("privileged-user-execute-actions-email", "PUT",
                x -> A + "/users/" + x.user("priv-mail") + "/execute-actions-email", x -> "[\"UPDATE_PASSWORD\"]",
                x -> A + "/users/" + x.user("priv-mail"), Expect.HELD_APPLY_NEEDS_HOSTNAME,
                (x, s) -> { },
                x -> { }, "application/json"));
        // (Twenty-second red-team review) The verification mail's link verifies the address and then runs the user's
        // pending required actions for whoever holds it, built on the request's Host: mallory's Host took over ben.
        c.add(new Case("privileged-user-send-verify-email", "PUT",
                x -> A + "/users/" + x.user("priv-mail") + "/send-verify-email?lifespan=31536000", x -> null,
                x -> A + "/users/" + x.user("priv-mail"), Expect.HELD_APPLY_NEEDS_HOSTNAME,
                (x, s) -> { },
                x -> { }, "application/json"));
        c.add(new Case("privileged-user-idp-link", "POST",
                x -> A + "/users/" + x.user("priv-link") + "/federated-identity/corp",
                x -> "{\"identityProvider\":\"corp\",\"userId\":\"corp-9\",\"userName\":\"priv-link\"}",
                x -> A + "/users/" + x.user("priv-link") + "/federated-identity", Expect.HELD_THEN_APPLIED,
                (x, s) -> {
                    assertEquals(1, s.size(), s.toString());
                    assertEquals("corp-9", s.get(0).path("userId").asText(), s.toString());
                }));
        c.add(new Case("privileged-user-idp-unlink", "DELETE",
                x -> A + "/users/" + x.user("priv-unlink") + "/federated-identity/corp", x -> null,
                x -> A + "/users/" + x.user("priv-unlink") + "/federated-identity", Expect.PASSES_RECORDED,
                (x, s) -> assertEquals(0, s.size(), s.toString())));

        // --- the agent registry: register, then change and resume the registered agent ---
        c.add(new Case("agent-register", "POST", x -> A + "/agents", x -> agentRegistration(),
                x -> A + "/clients?clientId=cover-bot", Expect.HELD_THEN_APPLIED,
                (x, s) -> {
                    assertEquals(1, s.size(), s.toString());
                    JsonNode agent = x.get(A + "/agents/" + x.agent("cover-bot"));
                    assertEquals("olga", agent.path("owner").path("name").asText(), agent.toString());
                    assertEquals("ACTIVE", agent.path("status").asText(), agent.toString());
                }));
        c.add(new Case("agent-update", "PUT", x -> A + "/agents/" + x.agent("cover-bot"),
                x -> "{\"purpose\":\"reconciles the coverage ledger\"}", x -> A + "/agents/" + x.agent("cover-bot"),
                Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals("reconciles the coverage ledger", s.path("purpose").asText(), s.toString())));
        c.add(new Case("agent-resume", "POST", x -> A + "/agents/" + x.agent("cover-bot") + "/resume",
                x -> "{\"reason\":\"checked\"}", x -> A + "/agents/" + x.agent("cover-bot"), Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals("ACTIVE", s.path("status").asText(), s.toString()),
                x -> {
                    // Suspending is containment and not guarded; resuming is. The reason carries a private key: a value the
                    // agent's image seals, which blocked every held change to the agent (its resume: 400) until a
                    // twenty-second red-team review; an agent is a guarded subject, so its own image's values do not.
                    HttpAdmin.Response suspended = x.realm().http.post(A + "/agents/" + x.agent("cover-bot") + "/suspend",
                            x.token(), "{\"reason\":\"coverage test -----BEGIN PRIVATE KEY-----\\n"
                                    + "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg45szKVG9g16/XK08\\n"
                                    + "iS7uJms9+4b23lgzRSW5LekpIyGhRANCAASrSce7Gi/7Y/u2dTy/SbuHOk3L+blV\\n"
                                    + "r+keCghUonEMcOXHg9v+jNB/bsDcndAjDu33lTk3re8uE8sVgBrJLdE9\\n-----END PRIVATE KEY-----\"}");
                    assertEquals(200, suspended.status(), suspended.body());
                    assertEquals("SUSPENDED", suspended.json().path("status").asText(), suspended.body());
                }, "application/json"));

        // --- privilege-reducing inverses a rollback restores through: they pass when sent directly ---
        c.add(new Case("agent-suspend", "POST", x -> A + "/agents/" + x.agent("cover-bot") + "/suspend",
                x -> "{\"reason\":\"coverage\"}", x -> A + "/agents/" + x.agent("cover-bot"), Expect.PASSES_RECORDED,
                (x, s) -> assertEquals("SUSPENDED", s.path("status").asText(), s.toString())));
        c.add(new Case("role-composite-remove", "DELETE", x -> A + "/roles/cover-parent/composites", x -> x.role("cover-child"),
                x -> A + "/roles/cover-parent/composites", Expect.PASSES_RECORDED,
                (x, s) -> assertEquals(0, s.size(), s.toString()),
                x -> {
                    create(x, A + "/roles", "{\"name\":\"cover-parent\"}");
                    create(x, A + "/roles", "{\"name\":\"cover-child\"}");
                    throughApproval(x, "POST", A + "/roles/cover-parent/composites", x.role("cover-child"));
                }, "application/json"));
        c.add(new Case("group-role-revoke", "DELETE", x -> A + "/groups/" + x.group("cover-revoke") + "/role-mappings/realm",
                x -> x.role("reporting"), x -> A + "/groups/" + x.group("cover-revoke") + "/role-mappings/realm",
                Expect.PASSES_RECORDED, (x, s) -> assertFalse(names(s, "name").contains("reporting"), s.toString()),
                x -> {
                    create(x, A + "/groups", "{\"name\":\"cover-revoke\"}");
                    throughApproval(x, "POST", A + "/groups/" + x.group("cover-revoke") + "/role-mappings/realm", x.role("reporting"));
                }, "application/json"));
        c.add(new Case("client-scope-mapping-remove", "DELETE",
                x -> A + "/client-scopes/" + x.scope("cover-unused") + "/scope-mappings/realm", x -> x.role("reporting"),
                x -> A + "/client-scopes/" + x.scope("cover-unused") + "/scope-mappings/realm", Expect.PASSES_RECORDED,
                (x, s) -> assertEquals(0, s.size(), s.toString()),
                x -> {
                    // a scope no service account uses: its scope mappings are not guarded
                    create(x, A + "/client-scopes", "{\"name\":\"cover-unused\",\"protocol\":\"openid-connect\"}");
                    HttpAdmin.Response added = x.realm().http.post(A + "/client-scopes/" + x.scope("cover-unused")
                            + "/scope-mappings/realm", x.realm().token("cara"), x.role("reporting"));
                    assertEquals(204, added.status(), added.body());
                }, "application/json"));
        // --- the approvals page's client, absent in this realm: whoever creates it chooses where approvers' codes go ---
        c.add(new Case("admin-client-create", "POST", x -> A + "/clients",
                x -> "{\"clientId\":\"nhi-approvals\",\"publicClient\":true,\"standardFlowEnabled\":true,"
                        + "\"directAccessGrantsEnabled\":false,\"redirectUris\":[\"https://approvals.guard-cover.test/*\"]}",
                x -> A + "/clients?clientId=nhi-approvals", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals("[\"https://approvals.guard-cover.test/*\"]", s.path(0).path("redirectUris").toString(),
                        s.toString())));
        // --- names a flow condition or a client policy resolves at login or token time: the disabled client
        // policy cover-gates names cover-gates-app's roles cover-gate-* and the scope offline_access; gina is a
        // realm admin holding them directly, through groups cover-gates-1..3 and through composite cover-bundle ---
        c.add(new Case("gate-role-create", "POST", x -> A + "/clients/" + x.client(GATES_APP) + "/roles",
                x -> "{\"name\":\"cover-gate-new\"}", x -> A + "/clients/" + x.client(GATES_APP) + "/roles",
                Expect.HELD_THEN_APPLIED, (x, s) -> assertTrue(names(s, "name").contains("cover-gate-new"), s.toString())));
        c.add(new Case("privileged-user-gate-role", "DELETE",
                x -> A + "/users/" + x.user("gina") + "/role-mappings/clients/" + x.client(GATES_APP), x -> gateRole(x, "a"),
                x -> A + "/users/" + x.user("gina") + "/role-mappings/clients/" + x.client(GATES_APP), Expect.HELD_THEN_APPLIED,
                (x, s) -> assertFalse(names(s, "name").contains("cover-gate-a"), s.toString())));
        c.add(new Case("privileged-user-gate-group", "DELETE",
                x -> A + "/users/" + x.user("gina") + "/groups/" + x.group("cover-gates-1"), x -> null,
                x -> A + "/users/" + x.user("gina") + "/groups", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertFalse(names(s, "name").contains("cover-gates-1"), s.toString())));
        c.add(new Case("gate-group-role-revoke", "DELETE",
                x -> A + "/groups/" + x.group("cover-gates-2") + "/role-mappings/clients/" + x.client(GATES_APP),
                x -> gateRole(x, "c"), x -> A + "/groups/" + x.group("cover-gates-2") + "/role-mappings/clients/"
                        + x.client(GATES_APP), Expect.HELD_THEN_APPLIED,
                (x, s) -> assertFalse(names(s, "name").contains("cover-gate-c"), s.toString())));
        c.add(new Case("gate-group-delete", "DELETE", x -> A + "/groups/" + x.group("cover-gates-3"), x -> null,
                x -> A + "/groups?exact=true&search=cover-gates-3", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertEquals(0, s.size(), s.toString())));
        c.add(new Case("gate-role-composite-remove", "DELETE", x -> A + "/roles/cover-bundle/composites",
                x -> gateRole(x, "e"), x -> A + "/roles/cover-bundle/composites", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertFalse(names(s, "name").contains("cover-gate-e"), s.toString())));
        c.add(new Case("client-scope-policy-gate", "DELETE",
                x -> A + "/clients/" + x.client(GATES_APP) + "/optional-client-scopes/" + x.scope("offline_access"), x -> null,
                x -> A + "/clients/" + x.client(GATES_APP) + "/optional-client-scopes", Expect.HELD_THEN_APPLIED,
                (x, s) -> assertFalse(names(s, "name").contains("offline_access"), s.toString())));
        c.add(new Case("realm-default-remove", "DELETE",
                x -> A + "/default-optional-client-scopes/" + x.scope("microprofile-jwt"), x -> null,
                x -> A + "/default-optional-client-scopes", Expect.PASSES_RECORDED,
                (x, s) -> assertFalse(names(s, "name").contains("microprofile-jwt"), s.toString())));
        return c;
    }

    /** The ordinary client whose roles and optional scope the disabled client policy {@code cover-gates} names. */
    static final String GATES_APP = "cover-gates-app";

    /** {@code [role]} of cover-gates-app's role {@code cover-gate-<letter>}, with its id. */
    static String gateRole(Ctx x, String letter) {
        return "[" + x.get(A + "/clients/" + x.client(GATES_APP) + "/roles/cover-gate-" + letter) + "]";
    }

    /** Creates an object through an unguarded write (an earlier run may have created it). */
    static void create(Ctx x, String path, String body) {
        HttpAdmin.Response r = x.realm().http.post(path, x.realm().token("cara"), body);
        assertTrue(r.status() == 201 || r.status() == 409, path + ": " + r.body());
    }

    /** A guarded write cara requests, ann approves and cara applies. */
    static void throughApproval(Ctx x, String method, String path, String body) {
        CoverRealm r = x.realm();
        String cara = r.token("cara");
        HttpAdmin.Response held = r.http.send(method, path, cara, body == null ? null : "application/json", body);
        assertEquals(202, held.status(), path + ": " + held.body());
        String id = held.json().path("id").asText();
        String ann = r.token("ann");
        HttpAdmin.Response approved = r.approve(id, r.changeRequest(id, ann).path("digest").asText(), ann);
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = r.apply(id, cara);
        assertEquals(200, applied.status(), applied.body());
    }

    static List<String> types(JsonNode credentials) {
        return StreamSupport.stream(credentials.spliterator(), false).map(n -> n.path("type").asText()).toList();
    }

    static String mapperId(Ctx x, String clientId) {
        return x.get(A + "/clients/" + x.client(clientId) + "/protocol-mappers/models").get(0).get("id").asText();
    }

    static String agentRegistration() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            ECPublicKey pub = (ECPublicKey) g.generateKeyPair().getPublic();
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String x = b64.encodeToString(unsigned32(pub.getW().getAffineX()));
            String y = b64.encodeToString(unsigned32(pub.getW().getAffineY()));
            return "{\"name\":\"cover-bot\",\"owner\":{\"type\":\"user\",\"username\":\"olga\"},\"purpose\":\"coverage\","
                    + "\"expiresAt\":\"" + Instant.now().plus(365, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS) + "\","
                    + "\"allowedScopes\":[\"profile\"],"
                    + "\"keyBinding\":{\"type\":\"jwk\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}}}";
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] unsigned32(BigInteger v) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }

    @Test
    void theTablesTogetherCoverEveryCatalogueEntry(KeycloakTarget keycloak) {
        CoverRealm realm = new CoverRealm(keycloak);
        JsonNode catalogue = realm.get(CoverRealm.GUARD + "/policy", realm.token("ann")).path("catalogue");
        Map<String, Boolean> reducing = new HashMap<>();
        catalogue.forEach(op -> reducing.put(op.path("id").asText(), op.path("privilegeReducing").asBoolean()));
        assertTrue(reducing.size() >= 46, "catalogue listed: " + catalogue);

        List<String> here = cases().stream().map(Case::operation).toList();
        List<String> there = CatalogueHoldIT.cases().stream().map(CatalogueHoldIT.Case::operation).toList();
        List<String> all = new ArrayList<>(here);
        all.addAll(there);
        all.addAll(DenyByDefaultIT.rows().stream().map(DenyByDefaultIT.Row::operation).toList());
        all.addAll(dev.nhiguard.it.attack.AttackSeventeenthReviewIT.CATALOGUE_ROWS); // held there against a live directory
        assertEquals(all.size(), new TreeSet<>(all).size(), "an entry has two rows: " + all);
        assertEquals(new TreeSet<>(reducing.keySet()), new TreeSet<>(all),
                "every catalogue entry needs exactly one row in CatalogueHoldIT, CatalogueCoverageIT, DenyByDefaultIT or "
                        + "AttackSeventeenthReviewIT (directory memberships)");
        for (Case c : cases()) {
            assertEquals(reducing.get(c.operation()), c.expect() == Expect.PASSES_RECORDED,
                    c.operation() + ": privilege-reducing entries pass by default, all others are held");
        }
    }

    @Test
    void everyRemainingEntryIsHeldThenAppliedOrPassesAndIsRecorded(KeycloakTarget keycloak) {
        CoverRealm realm = new CoverRealm(keycloak);
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            GuardedRealmUpdate.smtp(keycloak.http(), CoverRealm.REALM, smtp.smtpServerConfig(), realm::token, "cara", "ann");
            try {
                List<Executable> checks = new ArrayList<>();
                for (Case c : cases()) {
                    checks.add(() -> runCase(keycloak, realm, smtp, c));
                }
                assertAll(checks);
            } finally {
                GuardedRealmUpdate.smtp(keycloak.http(), CoverRealm.REALM, Map.of(), realm::token, "cara", "ann");
            }
        }
    }

    private static void runCase(KeycloakTarget keycloak, CoverRealm realm, SmtpReceiver smtp, Case c) {
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        Ctx ctx = new Ctx(realm, ann, smtp);
        c.prepare().accept(ctx);
        String path = c.path().apply(ctx);
        String body = c.body().apply(ctx);
        String snapshotPath = c.snapshot().apply(ctx);
        String before = realm.http.get(snapshotPath, ann).body();
        long started = System.currentTimeMillis();

        HttpAdmin.Response sent = realm.http.send(c.method(), path, cara, body == null ? null : c.contentType(), body);
        if (c.expect() == Expect.PASSES_RECORDED) {
            assertTrue(sent.status() >= 200 && sent.status() < 300 && sent.status() != 202,
                    c.operation() + " should pass: " + sent.status() + " " + sent.body());
            c.after().accept(ctx, realm.get(snapshotPath, ann));
            String caraId = realm.user("cara", ann);
            String target = path.substring(A.length() + 1).split("/")[1];
            // removals are DELETE events; the agent module records a suspension as an ACTION
            JsonNode events = realm.get(A + "/admin-events?operationTypes=" + ("DELETE".equals(c.method()) ? "DELETE" : "ACTION")
                    + "&max=1000&dateFrom="
                    + java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1), ann);
            assertTrue(StreamSupport.stream(events.spliterator(), false).anyMatch(e -> e.path("time").asLong() >= started - 5000
                    && caraId.equals(e.path("authDetails").path("userId").asText())
                    && e.path("resourcePath").asText().contains(target)),
                    c.operation() + ": no admin event recorded for " + path);
            return;
        }
        assertEquals(202, sent.status(), c.operation() + " not held: " + sent.body());
        JsonNode cr = sent.json();
        String id = cr.path("id").asText();
        // A write with several effects is one request; its effects list every operation it is.
        assertTrue(c.operation().equals(cr.path("operation").asText())
                || cr.path("effects").toString().contains("\"" + c.operation() + "\""), c.operation() + ": " + cr);
        assertEquals("PENDING", cr.path("state").asText(), c.operation());
        assertEquals(1, cr.path("needs").path("approvals").asInt(), c.operation() + ": " + cr);
        assertTrue(sent.header("Location").endsWith(CoverRealm.GUARD + "/change-requests/" + id),
                c.operation() + ": Location " + sent.header("Location"));
        assertEquals(before, realm.http.get(snapshotPath, ann).body(), c.operation() + ": target changed while held");
        if (c.operation().startsWith("privileged-user-") && c.operation().endsWith("-email")) {
            assertFalse(smtp.messages().stream().anyMatch(m -> m.recipients().contains("priv-mail@guard-cover.test")),
                    c.operation() + ": a mail left while held");
        }

        JsonNode stored = realm.changeRequest(id, ann);
        assertEquals(c.method(), stored.path("method").asText(), c.operation());
        assertEquals(path, stored.path("path").asText(), c.operation());
        HttpAdmin.Response approved = realm.approve(id, stored.path("digest").asText(), ann);
        assertEquals(200, approved.status(), c.operation() + " approve: " + approved.body());
        assertEquals("APPROVED", approved.json().path("state").asText(), c.operation() + ": " + approved.body());
        assertEquals(before, realm.http.get(snapshotPath, ann).body(), c.operation() + ": approval alone changed the target");

        HttpAdmin.Response applied = applyPatiently(keycloak, id, cara);
        if (c.expect() == Expect.HELD_APPLY_NEEDS_HOSTNAME) {
            assertEquals(409, applied.status(), c.operation() + " apply: " + applied.body());
            assertEquals("no_trusted_hostname", applied.json().path("error").asText(), applied.body());
            assertEquals("APPROVED", applied.json().path("state").asText(), c.operation());
            assertFalse(smtp.messages().stream().anyMatch(m -> m.recipients().contains("priv-mail@guard-cover.test")),
                    c.operation() + ": a mail left without a trusted base");
            return;
        }
        assertEquals(200, applied.status(), c.operation() + " apply: " + applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), c.operation());
        int status = applied.json().path("result").path("status").asInt();
        assertTrue(status >= 200 && status < 300, c.operation() + ": Keycloak answered " + applied.body());
        JsonNode after = realm.get(snapshotPath, ann);
        if (c.expect() == Expect.HELD_THEN_APPLIED) {
            assertNotEquals(realm.http.get(snapshotPath, ann).body(), before, c.operation() + ": not applied");
        }
        c.after().accept(ctx, after);
        assertEquals("APPLIED", realm.changeRequest(id, ann).path("state").asText(), c.operation());
    }

    /**
     * Apply with a generous timeout: key-pair generation in Keycloak can take long on a loaded
     * test machine (no timing is asserted).
     */
    static HttpAdmin.Response applyPatiently(KeycloakTarget keycloak, String id, String token) {
        URI uri = keycloak.baseUri().resolve(CoverRealm.GUARD + "/change-requests/" + id + "/apply");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                    .send(request, HttpResponse.BodyHandlers.ofString());
            Map<String, String> headers = new HashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            return new HttpAdmin.Response(r.statusCode(), headers, r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
