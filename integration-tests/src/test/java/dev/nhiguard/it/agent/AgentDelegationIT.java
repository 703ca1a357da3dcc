package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Delegation is granted, not assumed: an agent exchanges (RFC 8693) only the tokens of users its
 * delegation names — by default its owner — and everybody else's exchange is refused with 403
 * {@code access_denied}, a realm admin's included. Named users, members of named groups and users
 * who consented to the agent's client in Keycloak's consent store can be granted.
 */
@ExtendWith(KeycloakExtension.class)
class AgentDelegationIT {

    @Test
    void anAgentActsOnlyForWhomItsDelegationGrants(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-deleg", "olga", "ursula", "rex", "gina", "cora");
        String realmMgmt = api.http.get("/admin/realms/" + api.realm + "/clients?clientId=realm-management", api.adminToken())
                .json().get(0).get("id").asText();
        JsonNode realmAdmin = api.http.get("/admin/realms/" + api.realm + "/clients/" + realmMgmt + "/roles/realm-admin", api.adminToken()).json();
        assertEquals(204, api.http.post("/admin/realms/" + api.realm + "/users/" + api.userId("rex") + "/role-mappings/clients/" + realmMgmt,
                api.adminToken(), "[" + realmAdmin + "]").status());
        String helpers = api.createGroup("helpers");
        api.joinGroup(api.userId("gina"), helpers);

        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("deleg-bot", key, List.of());
        body.put("tokenExchange", true);
        JsonNode agent = api.registerOk(body);
        String id = agent.get("id").asText();
        assertEquals(true, agent.at("/delegation/owner").asBoolean(), agent.toString());
        assertEquals(0, agent.at("/delegation/users").size());
        api.audienceOnAdminCli("deleg-bot");

        // the owner: granted by default
        HttpAdmin.Response owner = api.exchange("deleg-bot", key, api.realmUserToken("olga"), null);
        assertEquals(200, owner.status(), owner.body());
        JsonNode claims = AgentApi.claims(owner.json().get("access_token").asText());
        assertEquals(api.userId("olga"), claims.get("sub").asText());
        assertEquals(agent.get("serviceAccountUserId").asText(), claims.at("/act/sub").asText(), claims.toString());

        // a realm admin who is not the owner, and a user nobody named: refused
        for (String user : List.of("rex", "ursula", "gina", "cora")) {
            assertRefused(api.exchange("deleg-bot", key, api.realmUserToken(user), null), user);
        }
        JsonNode errors = api.events("TOKEN_EXCHANGE_ERROR");
        assertTrue(errors.size() >= 4 && "access_denied".equals(errors.get(0).path("error").asText()), errors.toString());

        // granted: a named user, a group's members, users who consented
        HttpAdmin.Response changed = api.updateAgent(id, Map.of("delegation",
                Map.of("owner", true, "users", List.of("ursula"), "groups", List.of("/helpers"), "consented", true)));
        assertEquals(200, changed.status(), changed.body());
        assertEquals("ursula", changed.json().at("/delegation/users/0/name").asText(), changed.body());
        assertEquals("/helpers", changed.json().at("/delegation/groups/0/name").asText(), changed.body());
        assertEquals(200, api.exchange("deleg-bot", key, api.realmUserToken("ursula"), null).status());
        assertEquals(200, api.exchange("deleg-bot", key, api.realmUserToken("gina"), null).status());
        assertEquals(200, api.exchange("deleg-bot", key, api.realmUserToken("olga"), null).status());
        assertRefused(api.exchange("deleg-bot", key, api.realmUserToken("rex"), null), "rex");

        // consent: cora grants it to the agent's client through Keycloak's account API
        assertRefused(api.exchange("deleg-bot", key, api.realmUserToken("cora"), null), "cora before consent");
        HttpAdmin.Response consent = api.http.post("/realms/" + api.realm + "/account/applications/deleg-bot/consent",
                api.realmUserToken("cora"), "{\"grantedScopes\":[]}");
        assertEquals(200, consent.status(), consent.body());
        assertEquals(200, api.exchange("deleg-bot", key, api.realmUserToken("cora"), null).status());

        // leaving the group ends the grant; the owner can be left out too
        api.leaveGroup(api.userId("gina"), helpers);
        assertRefused(api.exchange("deleg-bot", key, api.realmUserToken("gina"), null), "gina after leaving");
        assertEquals(200, api.updateAgent(id, Map.of("delegation", Map.of("owner", false, "users", List.of("ursula")))).status());
        assertRefused(api.exchange("deleg-bot", key, api.realmUserToken("olga"), null), "olga, owner left out");
        assertRefused(api.exchange("deleg-bot", key, api.realmUserToken("cora"), null), "cora, consent no longer counts");

        // a granted user who is disabled is not acted for, even with a token issued before
        String ursulaToken = api.realmUserToken("ursula");
        assertEquals(200, api.exchange("deleg-bot", key, ursulaToken, null).status());
        api.setUserEnabled(api.userId("ursula"), false);
        HttpAdmin.Response disabled = api.exchange("deleg-bot", key, ursulaToken, null);
        assertRefused(disabled, "ursula disabled");
        // (the lightweight admin-cli token names its user through its session; if disabling ended it, the subject is unknown)
        String why = disabled.json().get("error_description").asText();
        assertTrue(why.contains("disabled") || why.contains("not a user"), disabled.body());
        api.setUserEnabled(api.userId("ursula"), true);

        // the inventory shows whom the agent may act for
        JsonNode inventory = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?search=deleg-bot", api.adminToken()).json();
        JsonNode mayAct = inventory.at("/items/0/mayActFor");
        assertEquals(false, mayAct.get("owner").asBoolean(), inventory.toString());
        assertEquals("ursula", mayAct.at("/users/0").asText(), inventory.toString());

        // bad grants: 400 and nothing changed
        for (Object bad : List.of(Map.of("users", List.of("nobody-here")), Map.of("groups", List.of("/no-such")), Map.of("owner", "yes"),
                Map.of("everyone", true), "all")) {
            HttpAdmin.Response r = api.updateAgent(id, Map.of("delegation", bad));
            assertEquals(400, r.status(), bad + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText());
        }
        assertEquals(false, api.agent(id).at("/delegation/owner").asBoolean());
    }

    /**
     * A refresh token the agent obtained for a user renews that user's token only while the delegation grants the
     * user, and every token it renews still says that the agent acts (sixteenth review: after the delegation was
     * narrowed, a new exchange was refused but the refresh kept giving the user's tokens, without {@code act}).
     */
    @Test
    void aRefreshTokenForAUserIsRenewedOnlyWhileTheDelegationGrantsThatUser(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-deleg-refresh", "olga", "ursula");
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("refresh-bot", key, List.of());
        body.put("tokenExchange", true);
        JsonNode agent = api.registerOk(body);
        String id = agent.get("id").asText();
        assertEquals(200, api.updateAgent(id, Map.of("delegation", Map.of("owner", true, "users", List.of("ursula")))).status());
        api.audienceOnAdminCli("refresh-bot");
        String uuid = api.http.get("/admin/realms/" + api.realm + "/clients?clientId=refresh-bot", api.adminToken()).json()
                .get(0).get("id").asText();
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) api.client(uuid);
        rep.with("attributes").put("standard.token.exchange.enableRefreshRequestedTokenType", "SAME_SESSION");
        api.putClient(uuid, rep);

        HttpAdmin.Response exchanged = api.exchange("refresh-bot", key, api.realmUserToken("ursula"), null,
                Map.of("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"));
        assertEquals(200, exchanged.status(), exchanged.body());
        String refreshToken = exchanged.json().path("refresh_token").asText(null);
        assertTrue(refreshToken != null, "a refresh token: " + exchanged.body());
        assertEquals("refresh-bot", AgentApi.claims(exchanged.json().get("access_token").asText()).at("/act/client_id").asText());

        HttpAdmin.Response refreshed = refresh(api, "refresh-bot", key, refreshToken);
        assertEquals(200, refreshed.status(), refreshed.body());
        JsonNode claims = AgentApi.claims(refreshed.json().get("access_token").asText());
        assertEquals(api.userId("ursula"), claims.get("sub").asText(), claims.toString());
        assertEquals("refresh-bot", claims.at("/act/client_id").asText(), "a refreshed user token says the agent acts: " + claims);
        assertEquals(agent.get("serviceAccountUserId").asText(), claims.at("/act/sub").asText(), claims.toString());

        // the delegation no longer names ursula: neither a new exchange nor the refresh token gives her token
        assertEquals(200, api.updateAgent(id, Map.of("delegation", Map.of("owner", true, "users", List.of()))).status());
        assertRefused(api.exchange("refresh-bot", key, api.realmUserToken("ursula"), null), "ursula, no longer named");
        String latest = refreshed.json().path("refresh_token").asText(refreshToken);
        HttpAdmin.Response renewed = refresh(api, "refresh-bot", key, latest);
        assertEquals(400, renewed.status(), renewed.body());
        assertEquals("access_denied", renewed.json().path("error").asText(), renewed.body());
        assertTrue(renewed.json().path("error_description").asText().startsWith("delegation_not_granted"), renewed.body());

        // the agent's own tokens are not a user's: no act, and unaffected
        HttpAdmin.Response own = api.clientCredentialsWithKey("refresh-bot", key, key.thumbprint(), null);
        assertEquals(200, own.status(), own.body());
        assertTrue(AgentApi.claims(own.json().get("access_token").asText()).path("act").isMissingNode(), own.body());

        // a lightweight access token still says which agent it is (the mapper is included in lightweight tokens)
        com.fasterxml.jackson.databind.node.ObjectNode light = (com.fasterxml.jackson.databind.node.ObjectNode) api.client(uuid);
        light.with("attributes").put("client.use.lightweight.access.token.enabled", "true");
        api.putClient(uuid, light);
        HttpAdmin.Response lightweight = api.clientCredentialsWithKey("refresh-bot", key, key.thumbprint(), null);
        assertEquals(200, lightweight.status(), lightweight.body());
        assertEquals("refresh-bot", AgentApi.claims(lightweight.json().get("access_token").asText()).at("/agent/name").asText(),
                lightweight.body());
    }

    /**
     * An agent exchanges a user's token for an access token (or a refresh token) only. An ID token carries no {@code act}
     * or {@code agent} claim and names the user's session: as an {@code id_token_hint} it let a suspended agent end its
     * owner's whole session (seventeenth red-team review).
     */
    @Test
    void anAgentExchangesForAnAccessOrRefreshTokenOnly(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-deleg-types", "olga");
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("typed-bot", key, List.of());
        body.put("tokenExchange", true);
        api.registerOk(body);
        api.audienceOnAdminCli("typed-bot");

        for (String type : List.of("urn:ietf:params:oauth:token-type:id_token", "urn:ietf:params:oauth:token-type:saml2",
                "urn:ietf:params:oauth:token-type:jwt")) {
            HttpAdmin.Response refused = api.exchange("typed-bot", key, api.realmUserToken("olga"), null,
                    Map.of("requested_token_type", type));
            assertEquals(400, refused.status(), type + ": " + refused.body());
            assertEquals("invalid_request", refused.json().path("error").asText(), type + ": " + refused.body());
            assertTrue(refused.json().path("error_description").asText().startsWith("requested_token_type_not_allowed"),
                    type + ": " + refused.body());
            assertTrue(refused.json().path("id_token").isMissingNode() && refused.json().path("access_token").isMissingNode(),
                    refused.body());
        }
        HttpAdmin.Response access = api.exchange("typed-bot", key, api.realmUserToken("olga"), null,
                Map.of("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"));
        assertEquals(200, access.status(), access.body());
        assertEquals("typed-bot", AgentApi.claims(access.json().get("access_token").asText()).at("/act/client_id").asText());
        JsonNode refusals = api.events("TOKEN_EXCHANGE_ERROR");
        assertTrue(StreamSupport.stream(refusals.spliterator(), false).anyMatch(e ->
                        e.path("details").path("client_policy_error_detail").asText().startsWith("requested_token_type_not_allowed")),
                "the refusal is recorded: " + refusals);
    }

    private static HttpAdmin.Response refresh(AgentApi api, String clientId, AgentKey key, String refreshToken) {
        return api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "refresh_token", "client_id", clientId, "refresh_token", refreshToken,
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion", key.clientAssertion(clientId, api.issuer(), key.thumbprint())));
    }

    static void assertRefused(HttpAdmin.Response r, String who) {
        assertEquals(403, r.status(), who + ": " + r.body());
        assertEquals("access_denied", r.json().get("error").asText(), who + ": " + r.body());
        assertTrue(r.json().get("error_description").asText().startsWith("delegation_not_granted"), who + ": " + r.body());
    }
}
