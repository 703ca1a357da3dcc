package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The file sink of the test server appends every record of a realm, in order, as JSON lines. */
@ExtendWith(KeycloakExtension.class)
class AuditFileSinkIT {

    /**
     * The lines of a sink file that end in a newline, as a log shipper reads them: the server may be appending the next batch
     * while a test reads, and a line still being written is not a record yet.
     */
    static List<String> finishedLines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    static List<JsonNode> recordsOf(Path file, String realmId) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : finishedLines(file)) {
            JsonNode n = AuditRealms.JSON.readTree(line);
            if (realmId.equals(n.path("realmId").asText())) {
                out.add(n);
            }
        }
        return out;
    }

    @Test
    void fileSinkGetsEveryRecordInOrder(KeycloakTarget keycloak) throws Exception {
        Path file = Path.of(System.getProperty("nhi.audit.file-sink"));
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-file-sink");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        for (int i = 0; i < 8; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"f" + i + "\"}").status());
        }
        long head = a.headSeq(realm);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        List<JsonNode> records = recordsOf(file, realmId);
        while (records.size() < head && Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            records = recordsOf(file, realmId);
        }
        List<Long> seqs = records.stream().map(n -> n.get("seq").asLong()).toList();
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= head; s++) {
            expected.add(s);
        }
        assertEquals(expected, seqs);
        assertEquals(a.http.get(a.base(realm) + "/audit-chain/records/" + head, a.token()).json(), records.get(records.size() - 1));
    }
}
