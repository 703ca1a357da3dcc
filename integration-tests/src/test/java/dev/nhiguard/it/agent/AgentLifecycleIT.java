package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

/** Lifecycle automation: dormancy, inactive owners and risk signals suspend agents, recorded and reversible. */
@ExtendWith(KeycloakExtension.class)
class AgentLifecycleIT {

    static Map<String, Object> agentOf(String name, AgentKey key, String owner) {
        Map<String, Object> body = AgentApi.registration(name, key, List.of());
        body.put("owner", Map.of("type", "user", "username", owner));
        return body;
    }

    @Test
    void dormantAgentIsSuspendedUnderTheRealmClockAndResumeBringsItBack(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-dormant", "lena");
        AgentKey idleKey = new AgentKey();
        AgentKey busyKey = new AgentKey();
        String idle = api.registerOk(agentOf("idle-agent", idleKey, "lena")).get("id").asText();
        api.registerOk(agentOf("busy-agent", busyKey, "lena"));
        String base = "/admin/realms/" + api.realm;

        HttpAdmin.Response early = api.http.post(base + "/nhi/lifecycle/run", api.adminToken(), null);
        assertEquals(200, early.status(), early.body());
        assertEquals(List.of(), texts(early.json().get("suspended")));

        try {
            api.setClockOffset(100L * 86400);
            assertEquals(200, api.clientCredentialsWithKey("busy-agent", busyKey, busyKey.thumbprint(), null).status());

            HttpAdmin.Response run = api.http.post(base + "/nhi/lifecycle/run", api.adminToken(), null);
            assertEquals(200, run.status(), run.body());
            assertEquals(List.of("idle-agent"), texts(run.json().get("suspended")), run.body());

            JsonNode agent = api.http.get(base + "/agents/" + idle, api.adminToken()).json();
            assertEquals("SUSPENDED", agent.get("status").asText());
            assertTrue(agent.get("statusReason").asText().contains("dormant"), agent.toString());

            HttpAdmin.Response refused = api.clientCredentialsWithKey("idle-agent", idleKey, idleKey.thumbprint(), null);
            assertEquals(400, refused.status(), refused.body());
            assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());

            JsonNode entry = api.http.get(base + "/nhi/inventory?search=idle-agent", api.adminToken()).json().at("/items/0");
            assertTrue(texts(entry.get("flags")).containsAll(List.of("DORMANT", "SUSPENDED")), entry.toString());
            assertTrue(entry.at("/lastAction/reason").asText().contains("dormant"), entry.toString());

            JsonNode actions = api.http.get(base + "/nhi/actions?clientId=idle-agent", api.adminToken()).json();
            assertEquals(1, actions.size(), actions.toString());
            assertEquals("SUSPEND", actions.get(0).get("action").asText());
            assertEquals("dormant", actions.get(0).get("trigger").asText());
            assertTrue(adminEvents(api).stream().anyMatch(e -> "AGENT".equals(e.path("resourceType").asText())
                    && ("agents/" + idle).equals(e.path("resourcePath").asText())
                    && "dormant".equals(e.path("details").path("trigger").asText())), "no AGENT event for the dormancy suspension");

            assertEquals(200, api.action(idle, "resume", "still needed").status());
            assertEquals(200, api.clientCredentialsWithKey("idle-agent", idleKey, idleKey.thumbprint(), null).status());
            HttpAdmin.Response again = api.http.post(base + "/nhi/lifecycle/run", api.adminToken(), null);
            assertEquals(List.of(), texts(again.json().get("suspended")), again.body());
        } finally {
            api.setClockOffset(0);
        }
    }

    @Test
    void expiredAgentIsSuspendedByTheLifecyclePass(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-expiry", "erik");
        String base = "/admin/realms/" + api.realm;
        Map<String, Object> body = agentOf("short-lived", new AgentKey(), "erik");
        body.put("expiresAt", java.time.Instant.now().plus(10, java.time.temporal.ChronoUnit.DAYS).toString());
        String id = api.registerOk(body).get("id").asText();
        try {
            api.setClockOffset(11L * 86400);
            HttpAdmin.Response run = api.http.post(base + "/nhi/lifecycle/run", api.adminToken(), null);
            assertEquals(200, run.status(), run.body());
            assertEquals(List.of("short-lived"), texts(run.json().get("suspended")), run.body());
            JsonNode agent = api.http.get(base + "/agents/" + id, api.adminToken()).json();
            assertEquals("SUSPENDED", agent.get("status").asText());
            assertTrue(agent.get("statusReason").asText().contains("(expired)"), agent.toString());
            JsonNode entry = api.http.get(base + "/nhi/inventory?search=short-lived", api.adminToken()).json().at("/items/0");
            assertTrue(texts(entry.get("flags")).containsAll(List.of("EXPIRED", "SUSPENDED")), entry.toString());
        } finally {
            api.setClockOffset(0);
        }
    }

    @Test
    void disablingOrDeletingTheOwnerSuspendsItsAgents(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-owner", "lars", "lotte");
        AgentKey key = new AgentKey();
        String a1 = api.registerOk(agentOf("lars-agent-1", key, "lars")).get("id").asText();
        String a2 = api.registerOk(agentOf("lars-agent-2", key, "lars")).get("id").asText();
        String other = api.registerOk(agentOf("lotte-agent", key, "lotte")).get("id").asText();
        String base = "/admin/realms/" + api.realm;

        String lars = api.userId("lars");
        api.setUserEnabled(lars, false);
        for (String id : List.of(a1, a2)) {
            JsonNode a = api.http.get(base + "/agents/" + id, api.adminToken()).json();
            assertEquals("SUSPENDED", a.get("status").asText(), a.toString());
            assertTrue(a.get("statusReason").asText().contains("owner-inactive"), a.toString());
        }
        assertEquals("ACTIVE", api.http.get(base + "/agents/" + other, api.adminToken()).json().get("status").asText());

        // the owner is back, but the agents stay latched until an owner is reassigned (AgentOwnerLatchIT)
        api.setUserEnabled(lars, true);
        assertEquals(409, api.action(a1, "resume", "owner back").status());
        assertEquals(200, api.updateAgent(a1, Map.of("owner", Map.of("type", "user", "username", "lars"))).status());
        assertEquals(200, api.clientCredentialsWithKey("lars-agent-1", key, key.thumbprint(), null).status());

        String lotte = api.userId("lotte");
        assertEquals(204, api.http.delete(base + "/users/" + lotte, api.adminToken()).status());
        JsonNode orphan = api.http.get(base + "/agents/" + other, api.adminToken()).json();
        assertEquals("SUSPENDED", orphan.get("status").asText(), orphan.toString());
        assertTrue(orphan.get("statusReason").asText().contains("no longer exists"), orphan.toString());
    }

    @Test
    void signalsActProportionatelyAndAreRecorded(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-signal", "sina");
        String base = "/admin/realms/" + api.realm;
        AgentKey key = new AgentKey();
        String agentId = api.registerOk(agentOf("leaky-agent", key, "sina")).get("id").asText();
        HttpAdmin.Response legacy = api.http.post(base + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "leaky-sync", "publicClient", false, "secret", "leaky-sync-secret", "serviceAccountsEnabled", true,
                "standardFlowEnabled", false)));
        assertEquals(201, legacy.status(), legacy.body());
        String legacyId = legacy.header("Location").substring(legacy.header("Location").lastIndexOf('/') + 1);
        assertFalse(api.http.clientCredentials(api.realm, "leaky-sync", "leaky-sync-secret").path("access_token").asText().isEmpty());

        HttpAdmin.Response leak = api.http.post(base + "/nhi/signals", api.adminToken(), AgentApi.json(Map.of(
                "type", "leaked-secret", "clientId", "leaky-agent", "detail", "key found in a public repository")));
        assertEquals(200, leak.status(), leak.body());
        assertEquals("SUSPEND", leak.json().get("action").asText());
        assertEquals("DONE", leak.json().get("outcome").asText());
        JsonNode agent = api.http.get(base + "/agents/" + agentId, api.adminToken()).json();
        assertEquals("SUSPENDED", agent.get("status").asText());
        assertTrue(agent.get("statusReason").asText().contains("public repository"), agent.toString());
        assertEquals(400, api.clientCredentialsWithKey("leaky-agent", key, key.thumbprint(), null).status());

        HttpAdmin.Response rotate = api.http.post(base + "/nhi/signals", api.adminToken(), AgentApi.json(Map.of(
                "type", "leaked-secret", "clientId", "leaky-sync")));
        assertEquals(200, rotate.status(), rotate.body());
        assertEquals("ROTATE_SECRET", rotate.json().get("action").asText());
        HttpAdmin.Response old = api.clientCredentialsWithSecret("leaky-sync", "leaky-sync-secret");
        assertEquals(401, old.status(), old.body());
        String fresh = api.http.get(base + "/clients/" + legacyId + "/client-secret", api.adminToken()).json().get("value").asText();
        assertNotEquals("leaky-sync-secret", fresh);
        assertEquals(200, api.clientCredentialsWithSecret("leaky-sync", fresh).status());

        HttpAdmin.Response review = api.http.post(base + "/nhi/signals", api.adminToken(), AgentApi.json(Map.of(
                "type", "new-source-network", "clientId", "leaky-sync", "detail", "first request from 203.0.113.0/24")));
        assertEquals(200, review.status(), review.body());
        assertEquals("REVIEW", review.json().get("action").asText());

        JsonNode actions = api.http.get(base + "/nhi/actions", api.adminToken()).json();
        assertEquals(List.of("REVIEW", "ROTATE_SECRET", "SUSPEND"),
                StreamSupport.stream(actions.spliterator(), false).map(a -> a.get("action").asText()).toList(), actions.toString());

        for (String bad : List.of("{}", "{\"type\":\"gossip\",\"clientId\":\"leaky-sync\"}", "{\"type\":\"leaked-secret\"}",
                "{\"type\":\"leaked-secret\",\"clientId\":\"leaky-sync\",\"extra\":1}", "nope")) {
            HttpAdmin.Response r = api.http.post(base + "/nhi/signals", api.adminToken(), bad);
            assertEquals(400, r.status(), bad + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText());
        }
        HttpAdmin.Response unknown = api.http.post(base + "/nhi/signals", api.adminToken(),
                "{\"type\":\"leaked-secret\",\"clientId\":\"no-such-client\"}");
        assertEquals(404, unknown.status(), unknown.body());
        assertEquals(3, api.http.get(base + "/nhi/actions", api.adminToken()).json().size());
    }

    /**
     * The once-a-day rule dropped a second suspension: after an approved resume, a second leak reported the same day
     * answered ALREADY_DONE_TODAY and the agent kept its tokens (a reviewer's second retire alike; tenth red-team
     * review). An active agent is suspended again; the day's repeat is recorded under a key of its own.
     */
    @Test
    void aSecondLeakAfterAResumeSuspendsAgain(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-again", "sina");
        String base = "/admin/realms/" + api.realm;
        AgentKey key = new AgentKey();
        String agentId = api.registerOk(agentOf("twice-leaky", key, "sina")).get("id").asText();
        String leak = "{\"type\":\"leaked-secret\",\"clientId\":\"twice-leaky\"}";
        HttpAdmin.Response first = api.http.post(base + "/nhi/signals", api.adminToken(), leak);
        assertEquals("DONE", first.json().path("outcome").asText(), first.body());
        assertEquals(200, api.action(agentId, "resume", null).status());
        assertEquals(200, api.clientCredentialsWithKey("twice-leaky", key, key.thumbprint(), null).status(), "resumed");

        HttpAdmin.Response second = api.http.post(base + "/nhi/signals", api.adminToken(), leak);
        assertEquals(200, second.status(), second.body());
        assertEquals("DONE", second.json().path("outcome").asText(), second.body());
        assertEquals("SUSPENDED", api.agent(agentId).path("status").asText());
        assertEquals(400, api.clientCredentialsWithKey("twice-leaky", key, key.thumbprint(), null).status(), "suspended again");
        HttpAdmin.Response third = api.http.post(base + "/nhi/signals", api.adminToken(), leak);
        assertEquals("NOT_APPLICABLE", third.json().path("outcome").asText(), "already suspended: " + third.body());
    }

    @Test
    void automaticActionsAreRateLimitedPerRealm(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-rate", "rita");
        String base = "/admin/realms/" + api.realm;
        HttpAdmin.Response policy = api.http.put(base + "/nhi/policy", api.adminToken(), "{\"maxActionsPerHour\":1}");
        assertEquals(200, policy.status(), policy.body());
        AgentKey key = new AgentKey();
        api.registerOk(agentOf("rate-agent-1", key, "rita"));
        String second = api.registerOk(agentOf("rate-agent-2", key, "rita")).get("id").asText();

        HttpAdmin.Response first = api.http.post(base + "/nhi/signals", api.adminToken(),
                "{\"type\":\"auth-failure-burst\",\"clientId\":\"rate-agent-1\"}");
        assertEquals(200, first.status(), first.body());
        HttpAdmin.Response limited = api.http.post(base + "/nhi/signals", api.adminToken(),
                "{\"type\":\"auth-failure-burst\",\"clientId\":\"rate-agent-2\"}");
        assertEquals(429, limited.status(), limited.body());
        assertEquals("rate_limited", limited.json().get("error").asText());
        assertEquals("ACTIVE", api.http.get(base + "/agents/" + second, api.adminToken()).json().get("status").asText());
    }

    static List<JsonNode> adminEvents(AgentApi api) {
        return StreamSupport.stream(api.adminEvents().spliterator(), false).toList();
    }

    static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    /**
     * Twenty-first red-team review (2026-12-07): the rotation a leaked secret sets off replaced the secret but left the
     * tokens it had obtained working, and a suspension or a disable stopped the identity's own tokens but not those
     * another client had exchanged them for: a gateway that exchanges the service account's tokens ({@code gw}) renewed
     * its exchanged token without end (and the UMA grant renewed the thief's token with no secret). Every token issued
     * so far, and every exchange of one, now stops working: Keycloak checks the service-account user's not-before for a
     * token naming that user whichever client holds it. Judged by the token endpoint and introspection.
     */
    @Test
    void aRotationForALeakRevokesWhatTheSecretObtainedAndItsExchanges(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-life-revoke", "sina");
        String base = "/admin/realms/" + api.realm;
        assertEquals(201, api.http.post(base + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "gw", "publicClient", false, "secret", "gw-secret", "standardFlowEnabled", false,
                "attributes", Map.of("standard.token.exchange.enabled", "true")))).status());
        HttpAdmin.Response sync = api.http.post(base + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "leaky-sync", "publicClient", false, "secret", "leaky-sync-secret", "serviceAccountsEnabled", true,
                "standardFlowEnabled", false, "directAccessGrantsEnabled", true, "protocolMappers", List.of(Map.of("name", "gw audience", "protocol", "openid-connect",
                        "protocolMapper", "oidc-audience-mapper", "config", Map.of("included.client.audience", "gw",
                                "access.token.claim", "true"))))));
        assertEquals(201, sync.status(), sync.body());
        String stolen = api.http.clientCredentials(api.realm, "leaky-sync", "leaky-sync-secret").path("access_token").asText();
        HttpAdmin.Response exchanged = gatewayExchange(api, stolen);
        assertEquals(200, exchanged.status(), "the gateway exchanges the service account's token: " + exchanged.body());
        HttpAdmin.Response renewed = gatewayExchange(api, exchanged.json().path("access_token").asText());
        assertEquals(200, renewed.status(), "and renews its exchange: " + renewed.body());
        String gwToken = renewed.json().path("access_token").asText();
        // a person's sign-in through the client (sina), exchanged by the gateway: that token names sina, not the client
        String sinas = api.http.token(api.realm, Map.of("grant_type", "password", "client_id", "leaky-sync",
                "client_secret", "leaky-sync-secret", "username", "sina", "password", "sina-pass")).path("access_token").asText();
        HttpAdmin.Response sinaExchanged = gatewayExchange(api, sinas);
        assertEquals(200, sinaExchanged.status(), "the gateway exchanges sina's token: " + sinaExchanged.body());
        String gwSina = sinaExchanged.json().path("access_token").asText();

        HttpAdmin.Response rotate = api.http.post(base + "/nhi/signals", api.adminToken(), AgentApi.json(Map.of(
                "type", "leaked-secret", "clientId", "leaky-sync")));
        assertEquals("ROTATE_SECRET", rotate.json().path("action").asText(), rotate.body());
        assertEquals("DONE", rotate.json().path("outcome").asText(), rotate.body());

        HttpAdmin.Response fromStolen = gatewayExchange(api, stolen);
        HttpAdmin.Response fromExchanged = gatewayExchange(api, gwToken);
        JsonNode introspected = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token/introspect",
                Map.of("client_id", "gw", "client_secret", "gw-secret", "token", gwToken)).json();
        HttpAdmin.Response fromSina = gatewayExchange(api, gwSina);
        assertEquals(400, fromSina.status(), "the gateway's exchange of sina's sign-in through the client: " + fromSina.body());
        assertEquals(400, fromStolen.status(), "the leaked secret's token: " + fromStolen.body());
        assertEquals(400, fromExchanged.status(), "the gateway's exchange of it: " + fromExchanged.body());
        assertFalse(introspected.path("active").asBoolean(), introspected.toString());
    }

    private static HttpAdmin.Response gatewayExchange(AgentApi api, String subjectToken) {
        return api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange", "client_id", "gw", "client_secret", "gw-secret",
                "subject_token", subjectToken, "subject_token_type", "urn:ietf:params:oauth:token-type:access_token"));
    }
}
