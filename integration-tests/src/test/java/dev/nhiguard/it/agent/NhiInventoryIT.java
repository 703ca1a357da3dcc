package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The inventory on a realm with hundreds of service-account clients, created in one partial
 * import: every one is listed, with the flags its set-up implies.
 */
@ExtendWith(KeycloakExtension.class)
class NhiInventoryIT {

    static final String REALM = "agent-inv";
    static final int PLAIN = 240;      // no owner, secret of unknown age
    static final int OWNED = 40;       // owner inv-owner, fresh secret
    static final int ORPHANED = 20;    // owner inv-gone (disabled), secret 200 days old
    static final int PRIVILEGED = 10;  // plain + realm-management roles
    static final int TOTAL = PLAIN + OWNED + ORPHANED + PRIVILEGED;

    @Test
    void everyServiceAccountIsListedWithTheRightFlags(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String token = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        HttpAdmin.Response realm = http.post("/admin/realms", token, AgentApi.json(Map.of("realm", REALM, "enabled", true,
                "attributes", Map.of("nhi.guard.policy", "{\"guardedOperations\":[]}",
                        "nhi.lifecycle.policy", "{\"dormantDays\":90,\"rotationDays\":90}"))));
        assertEquals(201, realm.status(), realm.body());
        String base = "/admin/realms/" + REALM;

        String ownerId = createUser(http, token, "inv-owner", true);
        String goneId = createUser(http, token, "inv-gone", false);

        long now = Instant.now().getEpochSecond();
        long old = Instant.now().minus(200, ChronoUnit.DAYS).getEpochSecond();
        List<Map<String, Object>> clients = new ArrayList<>();
        List<Map<String, Object>> users = new ArrayList<>();
        for (int i = 0; i < TOTAL; i++) {
            String clientId;
            Map<String, String> attributes = new LinkedHashMap<>();
            if (i < PLAIN) {
                clientId = String.format("inv-plain-%03d", i);
            } else if (i < PLAIN + OWNED) {
                clientId = String.format("inv-owned-%03d", i);
                attributes.put("nhi.owner.type", "user");
                attributes.put("nhi.owner.id", ownerId);
                attributes.put("nhi.purpose", "nightly export " + i);
                attributes.put("client.secret.creation.time", Long.toString(now));
            } else if (i < PLAIN + OWNED + ORPHANED) {
                clientId = String.format("inv-orphan-%03d", i);
                attributes.put("nhi.owner.type", "user");
                attributes.put("nhi.owner.id", goneId);
                attributes.put("client.secret.creation.time", Long.toString(old));
            } else {
                clientId = String.format("inv-priv-%03d", i);
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("clientId", clientId);
            c.put("enabled", true);
            c.put("publicClient", false);
            c.put("secret", "secret-" + clientId);
            c.put("serviceAccountsEnabled", true);
            c.put("standardFlowEnabled", false);
            c.put("attributes", attributes);
            c.put("defaultClientScopes", List.of());
            c.put("optionalClientScopes", List.of());
            clients.add(c);
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("username", "service-account-" + clientId);
            u.put("enabled", true);
            u.put("serviceAccountClientId", clientId);
            if (clientId.startsWith("inv-priv-")) {
                u.put("clientRoles", Map.of("realm-management", List.of(i % 2 == 0 ? "realm-admin" : "view-users")));
            }
            users.add(u);
        }
        for (int from = 0; from < TOTAL; from += 50) {
            int to = Math.min(TOTAL, from + 50);
            HttpAdmin.Response imported = http.post(base + "/partialImport", token, AgentApi.json(Map.of(
                    "ifResourceExists", "FAIL", "clients", clients.subList(from, to), "users", users.subList(from, to))));
            assertEquals(200, imported.status(), imported.body());
        }

        JsonNode all = pageAll(http, token, base + "/nhi/inventory");
        assertEquals(TOTAL, all.size());
        Set<String> ids = new HashSet<>();
        all.forEach(e -> ids.add(e.get("clientId").asText()));
        assertEquals(TOTAL, ids.size());

        assertEquals(PLAIN + PRIVILEGED, count(http, token, "flag=NO_OWNER"));
        assertEquals(ORPHANED, count(http, token, "flag=ORPHANED"));
        assertEquals(PRIVILEGED, count(http, token, "flag=OVER_PRIVILEGED"));
        assertEquals(PLAIN + PRIVILEGED + ORPHANED, count(http, token, "flag=ROTATION_OVERDUE"));
        assertEquals(0, count(http, token, "flag=DORMANT"));
        assertEquals(ORPHANED, count(http, token, "flag=ORPHANED&flag=ROTATION_OVERDUE"));
        assertEquals(0, count(http, token, "agent=true"));
        assertEquals(OWNED, count(http, token, "owner=" + ownerId));

        JsonNode owned = one(http, token, "inv-owned-250");
        assertEquals(List.of(), texts(owned.get("flags")), owned.toString());
        assertEquals("inv-owner", owned.at("/owner/name").asText());
        assertEquals("active", owned.at("/owner/state").asText());
        assertEquals("nightly export 250", owned.get("purpose").asText());
        assertEquals("client-secret", owned.at("/credential/type").asText());
        assertEquals(0, owned.at("/credential/ageDays").asLong());
        assertTrue(owned.path("lastUsedAt").isMissingNode() || owned.path("lastUsedAt").isNull(), owned.toString());

        JsonNode orphan = one(http, token, "inv-orphan-285");
        assertEquals(Set.of("ORPHANED", "ROTATION_OVERDUE"), flags(orphan));
        assertEquals("disabled", orphan.at("/owner/state").asText());
        assertEquals(200, orphan.at("/credential/ageDays").asLong());

        JsonNode admin = one(http, token, "inv-priv-300");
        assertTrue(texts(admin.at("/roles/direct")).contains("realm-management/realm-admin"), admin.toString());
        assertFalse(texts(admin.at("/roles/direct")).contains("realm-management/manage-users"), admin.toString());
        assertTrue(texts(admin.at("/roles/effective")).contains("realm-management/manage-users"), admin.toString());
        assertTrue(flags(admin).contains("OVER_PRIVILEGED"));
        JsonNode plain = one(http, token, "inv-plain-007");
        assertTrue(plain.path("owner").isMissingNode() || plain.path("owner").isNull(), plain.toString());
        assertFalse(flags(plain).contains("OVER_PRIVILEGED"));

        // Under a clock 100 days ahead every client is dormant except the one that gets a token then.
        setClockOffset(http, token, 100L * 86400);
        try {
            assertFalse(http.clientCredentials(REALM, "inv-owned-250", "secret-inv-owned-250").path("access_token").asText().isEmpty());
            assertEquals(TOTAL - 1, count(http, token, "flag=DORMANT"));
            JsonNode used = one(http, token, "inv-owned-250");
            assertTrue(used.get("lastUsedAt").isTextual(), used.toString());
            assertEquals("CLIENT_LOGIN", used.get("lastUsedEvent").asText());
            assertFalse(flags(used).contains("DORMANT"), used.toString());
        } finally {
            setClockOffset(http, token, 0);
        }

        HttpAdmin.Response page = http.get(base + "/nhi/inventory?first=100&max=50", token);
        assertEquals(200, page.status(), page.body());
        assertEquals(TOTAL, page.json().get("total").asInt());
        assertEquals(50, page.json().get("items").size());
        // ordered by clientId: 20 inv-orphan-*, 40 inv-owned-*, then inv-plain-000…
        assertEquals("inv-plain-040", page.json().at("/items/0/clientId").asText());

        HttpAdmin.Response csv = http.get(base + "/nhi/inventory?format=csv&max=1000", token);
        assertEquals(200, csv.status(), csv.body());
        assertTrue(csv.header("Content-Type").startsWith("text/csv"), csv.header("Content-Type"));
        String[] lines = csv.body().split("\r\n");
        assertEquals(TOTAL + 1, lines.length);
        assertTrue(lines[0].startsWith("id,clientId,enabled,agent,status,ownerType"), lines[0]);
        assertTrue(csv.body().contains(",inv-priv-300,"), "CSV lists inv-priv-300");
        assertEquals(String.valueOf(TOTAL), csv.header("X-Total-Count"));

        for (String bad : List.of("max=0", "max=5000", "first=-1", "flag=SHINY", "agent=maybe", "format=xml")) {
            HttpAdmin.Response r = http.get(base + "/nhi/inventory?" + bad, token);
            assertEquals(400, r.status(), bad + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText());
        }
    }

    @Test
    void lifecyclePolicyIsValidatedOnWrite(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String token = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        String path = "/admin/realms/" + AgentApi.REALM + "/nhi/policy";
        JsonNode before = http.get(path, token).json();
        assertEquals(90, before.get("dormantDays").asInt());
        for (String bad : List.of("{\"dormantDays\":0}", "{\"dormantDays\":\"ten\"}", "{\"colour\":1}", "[]", "nope")) {
            HttpAdmin.Response r = http.put(path, token, bad);
            assertEquals(400, r.status(), bad + " -> " + r.body());
        }
        assertEquals(before, http.get(path, token).json());
    }

    static String createUser(HttpAdmin http, String token, String username, boolean enabled) {
        HttpAdmin.Response r = http.post("/admin/realms/" + REALM + "/users", token, AgentApi.json(Map.of("username", username, "enabled", enabled)));
        assertEquals(201, r.status(), r.body());
        String location = r.header("Location");
        return location.substring(location.lastIndexOf('/') + 1);
    }

    static void setClockOffset(HttpAdmin http, String token, long seconds) {
        JsonNode rep = http.get("/admin/realms/" + REALM, token).json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep.get("attributes")).put("nhi.clock.offset-seconds", Long.toString(seconds));
        HttpAdmin.Response r = http.put("/admin/realms/" + REALM, token, rep.toString());
        assertEquals(204, r.status(), r.body());
    }

    static JsonNode pageAll(HttpAdmin http, String token, String path) {
        com.fasterxml.jackson.databind.node.ArrayNode out = AgentApi.JSON.createArrayNode();
        for (int first = 0; ; first += 100) {
            HttpAdmin.Response r = http.get(path + "?first=" + first + "&max=100", token);
            assertEquals(200, r.status(), r.body());
            JsonNode items = r.json().get("items");
            out.addAll((com.fasterxml.jackson.databind.node.ArrayNode) items);
            if (items.size() < 100) {
                return out;
            }
        }
    }

    static int count(HttpAdmin http, String token, String query) {
        HttpAdmin.Response r = http.get("/admin/realms/" + REALM + "/nhi/inventory?max=1&" + query, token);
        assertEquals(200, r.status(), r.body());
        return r.json().get("total").asInt();
    }

    static JsonNode one(HttpAdmin http, String token, String clientId) {
        HttpAdmin.Response r = http.get("/admin/realms/" + REALM + "/nhi/inventory?search=" + clientId, token);
        assertEquals(200, r.status(), r.body());
        assertEquals(1, r.json().get("total").asInt(), r.body());
        return r.json().at("/items/0");
    }

    static Set<String> flags(JsonNode entry) {
        return new HashSet<>(texts(entry.get("flags")));
    }

    static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
