package dev.nhiguard.it.agent;

import static dev.nhiguard.it.agent.AgentApi.REALM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The agent claim on agents' tokens, and RFC 8693 act plus narrowed scope on token exchange. */
@ExtendWith(KeycloakExtension.class)
class AgentClaimsIT {

    static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

    @Test
    void clientCredentialsTokenCarriesTheAgentClaim(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("claim");
        JsonNode agent = api.registerOk(AgentApi.registration(name, key, List.of("agent.read")));

        HttpAdmin.Response r = api.clientCredentialsWithKey(name, key, key.thumbprint(), null);
        assertEquals(200, r.status(), r.body());
        JsonNode claims = AgentApi.claims(r.json().get("access_token").asText());
        JsonNode claim = claims.get("agent");
        assertEquals(agent.get("id").asText(), claim.get("id").asText(), claims.toString());
        assertEquals(name, claim.get("name").asText());
        assertEquals("user", claim.at("/owner/type").asText());
        assertEquals(api.userId("olga"), claim.at("/owner/id").asText());
        assertEquals("olga", claim.at("/owner/name").asText(), claims.toString());
        assertEquals(agent.get("expiresAt").asText(), claim.get("expiresAt").asText(), claims.toString());
        assertEquals(java.time.Instant.parse(agent.get("expiresAt").asText()).getEpochSecond(), claim.get("exp").asLong());
        assertEquals("reconciles invoices for the integration tests", claim.get("purpose").asText());
        assertFalse(claims.has("act"), "no delegation on client credentials: " + claims);
        assertFalse(scopes(claims).contains("agent.read"), "optional scope not requested: " + claims);

        HttpAdmin.Response legacy = api.clientCredentialsWithSecret("legacy-sync", "legacy-sync-secret");
        assertFalse(AgentApi.claims(legacy.json().get("access_token").asText()).has("agent"));
    }

    @Test
    void tokenExchangeOnBehalfOfAUserCarriesActAndTheIntersectionOfScopes(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("te-agent", key, List.of("agent.read", "agent.write"));
        body.put("tokenExchange", true);
        body.put("delegation", Map.of("owner", true, "users", List.of("ursula")));
        JsonNode agent = api.registerOk(body);

        String userToken = api.http.passwordGrant(REALM, "agent-portal", "ursula", "ursula-pass", null).get("access_token").asText();
        JsonNode userClaims = AgentApi.claims(userToken);
        assertTrue(scopes(userClaims).containsAll(List.of("agent.read", "agent.write", "agent.admin")), userClaims.toString());

        HttpAdmin.Response exchanged = exchange(api, "te-agent", key, userToken, "agent.read agent.admin");
        assertEquals(200, exchanged.status(), exchanged.body());
        JsonNode claims = AgentApi.claims(exchanged.json().get("access_token").asText());
        assertEquals(userClaims.get("sub").asText(), claims.get("sub").asText(), claims.toString());
        assertEquals("te-agent", claims.get("azp").asText());
        assertEquals(agent.get("serviceAccountUserId").asText(), claims.at("/act/sub").asText(), claims.toString());
        assertEquals("te-agent", claims.at("/act/client_id").asText());
        assertFalse(claims.get("act").has("act"), claims.toString());
        assertEquals(agent.get("id").asText(), claims.at("/agent/id").asText());
        List<String> granted = scopes(claims);
        assertTrue(granted.contains("agent.read"), claims.toString());
        assertFalse(granted.contains("agent.admin"), "not allowed for the agent: " + claims);
        assertFalse(granted.contains("agent.write"), "allowed but not requested: " + claims);

        HttpAdmin.Response none = exchange(api, "te-agent", key, userToken, null);
        assertEquals(200, none.status(), none.body());
        List<String> all = scopes(AgentApi.claims(none.json().get("access_token").asText()));
        assertTrue(all.containsAll(List.of("agent.read", "agent.write")), all.toString());
        assertFalse(all.contains("agent.admin"), all.toString());

        // A chain: a second agent exchanges the first agent's token; act nests the first actor.
        AgentKey key2 = new AgentKey();
        Map<String, Object> body2 = AgentApi.registration("te-agent-2", key2, List.of("agent.read"));
        body2.put("tokenExchange", true);
        body2.put("delegation", Map.of("users", List.of("ursula")));
        JsonNode agent2 = api.registerOk(body2);
        HttpAdmin.Response mapper = api.http.post("/admin/realms/" + REALM + "/clients/" + agent.get("id").asText()
                + "/protocol-mappers/models", api.adminToken(), AgentApi.json(Map.of(
                "name", "audience te-agent-2", "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper",
                "config", Map.of("included.custom.audience", "te-agent-2", "access.token.claim", "true", "introspection.token.claim", "true"))));
        assertEquals(201, mapper.status(), mapper.body());
        String first = exchange(api, "te-agent", key, userToken, "agent.read").json().get("access_token").asText();
        HttpAdmin.Response second = exchange(api, "te-agent-2", key2, first, "agent.read");
        assertEquals(200, second.status(), second.body());
        JsonNode chained = AgentApi.claims(second.json().get("access_token").asText());
        assertEquals(userClaims.get("sub").asText(), chained.get("sub").asText());
        assertEquals(agent2.get("serviceAccountUserId").asText(), chained.at("/act/sub").asText(), chained.toString());
        assertEquals(agent.get("serviceAccountUserId").asText(), chained.at("/act/act/sub").asText(), chained.toString());
    }

    @Test
    void aSuspendedAgentCannotExchange(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("te-agent-suspended", key, List.of("agent.read"));
        body.put("tokenExchange", true);
        body.put("delegation", Map.of("users", List.of("ursula")));
        String id = api.registerOk(body).get("id").asText();
        HttpAdmin.Response mapper = api.http.post("/admin/realms/" + REALM + "/clients/"
                + api.http.get("/admin/realms/" + REALM + "/clients?clientId=agent-portal", api.adminToken()).json().get(0).get("id").asText()
                + "/protocol-mappers/models", api.adminToken(), AgentApi.json(Map.of(
                "name", "audience te-agent-suspended", "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper",
                "config", Map.of("included.custom.audience", "te-agent-suspended", "access.token.claim", "true"))));
        assertEquals(201, mapper.status(), mapper.body());
        String userToken = api.http.passwordGrant(REALM, "agent-portal", "ursula", "ursula-pass", null).get("access_token").asText();
        assertEquals(200, exchange(api, "te-agent-suspended", key, userToken, "agent.read").status());
        assertEquals(200, api.action(id, "suspend", null).status());
        HttpAdmin.Response refused = exchange(api, "te-agent-suspended", key, userToken, "agent.read");
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
    }

    static HttpAdmin.Response exchange(AgentApi api, String clientId, AgentKey key, String subjectToken, String scope) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", TOKEN_EXCHANGE);
        form.put("client_id", clientId);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", key.clientAssertion(clientId, api.issuer(), key.thumbprint()));
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", ACCESS_TOKEN_TYPE);
        if (scope != null) {
            form.put("scope", scope);
        }
        return api.http.postForm("/realms/" + REALM + "/protocol/openid-connect/token", form);
    }

    static List<String> scopes(JsonNode claims) {
        return Arrays.asList(claims.path("scope").asText().split(" "));
    }
}
