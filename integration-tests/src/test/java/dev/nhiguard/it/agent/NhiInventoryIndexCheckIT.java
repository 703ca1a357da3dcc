package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.it.audit.PostgresKeycloak;

/**
 * A page of the inventory counts nothing: it trusts the realm's state row (its marks and its row
 * count). What no event reports — here a row lost and a count rewritten in the database — is put
 * right by the scheduled, cluster-aware check (every 2 seconds on this server), which counts the
 * realm's service accounts against its rows.
 */
@ExtendWith(PostgresKeycloak.class)
class NhiInventoryIndexCheckIT {

    @Test
    void theScheduledCheckRestoresARowAndTheCountThatNoEventReported(PostgresKeycloak.Server pg) throws Exception {
        AgentApi api = AgentApi.createRealm(pg.keycloak(), "agent-inv-check");
        String realmId = api.http.get("/admin/realms/" + api.realm, api.adminToken()).json().get("id").asText();
        NhiInventoryIndexIT.createClient(api, "ck-a", Map.of());
        String b = NhiInventoryIndexIT.createClient(api, "ck-b", Map.of());
        NhiInventoryIndexIT.createClient(api, "ck-c", Map.of());
        assertEquals(Set.of("ck-a", "ck-b", "ck-c"), NhiInventoryIndexIT.ids(api, ""));

        try (Connection db = pg.jdbc();
                PreparedStatement lose = db.prepareStatement("delete from nhi_inventory_row where client_uuid = ?");
                PreparedStatement miscount = db.prepareStatement("update nhi_inventory_realm set row_count = 7 where realm_id = ?")) {
            lose.setString(1, b);
            assertEquals(1, lose.executeUpdate());
            miscount.setString(1, realmId);
            assertEquals(1, miscount.executeUpdate());
        }

        long deadline = System.currentTimeMillis() + 30_000;
        JsonNode page;
        do {
            page = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?max=100", api.adminToken()).json();
            Set<String> listed = new HashSet<>();
            page.get("items").forEach(e -> listed.add(e.get("clientId").asText()));
            if (listed.equals(Set.of("ck-a", "ck-b", "ck-c")) && page.get("total").asInt() == 3) {
                return;
            }
            Thread.sleep(500);
        } while (System.currentTimeMillis() < deadline);
        fail("the scheduled check did not restore the lost row and the count: " + page);
    }
}
