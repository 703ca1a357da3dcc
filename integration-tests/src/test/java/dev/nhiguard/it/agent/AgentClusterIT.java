package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakCluster;
import dev.nhiguard.testing.KeycloakClusterExtension;

/**
 * Agent binding on two nodes sharing one PostgreSQL schema: the registry, token-time checks and
 * lifecycle actions agree across nodes, without stale caches and without acting twice.
 */
@ExtendWith(KeycloakClusterExtension.class)
class AgentClusterIT {

    @Test
    void suspensionOnOneNodeIsEnforcedOnTheOtherAtOnceAndResumeWorks(KeycloakCluster cluster) {
        AgentApi one = AgentApi.createRealm(cluster.node(0), "agent-cluster", "cleo");
        AgentApi two = new AgentApi(cluster.node(1), one.realm);
        AgentKey key = new AgentKey();
        String id = one.registerOk(AgentLifecycleIT.agentOf("cluster-bot", key, "cleo")).get("id").asText();

        HttpAdmin.Response onTwo = two.clientCredentialsWithKey("cluster-bot", key, key.thumbprint(), null);
        assertEquals(200, onTwo.status(), onTwo.body());
        assertEquals(id, AgentApi.claims(onTwo.json().get("access_token").asText()).at("/agent/id").asText());
        // node 1 has served the agent too, so its cache holds the active client
        assertEquals(200, one.clientCredentialsWithKey("cluster-bot", key, key.thumbprint(), null).status());

        HttpAdmin.Response suspended = two.action(id, "suspend", "investigating on node 2");
        assertEquals(200, suspended.status(), suspended.body());
        HttpAdmin.Response refused = one.clientCredentialsWithKey("cluster-bot", key, key.thumbprint(), null);
        assertEquals(400, refused.status(), refused.body());
        assertEquals("unauthorized_client", refused.json().get("error").asText(), refused.body());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
        assertEquals("SUSPENDED", one.http.get("/admin/realms/" + one.realm + "/agents/" + id, one.adminToken()).json()
                .get("status").asText());

        HttpAdmin.Response resumed = one.action(id, "resume", "cleared");
        assertEquals(200, resumed.status(), resumed.body());
        assertEquals(200, two.clientCredentialsWithKey("cluster-bot", key, key.thumbprint(), null).status());
        assertEquals(200, one.clientCredentialsWithKey("cluster-bot", key, key.thumbprint(), null).status());
    }

    @Test
    void concurrentLifecyclePassesOnBothNodesActOnce(KeycloakCluster cluster) throws Exception {
        AgentApi one = AgentApi.createRealm(cluster.node(0), "agent-cluster-pass", "cody");
        AgentApi two = new AgentApi(cluster.node(1), one.realm);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(one.registerOk(AgentLifecycleIT.agentOf("idle-bot-" + i, new AgentKey(), "cody")).get("id").asText());
        }
        // both nodes read the agents as active before the clock moves
        for (String id : ids) {
            assertEquals("ACTIVE", two.http.get("/admin/realms/" + two.realm + "/agents/" + id, two.adminToken()).json()
                    .get("status").asText());
        }
        one.setClockOffset(100L * 86400);
        String t1 = one.adminToken();
        String t2 = two.adminToken();
        CountDownLatch start = new CountDownLatch(1);
        CompletableFuture<HttpAdmin.Response> a = CompletableFuture.supplyAsync(() -> runAfter(start, one, t1));
        CompletableFuture<HttpAdmin.Response> b = CompletableFuture.supplyAsync(() -> runAfter(start, two, t2));
        start.countDown();
        HttpAdmin.Response ra = a.get();
        HttpAdmin.Response rb = b.get();
        assertEquals(200, ra.status(), ra.body());
        assertEquals(200, rb.status(), rb.body());

        List<String> suspended = new ArrayList<>(AgentLifecycleIT.texts(ra.json().get("suspended")));
        suspended.addAll(AgentLifecycleIT.texts(rb.json().get("suspended")));
        assertEquals(List.of("idle-bot-1", "idle-bot-2", "idle-bot-3"), suspended.stream().sorted().toList(),
                "each agent suspended by exactly one node: " + ra.body() + " / " + rb.body());

        JsonNode actions = one.http.get("/admin/realms/" + one.realm + "/nhi/actions", one.adminToken()).json();
        assertEquals(3, actions.size(), actions.toString());
        long agentEvents = AgentLifecycleIT.adminEvents(one).stream()
                .filter(e -> "AGENT".equals(e.path("resourceType").asText()) && "dormant".equals(e.path("details").path("trigger").asText()))
                .count();
        assertEquals(3, agentEvents, "one AGENT admin event per suspension");
        for (String id : ids) {
            assertEquals("SUSPENDED", two.http.get("/admin/realms/" + two.realm + "/agents/" + id, two.adminToken()).json()
                    .get("status").asText());
        }
        one.setClockOffset(0);
    }

    private static HttpAdmin.Response runAfter(CountDownLatch start, AgentApi api, String token) {
        try {
            start.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return api.http.post("/admin/realms/" + api.realm + "/nhi/lifecycle/run", token, null);
    }
}
