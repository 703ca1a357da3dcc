package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The shipped verifier JAR, run as a separate process on a real export and the realm's key. */
@ExtendWith(KeycloakExtension.class)
class AuditOfflineVerifierIT {

    record Run(int exit, String output) {
    }

    static Run verifier(Path export, String key) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("nhi.audit.verifier.jar"));
        assertTrue(Files.isRegularFile(jar), "verifier JAR missing: " + jar);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
                export.toString(), key).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    @Test
    void exportVerifiesOfflineAndATamperedExportNamesTheFirstBadSeq(KeycloakTarget keycloak, @TempDir Path dir) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-offline");
        for (int i = 0; i < 12; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/clients", a.token(), "{\"clientId\":\"svc-" + i + "\",\"description\":\"caf\u00e9 \\\"quoted\\\" \\u2603\"}").status());
        }
        a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
        a.awaitSequenced(realm);
        HttpAdmin.Response export = a.http.get(a.base(realm) + "/audit-chain/export", a.token());
        assertEquals(200, export.status());
        String vkey = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();
        Path keyFile = dir.resolve("realm.vkey");
        Files.writeString(keyFile, vkey + "\n");

        Path good = dir.resolve("good.jsonl");
        Files.writeString(good, export.body(), StandardCharsets.UTF_8);
        Run ok = verifier(good, keyFile.toString());
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().startsWith("OK " + a.headSeq(realm) + " records"), ok.output());
        assertTrue(ok.output().contains("signed up to seq"), ok.output());

        // Edit record 7's representation.
        List<String> lines = new ArrayList<>(export.body().lines().toList());
        int idx = indexOfSeq(lines, 7);
        ObjectNode rec = (ObjectNode) AuditRealms.JSON.readTree(lines.get(idx));
        ((ObjectNode) rec.get("representation")).put("description", "edited");
        lines.set(idx, rec.toString());
        Path edited = dir.resolve("edited.jsonl");
        Files.write(edited, lines);
        Run bad = verifier(edited, vkey);
        assertEquals(1, bad.exit(), bad.output());
        assertTrue(bad.output().startsWith("BAD seq 7:"), bad.output());

        // Drop record 4 (or the first after it that no checkpoint line follows: a checkpoint left behind is named first).
        lines = new ArrayList<>(export.body().lines().toList());
        long drop = 4;
        while (checkpointed(lines, drop)) {
            drop++;
        }
        lines.remove(indexOfSeq(lines, drop));
        Path dropped = dir.resolve("dropped.jsonl");
        Files.write(dropped, lines);
        Run gap = verifier(dropped, vkey);
        assertEquals(1, gap.exit(), gap.output());
        assertTrue(gap.output().startsWith("BAD seq " + drop + ":"), gap.output());

        // A key that did not sign the checkpoints.
        String otherRealm = a.createRealm("audit-offline-other");
        a.http.post(a.base(otherRealm) + "/roles", a.token(), "{\"name\":\"x\"}");
        String otherKey = a.http.get(a.base(otherRealm) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();
        Run wrongKey = verifier(good, otherKey);
        assertEquals(1, wrongKey.exit(), wrongKey.output());
        assertTrue(wrongKey.output().contains("not signed by the given key"), wrongKey.output());
    }

    /** Whether the export has a checkpoint line for this seq. */
    private static boolean checkpointed(List<String> lines, long seq) throws IOException {
        for (String line : lines) {
            if (AuditRealms.JSON.readTree(line).path("checkpoint").path("seq").asLong(-1) == seq) {
                return true;
            }
        }
        return false;
    }

    private static int indexOfSeq(List<String> lines, long seq) throws IOException {
        for (int i = 0; i < lines.size(); i++) {
            JsonNode n = AuditRealms.JSON.readTree(lines.get(i));
            if (n.path("seq").asLong() == seq && !n.has("checkpoint")) {
                return i;
            }
        }
        throw new AssertionError("no record " + seq);
    }
}
