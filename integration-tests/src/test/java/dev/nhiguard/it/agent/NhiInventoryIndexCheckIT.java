package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

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

    /**
     * {@code DORMANT} is a range on the row's stored activity. A token moves it right after the usage row (read here
     * from the database, with no page loaded that could fix it on the way, and no repair by the check in the log); an
     * activity the database lost is put back by the scheduled check, again with no page in between.
     */
    @Test
    void aTokenMovesTheRowsActivityAndTheCheckRestoresALostOne(PostgresKeycloak.Server pg) throws Exception {
        AgentApi api = AgentApi.createRealm(pg.keycloak(), "agent-inv-activity");
        String used = NhiInventoryIndexIT.createClient(api, "act-used", Map.of());
        NhiInventoryIndexIT.createClient(api, "act-idle", Map.of());
        assertEquals(Set.of("act-used", "act-idle"), NhiInventoryIndexIT.ids(api, ""));
        long built = activity(pg, used);
        assertTrue(built > 0, "a row's activity starts at its service account's creation: " + built);

        String secret = api.http.get("/admin/realms/" + api.realm + "/clients/" + used + "/client-secret", api.adminToken())
                .json().get("value").asText();
        NhiInventoryIndexIT.check(api.clientCredentialsWithSecret("act-used", secret), 200);
        long usedAt = awaitActivity(pg, used, a -> a > built, "the token's use");
        assertEquals(lastUsed(pg, used), usedAt);
        String repaired = "realm " + api.realm + ": inventory index check: 1 rows behind";
        Thread.sleep(1_000); // the server's log is read by a thread of its own: a repair logged just now is in by then
        assertTrue(pg.keycloak().logLines().stream().noneMatch(l -> l.contains(repaired)),
                "the usage recorder moved the activity itself, the check had nothing to repair");

        try (Connection db = pg.jdbc(); PreparedStatement lose = db.prepareStatement(
                "update nhi_inventory_row set last_activity = 0 where client_uuid = ?")) {
            lose.setString(1, used);
            assertEquals(1, lose.executeUpdate());
        }
        awaitActivity(pg, used, a -> a == usedAt, "the scheduled check");
        assertTrue(pg.keycloak().logLines().stream().anyMatch(l -> l.contains(repaired)), "the check, not a page, put it back");
        assertEquals(Set.of(), NhiInventoryIndexIT.ids(api, "flag=DORMANT"));
    }

    static long activity(PostgresKeycloak.Server pg, String clientUuid) throws Exception {
        return single(pg, "select last_activity from nhi_inventory_row where client_uuid = ?", clientUuid);
    }

    static long lastUsed(PostgresKeycloak.Server pg, String clientUuid) throws Exception {
        return single(pg, "select last_used from nhi_client_usage where client_id = ?", clientUuid);
    }

    static long single(PostgresKeycloak.Server pg, String sql, String id) throws Exception {
        try (Connection db = pg.jdbc(); PreparedStatement q = db.prepareStatement(sql)) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                assertTrue(rs.next(), sql + " " + id);
                return rs.getLong(1);
            }
        }
    }

    static long awaitActivity(PostgresKeycloak.Server pg, String clientUuid, LongPredicate done, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        long a;
        do {
            a = activity(pg, clientUuid);
            if (done.test(a)) {
                return a;
            }
            Thread.sleep(300);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("the row's activity did not follow " + what + ": " + a);
    }
}
