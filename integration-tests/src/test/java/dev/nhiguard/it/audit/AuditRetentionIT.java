package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Explicit retention on the shared server (checkpoints every 5 records, a file sink): prune
 * below a signed checkpoint, the CHAIN_PRUNED record, verify/records/export of the chain that
 * now starts after seq 1, the offline verifier on that export; refusals change nothing.
 */
@ExtendWith(KeycloakExtension.class)
class AuditRetentionIT {

    @Test
    void pruneBelowACheckpointDeletesRecordsRecordsThePruneAndStillVerifies(KeycloakTarget keycloak, @TempDir Path dir) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-prune");
        for (int i = 0; i < 12; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"retained-" + i + "\"}").status());
        }
        HttpAdmin.Response latest = a.http.get(a.base(realm) + "/audit-chain/checkpoints/latest", a.token());
        assertEquals(200, latest.status(), latest.body());
        long below = Long.parseLong(latest.body().split("\n")[1]);
        assertTrue(below >= 10, "checkpoints every 5 records: " + latest.body());
        String anchorHash = a.http.get(a.base(realm) + "/audit-chain/records/" + (below - 1), a.token()).json().get("hash").asText();
        awaitSinksDelivered(a, realm, below - 1);
        long headBefore = a.headSeq(realm);

        HttpAdmin.Response pruned = a.http.post(a.base(realm) + "/audit-chain/prune", a.token(), "{\"below\":" + below + "}");
        assertEquals(200, pruned.status(), pruned.body());
        JsonNode p = pruned.json();
        assertEquals(below, p.get("below").asLong());
        assertEquals(below - 1, p.get("deleted").asLong());
        assertEquals(below - 1, p.get("anchor").get("seq").asLong());
        assertEquals(anchorHash, p.get("anchor").get("hash").asText());
        assertTrue(p.get("checkpointSeq").asLong() >= below, p.toString());

        // The prune is the next record of the chain, with who, below, the anchor and the checkpoint.
        JsonNode rec = p.get("record");
        assertEquals("CHAIN_PRUNED", rec.get("type").asText());
        assertEquals("DELETE", rec.get("operation").asText());
        assertEquals("ADMIN", rec.get("category").asText());
        assertEquals("audit-chain/records", rec.get("target").asText());
        assertEquals(headBefore + 1, rec.get("seq").asLong(), rec.toString());
        assertEquals(adminUserId(a), rec.get("actor").get("userId").asText());
        assertEquals(Long.toString(below), rec.get("details").get("below").asText());
        assertEquals(anchorHash, rec.get("details").get("anchorHash").asText());
        assertEquals(p.get("checkpointSeq").asText(), rec.get("details").get("checkpointSeq").asText());
        assertTrue(rec.get("representation").get("checkpoint").get("note").asText().startsWith("nhi-guard/audit-chain/"), rec.toString());
        assertEquals(rec, a.http.get(a.base(realm) + "/audit-chain/records/" + rec.get("seq").asLong(), a.token()).json());

        // The records below are gone; the chain now starts at `below`.
        for (long gone : List.of(1L, below - 1)) {
            HttpAdmin.Response r = a.http.get(a.base(realm) + "/audit-chain/records/" + gone, a.token());
            assertEquals(404, r.status(), r.body());
            assertTrue(r.json().get("error_description").asText().contains("pruned"), r.body());
        }
        JsonNode page = a.http.get(a.base(realm) + "/audit-chain/records?after=0&limit=5", a.token()).json();
        assertEquals(below, page.get("records").get(0).get("seq").asLong(), page.toString());
        assertEquals(anchorHash, page.get("records").get(0).get("prevHash").asText());
        JsonNode head = a.head(realm);
        assertEquals(below, head.get("firstSeq").asLong());
        assertEquals(below - 1, head.get("anchorSeq").asLong());
        assertEquals(anchorHash, head.get("anchorHash").asText());
        assertEquals(rec.get("seq").asLong(), head.get("seq").asLong());

        JsonNode v = a.verify(realm);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertEquals(below, v.get("from").asLong());
        assertEquals(below, v.get("prunedBelow").asLong());
        assertEquals(head.get("seq").asLong() - below + 1, v.get("checked").asLong(), v.toString());
        assertTrue(v.get("checkpoints").asLong() >= 1, v.toString());

        // Pruning again at or below the new start is refused.
        HttpAdmin.Response again = a.http.post(a.base(realm) + "/audit-chain/prune", a.token(), "{\"below\":" + below + "}");
        assertEquals(409, again.status(), again.body());
        assertEquals("already_pruned", again.json().get("error").asText());

        // Export: the anchor line first, then the remaining records; the offline verifier accepts it.
        HttpAdmin.Response export = a.http.get(a.base(realm) + "/audit-chain/export", a.token());
        assertEquals(200, export.status());
        List<String> lines = new ArrayList<>(export.body().lines().toList());
        JsonNode anchorLine = AuditRealms.JSON.readTree(lines.get(0)).get("anchor");
        assertEquals(below - 1, anchorLine.get("seq").asLong(), lines.get(0));
        assertEquals(anchorHash, anchorLine.get("hash").asText());
        assertEquals(below, AuditRealms.JSON.readTree(lines.get(1)).get("seq").asLong(), lines.get(1));
        String vkey = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();
        Path good = dir.resolve("pruned.jsonl");
        Files.writeString(good, export.body(), StandardCharsets.UTF_8);
        AuditOfflineVerifierIT.Run ok = AuditOfflineVerifierIT.verifier(good, vkey);
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("records up to " + (below - 1) + " were pruned"), ok.output());

        // A tampered anchor is found at the first remaining record.
        lines.set(0, "{\"anchor\":{\"seq\":" + (below - 1) + ",\"hash\":\"" + "0".repeat(63) + "1\"}}");
        Path forged = dir.resolve("forged-anchor.jsonl");
        Files.write(forged, lines);
        AuditOfflineVerifierIT.Run bad = AuditOfflineVerifierIT.verifier(forged, vkey);
        assertEquals(1, bad.exit(), bad.output());
        assertTrue(bad.output().startsWith("BAD seq " + below + ":"), bad.output());
    }

    @Test
    void pruneAboveTheLatestCheckpointIsRefusedAndDeletesNothing(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-prune-refused");
        for (int i = 0; i < 3; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"kept-" + i + "\"}").status());
        }
        JsonNode headBefore = a.head(realm);
        long beyond = headBefore.get("seq").asLong() + 1;
        HttpAdmin.Response r = a.http.post(a.base(realm) + "/audit-chain/prune", a.token(), "{\"below\":" + beyond + "}");
        assertEquals(409, r.status(), r.body());
        assertEquals("no_signed_checkpoint", r.json().get("error").asText());
        assertTrue(r.json().get("error_description").asText().contains("signed checkpoint"), r.body());

        JsonNode headAfter = a.head(realm);
        assertEquals(headBefore.get("seq").asLong(), headAfter.get("seq").asLong(), "no CHAIN_PRUNED record");
        assertEquals(1, headAfter.get("firstSeq").asLong());
        assertEquals(200, a.http.get(a.base(realm) + "/audit-chain/records/1", a.token()).status());
        JsonNode v = a.verify(realm);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertEquals(1, v.get("from").asLong());
        assertFalse(v.has("prunedBelow"), v.toString());
    }

    @Test
    void badPruneRequestsAreRefusedWithKeycloakErrors(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-prune-input");
        assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"kept\"}").status());
        long head = a.headSeq(realm);
        for (String body : List.of("", "not json", "[]", "{}", "{\"below\":\"3\"}", "{\"below\":1}", "{\"below\":0}",
                "{\"below\":-4}", "{\"below\":2.5}", "{\"below\":99999999999999999999999}", "{\"below\":3,\"force\":true}")) {
            HttpAdmin.Response r = a.http.post(a.base(realm) + "/audit-chain/prune", a.token(), body);
            assertEquals(400, r.status(), body + " → " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText(), body);
            assertFalse(r.json().get("error_description").asText().isBlank(), body);
        }
        assertEquals(head, a.headSeq(realm), "refused prunes record nothing");
        assertEquals(200, a.http.get(a.base(realm) + "/audit-chain/records/1", a.token()).status());
    }

    @Test
    void pruningNeedsMoreThanViewEvents(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String dana = http.passwordGrant("nhi-demo", "admin-cli", "dana", "dana-demo-pass", null).get("access_token").asText();
        assertEquals(403, http.post("/admin/realms/nhi-demo/audit-chain/prune", dana, "{\"below\":2}").status());
        assertEquals(401, http.post("/admin/realms/nhi-demo/audit-chain/prune", null, "{\"below\":2}").status());

        // A user who may read the chain (view-events) may not prune it.
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-prune-viewer");
        String userId = a.http.get(a.base(realm) + "/users?username=erin&exact=true", a.token()).json().get(0).get("id").asText();
        assertEquals(204, a.http.put(a.base(realm) + "/users/" + userId + "/reset-password", a.token(),
                "{\"type\":\"password\",\"value\":\"erin-viewer-pass\",\"temporary\":false}").status());
        String rm = a.http.get(a.base(realm) + "/clients?clientId=realm-management", a.token()).json().get(0).get("id").asText();
        JsonNode viewEvents = a.http.get(a.base(realm) + "/clients/" + rm + "/roles/view-events", a.token()).json();
        assertEquals(204, a.http.post(a.base(realm) + "/users/" + userId + "/role-mappings/clients/" + rm, a.token(),
                "[" + viewEvents + "]").status());
        String erin = http.passwordGrant(realm, "admin-cli", "erin", "erin-viewer-pass", null).get("access_token").asText();
        assertEquals(200, http.get(a.base(realm) + "/audit-chain/head", erin).status(), "view-events reads the chain");
        long head = a.headSeq(realm);
        HttpAdmin.Response r = http.post(a.base(realm) + "/audit-chain/prune", erin, "{\"below\":2}");
        assertEquals(403, r.status(), r.body());
        assertEquals(head, a.headSeq(realm));
    }

    @Test
    void clearingKeycloaksEventStoreLeavesTheChainAlone(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-event-store");
        assertEquals(204, a.http.put(a.base(realm) + "/events/config", a.token(),
                "{\"eventsEnabled\":true,\"adminEventsEnabled\":true,\"adminEventsDetailsEnabled\":true}").status());
        a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
        assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"stored\"}").status());
        JsonNode head = a.head(realm);
        assertTrue(a.http.get(a.base(realm) + "/events", a.token()).json().size() > 0, "Keycloak stored the user event");
        assertTrue(a.http.get(a.base(realm) + "/admin-events", a.token()).json().size() > 0, "Keycloak stored the admin event");

        // What a realm admin can do to Keycloak's own store (and what event expiry does to it).
        assertEquals(204, a.http.delete(a.base(realm) + "/events", a.token()).status());
        assertEquals(204, a.http.delete(a.base(realm) + "/admin-events", a.token()).status());
        assertEquals(0, a.http.get(a.base(realm) + "/events", a.token()).json().size());

        JsonNode after = a.head(realm);
        assertTrue(after.get("seq").asLong() >= head.get("seq").asLong(), after.toString());
        assertEquals(1, after.get("firstSeq").asLong());
        assertEquals(head.get("hash").asText(), a.http.get(a.base(realm) + "/audit-chain/records/" + head.get("seq").asLong(), a.token())
                .json().get("hash").asText());
        JsonNode v = a.verify(realm);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertEquals(after.get("seq").asLong(), v.get("checked").asLong(), v.toString());
    }

    static String adminUserId(AuditRealms a) {
        return a.http.get("/admin/realms/master/users?exact=true&username=" + a.keycloak.bootstrapAdminUsername(), a.token())
                .json().get(0).get("id").asText();
    }

    /** Waits until every push sink has delivered the realm's records up to {@code seq} (a prune refuses otherwise). */
    static void awaitSinksDelivered(AuditRealms a, String realm, long seq) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            JsonNode sinks = a.http.get(a.base(realm) + "/audit-chain/sinks", a.token()).json();
            boolean all = sinks.size() > 0;
            for (JsonNode s : sinks) {
                all &= s.get("deliveredSeq").asLong() >= seq;
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sinks did not deliver up to " + seq + ": " + sinks);
            }
            Thread.sleep(500);
        }
    }
}
