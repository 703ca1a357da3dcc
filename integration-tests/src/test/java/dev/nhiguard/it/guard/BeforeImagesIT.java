package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Agents and named definitions (roles, client scopes, identity providers) have before-images:
 * the change request shows what a change replaces, apply refuses a target that changed since the
 * request, and a rollback restores the prior state, judged by reading it back through Keycloak.
 * Realm {@code guard-images}: approvers ann and ben, requester cara (realm admins); the service
 * account sa-img holds realm role {@code ops}; identity provider {@code corp}.
 */
@ExtendWith(KeycloakExtension.class)
class BeforeImagesIT {

    static final String REALM = "guard-images";
    static final String A = "/admin/realms/" + REALM;
    static final String G = A + "/mutation-guard";
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpAdmin http;

    BeforeImagesIT(KeycloakTarget keycloak) {
        this.http = keycloak.http();
    }

    String token(String username) {
        return http.passwordGrant(REALM, "admin-cli", username, username + "-pass", null).get("access_token").asText();
    }

    JsonNode get(String path) {
        HttpAdmin.Response r = http.get(path, token("ann"));
        assertEquals(200, r.status(), path + ": " + r.body());
        return r.json();
    }

    JsonNode changeRequest(String id) {
        return get(G + "/change-requests/" + id);
    }

    /** A held request's id (the write answered 202). */
    static String held(HttpAdmin.Response r) {
        assertEquals(202, r.status(), r.body());
        return r.json().path("id").asText();
    }

    HttpAdmin.Response approveAndTryApply(String id) {
        HttpAdmin.Response approved = http.post(G + "/change-requests/" + id + "/approve", token("ann"),
                "{\"digest\":\"" + changeRequest(id).path("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        return http.post(G + "/change-requests/" + id + "/apply", token("cara"), null);
    }

    void approveAndApply(String id) {
        HttpAdmin.Response applied = approveAndTryApply(id);
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
    }

    /** Requests the rollback of an applied request, approves and applies it. */
    void rollBack(String id) {
        HttpAdmin.Response rb = http.post(G + "/change-requests/" + id + "/rollback", token("cara"), null);
        assertEquals(201, rb.status(), rb.body());
        approveAndApply(rb.json().path("id").asText());
        assertEquals("ROLLED_BACK", changeRequest(id).path("state").asText());
    }

    // ------------------------------------------------------------------ agents

    static ObjectNode publicJwk() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey k = (ECPublicKey) g.generateKeyPair().getPublic();
        return JSON.createObjectNode().put("kty", "EC").put("crv", "P-256")
                .put("x", b64(k.getW().getAffineX())).put("y", b64(k.getW().getAffineY()));
    }

    private static String b64(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int len = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - len, out, 32 - len, len);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    }

    /** Registers an agent through a held, approved request; answers its id. */
    String registerAgent(String name) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("purpose", "before-image tests")
                .put("expiresAt", Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString());
        body.putObject("owner").put("type", "user").put("username", "cara");
        body.putObject("keyBinding").put("type", "jwk").set("jwk", publicJwk());
        approveAndApply(held(http.post(A + "/agents", token("cara"), body.toString())));
        for (JsonNode a : get(A + "/agents").path("items")) {
            if (name.equals(a.path("name").asText())) {
                return a.path("id").asText();
            }
        }
        throw new AssertionError("agent " + name + " not registered");
    }

    @Test
    void anAgentExpiryChangeShowsItsBeforeImageAndExactlyThatFieldAndRollsBack() throws Exception {
        String agent = registerAgent("img-agent-expiry");
        String before = get(A + "/agents/" + agent).path("expiresAt").asText();
        String later = Instant.now().plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();

        String id = held(http.put(A + "/agents/" + agent, token("cara"), "{\"expiresAt\":\"" + later + "\"}"));
        JsonNode cr = changeRequest(id);
        assertEquals(before, cr.path("beforeImage").path("expiresAt").asText(), cr.toString());
        assertEquals("cara", get(A + "/users/" + cr.path("beforeImage").path("owner").path("id").asText()).path("username").asText());
        assertEquals("jwk", cr.path("beforeImage").path("keyBinding").path("type").asText(), cr.toString());
        JsonNode diff = cr.path("diff");
        assertEquals(1, diff.size(), diff.toString());
        assertEquals("/expiresAt", diff.get(0).path("path").asText(), diff.toString());
        assertEquals(before, diff.get(0).path("from").asText());
        assertEquals(later, diff.get(0).path("to").asText());

        approveAndApply(id);
        assertEquals(later, get(A + "/agents/" + agent).path("expiresAt").asText());
        rollBack(id);
        assertEquals(before, get(A + "/agents/" + agent).path("expiresAt").asText());
    }

    @Test
    void anAgentKeyChangeShowsTheBoundKeyAndRollsBackToIt() throws Exception {
        String agent = registerAgent("img-agent-key");
        String thumbprint = get(A + "/agents/" + agent).path("keyBinding").path("thumbprint").asText();
        ObjectNode body = JSON.createObjectNode();
        body.putObject("keyBinding").put("type", "jwk").set("jwk", publicJwk());

        String id = held(http.put(A + "/agents/" + agent, token("cara"), body.toString()));
        JsonNode cr = changeRequest(id);
        assertEquals(thumbprint, cr.path("beforeImage").path("keyBinding").path("thumbprint").asText(), cr.toString());
        assertFalse(cr.path("diff").isEmpty(), cr.toString());
        for (JsonNode change : cr.path("diff")) {
            assertTrue(change.path("path").asText().startsWith("/keyBinding"), cr.path("diff").toString());
        }

        approveAndApply(id);
        assertFalse(thumbprint.equals(get(A + "/agents/" + agent).path("keyBinding").path("thumbprint").asText()));
        rollBack(id);
        assertEquals(thumbprint, get(A + "/agents/" + agent).path("keyBinding").path("thumbprint").asText());
    }

    @Test
    void anAgentChangedAfterTheRequestIsATargetChanged() throws Exception {
        String agent = registerAgent("img-agent-changed");
        String later = Instant.now().plus(60, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
        String id = held(http.put(A + "/agents/" + agent, token("cara"), "{\"expiresAt\":\"" + later + "\"}"));
        // suspending takes privileges away, so it is not held; it changes the agent the request was made against
        assertEquals(200, http.post(A + "/agents/" + agent + "/suspend", token("ann"), "{\"reason\":\"test\"}").status());
        HttpAdmin.Response applied = approveAndTryApply(id);
        assertEquals(409, applied.status(), applied.body());
        assertEquals("target_changed", applied.json().path("error").asText(), applied.body());
        assertFalse(later.equals(get(A + "/agents/" + agent).path("expiresAt").asText()));
    }

    // ------------------------------------------------------------------ roles

    JsonNode role(String name) {
        return get(A + "/roles/" + name);
    }

    List<String> compositeNames(String role) {
        List<String> names = new ArrayList<>();
        get(A + "/roles/" + role + "/composites").forEach(r -> names.add(r.path("name").asText()));
        names.sort(null);
        return names;
    }

    @Test
    void aCompositeAddWhoseRoleChangedSinceTheRequestIsRefused() {
        String id = held(http.post(A + "/roles/ops/composites", token("cara"), "[" + role("auditor") + "]"));
        assertFalse(changeRequest(id).path("beforeImage").isNull(), changeRequest(id).toString());
        // the role's description is not guarded, but it is part of the definition the request was approved against
        ObjectNode ops = (ObjectNode) role("ops");
        ops.put("description", "changed after the request " + id);
        assertEquals(204, http.put(A + "/roles/ops", token("ann"), ops.toString()).status());

        HttpAdmin.Response applied = approveAndTryApply(id);
        assertEquals(409, applied.status(), applied.body());
        assertEquals("target_changed", applied.json().path("error").asText(), applied.body());
        assertFalse(compositeNames("ops").contains("auditor"), compositeNames("ops").toString());
    }

    @Test
    void rollingBackACompositeAddRemovesWhatItAdded() {
        List<String> before = compositeNames("ops");
        String id = held(http.post(A + "/roles/ops/composites", token("cara"), "[" + role("reader") + "]"));
        // the diff is Keycloak's own: a dry run adds the composite and rolls back
        JsonNode cr = changeRequest(id);
        assertEquals("keycloak-dry-run", cr.path("afterImage").path("source").asText(), cr.path("afterImage").toString());
        assertTrue(cr.path("diff").toString().contains("reader"), cr.path("diff").toString());
        assertFalse(compositeNames("ops").contains("reader"), "a dry run changes nothing");
        approveAndApply(id);
        assertTrue(compositeNames("ops").contains("reader"));
        rollBack(id);
        assertEquals(before, compositeNames("ops"));
    }

    // ------------------------------------------------------------------ groups

    @Test
    void aServiceAccountGroupJoinWhoseGroupGainedRolesSinceIsRefused() {
        HttpAdmin.Response created = http.post(A + "/groups", token("ann"), "{\"name\":\"img-team\"}");
        assertEquals(201, created.status(), created.body());
        String group = created.header("Location").substring(created.header("Location").lastIndexOf('/') + 1);
        String sa = get(A + "/clients/" + get(A + "/clients?clientId=sa-img").get(0).path("id").asText()
                + "/service-account-user").path("id").asText();
        String join = held(http.put(A + "/users/" + sa + "/groups/" + group, token("cara"), null));
        assertEquals("service-account-group-join", changeRequest(join).path("operation").asText());

        // meanwhile the group gains a role (itself approved): the join would now give more than was approved
        approveAndApply(held(http.post(A + "/groups/" + group + "/role-mappings/realm", token("cara"), "[" + role("auditor") + "]")));
        HttpAdmin.Response applied = approveAndTryApply(join);
        assertEquals(409, applied.status(), applied.body());
        assertEquals("target_changed", applied.json().path("error").asText(), applied.body());
        assertEquals(0, get(A + "/users/" + sa + "/groups").size());
    }

    // ------------------------------------------------------------------ client scopes

    String scopeId(String name) {
        for (JsonNode s : get(A + "/client-scopes")) {
            if (name.equals(s.path("name").asText())) {
                return s.path("id").asText();
            }
        }
        throw new AssertionError("no client scope " + name);
    }

    List<String> mapperNames(String scopeId) {
        List<String> names = new ArrayList<>();
        get(A + "/client-scopes/" + scopeId + "/protocol-mappers/models").forEach(m -> names.add(m.path("name").asText()));
        names.sort(null);
        return names;
    }

    @Test
    void rollingBackAClientScopeMapperAddDeletesTheMapper() {
        // profile is a realm default scope: every new client, service accounts included, gets it
        String scope = scopeId("profile");
        List<String> before = mapperNames(scope);
        ObjectNode mapper = JSON.createObjectNode().put("name", "img-hardcoded").put("protocol", "openid-connect")
                .put("protocolMapper", "oidc-hardcoded-claim-mapper");
        mapper.putObject("config").put("claim.name", "img").put("claim.value", "1").put("access.token.claim", "true")
                .put("jsonType.label", "String");
        String id = held(http.post(A + "/client-scopes/" + scope + "/protocol-mappers/models", token("cara"), mapper.toString()));
        assertEquals("client-scope-config", changeRequest(id).path("operation").asText());
        approveAndApply(id);
        assertTrue(mapperNames(scope).contains("img-hardcoded"));
        rollBack(id);
        assertEquals(before, mapperNames(scope));
    }

    // ------------------------------------------------------------------ components

    @Test
    void aKeyProviderUpdateKeepsItsPrivateKeyOutOfTheBeforeImageAndRollsBackWithTheSameKey() {
        String realmId = get(A).path("id").asText();
        ObjectNode rsa = JSON.createObjectNode().put("name", "img-rsa").put("providerId", "rsa-generated")
                .put("providerType", "org.keycloak.keys.KeyProvider").put("parentId", realmId);
        rsa.putObject("config").putArray("priority").add("50");
        approveAndApply(held(http.post(A + "/components", token("cara"), rsa.toString())));
        String component = get(A + "/components?type=org.keycloak.keys.KeyProvider&name=img-rsa").get(0).path("id").asText();
        JsonNode key = keyOf(component);

        ObjectNode rep = (ObjectNode) get(A + "/components/" + component);
        rep.withArray("/config/priority").removeAll().add("60");
        String id = held(http.put(A + "/components/" + component, token("cara"), rep.toString()));
        JsonNode before = changeRequest(id).path("beforeImage");
        assertEquals("50", before.path("component").path("config").path("priority").get(0).asText(), before.toString());
        // the generated private key: left out as Keycloak's admin API leaves it out, pinned by its fingerprint in the
        // stored request, shown only as sealed
        assertFalse(before.path("component").path("config").has("privateKey"), before.toString());
        JsonNode pinned = null;
        for (JsonNode f : before.path("secretFingerprints")) {
            pinned = "privateKey".equals(f.path("key").asText()) ? f : pinned;
        }
        assertTrue(pinned != null && "sealed".equals(pinned.path("fingerprints").get(0).asText()), before.toString());
        assertFalse(before.toString().contains("hmac-sha256:"), before.toString());

        approveAndApply(id);
        assertEquals("60", get(A + "/components/" + component).path("config").path("priority").get(0).asText());
        rollBack(id);
        assertEquals("50", get(A + "/components/" + component).path("config").path("priority").get(0).asText());
        JsonNode after = keyOf(component);
        assertEquals(key.path("kid").asText(), after.path("kid").asText(), "the rollback kept the private key");
        assertEquals(key.path("publicKey").asText(), after.path("publicKey").asText());
    }

    JsonNode keyOf(String component) {
        for (JsonNode k : get(A + "/keys").path("keys")) {
            if (component.equals(k.path("providerId").asText())) {
                return k;
            }
        }
        throw new AssertionError("no key of component " + component);
    }

    // ------------------------------------------------------------------ identity providers

    @Test
    void rollingBackAnIdentityProviderUpdateRestoresItAndNeverStoresTheSecret() {
        String idp = A + "/identity-provider/instances/corp";
        ObjectNode rep = (ObjectNode) get(idp);
        assertTrue(rep.path("enabled").asBoolean());
        rep.put("enabled", false);
        ((ObjectNode) rep.get("config")).put("tokenUrl", "https://elsewhere.example/token");
        String id = held(http.put(idp, token("cara"), rep.toString()));
        JsonNode cr = changeRequest(id);
        assertTrue(cr.path("beforeImage").path("identityProvider").path("enabled").asBoolean(), cr.toString());
        assertFalse(cr.toString().contains("corp-idp-secret-51ab"), "the IdP secret is stored only as a fingerprint");

        approveAndApply(id);
        assertFalse(get(idp).path("enabled").asBoolean());
        rollBack(id);
        JsonNode restored = get(idp);
        assertTrue(restored.path("enabled").asBoolean(), restored.toString());
        assertEquals("https://idp.example/token", restored.path("config").path("tokenUrl").asText(), restored.toString());
    }
}
