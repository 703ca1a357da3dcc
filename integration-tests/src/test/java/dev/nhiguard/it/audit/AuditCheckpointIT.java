package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Checkpoints are signed C2SP notes over the chain head, verifiable with the published key. */
@ExtendWith(KeycloakExtension.class)
class AuditCheckpointIT {

    @Test
    void everyFifthRecordIsCheckpointedAndTheNoteVerifiesWithTheRealmKey(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-checkpoint");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        long start = a.headSeq(realm);
        for (int i = 0; i < 11; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"r" + i + "\"}").status());
        }
        long head = a.headSeq(realm);
        long expectedLatest = head - head % 5;
        assertTrue(expectedLatest > start);

        JsonNode key = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json();
        assertEquals("Ed25519", key.get("algorithm").asText());
        HttpAdmin.Response latest = a.http.get(a.base(realm) + "/audit-chain/checkpoints/latest", a.token());
        assertEquals(200, latest.status(), latest.body());
        SignedNotes.Checkpoint cp = SignedNotes.verify(latest.body(), key.get("verifierKey").asText());
        assertEquals("nhi-guard/audit-chain/" + realmId, cp.origin());
        assertTrue(cp.size() == expectedLatest || cp.size() == head, cp.size() + " vs head " + head);
        assertEquals(a.http.get(a.base(realm) + "/audit-chain/records/" + cp.size(), a.token()).json().get("hash").asText(), cp.hashHex());

        JsonNode v = a.verify(realm);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertTrue(v.get("checkpoints").asLong() >= 2, v.toString());

        // The export carries each checkpoint right after the record it covers.
        String[] lines = a.http.get(a.base(realm) + "/audit-chain/export", a.token()).body().split("\n");
        long checkpointLines = 0;
        long lastSeq = 0;
        for (String line : lines) {
            JsonNode n = AuditRealms.JSON.readTree(line);
            if (n.has("checkpoint")) {
                checkpointLines++;
                assertEquals(lastSeq, n.at("/checkpoint/seq").asLong());
                SignedNotes.verify(n.at("/checkpoint/note").asText(), key.get("verifierKey").asText());
            } else {
                lastSeq = n.get("seq").asLong();
            }
        }
        assertEquals(v.get("checkpoints").asLong(), checkpointLines);
    }

    @Test
    void aChainThatStopsGrowingIsCheckpointedByTheTimedTask(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-timed");
        assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"only\"}").status());
        long head = a.headSeq(realm);
        // The test server runs the task every 5 s; allow a generous wait on a busy machine.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        HttpAdmin.Response latest;
        while (true) {
            latest = a.http.get(a.base(realm) + "/audit-chain/checkpoints/latest", a.token());
            if (latest.status() == 200 || Instant.now().isAfter(deadline)) {
                break;
            }
            Thread.sleep(1000);
        }
        assertEquals(200, latest.status(), latest.body());
        JsonNode key = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json();
        assertTrue(SignedNotes.verify(latest.body(), key.get("verifierKey").asText()).size() >= head);
    }
}
