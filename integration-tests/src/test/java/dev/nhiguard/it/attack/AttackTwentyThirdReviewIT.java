package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.it.ConsoleSignIn;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Twenty-third red-team review (2026-12-07): a claim named twice. Keycloak's client-role mappers name a claim after
 * each role's client ({@code ${client_id}}); with a role of a client called {@code azp} and one called {@code sid},
 * mallory's token carried a second {@code azp} (an approver's decision client) and {@code sid} (the approver's live
 * session), Keycloak read the last of each, and the admin API took her for the approver: she approved her own request
 * for {@code realm-admin} on a service account. Each test runs in a copy of {@code guard-attack-fifth} (ann and ben
 * approve, mallory administers).
 */
@ExtendWith(KeycloakExtension.class)
class AttackTwentyThirdReviewIT {

    /** The mapper that names a top-level claim after a role's client is held, on any client; Keycloak's own form passes. */
    @Test
    void aMapperNamingATopLevelClaimAfterARolesClientIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentythird", "tmpl", rep -> { });
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mal-tmpl\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false}").status(), "an ordinary client");
        String models = r.admin + "/clients/" + r.clientUuid("mal-tmpl") + "/protocol-mappers/models";
        HttpAdmin.Response top = r.http.post(models, mallory, clientRoleMapper("m-top", "azp", "${client_id}"));
        HttpAdmin.Response nested = r.http.post(models, mallory, clientRoleMapper("m-agent", "agent", "${client_id}.name"));
        HttpAdmin.Response keycloaks = r.http.post(models, mallory, clientRoleMapper("m-roles", "plain-app",
                "resource_access.${client_id}.roles"));
        assertAll(
                () -> AttackRealm.assertHeld(top, "claim ${client_id}"),
                () -> AttackRealm.assertHeld(nested, "claim ${client_id}.name"),
                () -> assertEquals(201, keycloaks.status(), "Keycloak's own form, inside resource_access: " + keycloaks.body()));
    }

    /**
     * In a realm whose policy leaves protocol mappers unguarded (an operator's choice; the mapper is then written), the
     * forged token is refused by the admin API before anything reads it: mallory neither approves as ann nor reads as
     * her. The token is shown to carry {@code azp} and {@code sid} twice, the second naming ann's admin-cli session.
     */
    @Test
    void aTokenNamingAClaimTwiceIsNotTakenForTheApproverItsSecondSessionNames(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentythird", "dup", rep -> ((ObjectNode) rep.get("attributes"))
                .put("nhi.guard.policy", "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0},"
                        + "\"guardedOperations\":[\"privileged-role-grant\"]}"));
        String mallory = r.token("mallory");
        String ann = r.token("ann"); // ann signs in through admin-cli (her live session, fresh for step-up)
        String annSession = AttackRealm.claims(ann).path("sid").asText();
        assertTrue(!annSession.isEmpty(), "fixture: ann's token names her session");

        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mal-dup\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false}").status());
        String models = r.admin + "/clients/" + r.clientUuid("mal-dup") + "/protocol-mappers/models";
        for (String mapper : List.of(hardcodedRole("m-azp-role", "azp.admin-cli"), hardcodedRole("m-sid-role", "sid." + annSession),
                clientRoleMapper("m-azp", "azp", "${client_id}"), clientRoleMapper("m-sid", "sid", "${client_id}"))) {
            HttpAdmin.Response written = r.http.post(models, mallory, mapper);
            assertEquals(201, written.status(), "fixture: mappers are not guarded in this realm: " + written.body());
        }
        HttpAdmin.Response signIn = r.passwordGrant("mal-dup", null, "mallory", "mallory-pass");
        assertEquals(200, signIn.status(), signIn.body());
        String forged = signIn.json().path("access_token").asText();
        String payload = new String(Base64.getUrlDecoder().decode(forged.split("\\.")[1]), StandardCharsets.UTF_8);
        assertAll("fixture: Keycloak wrote azp and sid twice, the second naming ann's admin-cli session",
                () -> assertTrue(payload.contains("\"azp\":\"mal-dup\"") && payload.contains("\"azp\":\"admin-cli\""), payload),
                () -> assertEquals(2, occurrences(payload, "\"sid\":\""), payload),
                () -> assertTrue(payload.contains("\"sid\":\"" + annSession + "\""), payload));

        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-automation") + "/role-mappings/clients/"
                + r.clientUuid("realm-management"), mallory, "[" + r.read("/clients/" + r.clientUuid("realm-management")
                + "/roles/realm-admin") + "]");
        AttackRealm.assertHeld(grant, "realm-admin for sa-automation");
        String id = grant.json().path("id").asText();
        HttpAdmin.Response approve = r.approve(id, grant.json().path("digest").asText(), forged);
        HttpAdmin.Response readAsAnn = r.http.get(r.admin + "/users/" + r.userId("ann") + "/sessions", forged);
        HttpAdmin.Response userinfo = r.http.get("/realms/" + r.name + "/protocol/openid-connect/userinfo", forged);
        JsonNode cr = r.changeRequest(id);
        assertAll(
                () -> assertEquals(401, approve.status(), "the forged token approves nothing: " + approve.body()),
                () -> assertEquals("invalid_token", approve.json().path("error").asText(), approve.body()),
                () -> assertEquals(401, readAsAnn.status(), "nor reads as anyone: " + readAsAnn.body()),
                () -> assertEquals(401, userinfo.status(), "userinfo: " + userinfo.body()),
                () -> assertTrue(userinfo.body().contains("twice (a protocol mapper"), "refused as ambiguous: " + userinfo.body()),
                () -> assertEquals("PENDING", cr.path("state").asText(), cr.toString()),
                () -> assertEquals(0, cr.path("approvals").size(), cr.toString()),
                () -> assertTrue(!r.effectiveClientRoles(r.serviceAccountUserId("sa-automation"), "realm-management").contains("realm-admin"),
                        "sa-automation holds no realm-admin"));
        // mallory's ordinary token still works (the filter refuses only the ambiguous one)
        assertEquals(200, r.http.get(r.admin + "/users?max=1", mallory).status());

        // The same token bound to a key (DPoP, on by default) and sent with the DPoP scheme: a re-attack of the first fix,
        // which read Bearer only, wrote to the admin API and the account API as ann that way.
        dev.nhiguard.it.agent.AgentKey key = new dev.nhiguard.it.agent.AgentKey();
        String tokenEndpoint = r.keycloak.baseUri().resolve("/realms/" + r.name + "/protocol/openid-connect/token").toString();
        HttpAdmin.Response bound = r.http.sendWithHeaders("POST", "/realms/" + r.name + "/protocol/openid-connect/token",
                "grant_type=password&client_id=mal-dup&username=mallory&password=mallory-pass",
                "Content-Type", "application/x-www-form-urlencoded", "DPoP", dpopProof(key, "POST", tokenEndpoint, null));
        assertEquals(200, bound.status(), bound.body());
        assertEquals("DPoP", bound.json().path("token_type").asText(), bound.body());
        String dpopToken = bound.json().path("access_token").asText();
        String sessions = r.admin + "/users/" + r.userId("ann") + "/sessions";
        HttpAdmin.Response dpopRead = r.http.sendWithHeaders("GET", sessions, null, "Authorization", "DPoP " + dpopToken,
                "DPoP", dpopProof(key, "GET", r.keycloak.baseUri().resolve(sessions).toString(), dpopToken));
        assertEquals(401, dpopRead.status(), "the DPoP scheme reads nothing as ann: " + dpopRead.body());
        assertTrue(dpopRead.body().contains("twice (a protocol mapper"), dpopRead.body());
    }

    /** A DPoP proof (RFC 9449) for a request, with {@code ath} when it presents an access token. */
    private static String dpopProof(dev.nhiguard.it.agent.AgentKey key, String method, String uri, String accessToken) throws Exception {
        Map<String, Object> jwk = new java.util.LinkedHashMap<>(key.publicJwk());
        jwk.remove("alg");
        jwk.remove("use");
        Map<String, Object> claims = new java.util.LinkedHashMap<>(Map.of("jti", java.util.UUID.randomUUID().toString(), "htm", method,
                "htu", uri, "iat", System.currentTimeMillis() / 1000));
        if (accessToken != null) {
            claims.put("ath", Base64.getUrlEncoder().withoutPadding().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(accessToken.getBytes(StandardCharsets.US_ASCII))));
        }
        return key.sign(Map.of("typ", "dpop+jwt", "alg", "ES256", "jwk", jwk), claims);
    }

    /**
     * An impersonated approver's session decided nothing (twenty-second review), but an offline token the console took in
     * it did, once the online session was ended: the guard read the impersonation from the online session only, and
     * the offline session's token passed as ann's own. A person's token whose session is not a live sign-in now
     * rejects, applies for others, cancels and approves nothing.
     */
    @Test
    void anOfflineTokenOfAnImpersonatedSessionDecidesNothing(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentythird", "offline", rep ->
                ((ObjectNode) rep.get("attributes")).put("nhi.guard.policy", "{\"guardedOperations\":[]}"));
        // ann may hold offline tokens (Keycloak's offline_access role; the test realm's default roles leave it out)
        assertEquals(204, r.http.post(r.admin + "/users/" + r.userId("ann") + "/role-mappings/realm", r.master(),
                "[" + r.realmRole("offline_access") + "]").status());
        HttpAdmin.Response impersonated = r.http.post(r.admin + "/users/" + r.userId("ann") + "/impersonation", r.master(), null);
        assertEquals(200, impersonated.status(), impersonated.body());
        HttpAdmin.Response guarded = r.http.put(r.guard + "/policy", r.master(), "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0}}");
        assertEquals(2, guarded.status() / 100, guarded.body());
        JsonNode console = ConsoleSignIn.tokens(r.http, r.keycloak.baseUri(), r.name, impersonated.header("set-cookie"),
                "openid offline_access");
        String offlineRefresh = console.path("refresh_token").asText();
        assertEquals("Offline", AttackRealm.claims(offlineRefresh).path("typ").asText(), "fixture: an offline token");
        for (JsonNode session : r.read("/users/" + r.userId("ann") + "/sessions")) {
            assertEquals(204, r.http.delete(r.admin + "/sessions/" + session.path("id").asText(), r.master()).status());
        }
        HttpAdmin.Response refreshed = r.http.postForm("/realms/" + r.name + "/protocol/openid-connect/token", Map.of(
                "grant_type", "refresh_token", "client_id", "security-admin-console", "refresh_token", offlineRefresh));
        assertEquals(200, refreshed.status(), "the offline session outlives the impersonation: " + refreshed.body());
        String asAnn = refreshed.json().path("access_token").asText();
        assertEquals(200, r.http.get(r.admin + "/users?max=1", asAnn).status(), "fixture: Keycloak takes it for ann's");

        JsonNode held = r.heldSecretRegeneration(r.token("ben"));
        JsonNode approvedByBen = r.heldSecretRegeneration(r.token("mallory"));
        String approvedId = approvedByBen.path("id").asText();
        assertEquals(200, r.approve(approvedId, approvedByBen.path("digest").asText(), r.token("ben")).status());
        JsonNode annsOwn = r.heldSecretRegeneration(r.token("ann"));

        HttpAdmin.Response reject = r.http.post(r.guard + "/change-requests/" + held.path("id").asText() + "/reject", asAnn,
                "{\"reason\":\"rejected in ann's name\"}");
        HttpAdmin.Response apply = r.apply(approvedId, asAnn);
        HttpAdmin.Response cancel = r.http.post(r.guard + "/change-requests/" + annsOwn.path("id").asText() + "/cancel", asAnn, null);
        assertAll(
                () -> assertEquals(403, reject.status(), reject.body()),
                () -> assertTrue(reject.body().contains("offline or unknown session") || reject.body().contains("impersonated session"),
                        reject.body()),
                () -> assertEquals(403, apply.status(), "an approved request applied in ann's name: " + apply.body()),
                () -> assertEquals(403, cancel.status(), "ann's own request cancelled in her name: " + cancel.body()),
                () -> assertEquals("PENDING", r.changeRequest(held.path("id").asText()).path("state").asText()),
                () -> assertEquals("APPROVED", r.changeRequest(approvedId).path("state").asText()),
                () -> assertEquals("PENDING", r.changeRequest(annsOwn.path("id").asText()).path("state").asText()));
    }

    private static String clientRoleMapper(String name, String clientId, String claim) {
        return AttackRealm.json(Map.of("name", name, "protocol", "openid-connect", "protocolMapper", "oidc-usermodel-client-role-mapper",
                "config", Map.of("usermodel.clientRoleMapping.clientId", clientId, "claim.name", claim, "multivalued", "false",
                        "jsonType.label", "String", "access.token.claim", "true", "id.token.claim", "false", "userinfo.token.claim", "false")));
    }

    private static String hardcodedRole(String name, String role) {
        return AttackRealm.json(Map.of("name", name, "protocol", "openid-connect", "protocolMapper", "oidc-hardcoded-role-mapper",
                "config", Map.of("role", role)));
    }

    private static int occurrences(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
