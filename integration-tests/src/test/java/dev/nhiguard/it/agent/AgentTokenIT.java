package dev.nhiguard.it.agent;

import static dev.nhiguard.it.agent.AgentApi.REALM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Token-time enforcement: only an active, unexpired agent with an active owner and its bound key gets a token. */
@ExtendWith(KeycloakExtension.class)
class AgentTokenIT {

    @Test
    void theBoundKeyGetsATokenASecretDoesNot(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("tok");
        JsonNode agent = api.registerOk(AgentApi.registration(name, key, List.of("agent.read")));
        String id = agent.get("id").asText();

        HttpAdmin.Response ok = api.clientCredentialsWithKey(name, key, key.thumbprint(), "agent.read");
        assertEquals(200, ok.status(), ok.body());
        JsonNode claims = AgentApi.claims(ok.json().get("access_token").asText());
        assertEquals(name, claims.get("azp").asText());
        assertEquals(agent.get("serviceAccountUserId").asText(), claims.get("sub").asText());
        assertTrue(claims.get("scope").asText().contains("agent.read"), claims.toString());

        // The agent has no secret at all: Keycloak's own client authentication refuses.
        HttpAdmin.Response secret = api.clientCredentialsWithSecret(name, "guessed-secret");
        assertEquals(400, secret.status(), secret.body());
        assertEquals("invalid_client", secret.json().get("error").asText());

        // An admin switches the agent's client to a client secret: the binding executor refuses.
        ObjectNode client = (ObjectNode) api.client(id);
        client.put("clientAuthenticatorType", "client-secret");
        client.put("secret", "switched-secret-0123456789");
        api.putClient(id, client);
        HttpAdmin.Response switched = api.clientCredentialsWithSecret(name, "switched-secret-0123456789");
        assertEquals(400, switched.status(), switched.body());
        assertEquals("invalid_client", switched.json().get("error").asText());
        assertTrue(switched.json().get("error_description").asText().startsWith("key_binding_mismatch"), switched.body());
        assertRefusalEvent(api, name, "key_binding_mismatch");
    }

    @Test
    void anotherKeyRegisteredUnderTheSameKidIsRefused(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("kid");
        JsonNode agent = api.registerOk(AgentApi.registration(name, key, List.of()));
        String id = agent.get("id").asText();

        AgentKey intruder = new AgentKey();
        Map<String, Object> jwk = new java.util.LinkedHashMap<>(intruder.publicJwk());
        jwk.put("kid", key.thumbprint());
        ObjectNode client = (ObjectNode) api.client(id);
        ((ObjectNode) client.get("attributes")).put("jwks.string", AgentApi.json(Map.of("keys", List.of(jwk))));
        api.putClient(id, client);

        HttpAdmin.Response r = api.clientCredentialsWithKey(name, intruder, key.thumbprint(), null);
        assertEquals(400, r.status(), r.body());
        assertTrue(r.json().get("error_description").asText().startsWith("key_binding_mismatch"), r.body());
    }

    @Test
    void suspendedRefusedResumedWorksAgain(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("sus");
        String id = api.registerOk(AgentApi.registration(name, key, List.of())).get("id").asText();
        assertEquals(200, api.clientCredentialsWithKey(name, key, key.thumbprint(), null).status());

        assertEquals(200, api.action(id, "suspend", "investigating").status());
        HttpAdmin.Response refused = api.clientCredentialsWithKey(name, key, key.thumbprint(), null);
        assertEquals(400, refused.status(), refused.body());
        assertEquals("unauthorized_client", refused.json().get("error").asText());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
        assertTrue(refused.json().get("error_description").asText().contains("investigating"), refused.body());
        assertRefusalEvent(api, name, "agent_suspended");

        assertEquals(200, api.action(id, "resume", null).status());
        assertEquals(200, api.clientCredentialsWithKey(name, key, key.thumbprint(), null).status());

        assertEquals(200, api.action(id, "retire", null).status());
        HttpAdmin.Response retired = api.clientCredentialsWithKey(name, key, key.thumbprint(), null);
        assertTrue(retired.status() >= 400, retired.body());
    }

    @Test
    void expiredRefusedUnderTheRealmClock(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("exp");
        api.registerOk(AgentApi.registration(name, key, List.of()));
        try {
            api.setClockOffset(400L * 86400);
            HttpAdmin.Response refused = api.clientCredentialsWithKey(name, key, key.thumbprint(), null);
            assertEquals(400, refused.status(), refused.body());
            assertTrue(refused.json().get("error_description").asText().startsWith("agent_expired"), refused.body());
            assertRefusalEvent(api, name, "agent_expired");
        } finally {
            api.setClockOffset(0);
        }
        assertEquals(200, api.clientCredentialsWithKey(name, key, key.thumbprint(), null).status());
    }

    /**
     * Token-time check of the owner, with the lifecycle's automatic suspension of an inactive
     * owner's agents switched off in this realm's policy (AgentLifecycleIT covers that).
     */
    @Test
    void ownerDisabledOrDeletedRefusedOwnerBackWorksAgain(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-tok-owner", "oscar", "otto");
        HttpAdmin.Response policy = api.http.put("/admin/realms/" + api.realm + "/nhi/policy", api.adminToken(), "{\"suspendOrphaned\":false}");
        assertEquals(200, policy.status(), policy.body());
        AgentKey key = new AgentKey();
        String name = "oscar-agent";
        Map<String, Object> body = AgentApi.registration(name, key, List.of());
        body.put("owner", Map.of("type", "user", "username", "oscar"));
        api.registerOk(body);
        String oscar = api.userId("oscar");
        api.setUserEnabled(oscar, false);
        HttpAdmin.Response refused = api.clientCredentialsWithKey(name, key, key.thumbprint(), null);
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_orphaned"), refused.body());
        assertTrue(refused.json().get("error_description").asText().contains("is disabled"), refused.body());
        assertRefusalEvent(api, name, "agent_orphaned");
        api.setUserEnabled(oscar, true);
        assertEquals(200, api.clientCredentialsWithKey(name, key, key.thumbprint(), null).status());

        String name2 = "otto-agent";
        Map<String, Object> body2 = AgentApi.registration(name2, key, List.of());
        body2.put("owner", Map.of("type", "user", "username", "otto"));
        api.registerOk(body2);
        assertEquals(200, api.clientCredentialsWithKey(name2, key, key.thumbprint(), null).status());
        assertEquals(204, api.http.delete("/admin/realms/" + api.realm + "/users/" + api.userId("otto"), api.adminToken()).status());
        HttpAdmin.Response orphan = api.clientCredentialsWithKey(name2, key, key.thumbprint(), null);
        assertEquals(400, orphan.status(), orphan.body());
        assertTrue(orphan.json().get("error_description").asText().startsWith("agent_orphaned"), orphan.body());
        assertTrue(orphan.json().get("error_description").asText().contains("no longer exists"), orphan.body());
    }

    @Test
    void ordinaryServiceAccountsAreUntouchedAndStatusSaysEnforcementIsActive(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        assertFalse(api.http.clientCredentials(REALM, "legacy-sync", "legacy-sync-secret").path("access_token").asText().isEmpty());
        HttpAdmin.Response status = api.http.get("/admin/realms/" + REALM + "/nhi/status", api.adminToken());
        assertEquals(200, status.status(), status.body());
        assertTrue(status.json().get("tokenTimeEnforcement").asBoolean(), status.body());
        assertEquals("nhi-agent-security-profile", status.json().get("securityProfile").asText());
        assertTrue(keycloak.logLines().stream().anyMatch(l -> l.contains("agent token-time enforcement active")));
    }

    static void assertRefusalEvent(AgentApi api, String clientId, String reason) {
        boolean found = false;
        for (JsonNode e : api.events("CLIENT_LOGIN_ERROR")) {
            if (clientId.equals(e.path("clientId").asText())
                    && e.path("details").path("client_policy_error_detail").asText().startsWith(reason)) {
                found = true;
                break;
            }
        }
        assertTrue(found, "no CLIENT_LOGIN_ERROR event for " + clientId + " with reason " + reason);
    }
}
