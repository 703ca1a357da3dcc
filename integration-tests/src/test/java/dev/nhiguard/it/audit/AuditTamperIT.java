package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;

/**
 * Tampering directly in the database (PostgreSQL, where the test reaches the tables) is found
 * by verify; a record the database refuses refuses the change it records; a chain whose head
 * cannot move keeps the committed changes' records staged until it can.
 */
@ExtendWith(PostgresKeycloak.class)
class AuditTamperIT {

    /** A realm with six records in its chain: seq 1..6 role creations (after whatever realm creation chained). */
    static final class Fixture {
        final AuditRealms a;
        final String realm;
        final String realmId;
        final long first;

        Fixture(PostgresKeycloak.Server pg, String prefix) {
            a = new AuditRealms(pg.keycloak);
            realm = a.createRealm(prefix);
            realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
            first = a.headSeq(realm) + 1;
            for (int i = 0; i < 6; i++) {
                assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"role-" + i + "\"}").status());
            }
            assertTrue(a.verify(realm).get("ok").asBoolean());
        }
    }

    /**
     * A database writer inserted a row into the staged table (a tenth red-team review: an approver deleting a user,
     * from an address of the writer's choosing, an hour in the past). The sequencer chained it as a record like any
     * other, the server signed a checkpoint over it and the sinks received it, and every verification passed. A
     * staged row now carries an authentication of the server that staged it; one that does not verify is chained only
     * inside a record saying so, never as the record it claims to be.
     */
    @Test
    void aRowWrittenIntoTheStagedTableIsNotChainedAsARecord(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-staged");
        long head = f.a.headSeq(f.realm);
        String forged = "{\"actor\":{\"ipAddress\":\"10.1.2.3\",\"realmId\":\"" + f.realmId + "\",\"userId\":\"" + f.a.adminUserId()
                + "\"},\"category\":\"ADMIN\",\"eventId\":\"0c0ffee0-0000-4000-8000-000000000001\",\"operation\":\"DELETE\","
                + "\"realm\":\"" + f.realm + "\",\"realmId\":\"" + f.realmId + "\",\"target\":\"users/forged-victim\",\"time\":1,"
                + "\"type\":\"USER\",\"v\":1}";
        try (Connection c = pg.jdbc(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO nhi_audit_staged (id, realm_id, staged_at, content) VALUES (?, ?, 1, ?)")) {
            s.setString(1, "forged-0001");
            s.setString(2, f.realmId);
            s.setString(3, forged);
            assertEquals(1, s.executeUpdate());
        }
        List<JsonNode> after = f.a.recordsAfter(f.realm, head, "");
        JsonNode v = f.a.verify(f.realm);
        assertTrue(after.stream().noneMatch(r -> "users/forged-victim".equals(r.path("target").asText())),
                "the forged row chained as a record: " + after);
        JsonNode flagged = after.stream().filter(r -> "AUDIT_STAGED_ROW_UNVERIFIED".equals(r.path("type").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no record flags the forged row: " + after));
        assertEquals("users/forged-victim", flagged.path("details").path("stagedContent").path("target").asText(), flagged.toString());
        assertTrue(v.get("ok").asBoolean(), "the chain itself is intact: " + v);
    }

    @Test
    void editedRecordIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-edit");
        long m = f.first + 2;
        try (Connection c = pg.jdbc(); PreparedStatement s = c.prepareStatement(
                "UPDATE nhi_audit_record SET content = replace(content, 'role-2', 'role-9') WHERE realm_id = ? AND seq = ?")) {
            s.setString(1, f.realmId);
            s.setLong(2, m);
            assertEquals(1, s.executeUpdate());
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(m, v.get("brokenSeq").asLong(), v.toString());
        assertTrue(v.get("reason").asText().startsWith("hash mismatch"), v.toString());
        JsonNode before = f.a.http.get(f.a.base(f.realm) + "/audit-chain/verify?from=1&to=" + (m - 1), f.a.token()).json();
        assertTrue(before.get("ok").asBoolean(), "records before the edit still verify: " + before);
    }

    /**
     * The columns filtered record queries read ({@code records?type=…&target=…}) are not covered by
     * the hash: a rewritten target would hide a record from them while every hash still matched.
     * Verify compares them with the record's content.
     */
    @Test
    void rewrittenColumnIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-column");
        long m = f.first + 3;
        try (Connection c = pg.jdbc(); PreparedStatement s = c.prepareStatement(
                "UPDATE nhi_audit_record SET target = 'roles/elsewhere' WHERE realm_id = ? AND seq = ?")) {
            s.setString(1, f.realmId);
            s.setLong(2, m);
            assertEquals(1, s.executeUpdate());
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(m, v.get("brokenSeq").asLong(), v.toString());
        assertTrue(v.get("reason").asText().contains("columns"), v.toString());
    }

    @Test
    void editedRecordWithRecomputedHashBreaksTheNextLink(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-rehash");
        long m = f.first + 2;
        try (Connection c = pg.jdbc()) {
            String content;
            try (PreparedStatement s = c.prepareStatement("SELECT content FROM nhi_audit_record WHERE realm_id = ? AND seq = ?")) {
                s.setString(1, f.realmId);
                s.setLong(2, m);
                try (ResultSet rs = s.executeQuery()) {
                    assertTrue(rs.next());
                    content = rs.getString(1).replace("role-2", "role-9");
                }
            }
            // the query columns rewritten alike (verify compares them with the content)
            try (PreparedStatement s = c.prepareStatement("UPDATE nhi_audit_record SET content = ?, hash = ?, "
                    + "target = replace(target, 'role-2', 'role-9') WHERE realm_id = ? AND seq = ?")) {
                s.setString(1, content);
                s.setString(2, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8))));
                s.setString(3, f.realmId);
                s.setLong(4, m);
                assertEquals(1, s.executeUpdate());
            }
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(m + 1, v.get("brokenSeq").asLong(), v.toString());
        assertTrue(v.get("reason").asText().startsWith("prevHash"), v.toString());
    }

    @Test
    void deletedRecordIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-delete");
        long m = f.first + 3;
        try (Connection c = pg.jdbc(); PreparedStatement s = c.prepareStatement("DELETE FROM nhi_audit_record WHERE realm_id = ? AND seq = ?")) {
            s.setString(1, f.realmId);
            s.setLong(2, m);
            assertEquals(1, s.executeUpdate());
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(m, v.get("brokenSeq").asLong(), v.toString());
        assertTrue(v.get("reason").asText().contains("missing"), v.toString());
    }

    @Test
    void deletedLastRecordIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-tail");
        long last = f.a.headSeq(f.realm);
        try (Connection c = pg.jdbc(); PreparedStatement s = c.prepareStatement("DELETE FROM nhi_audit_record WHERE realm_id = ? AND seq = ?")) {
            s.setString(1, f.realmId);
            s.setLong(2, last);
            assertEquals(1, s.executeUpdate());
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(last, v.get("brokenSeq").asLong(), v.toString());
    }

    /**
     * The chain's tail cut in the database after the file sink had delivered it, and a record appended since under a
     * sequence number the sink had already received: the sink used to wait for the head to pass its old position, so
     * the new record never went out and the sink showed no error. It now says the chain is below what it delivered
     * and goes on from the head.
     */
    @Test
    void aTailCutAfterDeliveryIsSaidByTheSinkAndLaterRecordsStillGoOut(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-rewind");
        long head = f.a.headSeq(f.realm);
        awaitFileSink(f, s -> s.path("deliveredSeq").asLong() >= head, "the file sink delivered the chain");
        long kept = head - 2;
        String keptHash = f.a.http.get(f.a.base(f.realm) + "/audit-chain/records/" + kept, f.a.token()).json().get("hash").asText();
        try (Connection c = pg.jdbc();
                PreparedStatement d = c.prepareStatement("DELETE FROM nhi_audit_record WHERE realm_id = ? AND seq > ?");
                PreparedStatement k = c.prepareStatement("DELETE FROM nhi_audit_checkpoint WHERE realm_id = ? AND seq > ?");
                PreparedStatement h = c.prepareStatement("UPDATE nhi_audit_head SET seq = ?, hash = ? WHERE realm_id = ?")) {
            d.setString(1, f.realmId);
            d.setLong(2, kept);
            assertEquals(2, d.executeUpdate());
            k.setString(1, f.realmId);
            k.setLong(2, kept);
            k.executeUpdate();
            h.setLong(1, kept);
            h.setString(2, keptHash);
            h.setString(3, f.realmId);
            assertEquals(1, h.executeUpdate());
        }
        assertEquals(201, f.a.http.post(f.a.base(f.realm) + "/roles", f.a.token(), "{\"name\":\"after-the-cut\"}").status());
        JsonNode said = awaitFileSink(f, s -> s.path("lastError").asText("").contains("records were removed"), "the sink says so");
        long deadline = System.currentTimeMillis() + 30_000;
        while (!java.nio.file.Files.readString(pg.cloudEventsFile).contains("after-the-cut") && System.currentTimeMillis() < deadline) {
            Thread.sleep(300);
        }
        assertTrue(java.nio.file.Files.readString(pg.cloudEventsFile).contains("after-the-cut"),
                "the record appended after the cut reached the file sink; the sink: " + said);
    }

    private static JsonNode awaitFileSink(Fixture f, java.util.function.Predicate<JsonNode> done, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        JsonNode sinks;
        do {
            sinks = f.a.http.get(f.a.base(f.realm) + "/audit-chain/sinks", f.a.token()).json();
            for (JsonNode s : sinks) {
                if ("file".equals(s.path("sink").asText()) && done.test(s)) {
                    return s;
                }
            }
            Thread.sleep(300);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError(what + ": " + sinks);
    }

    @Test
    void swappedPairIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-swap");
        long m = f.first + 1;
        try (Connection c = pg.jdbc(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            String where = "realm_id = '" + f.realmId + "'";
            s.executeUpdate("UPDATE nhi_audit_record SET seq = -1 WHERE " + where + " AND seq = " + m);
            s.executeUpdate("UPDATE nhi_audit_record SET seq = " + m + " WHERE " + where + " AND seq = " + (m + 1));
            s.executeUpdate("UPDATE nhi_audit_record SET seq = " + (m + 1) + " WHERE " + where + " AND seq = -1");
            c.commit();
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(m, v.get("brokenSeq").asLong(), v.toString());
    }

    @Test
    void appendRefusedByTheDatabaseRefusesTheChange(PostgresKeycloak.Server pg) throws Exception {
        AuditRealms a = new AuditRealms(pg.keycloak);
        String realm = a.createRealm("tamper-refuse");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        String erin = a.userId(realm, "erin");
        assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"before\"}").status());
        long head = a.headSeq(realm);
        String trigger = "nhi_audit_refuse_" + realmId.replace("-", "_");
        // The change's record cannot be written: staging it for this realm fails.
        pg.ddl("CREATE FUNCTION " + trigger + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "RAISE EXCEPTION 'audit record refused by test'; END $$",
                "CREATE TRIGGER " + trigger + " BEFORE INSERT ON nhi_audit_staged FOR EACH ROW WHEN (NEW.realm_id = '"
                        + realmId + "') EXECUTE FUNCTION " + trigger + "()");
        try {
            HttpAdmin.Response client = a.http.post(a.base(realm) + "/clients", a.token(), "{\"clientId\":\"refused-client\"}");
            assertEquals(503, client.status(), client.body());
            assertEquals("audit_chain_unavailable", client.json().path("error").asText(), client.body());
            assertNull(a.clientUuid(realm, "refused-client"), "the refused client must not exist");

            HttpAdmin.Response user = a.http.put(a.base(realm) + "/users/" + erin, a.token(),
                    "{\"username\":\"erin\",\"email\":\"erin.refused@example.org\",\"firstName\":\"Erin\",\"lastName\":\"Example\"}");
            assertEquals(503, user.status(), user.body());
            assertEquals("erin@example.org", a.http.get(a.base(realm) + "/users/" + erin, a.token()).json().get("email").asText());

            HttpAdmin.Response role = a.http.delete(a.base(realm) + "/roles/before", a.token());
            assertEquals(503, role.status(), role.body());
            assertEquals(200, a.http.get(a.base(realm) + "/roles/before", a.token()).status(), "the refused delete must not happen");
        } finally {
            pg.ddl("DROP TRIGGER " + trigger + " ON nhi_audit_staged", "DROP FUNCTION " + trigger + "()");
        }
        assertEquals(head, a.headSeq(realm));
        assertEquals(201, a.http.post(a.base(realm) + "/clients", a.token(), "{\"clientId\":\"accepted-client\"}").status());
        assertEquals(head + 1, a.headSeq(realm));
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void aChainThatCannotMoveLosesNoCommittedChange(PostgresKeycloak.Server pg) throws Exception {
        AuditRealms a = new AuditRealms(pg.keycloak);
        String realm = a.createRealm("tamper-stuck");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        long head = a.headSeq(realm);
        String trigger = "nhi_audit_freeze_" + realmId.replace("-", "_");
        // The realm's head row becomes unwritable: nothing can be sequenced into its chain.
        pg.ddl("CREATE FUNCTION " + trigger + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "RAISE EXCEPTION 'audit head frozen by test'; END $$",
                "CREATE TRIGGER " + trigger + " BEFORE UPDATE ON nhi_audit_head FOR EACH ROW WHEN (OLD.realm_id = '"
                        + realmId + "') EXECUTE FUNCTION " + trigger + "()");
        try {
            // The changes commit with their staged records; reading the chain cannot move them in and says so.
            for (String name : new String[] {"while-frozen-1", "while-frozen-2"}) {
                assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"" + name + "\"}").status());
            }
            JsonNode stuck = a.rawHead(realm);
            assertEquals(head, stuck.get("seq").asLong(), stuck.toString());
            assertEquals(2, stuck.get("staged").asLong(), stuck.toString());
            // A read that cannot show them is refused, not answered without them.
            for (String read : new String[] {"/records?after=" + head, "/verify", "/export", "/records/" + head}) {
                HttpAdmin.Response r = a.http.get(a.base(realm) + "/audit-chain" + read, a.token());
                assertEquals(503, r.status(), read + ": " + r.body());
                assertEquals("audit_chain_behind", r.json().path("error").asText(), r.body());
            }
        } finally {
            pg.ddl("DROP TRIGGER " + trigger + " ON nhi_audit_head", "DROP FUNCTION " + trigger + "()");
        }
        // Once the head can move, the next read sequences both, in their order.
        assertEquals(head + 2, a.headSeq(realm));
        JsonNode records = a.http.get(a.base(realm) + "/audit-chain/records?after=" + head, a.token()).json().get("records");
        assertEquals("roles/while-frozen-1", records.get(0).path("target").asText(), records.toString());
        assertEquals("roles/while-frozen-2", records.get(1).path("target").asText(), records.toString());
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void forgedCheckpointIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-checkpoint");
        long cp = ((f.first + 4) / 5) * 5;
        String otherHash = f.a.http.get(f.a.base(f.realm) + "/audit-chain/records/" + (cp - 1), f.a.token()).json().get("hash").asText();
        try (Connection c = pg.jdbc()) {
            String note;
            try (PreparedStatement s = c.prepareStatement("SELECT note FROM nhi_audit_checkpoint WHERE realm_id = ? AND seq = ?")) {
                s.setString(1, f.realmId);
                s.setLong(2, cp);
                try (ResultSet rs = s.executeQuery()) {
                    assertTrue(rs.next(), "checkpoint " + cp + " exists");
                    note = rs.getString(1);
                }
            }
            String[] lines = note.split("\n", 4);
            String forged = lines[0] + "\n" + lines[1] + "\n"
                    + java.util.Base64.getEncoder().encodeToString(HexFormat.of().parseHex(otherHash)) + "\n" + lines[3];
            try (PreparedStatement s = c.prepareStatement("UPDATE nhi_audit_checkpoint SET note = ? WHERE realm_id = ? AND seq = ?")) {
                s.setString(1, forged);
                s.setString(2, f.realmId);
                s.setLong(3, cp);
                assertEquals(1, s.executeUpdate());
            }
        }
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(cp, v.get("brokenSeq").asLong(), v.toString());
        assertTrue(v.get("reason").asText().contains("forged"), v.toString());
    }

    @Test
    void consistentlyRewrittenChainIsCaughtByItsCheckpoint(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-rewrite");
        long cp = ((f.first + 4) / 5) * 5;
        long from = f.first + 1;
        try (Connection c = pg.jdbc()) {
            c.setAutoCommit(false);
            String prevOld = null;
            String prevNew = null;
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (PreparedStatement q = c.prepareStatement("SELECT seq, content, hash FROM nhi_audit_record WHERE realm_id = ? AND seq >= ? ORDER BY seq");
                 PreparedStatement u = c.prepareStatement("UPDATE nhi_audit_record SET content = ?, hash = ?, prev_hash = ?, "
                         + "target = replace(target, 'role-1', 'role-8') WHERE realm_id = ? AND seq = ?")) {
                q.setString(1, f.realmId);
                q.setLong(2, from);
                java.util.List<Object[]> rows = new java.util.ArrayList<>();
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3)});
                    }
                }
                for (Object[] row : rows) {
                    String content = (String) row[1];
                    if (prevOld == null) {
                        content = content.replace("role-1", "role-8");
                    } else {
                        content = content.replace(prevOld, prevNew);
                    }
                    String hash = HexFormat.of().formatHex(md.digest(content.getBytes(StandardCharsets.UTF_8)));
                    u.setString(1, content);
                    u.setString(2, hash);
                    u.setString(3, prevNew == null ? ChainPrev.of(content) : prevNew);
                    u.setString(4, f.realmId);
                    u.setLong(5, (Long) row[0]);
                    assertEquals(1, u.executeUpdate());
                    prevOld = (String) row[2];
                    prevNew = hash;
                }
            }
            try (PreparedStatement h = c.prepareStatement("UPDATE nhi_audit_head SET hash = ? WHERE realm_id = ?")) {
                h.setString(1, prevNew);
                h.setString(2, f.realmId);
                assertEquals(1, h.executeUpdate());
            }
            c.commit();
        }
        JsonNode chainOnly = f.a.http.get(f.a.base(f.realm) + "/audit-chain/records/" + from, f.a.token()).json();
        assertTrue(chainOnly.toString().contains("role-8"), "the chain was rewritten: " + chainOnly);
        JsonNode v = f.a.verify(f.realm);
        assertFalse(v.get("ok").asBoolean(), v.toString());
        assertEquals(cp, v.get("brokenSeq").asLong(), v.toString());
        assertTrue(v.get("reason").asText().startsWith("checkpoint " + cp + " signs hash"), v.toString());
    }

    @Test
    void pruneWaitsForTheSinksAndAForgedAnchorIsFound(PostgresKeycloak.Server pg) throws Exception {
        Fixture f = new Fixture(pg, "tamper-anchor");
        HttpAdmin.Response latest = f.a.http.get(f.a.base(f.realm) + "/audit-chain/checkpoints/latest", f.a.token());
        assertEquals(200, latest.status(), latest.body());
        long below = Long.parseLong(latest.body().split("\n")[1]);
        assertTrue(below >= 2, latest.body());
        long head = f.a.headSeq(f.realm);

        // This server's webhook sink has no receiver here: it has not delivered, so nothing may be pruned.
        HttpAdmin.Response refused = f.a.http.post(f.a.base(f.realm) + "/audit-chain/prune", f.a.token(), "{\"below\":" + below + "}");
        assertEquals(409, refused.status(), refused.body());
        assertEquals("sink_not_delivered", refused.json().get("error").asText(), refused.body());
        assertEquals(head, f.a.headSeq(f.realm));
        assertEquals(200, f.a.http.get(f.a.base(f.realm) + "/audit-chain/records/1", f.a.token()).status());

        // What a prune leaves in the tables (records below gone, the anchor in the head row), done in the database...
        String anchorHash = f.a.http.get(f.a.base(f.realm) + "/audit-chain/records/" + (below - 1), f.a.token()).json().get("hash").asText();
        try (Connection c = pg.jdbc()) {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM nhi_audit_record WHERE realm_id = ? AND seq < ?");
                 PreparedStatement k = c.prepareStatement("DELETE FROM nhi_audit_checkpoint WHERE realm_id = ? AND seq < ?");
                 PreparedStatement h = c.prepareStatement("UPDATE nhi_audit_head SET anchor_seq = ?, anchor_hash = ? WHERE realm_id = ?")) {
                d.setString(1, f.realmId);
                d.setLong(2, below);
                assertEquals(below - 1, d.executeUpdate());
                k.setString(1, f.realmId);
                k.setLong(2, below);
                k.executeUpdate();
                h.setLong(1, below - 1);
                h.setString(2, anchorHash);
                h.setString(3, f.realmId);
                assertEquals(1, h.executeUpdate());
            }
        }
        // ...links, but no CHAIN_PRUNED record names that anchor: records were removed without a prune (a prune appends one).
        JsonNode pruned = f.a.verify(f.realm);
        assertFalse(pruned.get("ok").asBoolean(), pruned.toString());
        assertEquals(below, pruned.get("brokenSeq").asLong(), pruned.toString());
        assertTrue(pruned.get("reason").asText().contains("removed without a prune"), pruned.toString());

        // ...a forged anchor does not.
        try (Connection c = pg.jdbc(); PreparedStatement h = c.prepareStatement("UPDATE nhi_audit_head SET anchor_hash = ? WHERE realm_id = ?")) {
            h.setString(1, "ab".repeat(32));
            h.setString(2, f.realmId);
            assertEquals(1, h.executeUpdate());
        }
        JsonNode forged = f.a.verify(f.realm);
        assertFalse(forged.get("ok").asBoolean(), forged.toString());
        assertEquals(below, forged.get("brokenSeq").asLong(), forged.toString());
        assertTrue(forged.get("reason").asText().startsWith("prevHash"), forged.toString());
    }

    /** The prevHash field of a stored record's content. */
    static final class ChainPrev {
        static String of(String content) {
            int i = content.indexOf("\"prevHash\":\"") + 12;
            return content.substring(i, i + 64);
        }
    }
}
