package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The owner cannot be lost: when an agent's owner is disabled, deleted, or its owner group's last
 * enabled member leaves, the agent is suspended and latched — a resume is refused and it stays
 * suspended even when the old owner comes back — until an owner is reassigned. A second owner
 * who is still active keeps the agent running. Every lifecycle action, automatic or by an admin,
 * is listed in {@code nhi/actions}.
 */
@ExtendWith(KeycloakExtension.class)
class AgentOwnerLatchIT {

    static Map<String, Object> agentOf(String name, AgentKey key, Map<String, Object> owner) {
        Map<String, Object> body = AgentApi.registration(name, key, List.of());
        body.put("owner", owner);
        return body;
    }

    static void eventually(BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static List<String> actions(AgentApi api, String clientId) {
        JsonNode a = api.http.get("/admin/realms/" + api.realm + "/nhi/actions?clientId=" + clientId, api.adminToken()).json();
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.get("action").asText() + "/" + x.get("trigger").asText()));
        return out;
    }

    /**
     * Fifteenth review: reassigning an owner resumed a latched agent whatever else had suspended it. An agent suspended
     * for a leaked key, whose owner was then disabled, became active again with the leaked key when an approved owner
     * change was applied; so did one whose leak was reported while it was latched. Only an agent the latch alone
     * suspended resumes with a new owner (the test above).
     */
    @Test
    void aNewOwnerDoesNotResumeAnAgentSuspendedForALeakedKey(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-latch-leak", "olga", "otto", "uma");
        String base = "/admin/realms/" + api.realm;
        AgentKey key = new AgentKey();
        String leakFirst = api.registerOk(AgentApi.registration("leak-first", key, List.of())).get("id").asText();
        AgentKey key2 = new AgentKey();
        Map<String, Object> second = agentOf("latch-first", key2, Map.of("type", "user", "username", "uma"));
        String latchFirst = api.registerOk(second).get("id").asText();

        // leak-first: the key leaks, then its owner is disabled
        HttpAdmin.Response leak = api.http.post(base + "/nhi/signals", api.adminToken(), AgentApi.json(Map.of(
                "type", "leaked-secret", "clientId", "leak-first", "detail", "key found in a public repository")));
        assertEquals("DONE", leak.json().path("outcome").asText(), leak.body());
        api.setUserEnabled(api.userId("olga"), false);
        eventually(() -> api.agent(leakFirst).hasNonNull("ownerLatched"), "leak-first latched after olga was disabled");
        // latch-first: its owner is disabled, then the key leaks
        api.setUserEnabled(api.userId("uma"), false);
        eventually(() -> "SUSPENDED".equals(api.agent(latchFirst).get("status").asText()), "latch-first suspended");
        HttpAdmin.Response later = api.http.post(base + "/nhi/signals", api.adminToken(), AgentApi.json(Map.of(
                "type", "leaked-secret", "clientId", "latch-first", "detail", "key pasted in a chat")));
        assertEquals("DONE", later.json().path("outcome").asText(), later.body());

        for (String[] agent : new String[][] {{leakFirst, "leak-first", "public repository"}, {latchFirst, "latch-first", "pasted in a chat"}}) {
            HttpAdmin.Response reassigned = api.updateAgent(agent[0], Map.of("owner", Map.of("type", "user", "username", "otto")));
            assertEquals(200, reassigned.status(), reassigned.body());
            assertEquals("SUSPENDED", reassigned.json().get("status").asText(), agent[1] + ": " + reassigned.body());
            assertTrue(reassigned.json().get("statusReason").asText().contains(agent[2]), reassigned.body());
            assertFalse(reassigned.json().hasNonNull("ownerLatched"), reassigned.body());
            AgentKey k = agent[1].equals("leak-first") ? key : key2;
            HttpAdmin.Response token = api.clientCredentialsWithKey(agent[1], k, k.thumbprint(), null);
            assertEquals(400, token.status(), agent[1] + " with its leaked key: " + token.body());
        }
    }

    @Test
    void aDisabledOwnerLatchesTheAgentUntilAnOwnerIsReassigned(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-latch", "olga", "otto", "sam");
        AgentKey key = new AgentKey();
        String id = api.registerOk(AgentApi.registration("latch-bot", key, List.of())).get("id").asText();
        assertEquals(200, api.clientCredentialsWithKey("latch-bot", key, key.thumbprint(), null).status());

        String olga = api.userId("olga");
        api.setUserEnabled(olga, false);
        eventually(() -> "SUSPENDED".equals(api.agent(id).get("status").asText()), "the agent suspended after its owner was disabled");
        JsonNode latched = api.agent(id);
        assertTrue(latched.get("ownerLatched").asText().contains("olga"), latched.toString());

        // the old owner comes back: the agent stays suspended, resume is refused
        api.setUserEnabled(olga, true);
        HttpAdmin.Response refused = api.clientCredentialsWithKey("latch-bot", key, key.thumbprint(), null);
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
        HttpAdmin.Response resume = api.action(id, "resume", "owner is back");
        assertEquals(409, resume.status(), resume.body());
        assertEquals("conflict", resume.json().get("error").asText());
        assertTrue(resume.json().get("error_description").asText().contains("reassigned"), resume.body());
        assertEquals("SUSPENDED", api.agent(id).get("status").asText());

        // the inventory shows the latch
        JsonNode inv = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?search=latch-bot", api.adminToken()).json();
        assertTrue(inv.at("/items/0/ownerLatched").asText().contains("olga"), inv.toString());

        // reassigning an owner (here: otto) lifts the latch and the agent works again
        HttpAdmin.Response reassigned = api.updateAgent(id, Map.of("owner", Map.of("type", "user", "username", "otto")));
        assertEquals(200, reassigned.status(), reassigned.body());
        assertEquals("ACTIVE", reassigned.json().get("status").asText(), reassigned.body());
        assertFalse(reassigned.json().hasNonNull("ownerLatched"), reassigned.body());
        assertEquals("otto", reassigned.json().at("/owner/name").asText());
        assertEquals(200, api.clientCredentialsWithKey("latch-bot", key, key.thumbprint(), null).status());

        List<String> actions = actions(api, "latch-bot");
        assertTrue(actions.get(0).startsWith("OWNER_REASSIGNED/admin:"), actions.toString());
        assertTrue(actions.contains("OWNER_LATCH/owner-inactive"), actions.toString());
        assertTrue(actions.contains("SUSPEND/owner-inactive"), actions.toString());

        // admin actions are listed too
        assertEquals(200, api.action(id, "suspend", "investigating").status());
        assertEquals(200, api.action(id, "resume", "done").status());
        actions = actions(api, "latch-bot");
        assertTrue(actions.get(0).startsWith("RESUME/admin:"), actions.toString());
        assertTrue(actions.get(1).startsWith("SUSPEND/admin:"), actions.toString());
    }

    @Test
    void deletionAndLeavingTheOwnerGroupLatchButASecondOwnerKeepsTheAgentRunning(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-latch-2", "olga", "otto", "sam", "tess");
        String team = api.createGroup("team");
        api.joinGroup(api.userId("tess"), team);

        AgentKey k1 = new AgentKey();
        String deleted = api.registerOk(agentOf("del-bot", k1, Map.of("type", "user", "username", "otto"))).get("id").asText();
        AgentKey k2 = new AgentKey();
        String grouped = api.registerOk(agentOf("team-bot", k2, Map.of("type", "group", "path", "/team"))).get("id").asText();
        AgentKey k3 = new AgentKey();
        Map<String, Object> two = agentOf("two-bot", k3, Map.of("type", "user", "username", "sam"));
        two.put("secondOwner", Map.of("type", "user", "username", "olga"));
        JsonNode twoBot = api.registerOk(two);
        assertEquals("olga", twoBot.at("/secondOwner/name").asText(), twoBot.toString());

        assertEquals(204, api.http.delete("/admin/realms/" + api.realm + "/users/" + api.userId("otto"), api.adminToken()).status());
        eventually(() -> "SUSPENDED".equals(api.agent(deleted).get("status").asText()), "del-bot suspended after its owner was deleted");
        assertTrue(api.agent(deleted).hasNonNull("ownerLatched"));

        api.leaveGroup(api.userId("tess"), team);
        eventually(() -> "SUSPENDED".equals(api.agent(grouped).get("status").asText()), "team-bot suspended after its group emptied");
        assertTrue(api.agent(grouped).get("ownerLatched").asText().contains("/team"), api.agent(grouped).toString());
        api.joinGroup(api.userId("tess"), team);
        assertEquals(409, api.action(grouped, "resume", null).status());

        // sam disabled, olga (second owner) active: two-bot keeps running
        api.setUserEnabled(api.userId("sam"), false);
        HttpAdmin.Response run = api.http.post("/admin/realms/" + api.realm + "/nhi/lifecycle/run", api.adminToken(), null);
        assertEquals(200, run.status(), run.body());
        assertEquals("ACTIVE", api.agent(twoBot.get("id").asText()).get("status").asText());
        assertEquals(200, api.clientCredentialsWithKey("two-bot", k3, k3.thumbprint(), null).status());
        // the second owner disabled too: no owner left, latched
        api.setUserEnabled(api.userId("olga"), false);
        eventually(() -> "SUSPENDED".equals(api.agent(twoBot.get("id").asText()).get("status").asText()), "two-bot suspended with no owner left");
        assertTrue(api.agent(twoBot.get("id").asText()).hasNonNull("ownerLatched"));
    }

    /**
     * (Fourteenth red-team review.) A group owns through its people. The owner group's last member deleted (no leave
     * event), or a group that never had one: the agent kept getting tokens, the lifecycle pass suspended nothing and the
     * inventory's {@code ORPHANED} filter listed neither, because a group that existed counted as an active owner.
     */
    @Test
    void anOwnerGroupWithNoEnabledMemberOwnsNothing(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-latch-3", "gil", "nora");
        String crew = api.createGroup("crew");
        api.joinGroup(api.userId("gil"), crew);
        api.createGroup("nobody");
        AgentKey k1 = new AgentKey();
        String crewBot = api.registerOk(agentOf("crew-bot", k1, Map.of("type", "group", "path", "/crew"))).get("id").asText();
        AgentKey k2 = new AgentKey();
        api.registerOk(agentOf("nobody-bot", k2, Map.of("type", "group", "path", "/nobody")));
        assertEquals(200, api.clientCredentialsWithKey("crew-bot", k1, k1.thumbprint(), null).status(), "gil owns crew-bot");

        assertEquals(204, api.http.delete("/admin/realms/" + api.realm + "/users/" + api.userId("gil"), api.adminToken()).status());
        HttpAdmin.Response crewToken = api.clientCredentialsWithKey("crew-bot", k1, k1.thumbprint(), null);
        HttpAdmin.Response nobodyToken = api.clientCredentialsWithKey("nobody-bot", k2, k2.thumbprint(), null);
        assertEquals(400, crewToken.status(), crewToken.body());
        assertTrue(crewToken.body().contains("has no enabled member"), crewToken.body());
        assertEquals(400, nobodyToken.status(), nobodyToken.body());

        JsonNode orphaned = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?flag=ORPHANED", api.adminToken()).json();
        List<String> listed = new ArrayList<>();
        orphaned.path("items").forEach(i -> listed.add(i.path("clientId").asText()));
        assertTrue(listed.containsAll(List.of("crew-bot", "nobody-bot")), orphaned.toString());
        assertEquals("disabled", orphaned.path("items").get(0).at("/owner/state").asText(), orphaned.toString());

        HttpAdmin.Response run = api.http.post("/admin/realms/" + api.realm + "/nhi/lifecycle/run", api.adminToken(), null);
        assertEquals(200, run.status(), run.body());
        assertEquals("SUSPENDED", api.agent(crewBot).get("status").asText(), api.agent(crewBot).toString());
        assertTrue(api.agent(crewBot).get("ownerLatched").asText().contains("/crew"), api.agent(crewBot).toString());
    }

    /** (Fourteenth red-team review.) A suspended agent's key read tokens' claims at the introspection endpoint. */
    @Test
    void aSuspendedAgentIntrospectsNothing(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-introspect", "olga");
        AgentKey key = new AgentKey();
        String id = api.registerOk(AgentApi.registration("peek-bot", key, List.of())).get("id").asText();
        assertEquals(200, api.clientCredentialsWithKey("peek-bot", key, key.thumbprint(), null).status());
        api.audienceOnAdminCli("peek-bot"); // the users' tokens name the agent: it may introspect them
        String token = api.realmUserToken("olga");
        HttpAdmin.Response before = introspect(api, "peek-bot", key, token);
        assertEquals(200, before.status(), before.body());
        assertTrue(before.json().path("active").asBoolean(), before.body());

        assertEquals(200, api.action(id, "suspend", "investigating").status());
        HttpAdmin.Response after = introspect(api, "peek-bot", key, api.realmUserToken("olga"));
        assertTrue(after.status() >= 400, "refused: " + after.body());
        assertFalse(after.body().contains("\"sub\""), after.body());
    }

    private static HttpAdmin.Response introspect(AgentApi api, String clientId, AgentKey key, String token) {
        Map<String, String> form = new java.util.LinkedHashMap<>();
        form.put("client_id", clientId);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", key.clientAssertion(clientId, api.issuer(), key.thumbprint()));
        form.put("token", token);
        return api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token/introspect", form);
    }

    @Test
    void theAgentClaimAndTheInventoryCarryTheExpiry(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-expiry", "olga");
        AgentKey soonKey = new AgentKey();
        Map<String, Object> soon = AgentApi.registration("soon-bot", soonKey, List.of());
        String soonAt = Instant.now().plus(Duration.ofDays(5)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        soon.put("expiresAt", soonAt);
        api.registerOk(soon);
        api.registerOk(AgentApi.registration("late-bot", new AgentKey(), List.of()));

        JsonNode claim = AgentApi.claims(api.clientCredentialsWithKey("soon-bot", soonKey, soonKey.thumbprint(), null)
                .json().get("access_token").asText()).get("agent");
        assertEquals(soonAt, claim.get("expiresAt").asText(), claim.toString());
        assertEquals("olga", claim.at("/owner/name").asText(), claim.toString());

        String base = "/admin/realms/" + api.realm + "/nhi/inventory?agent=true";
        JsonNode within = api.http.get(base + "&expiresWithinDays=7", api.adminToken()).json();
        assertEquals(1, within.get("total").asInt(), within.toString());
        assertEquals("soon-bot", within.at("/items/0/clientId").asText());
        assertEquals(soonAt, within.at("/items/0/expiresAt").asText());
        assertEquals(2, api.http.get(base + "&expiresWithinDays=400", api.adminToken()).json().get("total").asInt());
        assertEquals(0, api.http.get(base + "&expiresWithinDays=1", api.adminToken()).json().get("total").asInt());
        HttpAdmin.Response csv = api.http.get(base + "&expiresWithinDays=7&format=csv", api.adminToken());
        assertTrue(csv.body().split("\r\n")[0].contains(",expiresAt,"), csv.body());
        assertTrue(csv.body().contains(soonAt), csv.body());
        HttpAdmin.Response bad = api.http.get(base + "&expiresWithinDays=-1", api.adminToken());
        assertEquals(400, bad.status(), bad.body());
    }
}
