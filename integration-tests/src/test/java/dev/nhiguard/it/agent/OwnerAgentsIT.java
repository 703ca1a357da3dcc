package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Owners list their own agents (directly owned or through their group) with their own token. */
@ExtendWith(KeycloakExtension.class)
class OwnerAgentsIT {

    @Test
    void ownersSeeTheirAgentsAndNoOneElses(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-owners", "omar", "ola");
        String base = "/admin/realms/" + api.realm;
        HttpAdmin.Response group = api.http.post(base + "/groups", api.adminToken(), "{\"name\":\"team\"}");
        assertEquals(201, group.status(), group.body());
        String groupId = group.header("Location").substring(group.header("Location").lastIndexOf('/') + 1);
        assertEquals(204, api.http.put(base + "/users/" + api.userId("omar") + "/groups/" + groupId, api.adminToken(), null).status());

        AgentKey key = new AgentKey();
        api.registerOk(with(AgentApi.registration("omar-own", key, List.of()), Map.of("type", "user", "username", "omar")));
        api.registerOk(with(AgentApi.registration("team-own", key, List.of()), Map.of("type", "group", "path", "/team")));
        api.registerOk(with(AgentApi.registration("ola-own", key, List.of()), Map.of("type", "user", "username", "ola")));

        assertEquals(List.of("omar-own", "team-own"), mine(api, "omar"));
        assertEquals(List.of("ola-own"), mine(api, "ola"));
        HttpAdmin.Response anonymous = api.http.get("/realms/" + api.realm + "/nhi-owner/agents", null);
        assertEquals(401, anonymous.status(), anonymous.body());
        HttpAdmin.Response garbage = api.http.get("/realms/" + api.realm + "/nhi-owner/agents", "not-a-token");
        assertEquals(401, garbage.status(), garbage.body());
    }

    /**
     * An owner lists their agents in person: a token an agent got for its owner by token exchange (it carries
     * {@code act}) lists nothing (seventeenth red-team review: the agent listed its owner's other agents with it).
     */
    @Test
    void anAgentActingForItsOwnerDoesNotListTheOwnersAgents(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-owners-act", "omar");
        AgentKey key = new AgentKey();
        Map<String, Object> body = with(AgentApi.registration("acting-bot", key, List.of()), Map.of("type", "user", "username", "omar"));
        body.put("tokenExchange", true);
        api.registerOk(body);
        api.registerOk(with(AgentApi.registration("other-bot", new AgentKey(), List.of()), Map.of("type", "user", "username", "omar")));
        api.audienceOnAdminCli("acting-bot");
        assertEquals(List.of("acting-bot", "other-bot"), mine(api, "omar"), "the owner in person");

        HttpAdmin.Response exchanged = api.exchange("acting-bot", key, api.realmUserToken("omar"), null);
        assertEquals(200, exchanged.status(), exchanged.body());
        String forOwner = exchanged.json().get("access_token").asText();
        assertEquals("acting-bot", AgentApi.claims(forOwner).at("/act/client_id").asText(), exchanged.body());
        HttpAdmin.Response listed = api.http.get("/realms/" + api.realm + "/nhi-owner/agents", forOwner);
        assertEquals(403, listed.status(), listed.body());
        assertEquals("invalid_token", listed.json().path("error").asText(), listed.body());
    }

    static List<String> mine(AgentApi api, String user) {
        String token = api.realmUserToken(user);
        HttpAdmin.Response r = api.http.get("/realms/" + api.realm + "/nhi-owner/agents", token);
        assertEquals(200, r.status(), r.body());
        return StreamSupport.stream(r.json().spliterator(), false).map(a -> a.get("name").asText()).sorted().toList();
    }

    static Map<String, Object> with(Map<String, Object> body, Map<String, Object> owner) {
        body.put("owner", owner);
        return body;
    }
}
