package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.it.PrometheusScrape;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The agent module's counters on {@code /metrics}: a suspension by risk detection, then the token it refuses. */
@ExtendWith(KeycloakExtension.class)
class AgentMetricsIT {

    @Test
    void aSuspensionAndTheRefusedTokenAreCountedByReason(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-metrics", "rhea");
        HttpAdmin.Response policy = api.http.put("/admin/realms/" + api.realm + "/nhi/policy", api.adminToken(),
                "{\"authFailureThreshold\":2,\"authFailureWindowSeconds\":600}");
        assertEquals(200, policy.status(), policy.body());
        AgentKey key = new AgentKey();
        api.registerOk(AgentLifecycleIT.agentOf("metrics-bot", key, "rhea"));
        assertEquals(200, api.clientCredentialsWithKey("metrics-bot", key, key.thumbprint(), null).status());

        String realm = "realm=\"agent-metrics\"";
        PrometheusScrape before = PrometheusScrape.of(keycloak);
        assertTrue(before.value("nhi_guard_agent_suspensions_total", realm).isEmpty(), before.grep("agent-metrics"));
        assertTrue(before.value("nhi_guard_agent_token_refusals_total", realm).isEmpty(), before.grep("agent-metrics"));

        for (int i = 1; i <= 2; i++) {
            HttpAdmin.Response wrong = api.clientCredentialsWithSecret("metrics-bot", "wrong-secret-" + i);
            assertTrue(wrong.status() == 400 || wrong.status() == 401, wrong.body());
        }
        HttpAdmin.Response refused = api.clientCredentialsWithKey("metrics-bot", key, key.thumbprint(), null);
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().path("error_description").asText().startsWith("agent_suspended"), refused.body());

        // Counters count on the node, after the commit: no database reading to wait for, only the commit.
        long deadline = System.currentTimeMillis() + 10_000;
        PrometheusScrape s;
        double suspensions;
        double refusals;
        do {
            s = PrometheusScrape.of(keycloak);
            suspensions = s.value("nhi_guard_agent_suspensions_total", realm, "reason=\"auth-failure-burst\"").orElse(0);
            refusals = s.value("nhi_guard_agent_token_refusals_total", realm, "reason=\"agent_suspended\"").orElse(0);
            if (suspensions == 1 && refusals == 1) {
                return;
            }
            Thread.sleep(500);
        } while (System.currentTimeMillis() < deadline);
        fail("suspensions " + suspensions + ", refusals " + refusals + " (want 1 and 1):\n" + s.grep("agent-metrics"));
    }
}
