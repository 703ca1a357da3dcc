package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ninth red-team review: Keycloak's UMA grant mints a resource server's token from a bearer token, with no client key
 * and no client-policy event. An agent's token (one got with a key since replaced, a certificate-bound one, one of a
 * user the agent acts for) came back renewed, unbound, without its agent and act claims. Agents get no UMA tokens, and
 * a new key retires the tokens the old key obtained.
 */
@ExtendWith(KeycloakExtension.class)
class AgentUmaIT {

    @Test
    void theUmaGrantMintsNothingForAnAgentAndANewKeyRetiresTheOldKeysTokens(KeycloakTarget keycloak) {
        String realm = AgentApi.unique("agent-uma");
        AgentApi api = AgentApi.createRealm(keycloak, realm, "olga");
        String base = "/admin/realms/" + realm;
        String admin = api.adminToken();
        HttpAdmin.Response rs = api.http.post(base + "/clients", admin, AgentApi.json(Map.of("clientId", "rs-api",
                "secret", "rs-secret", "publicClient", false, "serviceAccountsEnabled", true,
                "authorizationServicesEnabled", true, "standardFlowEnabled", false)));
        assertEquals(201, rs.status(), rs.body());
        String rsId = rs.header("Location").substring(rs.header("Location").lastIndexOf('/') + 1);
        assertEquals(204, api.http.put(base + "/clients/" + rsId + "/authz/resource-server", admin,
                "{\"policyEnforcementMode\":\"PERMISSIVE\",\"decisionStrategy\":\"UNANIMOUS\"}").status());
        assertEquals(201, api.http.post(base + "/clients/" + rsId + "/authz/resource-server/resource", admin,
                "{\"name\":\"res1\",\"uris\":[\"/res1\"]}").status());
        assertEquals(201, api.http.post(base + "/clients", admin, AgentApi.json(Map.of("clientId", "plain-caller",
                "secret", "plain-secret", "publicClient", false, "serviceAccountsEnabled", true))).status());

        AgentKey key = new AgentKey();
        JsonNode agent = api.registerOk(AgentApi.registration(AgentApi.unique("uma"), key, List.of()));
        String name = agent.get("name").asText();
        String agentToken = api.clientCredentialsWithKey(name, key, key.thumbprint(), null).json().path("access_token").asText();
        String plainToken = api.http.clientCredentials(realm, "plain-caller", "plain-secret").path("access_token").asText();

        HttpAdmin.Response plainRpt = api.uma(plainToken, "rs-api", Map.of());
        HttpAdmin.Response bearer = api.uma(agentToken, "rs-api", Map.of());
        HttpAdmin.Response asSubject = api.uma(null, "rs-api", Map.of("client_id", "rs-api", "client_secret", "rs-secret",
                "subject_token", agentToken));
        HttpAdmin.Response asAgent = api.uma(null, "rs-api", Map.of("client_id", name, "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion", key.clientAssertion(name, api.issuer(), key.thumbprint())));

        long issuedAt = AgentApi.claims(agentToken).path("iat").asLong();
        HttpAdmin.Response rotated = api.updateAgent(agent.get("id").asText(),
                Map.of("keyBinding", Map.of("type", "jwk", "jwk", new AgentKey().publicJwk())));
        long notBefore = api.client(agent.get("id").asText()).path("notBefore").asLong();
        assertAll(
                () -> assertEquals(200, plainRpt.status(), "an ordinary client's token gets its RPT: " + plainRpt.body()),
                () -> assertEquals(400, bearer.status(), "an agent's token as bearer: " + bearer.body()),
                () -> assertEquals("invalid_grant", bearer.json().path("error").asText(), bearer.body()),
                () -> assertEquals(400, asSubject.status(), "an agent's token as subject_token: " + asSubject.body()),
                () -> assertEquals(400, asAgent.status(), "the agent authenticating with its key: " + asAgent.body()),
                () -> assertEquals(200, rotated.status(), rotated.body()),
                () -> assertTrue(notBefore > issuedAt, "tokens of the old key are stale: not-before " + notBefore + ", iat " + issuedAt));
    }
}
