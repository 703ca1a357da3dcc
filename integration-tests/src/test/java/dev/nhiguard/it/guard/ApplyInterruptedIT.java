package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.it.audit.PostgresKeycloak;
import dev.nhiguard.testing.HttpAdmin;

/**
 * A Keycloak node that dies in the middle of an apply leaves the request APPROVED with nothing
 * applied, and the request can be applied again once: the APPLIED mark and the replayed change
 * commit in one transaction. The apply is caught mid-commit by holding the client's row from a
 * second database session, and the server is then killed (SIGKILL) on PostgreSQL.
 */
@ExtendWith(PostgresKeycloak.class)
class ApplyInterruptedIT {

    private static final String CLIENT = "sa-parallel";
    private static final String CLIENT_ROW = "SELECT secret FROM client WHERE client_id = ? "
            + "AND realm_id = (SELECT id FROM realm WHERE name = ?)";

    @Test
    void aNodeKilledMidApplyLeavesTheRequestApprovedAndUnapplied(PostgresKeycloak.Server pg) throws Exception {
        GuardTestRealm realm = new GuardTestRealm(pg.keycloak());
        String cara = realm.token("cara");
        JsonNode cr = ApprovalRulesIT.holdSecretRegeneration(realm, CLIENT, cara);
        String id = cr.path("id").asText();
        assertEquals(200, realm.approve(id, cr.path("digest").asText(), realm.token("ann")).status());
        String before = secretInDatabase(pg);

        CompletableFuture<HttpAdmin.Response> apply;
        try (Connection holder = pg.jdbc()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement(CLIENT_ROW + " FOR UPDATE")) {
                lock.setString(1, CLIENT);
                lock.setString(2, GuardTestRealm.REALM);
                try (ResultSet rs = lock.executeQuery()) {
                    assertTrue(rs.next(), "client row " + CLIENT);
                }
            }
            apply = CompletableFuture.supplyAsync(() -> realm.apply(id, cara));
            awaitBlockedBy(holder, apply);
            pg.keycloak().kill();
            holder.rollback();
        }
        assertTrue(apply.handle((r, e) -> r == null || r.status() != 200).get(60, TimeUnit.SECONDS),
                "the killed apply answered nothing, or not 200");

        // Nothing of the interrupted apply committed: the request is APPROVED, the secret unchanged.
        assertEquals("APPROVED", stateInDatabase(pg, id));
        assertEquals(before, secretInDatabase(pg));

        pg.keycloak().start();
        GuardTestRealm restarted = new GuardTestRealm(pg.keycloak());
        HttpAdmin.Response again = restarted.apply(id, restarted.token("cara"));
        assertEquals(200, again.status(), again.body());
        String after = again.json().path("result").path("body").path("value").asText();
        assertNotEquals(before, after);
        assertEquals(after, secretInDatabase(pg));

        JsonNode full = restarted.changeRequest(id, restarted.token("ann"));
        assertEquals("APPLIED", full.path("state").asText());
        long applied = 0;
        for (JsonNode h : full.path("history")) {
            assertFalse("FAILED".equals(h.path("step").asText()), full.path("history").toString());
            if ("APPLIED".equals(h.path("step").asText())) {
                applied++;
            }
        }
        assertEquals(1, applied, full.path("history").toString());
    }

    /** Waits until a database session of the server waits for the row {@code holder} locked. */
    private static void awaitBlockedBy(Connection holder, CompletableFuture<HttpAdmin.Response> apply) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (PreparedStatement blocked = holder.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))")) {
            while (System.nanoTime() < deadline) {
                assertFalse(apply.isDone(), () -> "the apply finished without meeting the held row: " + apply.join().body());
                // pg_stat_activity is a snapshot taken at its first use in a transaction and kept until
                // the transaction ends; the holder's transaction polls it, so drop the snapshot each time.
                try (PreparedStatement clear = holder.prepareStatement("SELECT pg_stat_clear_snapshot()")) {
                    clear.execute();
                }
                try (ResultSet rs = blocked.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("the apply never waited for the client row");
    }

    private static String secretInDatabase(PostgresKeycloak.Server pg) throws SQLException {
        try (Connection c = pg.jdbc(); PreparedStatement q = c.prepareStatement(CLIENT_ROW)) {
            q.setString(1, CLIENT);
            q.setString(2, GuardTestRealm.REALM);
            try (ResultSet rs = q.executeQuery()) {
                assertTrue(rs.next());
                return rs.getString(1);
            }
        }
    }

    private static String stateInDatabase(PostgresKeycloak.Server pg, String id) throws SQLException {
        try (Connection c = pg.jdbc(); PreparedStatement q = c.prepareStatement("SELECT state FROM nhi_change_request WHERE id = ?")) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                assertTrue(rs.next());
                return rs.getString(1);
            }
        }
    }
}
