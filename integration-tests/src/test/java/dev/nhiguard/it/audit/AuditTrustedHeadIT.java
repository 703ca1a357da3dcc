package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Trusted heads outside the server: the file sink receives signed checkpoints with the records
 * within seconds of a change; a witness cosigns them only when they extend the last head it saw;
 * and the offline verifier, given such a checkpoint (or its own state), refuses an export that
 * was truncated, forked or rewritten after the fact, each with its own exit code and reason.
 */
@ExtendWith(KeycloakExtension.class)
class AuditTrustedHeadIT {

    record Run(int exit, String output) {
    }

    static Run jar(String... args) throws Exception {
        Path jar = Path.of(System.getProperty("nhi.audit.verifier.jar"));
        assertTrue(Files.isRegularFile(jar), "verifier JAR missing: " + jar);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    /** The signed note of the realm's checkpoint at {@code seq}, once the file sink received it. */
    static String sinkCheckpoint(Path sink, String realmId, long seq) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            if (Files.exists(sink)) {
                for (String line : AuditFileSinkIT.finishedLines(sink)) {
                    JsonNode cp = AuditRealms.JSON.readTree(line).path("checkpoint");
                    if (realmId.equals(cp.path("realmId").asText()) && cp.path("seq").asLong() == seq) {
                        return cp.get("note").asText();
                    }
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the file sink received no checkpoint of realm " + realmId + " at seq " + seq);
    }

    @Test
    void aCheckpointFromTheSinkOrAWitnessExposesTruncationForkAndRewrite(KeycloakTarget keycloak, @TempDir Path dir) throws Exception {
        Path sink = Path.of(System.getProperty("nhi.audit.file-sink"));
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-heads");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        for (int i = 0; i < 3; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"first-" + i + "\"}").status());
        }
        long head1 = a.headSeq(realm);
        String note1 = sinkCheckpoint(sink, realmId, head1);
        Path cp1 = dir.resolve("cp1.note");
        Files.writeString(cp1, note1);
        String vkey = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();

        // A witness sees the first head (first use), then a later one with the records between them.
        Path witnessKey = dir.resolve("witness.key");
        Run keygen = jar("witness", "keygen", "--name", "witness.example/w1", "--key", witnessKey.toString());
        assertEquals(0, keygen.exit(), keygen.output());
        String witnessVkey = keygen.output().strip();
        Path witnessState = dir.resolve("witness-state.json");
        List<String> cosign = List.of("witness", "cosign", "--name", "witness.example/w1", "--key", witnessKey.toString(),
                "--state", witnessState.toString(), "--log-key", vkey);
        Run first = jar(with(cosign, "--checkpoint", cp1.toString(), "--out", dir.resolve("cs1.note").toString()));
        assertEquals(0, first.exit(), first.output());

        for (int i = 0; i < 8; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"second-" + i + "\"}").status());
        }
        long head2 = a.headSeq(realm);
        Path cp2 = dir.resolve("cp2.note");
        Files.writeString(cp2, sinkCheckpoint(sink, realmId, head2));
        HttpAdmin.Response export = a.http.get(a.base(realm) + "/audit-chain/export", a.token());
        assertEquals(200, export.status());
        List<String> lines = export.body().lines().toList();
        Path good = dir.resolve("good.jsonl");
        Files.write(good, lines);

        Run noProof = jar(with(cosign, "--checkpoint", cp2.toString()));
        assertEquals(3, noProof.exit(), noProof.output());
        Path cosigned2 = dir.resolve("cs2.note");
        Run extend = jar(with(cosign, "--checkpoint", cp2.toString(), "--records", good.toString(), "--out", cosigned2.toString()));
        assertEquals(0, extend.exit(), extend.output());
        Run rollback = jar(with(cosign, "--checkpoint", cp1.toString()));
        assertEquals(4, rollback.exit(), rollback.output());
        assertTrue(rollback.output().startsWith("REFUSED: size " + head1 + " is smaller than the last cosigned size " + head2), rollback.output());

        Path policy = dir.resolve("policy.txt");
        Files.writeString(policy, "log " + vkey + "\nwitness w1 " + witnessVkey + "\nquorum w1\n");

        // The untouched export verifies against each trusted head.
        Run ok = jar("--checkpoint", cp2.toString(), good.toString(), vkey);
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().startsWith("OK " + head2 + " records"), ok.output());
        Run okPolicy = jar("--witness-policy", policy.toString(), "--checkpoint", cosigned2.toString(), good.toString());
        assertEquals(0, okPolicy.exit(), okPolicy.output());
        Run sinkOnlyNoQuorum = jar("--witness-policy", policy.toString(), "--checkpoint", cp2.toString(), good.toString());
        assertEquals(5, sinkOnlyNoQuorum.exit(), sinkOnlyNoQuorum.output());

        // Truncated: the last records and the checkpoint lines after them are cut.
        long keep = head2 - 3;
        List<String> truncated = new ArrayList<>();
        for (String line : lines) {
            JsonNode n = AuditRealms.JSON.readTree(line);
            long seq = n.has("checkpoint") ? n.get("checkpoint").get("seq").asLong() : n.path("seq").asLong();
            if (seq <= keep) {
                truncated.add(line);
            }
        }
        Path cut = dir.resolve("truncated.jsonl");
        Files.write(cut, truncated);
        Run plain = jar(cut.toString(), vkey);
        assertEquals(0, plain.exit(), "without a trusted head the cut is invisible: " + plain.output());
        Run fromSink = jar("--checkpoint", cp2.toString(), cut.toString(), vkey);
        assertEquals(3, fromSink.exit(), fromSink.output());
        assertTrue(fromSink.output().startsWith("TRUNCATED: the export ends at record " + keep + ", before the trusted head at seq " + head2),
                fromSink.output());
        Run fromWitness = jar("--witness-policy", policy.toString(), "--checkpoint", cosigned2.toString(), cut.toString());
        assertEquals(3, fromWitness.exit(), fromWitness.output());

        // Forked: record head1 + 2 rewritten and every hash after it recomputed; the checkpoint lines
        // after it (which the forger cannot re-sign) dropped.
        long forkAt = head1 + 2;
        List<String> forked = new ArrayList<>();
        String prev = null;
        for (String line : lines) {
            JsonNode n = AuditRealms.JSON.readTree(line);
            if (n.has("checkpoint")) {
                if (n.get("checkpoint").get("seq").asLong() < forkAt) {
                    forked.add(line);
                }
                continue;
            }
            ObjectNode rec = (ObjectNode) n;
            if (rec.get("seq").asLong() >= forkAt) {
                if (rec.get("seq").asLong() == forkAt) {
                    rec.put("target", "roles-by-id/forged");
                }
                rec.put("prevHash", prev);
                rec.remove("hash");
                rec.put("hash", sha256Hex(new JsonCanonicalizer(rec.toString()).getEncodedString()));
            }
            prev = rec.get("hash").asText();
            forked.add(rec.toString());
        }
        Path fork = dir.resolve("forked.jsonl");
        Files.write(fork, forked);
        assertEquals(0, jar(fork.toString(), vkey).exit(), "without a trusted head the fork is consistent");
        Run forkSink = jar("--checkpoint", cp2.toString(), fork.toString(), vkey);
        assertEquals(4, forkSink.exit(), forkSink.output());
        assertTrue(forkSink.output().startsWith("FORKED seq " + head2 + ": the export forks from the trusted head"), forkSink.output());
        Run forkWitness = jar("--witness-policy", policy.toString(), "--checkpoint", cosigned2.toString(), fork.toString());
        assertEquals(4, forkWitness.exit(), forkWitness.output());

        // Rewritten: one record edited in place, hashes left alone.
        List<String> rewritten = new ArrayList<>(lines);
        for (int i = 0; i < rewritten.size(); i++) {
            JsonNode n = AuditRealms.JSON.readTree(rewritten.get(i));
            if (n.path("seq").asLong() == forkAt && !n.has("checkpoint")) {
                rewritten.set(i, ((ObjectNode) n).put("target", "roles-by-id/rewritten").toString());
            }
        }
        Path rw = dir.resolve("rewritten.jsonl");
        Files.write(rw, rewritten);
        Run tampered = jar("--checkpoint", cp2.toString(), rw.toString(), vkey);
        assertEquals(1, tampered.exit(), tampered.output());
        assertTrue(tampered.output().startsWith("BAD seq " + forkAt + ": hash mismatch"), tampered.output());

        // The verifier's own memory: a run on the whole export, then the truncated one.
        Path state = dir.resolve("verifier-state.json");
        assertEquals(0, jar("--state", state.toString(), good.toString(), vkey).exit());
        Run stateCut = jar("--state", state.toString(), cut.toString(), vkey);
        assertEquals(3, stateCut.exit(), stateCut.output());
        assertTrue(stateCut.output().contains("before the trusted head at seq " + head2 + " (state verifier-state.json)"), stateCut.output());

        // The sink's own copy (every realm of the server, at-least-once) verifies for this realm.
        Run copy = jar("--realm", realmId, "--redeliveries", "--checkpoint", cp2.toString(), sink.toString(), vkey);
        assertEquals(0, copy.exit(), copy.output());
        assertTrue(copy.output().contains("signed up to seq " + head2), copy.output());
    }

    static String[] with(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    static String sha256Hex(String s) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
