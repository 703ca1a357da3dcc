package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The agent module's AGENT admin events are chained in the realm's audit chain, with their representation. */
@ExtendWith(KeycloakExtension.class)
class AgentAuditChainIT {

    @Test
    void registerAndSuspendAreChainedWithActorTargetOperationAndRepresentation(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        String name = AgentApi.unique("chained");
        JsonNode agent = api.registerOk(AgentApi.registration(name, new AgentKey(), List.of()));
        String id = agent.get("id").asText();
        HttpAdmin.Response suspended = api.action(id, "suspend", "key may have leaked");
        assertEquals(200, suspended.status(), suspended.body());

        String token = api.adminToken();
        String adminId = api.http.get("/admin/realms/master/users?exact=true&username=" + keycloak.bootstrapAdminUsername(), token)
                .json().get(0).get("id").asText();
        HttpAdmin.Response page = api.http.get("/admin/realms/" + AgentApi.REALM + "/audit-chain/records?type=AGENT&target=agents/" + id, token);
        assertEquals(200, page.status(), page.body());
        List<JsonNode> records = new ArrayList<>();
        page.json().get("records").forEach(records::add);
        assertEquals(2, records.size(), page.body());

        JsonNode registered = records.get(0);
        assertEquals("AGENT", registered.get("type").asText());
        assertEquals("ADMIN", registered.get("category").asText());
        assertEquals("CREATE", registered.get("operation").asText());
        assertEquals("agents/" + id, registered.get("target").asText());
        assertEquals(adminId, registered.at("/actor/userId").asText(), registered.toString());
        assertEquals("registered", registered.at("/details/action").asText());
        assertEquals(name, registered.at("/details/clientId").asText());
        assertEquals(id, registered.at("/representation/id").asText(), registered.toString());
        assertEquals(name, registered.at("/representation/name").asText());
        assertEquals("ACTIVE", registered.at("/representation/status").asText());
        assertEquals("reconciles invoices for the integration tests", registered.at("/representation/purpose").asText());

        JsonNode suspend = records.get(1);
        assertEquals("AGENT", suspend.get("type").asText());
        assertEquals("ACTION", suspend.get("operation").asText());
        assertEquals("agents/" + id, suspend.get("target").asText());
        assertEquals(adminId, suspend.at("/actor/userId").asText());
        assertEquals("suspended", suspend.at("/details/action").asText(), suspend.toString());
        assertEquals("SUSPENDED", suspend.at("/details/status").asText());
        assertEquals("SUSPENDED", suspend.at("/representation/status").asText());
        assertTrue(suspend.at("/representation/statusReason").asText().contains("key may have leaked"), suspend.toString());
        assertTrue(suspend.get("seq").asLong() > registered.get("seq").asLong());

        // Registration also creates the agent's client: chained as a CLIENT event of the same realm.
        HttpAdmin.Response client = api.http.get("/admin/realms/" + AgentApi.REALM + "/audit-chain/records?type=CLIENT&target=clients/" + id, token);
        assertEquals(1, client.json().get("records").size(), client.body());
        assertEquals("CREATE", client.json().at("/records/0/operation").asText());
        assertEquals(name, client.json().at("/records/0/representation/clientId").asText());

        JsonNode verify = api.http.get("/admin/realms/" + AgentApi.REALM + "/audit-chain/verify", token).json();
        assertTrue(verify.get("ok").asBoolean(), verify.toString());
    }
}
