package dev.nhiguard.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trusted heads (checkpoint files, state), the witness and its policy, and sink formats, on a
 * chain written by hand with the JDK and signed with a generated log key.
 */
class TrustedHeadsTest {

    final KeyPair log;
    final Notes.VKey logKey;

    TrustedHeadsTest() throws Exception {
        log = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        logKey = new Notes.VKey("nhi-guard-audit-r1", Notes.TYPE_ED25519, log.getPublic());
    }

    /** Records 1..n of realm r1; {@code variant} changes the content from record {@code from} on (a fork). */
    static List<String> records(int n, int from, String variant) throws Exception {
        List<String> lines = new ArrayList<>();
        String prev = AuditVerifier.GENESIS;
        for (int i = 1; i <= n; i++) {
            String body = "{\"v\":1,\"seq\":" + i + ",\"realmId\":\"r1\",\"type\":\"CLIENT\",\"operation\":\"CREATE\",\"time\":1700000000000,"
                    + "\"target\":\"clients/" + (i >= from ? variant : "") + i + "\",\"prevHash\":\"" + prev + "\"}";
            String hash = AuditVerifier.sha256Hex(new JsonCanonicalizer(body).getEncodedString().getBytes(StandardCharsets.UTF_8));
            lines.add(body.substring(0, body.length() - 1) + ",\"hash\":\"" + hash + "\"}");
            prev = hash;
        }
        return lines;
    }

    static String hashOf(String line) {
        return (String) ((Map<?, ?>) Json.parse(line)).get("hash");
    }

    String note(long size, String hashHex) {
        String text = "nhi-guard/audit-chain/r1\n" + size + "\n" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hashHex)) + "\ntime 1\n";
        byte[] sig = Notes.sign(log.getPrivate(), text.getBytes(StandardCharsets.UTF_8));
        byte[] blob = new byte[68];
        System.arraycopy(logKey.keyId(), 0, blob, 0, 4);
        System.arraycopy(sig, 0, blob, 4, 64);
        return text + "\n\u2014 " + logKey.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n";
    }

    static String checkpointLine(long seq, String note) {
        return "{\"checkpoint\":{\"seq\":" + seq + ",\"note\":" + Json.write(note) + "}}";
    }

    record Run(int exit, String out) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = AuditVerifier.run(args, ps, ps);
        return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void truncatedForkedAndRewrittenExportsFailAgainstAnEarlierCheckpoint(@TempDir Path dir) throws Exception {
        List<String> full = records(8, 99, "");
        Path cp = dir.resolve("cp6.note");
        Files.writeString(cp, note(6, hashOf(full.get(5))));
        Path good = dir.resolve("good.jsonl");
        Files.write(good, full);
        Run ok = run("--checkpoint", cp.toString(), good.toString(), logKey.encoded());
        assertEquals(0, ok.exit(), ok.out());
        assertTrue(ok.out().contains("contains 1 trusted head"), ok.out());

        Path truncated = dir.resolve("truncated.jsonl");
        Files.write(truncated, full.subList(0, 4));
        Run t = run("--checkpoint", cp.toString(), truncated.toString(), logKey.encoded());
        assertEquals(3, t.exit(), t.out());
        assertTrue(t.out().startsWith("TRUNCATED: the export ends at record 4, before the trusted head at seq 6"), t.out());
        // Without the checkpoint the truncated export is merely consistent (UNSIGNED), the cut unseen: this is what the
        // trusted head adds.
        Run unsigned = run(truncated.toString(), logKey.encoded());
        assertEquals(6, unsigned.exit(), unsigned.out());
        assertTrue(unsigned.out().startsWith("UNSIGNED: 4 records"), unsigned.out());

        Path forked = dir.resolve("forked.jsonl");
        Files.write(forked, records(8, 3, "forged-"));
        Run f = run("--checkpoint", cp.toString(), forked.toString(), logKey.encoded());
        assertEquals(4, f.exit(), f.out());
        assertTrue(f.out().startsWith("FORKED seq 6:"), f.out());

        List<String> rewritten = new ArrayList<>(full);
        rewritten.set(2, rewritten.get(2).replace("clients/3", "clients/x"));
        Path rw = dir.resolve("rewritten.jsonl");
        Files.write(rw, rewritten);
        Run r = run("--checkpoint", cp.toString(), rw.toString(), logKey.encoded());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().startsWith("BAD seq 3: hash mismatch"), r.out());

        Path pruned = dir.resolve("pruned.jsonl");
        List<String> p = new ArrayList<>(full.subList(7, 8));
        p.add(0, "{\"anchor\":{\"seq\":7,\"hash\":\"" + hashOf(full.get(6)) + "\"}}");
        p.add(checkpointLine(8, note(8, hashOf(full.get(7)))));
        Files.write(pruned, p);
        Run lacks = run("--checkpoint", cp.toString(), pruned.toString(), logKey.encoded());
        assertEquals(3, lacks.exit(), lacks.out());
        assertTrue(lacks.out().contains("lacks record 6"), lacks.out());
    }

    @Test
    void aCheckpointNotSignedByTheLogKeyIsUntrusted(@TempDir Path dir) throws Exception {
        List<String> full = records(3, 99, "");
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String text = "nhi-guard/audit-chain/r1\n3\n" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hashOf(full.get(2)))) + "\ntime 1\n";
        byte[] blob = new byte[68];
        System.arraycopy(logKey.keyId(), 0, blob, 0, 4);
        System.arraycopy(Notes.sign(other.getPrivate(), text.getBytes(StandardCharsets.UTF_8)), 0, blob, 4, 64);
        Path cp = dir.resolve("forged.note");
        Files.writeString(cp, text + "\n\u2014 " + logKey.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n");
        Path export = dir.resolve("e.jsonl");
        Files.write(export, full);
        Run r = run("--checkpoint", cp.toString(), export.toString(), logKey.encoded());
        assertEquals(5, r.exit(), r.out());
        assertTrue(r.out().startsWith("UNTRUSTED:"), r.out());
        assertEquals(2, run("--checkpoint", export.toString(), logKey.encoded()).exit(), "usage error: an option without its value");
    }

    @Test
    void theStateRemembersTheLastHead(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state.json");
        Path five = dir.resolve("five.jsonl");
        List<String> fiveRecords = records(5, 99, "");
        Files.write(five, fiveRecords);
        assertEquals(6, run("--state", state.toString(), five.toString(), logKey.encoded()).exit(), "nothing signed yet");
        assertTrue(!Files.exists(state), "an unsigned export leaves no state");
        Path cp5 = dir.resolve("cp5.note");
        Files.writeString(cp5, note(5, hashOf(fiveRecords.get(4))));
        assertEquals(0, run("--state", state.toString(), "--checkpoint", cp5.toString(), five.toString(), logKey.encoded()).exit());
        assertTrue(Files.readString(state).contains("\"seq\":5"), Files.readString(state));

        Path three = dir.resolve("three.jsonl");
        Files.write(three, records(3, 99, ""));
        Run t = run("--state", state.toString(), three.toString(), logKey.encoded());
        assertEquals(3, t.exit(), t.out());
        assertTrue(t.out().contains("before the trusted head at seq 5 (state state.json)"), t.out());

        Path forked = dir.resolve("forked.jsonl");
        Files.write(forked, records(7, 4, "x"));
        assertEquals(4, run("--state", state.toString(), forked.toString(), logKey.encoded()).exit());
        assertTrue(Files.readString(state).contains("\"seq\":5"), "a failed run leaves the state alone");

        Path seven = dir.resolve("seven.jsonl");
        Files.write(seven, records(7, 99, ""));
        assertEquals(0, run("--state", state.toString(), seven.toString(), logKey.encoded()).exit());
        assertTrue(Files.readString(state).contains("\"seq\":7"), Files.readString(state));
    }

    @Test
    void theWitnessCosignsOnlyExtensionsAndThePolicyCountsCosignatures(@TempDir Path dir) throws Exception {
        List<String> full = records(9, 99, "");
        Path export = dir.resolve("export.jsonl");
        Files.write(export, full);
        Path w1 = dir.resolve("w1.key");
        Path w2 = dir.resolve("w2.key");
        Run k1 = run("witness", "keygen", "--name", "w1.example", "--key", w1.toString());
        Run k2 = run("witness", "keygen", "--name", "w2.example", "--key", w2.toString());
        assertEquals(0, k1.exit(), k1.out());
        assertEquals(2, run("witness", "keygen", "--name", "w1.example", "--key", w1.toString()).exit(), "never overwrites a key");
        Path state = dir.resolve("w1-state.json");
        Path cp3 = dir.resolve("cp3.note");
        Files.writeString(cp3, note(3, hashOf(full.get(2))));
        Path cp6 = dir.resolve("cp6.note");
        Files.writeString(cp6, note(6, hashOf(full.get(5))));
        String[] cosign = {"witness", "cosign", "--name", "w1.example", "--key", w1.toString(), "--state", state.toString(),
            "--log-key", logKey.encoded()};

        Path cs3 = dir.resolve("cs3.note");
        assertEquals(0, run(concat(cosign, "--checkpoint", cp3.toString(), "--out", cs3.toString())).exit(), "first use");
        Run noProof = run(concat(cosign, "--checkpoint", cp6.toString()));
        assertEquals(3, noProof.exit(), noProof.out());
        Path partial = dir.resolve("partial.jsonl");
        Files.write(partial, full.subList(0, 4));
        assertEquals(3, run(concat(cosign, "--checkpoint", cp6.toString(), "--records", partial.toString())).exit());
        Path forged = dir.resolve("forged.jsonl");
        Files.write(forged, records(9, 4, "z"));
        Run wrong = run(concat(cosign, "--checkpoint", cp6.toString(), "--records", forged.toString()));
        assertEquals(4, wrong.exit(), wrong.out());
        Path cs6 = dir.resolve("cs6.note");
        Run extend = run(concat(cosign, "--checkpoint", cp6.toString(), "--records", export.toString(), "--out", cs6.toString()));
        assertEquals(0, extend.exit(), extend.out());
        Run rollback = run(concat(cosign, "--checkpoint", cp3.toString()));
        assertEquals(4, rollback.exit(), rollback.out());
        assertTrue(rollback.out().contains("rollback"), rollback.out());
        Path fork6 = dir.resolve("fork6.note");
        Files.writeString(fork6, note(6, hashOf(records(6, 5, "q").get(5))));
        Run fork = run(concat(cosign, "--checkpoint", fork6.toString()));
        assertEquals(4, fork.exit(), fork.out());
        assertTrue(fork.out().contains("a fork"), fork.out());

        // Policy: both witnesses required; only w1 cosigned cs6.
        Path policy = dir.resolve("policy.txt");
        Files.writeString(policy, "# test policy\nlog " + logKey.encoded() + "\nwitness a " + k1.out().strip() + "\nwitness b " + k2.out().strip()
                + "\ngroup both all a b\nquorum both\n");
        Run notMet = run("--witness-policy", policy.toString(), "--checkpoint", cs6.toString(), export.toString());
        assertEquals(5, notMet.exit(), notMet.out());
        assertTrue(notMet.out().contains("valid cosignatures by: a"), notMet.out());
        Path cs6b = dir.resolve("cs6b.note");
        assertEquals(0, run("witness", "cosign", "--name", "w2.example", "--key", w2.toString(), "--state", dir.resolve("w2-state.json").toString(),
                "--log-key", logKey.encoded(), "--checkpoint", cs6.toString(), "--out", cs6b.toString()).exit());
        Run met = run("--witness-policy", policy.toString(), "--checkpoint", cs6b.toString(), export.toString());
        assertEquals(0, met.exit(), met.out());
        Files.writeString(policy, "log " + logKey.encoded() + "\nwitness a " + k1.out().strip() + "\nwitness b " + k2.out().strip()
                + "\ngroup one 1 a b\nquorum one\n");
        assertEquals(0, run("--witness-policy", policy.toString(), "--checkpoint", cs6.toString(), export.toString()).exit());
        Files.write(dir.resolve("short.jsonl"), full.subList(0, 5));
        Run shortRun = run("--witness-policy", policy.toString(), "--checkpoint", cs6.toString(), dir.resolve("short.jsonl").toString());
        assertEquals(3, shortRun.exit(), shortRun.out());
    }

    @Test
    void sinkCopiesInCloudEventsAndOcsfWithRedeliveriesVerify(@TempDir Path dir) throws Exception {
        List<String> full = records(4, 99, "");
        String cpNote = note(2, hashOf(full.get(1)));
        List<String> ce = new ArrayList<>();
        List<String> ocsf = new ArrayList<>();
        for (int i = 0; i < full.size(); i++) {
            ce.add(cloudEvent(full.get(i)));
            ocsf.add(ocsf(full.get(i)));
            if (i == 1) {
                ce.add(cloudEvent(sinkCheckpointLine(2, cpNote)));
                ocsf.add(ocsf(sinkCheckpointLine(2, cpNote)));
            }
        }
        Path ceFile = dir.resolve("ce.jsonl");
        Files.write(ceFile, ce);
        Run r = run(ceFile.toString(), logKey.encoded());
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("1 checkpoints verified"), r.out());
        Path ocsfFile = dir.resolve("ocsf.jsonl");
        Files.write(ocsfFile, ocsf);
        assertEquals(0, run(ocsfFile.toString(), logKey.encoded()).exit());

        // At-least-once: records 1..3 and the checkpoint arrive twice.
        List<String> again = new ArrayList<>(ce.subList(0, 4));
        again.addAll(ce.subList(0, 5));
        Path dup = dir.resolve("dup.jsonl");
        Files.write(dup, again);
        assertEquals(1, run(dup.toString(), logKey.encoded()).exit(), "repeats are refused unless asked for");
        Run withRedeliveries = run("--redeliveries", dup.toString(), logKey.encoded());
        assertEquals(0, withRedeliveries.exit(), withRedeliveries.out());
        List<String> changedRepeat = new ArrayList<>(ce.subList(0, 3));
        changedRepeat.add(ce.get(0).replace("clients/1", "clients/9"));
        Files.write(dup, changedRepeat);
        assertEquals(1, run("--redeliveries", dup.toString(), logKey.encoded()).exit(), "a changed repeat is tampering");
    }

    /** A checkpoint line as a sink writes it (with realmId). */
    static String sinkCheckpointLine(long seq, String note) {
        return "{\"checkpoint\":{\"realmId\":\"r1\",\"seq\":" + seq + ",\"note\":" + Json.write(note) + "}}";
    }

    /** A native line as the server's CloudEvents sink format writes it (SinkFormat#cloudEvent). */
    @SuppressWarnings("unchecked")
    static String cloudEvent(String nativeLine) {
        Map<String, Object> n = (Map<String, Object>) Json.parse(nativeLine);
        Map<String, Object> ce = new LinkedHashMap<>();
        ce.put("specversion", "1.0");
        ce.put("source", "/nhi-guard/audit-chain/r1");
        if (n.get("checkpoint") instanceof Map<?, ?> cp) {
            ce.put("id", "r1/checkpoint/" + ((Json.Num) cp.get("seq")).text());
            ce.put("type", AuditVerifier.CE_CHECKPOINT_TYPE);
            ce.put("time", "2023-11-14T22:13:21Z");
            ce.put("subject", "audit-chain/checkpoints/" + ((Json.Num) cp.get("seq")).text());
            ce.put("datacontenttype", "application/json");
            ce.put("nhirealmid", "r1");
            ce.put("nhiseq", cp.get("seq"));
            ce.put("data", cp);
            return Json.write(ce);
        }
        ce.put("id", "r1/" + ((Json.Num) n.get("seq")).text());
        ce.put("type", AuditVerifier.CE_RECORD_TYPE);
        ce.put("time", java.time.Instant.ofEpochMilli(Long.parseLong(((Json.Num) n.get("time")).text())).toString());
        ce.put("subject", n.get("target"));
        ce.put("datacontenttype", "application/json");
        ce.put("nhirealmid", "r1");
        ce.put("nhiseq", n.get("seq"));
        ce.put("nhiprevhash", n.get("prevHash"));
        ce.put("nhihash", n.get("hash"));
        ce.put("data", n);
        return Json.write(ce);
    }

    /** A native line as the server's OCSF sink format writes it (SinkFormat#ocsf; the fields derived for OCSF left out but actor). */
    @SuppressWarnings("unchecked")
    static String ocsf(String nativeLine) {
        Map<String, Object> n = (Map<String, Object>) Json.parse(nativeLine);
        boolean checkpoint = n.get("checkpoint") instanceof Map;
        Map<String, Object> inner = checkpoint ? (Map<String, Object>) n.get("checkpoint") : n;
        Map<String, Object> o = new LinkedHashMap<>();
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, Object> nhi = new LinkedHashMap<>();
        o.put("class_uid", new Json.Num("6003"));
        meta.put("version", "1.3.0");
        meta.put("log_name", "nhi-guard/audit-chain/r1");
        meta.put("sequence", inner.get("seq"));
        nhi.put("realmId", "r1");
        nhi.put("seq", inner.get("seq"));
        if (checkpoint) {
            o.put("time", new Json.Num("1700000001000"));
            meta.put("uid", "r1/checkpoint/" + ((Json.Num) inner.get("seq")).text());
            nhi.put("kind", "checkpoint");
            nhi.put("note", inner.get("note"));
        } else {
            o.put("time", n.get("time"));
            meta.put("uid", "r1/" + ((Json.Num) n.get("seq")).text());
            o.put("actor", Map.of("user", Map.of("uid", "derived-not-compared")));
            nhi.put("kind", "record");
            nhi.put("prevHash", n.get("prevHash"));
            nhi.put("hash", n.get("hash"));
        }
        o.put("metadata", meta);
        o.put("unmapped", Map.of("nhi", nhi));
        o.put("raw_data", nativeLine);
        return Json.write(o);
    }

    /**
     * The envelope restates the chain fields a SIEM indexes; only the record in it is hashed. Each restatement must
     * say what the record says (seventeenth review, v_ce, v_ocsf: a forged nhihash, subject or unmapped.nhi verified
     * OK), and a CloudEvent among native lines is not a copy of ours (v_cewrap).
     */
    @Test
    void sinkEnvelopesMustRestateWhatTheyCarry(@TempDir Path dir) throws Exception {
        List<String> full = records(4, 99, "");
        String cpNote = note(2, hashOf(full.get(1)));
        List<String> ce = new ArrayList<>(List.of(cloudEvent(full.get(0)), cloudEvent(full.get(1)), cloudEvent(sinkCheckpointLine(2, cpNote)),
                cloudEvent(full.get(2)), cloudEvent(full.get(3))));
        List<String> ocsf = new ArrayList<>(List.of(ocsf(full.get(0)), ocsf(full.get(1)), ocsf(sinkCheckpointLine(2, cpNote)),
                ocsf(full.get(2)), ocsf(full.get(3))));
        String zeros = "0".repeat(64);
        Map<String, List<String>> forged = new LinkedHashMap<>();
        forged.put("CloudEvent nhihash", with(ce, 3, ce.get(3).replace("\"nhihash\":\"" + hashOf(full.get(2)), "\"nhihash\":\"" + zeros)));
        forged.put("CloudEvent nhiseq", with(ce, 3, ce.get(3).replace("\"nhiseq\":3", "\"nhiseq\":4")));
        forged.put("CloudEvent id", with(ce, 3, ce.get(3).replace("\"id\":\"r1/3\"", "\"id\":\"r1/4\"")));
        forged.put("CloudEvent subject", with(ce, 3, ce.get(3).replace("\"subject\":\"clients/3\"", "\"subject\":\"users/framed\"")));
        forged.put("CloudEvent nhirealmid", with(ce, 3, ce.get(3).replace("\"nhirealmid\":\"r1\"", "\"nhirealmid\":\"r2\"")));
        forged.put("CloudEvent source", with(ce, 3, ce.get(3).replace("audit-chain/r1\"", "audit-chain/r2\"")));
        forged.put("a checkpoint CloudEvent states a record hash", with(ce, 2, ce.get(2).replace("\"nhiseq\":2,", "\"nhiseq\":2,\"nhihash\":\"" + zeros + "\",")));
        forged.put("OCSF unmapped.nhi hash", with(ocsf, 3, ocsf.get(3).replace("\"hash\":\"" + hashOf(full.get(2)) + "\"}", "\"hash\":\"" + zeros + "\"}")));
        forged.put("OCSF metadata uid", with(ocsf, 3, ocsf.get(3).replace("\"uid\":\"r1/3\"", "\"uid\":\"r1/4\"")));
        forged.put("OCSF unmapped.nhi seq", with(ocsf, 2, ocsf.get(2).replace("\"seq\":2,\"kind\"", "\"seq\":3,\"kind\"")));
        List<String> wrapped = new ArrayList<>(full);
        wrapped.add(2, sinkCheckpointLine(2, cpNote));
        forged.put("a CLOUDEVENTS line in an input whose first line is NATIVE", with(wrapped, 3, cloudEvent(full.get(2))));

        Path file = dir.resolve("copy.jsonl");
        Files.write(file, ce);
        assertEquals(0, run(file.toString(), logKey.encoded()).exit(), run(file.toString(), logKey.encoded()).out());
        Files.write(file, ocsf);
        assertEquals(0, run(file.toString(), logKey.encoded()).exit(), run(file.toString(), logKey.encoded()).out());
        for (Map.Entry<String, List<String>> e : forged.entrySet()) {
            assertTrue(!e.getValue().equals(ce) && !e.getValue().equals(ocsf), "the forgery changed nothing: " + e.getKey());
            Files.write(file, e.getValue());
            Run r = run(file.toString(), logKey.encoded());
            assertEquals(1, r.exit(), e.getKey() + ": " + r.out());
            assertTrue(r.out().contains(e.getKey()), e.getKey() + ": " + r.out());
        }
    }

    /**
     * A SIEM copy of every realm verified for one: a line of another realm is dropped unexamined, even one a database
     * writer made inconsistent in that realm (the CI's shared PostgreSQL holds a tampered realm beside the verified one).
     */
    @Test
    void anotherRealmsInconsistentLineDoesNotFailTheVerifiedRealm(@TempDir Path dir) throws Exception {
        List<String> full = records(4, 99, "");
        List<String> ocsf = new ArrayList<>();
        full.forEach(r -> ocsf.add(ocsf(r)));
        ocsf.add(2, ocsf(sinkCheckpointLine(2, note(2, hashOf(full.get(1))))));
        String other = ocsf.get(4).replace("r1", "r2").replace("\"seq\":4,\"kind\"", "\"seq\":9,\"kind\"");
        assertTrue(!other.contains("r1") && other.contains("\"seq\":9,\"kind\""), other);
        ocsf.add(2, other);
        Path file = dir.resolve("siem.jsonl");
        Files.write(file, ocsf);
        Run r1 = run("--realm", "r1", file.toString(), logKey.encoded());
        assertEquals(0, r1.exit(), r1.out());
        Run r2 = run("--realm", "r2", file.toString(), logKey.encoded());
        assertEquals(1, r2.exit(), r2.out());
    }

    static List<String> with(List<String> lines, int index, String line) {
        List<String> out = new ArrayList<>(lines);
        out.set(index, line);
        return out;
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
