package dev.nhiguard.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A chain written by hand (canonical JSON, SHA-256, Ed25519 from the JDK) and its tampered variants. */
class AuditVerifierTest {

    final KeyPair kp;
    final String vkey;

    AuditVerifierTest() throws Exception {
        kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] enc = kp.getPublic().getEncoded();
        byte[] typed = new byte[33];
        typed[0] = 1;
        System.arraycopy(enc, enc.length - 32, typed, 1, 32);
        vkey = "k+" + HexFormat.of().formatHex(AuditVerifier.keyId("k", kp.getPublic())) + "+" + Base64.getEncoder().encodeToString(typed);
    }

    /** Export lines: n records (members deliberately out of order, with spaces), a checkpoint after record 2. */
    List<String> export(int n) throws Exception {
        return export(n, false);
    }

    /** With {@code pruneRecord}, record 3 is the CHAIN_PRUNED record of a prune below record 2 (naming record 1 as its anchor). */
    List<String> export(int n, boolean pruneRecord) throws Exception {
        List<String> lines = new ArrayList<>();
        String prev = AuditVerifier.GENESIS;
        String hash1 = null;
        for (int i = 1; i <= n; i++) {
            String type = pruneRecord && i == 3
                    ? "\"CHAIN_PRUNED\", \"details\": {\"anchorSeq\": \"1\", \"anchorHash\": \"" + hash1 + "\"}" : "\"CLIENT\"";
            String body = "{\"v\": 1, \"seq\": " + i + ", \"realmId\": \"r1\", \"type\": " + type + ", \"time\": 1.7e12, "
                    + "\"representation\": {\"name\": \"caf\\u00e9?\", \"hash\": \"nested-not-the-record-hash\"}, \"prevHash\": \"" + prev + "\"}";
            String hash = AuditVerifier.sha256Hex(new JsonCanonicalizer(body).getEncodedString().getBytes(StandardCharsets.UTF_8));
            lines.add(body.substring(0, body.length() - 1) + ", \"hash\": \"" + hash + "\"}");
            prev = hash;
            hash1 = i == 1 ? hash : hash1;
            if (i == 2) {
                String text = "nhi-guard/audit-chain/r1\n2\n" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hash)) + "\ntime 1\n";
                Signature s = Signature.getInstance("Ed25519");
                s.initSign(kp.getPrivate());
                s.update(text.getBytes(StandardCharsets.UTF_8));
                byte[] blob = new byte[68];
                System.arraycopy(AuditVerifier.keyId("k", kp.getPublic()), 0, blob, 0, 4);
                System.arraycopy(s.sign(), 0, blob, 4, 64);
                String note = text + "\n\u2014 k " + Base64.getEncoder().encodeToString(blob) + "\n";
                lines.add("{\"checkpoint\":{\"seq\":2,\"note\":\"" + note.replace("\n", "\\n") + "\"}}");
            }
        }
        return lines;
    }

    AuditVerifier.Outcome verify(List<String> lines) throws Exception {
        return AuditVerifier.verify(new BufferedReader(new StringReader(String.join("\n", lines))), AuditVerifier.readKey(vkey));
    }

    @Test
    void soundExportIsOk() throws Exception {
        AuditVerifier.Outcome o = verify(export(4));
        assertTrue(o.ok(), o.message());
        assertEquals(4, o.records());
        assertEquals(1, o.checkpoints());
        assertEquals(2, o.signedUpTo());
    }

    @Test
    void editedRecordIsTheFirstBadSeq() throws Exception {
        List<String> l = export(4);
        l.set(3, l.get(3).replace("CLIENT", "USER"));   // record 3 (line 0,1,cp,3)
        AuditVerifier.Outcome o = verify(l);
        assertEquals(3, o.badSeq(), o.message());
        assertTrue(o.message().startsWith("BAD seq 3: hash mismatch"), o.message());
    }

    @Test
    void deletedRecordIsTheFirstBadSeq() throws Exception {
        List<String> l = export(4);
        l.remove(3);
        assertEquals(3, verify(l).badSeq(), verify(l).message());
    }

    @Test
    void checkpointByAnotherKeyIsRejected() throws Exception {
        List<String> l = export(3);
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] enc = other.getPublic().getEncoded();
        byte[] typed = new byte[33];
        typed[0] = 1;
        System.arraycopy(enc, enc.length - 32, typed, 1, 32);
        String otherKey = "k+" + HexFormat.of().formatHex(AuditVerifier.keyId("k", other.getPublic())) + "+" + Base64.getEncoder().encodeToString(typed);
        AuditVerifier.Outcome o = AuditVerifier.verify(new BufferedReader(new StringReader(String.join("\n", l))), AuditVerifier.readKey(otherKey));
        assertEquals(2, o.badSeq(), o.message());
        assertTrue(o.reason().contains("not signed by the given key"), o.message());
    }

    @Test
    void commandLineExitCodes(@TempDir Path dir) throws Exception {
        Path ok = dir.resolve("ok.jsonl");
        Files.write(ok, export(3));
        Path bad = dir.resolve("bad.jsonl");
        List<String> l = export(3);
        l.set(1, l.get(1).replace("caf", "CAF"));
        Files.write(bad, l);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(0, AuditVerifier.run(new String[] {ok.toString(), vkey}, ps, ps));
        assertEquals(1, AuditVerifier.run(new String[] {bad.toString(), vkey}, ps, ps));
        assertEquals(2, AuditVerifier.run(new String[] {ok.toString()}, ps, ps));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("OK 3 records"), printed);
        assertTrue(printed.contains("BAD seq 2:"), printed);
    }

    /** The export of a chain pruned below record 2: the anchor line (record 1's hash), then records 2.. */
    List<String> prunedExport(int n) throws Exception {
        List<String> l = export(n, true);
        String hash1 = (String) ((java.util.Map<?, ?>) Json.parse(l.get(0))).get("hash");
        l.set(0, "{\"anchor\":{\"seq\":1,\"hash\":\"" + hash1 + "\"}}");
        return l;
    }

    @Test
    void prunedExportStartingAtItsAnchorIsOk() throws Exception {
        AuditVerifier.Outcome o = verify(prunedExport(4));
        assertTrue(o.ok(), o.message());
        assertEquals(3, o.records());
        assertEquals(4, o.headSeq());
        assertEquals(1, o.checkpoints());
        assertTrue(o.message().contains("records up to 1 were pruned"), o.message());
    }

    /**
     * Records deleted in the database with the anchor moved by hand: the records after the anchor link to it and a
     * checkpoint covers them, but no CHAIN_PRUNED record names the anchor (a prune always appends one).
     */
    @Test
    void anAnchorNoPruneRecordNamesIsBad() throws Exception {
        List<String> l = export(4);
        String hash1 = (String) ((java.util.Map<?, ?>) Json.parse(l.get(0))).get("hash");
        l.set(0, "{\"anchor\":{\"seq\":1,\"hash\":\"" + hash1 + "\"}}");
        AuditVerifier.Outcome o = verify(l);
        assertEquals(false, o.ok(), o.message());
        assertEquals(2, o.badSeq(), o.message());
        assertTrue(o.message().contains("removed without a prune"), o.message());
    }

    @Test
    void tamperedAnchorIsBadAtTheFirstRemainingRecord() throws Exception {
        List<String> l = prunedExport(4);
        l.set(0, "{\"anchor\":{\"seq\":1,\"hash\":\"" + "ab".repeat(32) + "\"}}");
        AuditVerifier.Outcome o = verify(l);
        assertEquals(false, o.ok());
        assertEquals(2, o.badSeq(), o.message());
    }

    @Test
    void anchorAndFirstRecordForgedTogetherFailAtTheSignedCheckpoint() throws Exception {
        List<String> l = prunedExport(4);
        String fake = "ab".repeat(32);
        l.set(0, "{\"anchor\":{\"seq\":1,\"hash\":\"" + fake + "\"}}");
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> r2 = (java.util.Map<String, Object>) Json.parse(l.get(1));
        r2.remove("hash");
        r2.put("prevHash", fake);
        String body = Json.write(r2);
        String hash = AuditVerifier.sha256Hex(new JsonCanonicalizer(body).getEncodedString().getBytes(StandardCharsets.UTF_8));
        r2.put("hash", hash);
        l.set(1, Json.write(r2));
        AuditVerifier.Outcome o = verify(l);
        assertEquals(false, o.ok());
        assertEquals(2, o.badSeq(), o.message());
        assertTrue(o.reason().contains("checkpoint 2"), o.reason());
    }

    /** An export stripped of its checkpoints can be rewritten by whoever holds it: not OK with a key (exit 6). */
    @Test
    void anExportWithoutAnySignedCheckpointIsUnsigned() throws Exception {
        List<String> l = export(4);
        l.removeIf(x -> x.contains("\"checkpoint\""));
        AuditVerifier.Outcome o = verify(l);
        assertEquals(AuditVerifier.Status.UNSIGNED, o.status(), o.message());
        assertEquals(6, o.status().exit);
        assertTrue(o.message().startsWith("UNSIGNED: 4 records"), o.message());
    }

    @Test
    void prunedExportWithoutSignedCheckpointIsBad() throws Exception {
        List<String> l = prunedExport(4);
        l.removeIf(x -> x.contains("\"checkpoint\""));
        AuditVerifier.Outcome o = verify(l);
        assertEquals(false, o.ok());
        assertEquals(2, o.badSeq(), o.message());
        assertTrue(o.reason().contains("no signed checkpoint"), o.reason());
    }

    @Test
    void anchorLineAfterRecordsIsBad() throws Exception {
        List<String> l = export(4);
        l.add(2, "{\"anchor\":{\"seq\":1,\"hash\":\"" + "ab".repeat(32) + "\"}}");
        AuditVerifier.Outcome o = verify(l);
        assertEquals(false, o.ok());
        assertTrue(o.reason().contains("anchor"), o.reason());
    }

    AuditVerifier.Outcome verifyRedeliveries(List<String> lines) throws Exception {
        return AuditVerifier.verify(new BufferedReader(new StringReader(String.join("\n", lines))), AuditVerifier.readKey(vkey),
                new AuditVerifier.Options(null, List.of(), true));
    }

    /**
     * A whole forged record riding on a checkpoint line: the verifier checked only the note, jq read the record
     * (seventeenth review, v_piggy). Any member beside {@code checkpoint} is refused, naming the line.
     */
    @Test
    void aCheckpointLineCarryingOtherMembersIsBad() throws Exception {
        List<String> l = export(4);
        String cp = l.get(2);
        l.add(3, cp.substring(0, cp.length() - 1) + ",\"seq\":2,\"realmId\":\"r1\",\"type\":\"USER\",\"operation\":\"DELETE\","
                + "\"target\":\"users/framed\",\"hash\":\"" + "ab".repeat(32) + "\"}");
        AuditVerifier.Outcome o = verifyRedeliveries(l);
        assertEquals(AuditVerifier.Status.TAMPERED, o.status(), o.message());
        assertTrue(o.reason().startsWith("line 4: checkpoint line has other members (hash, operation, realmId, seq, target, type)"),
                o.message());

        List<String> inner = export(4);
        inner.set(2, inner.get(2).replace("{\"seq\":2,", "{\"seq\":2,\"target\":\"users/framed\","));
        AuditVerifier.Outcome o2 = verify(inner);
        assertEquals(AuditVerifier.Status.TAMPERED, o2.status(), o2.message());
        assertTrue(o2.reason().startsWith("line 3: checkpoint line is malformed"), o2.message());
    }

    @Test
    void anAnchorLineCarryingOtherMembersIsBad() throws Exception {
        List<String> l = prunedExport(4);
        l.set(0, l.get(0).substring(0, l.get(0).length() - 1) + ",\"type\":\"USER\"}");
        AuditVerifier.Outcome o = verify(l);
        assertEquals(AuditVerifier.Status.TAMPERED, o.status(), o.message());
        assertTrue(o.reason().startsWith("line 1: anchor line has other members (type)"), o.message());

        List<String> inner = prunedExport(4);
        inner.set(0, inner.get(0).replace("{\"seq\":1,", "{\"seq\":1,\"note\":\"x\","));
        AuditVerifier.Outcome o2 = verify(inner);
        assertEquals(AuditVerifier.Status.TAMPERED, o2.status(), o2.message());
        assertTrue(o2.reason().startsWith("line 1: anchor line is malformed"), o2.message());
    }

    /** The server writes one checkpoint per seq: a repeat is refused unless the input is an at-least-once sink copy. */
    @Test
    void aRepeatedCheckpointNeedsRedeliveriesAndCountsOnce() throws Exception {
        List<String> l = export(4);
        l.add(3, l.get(2));
        AuditVerifier.Outcome o = verify(l);
        assertEquals(AuditVerifier.Status.TAMPERED, o.status(), o.message());
        assertTrue(o.message().startsWith("BAD seq 2: line 4: checkpoint 2 appears again"), o.message());

        AuditVerifier.Outcome r = verifyRedeliveries(l);
        assertTrue(r.ok(), r.message());
        assertEquals(1, r.checkpoints(), r.message());
    }

    /** {@code \\u+063} is not an escape (Integer.parseInt took the sign: seventeenth review, v_plusesc). */
    @Test
    void anEscapeWithoutFourHexDigitsIsBad() throws Exception {
        List<String> l = export(4);
        l.set(1, l.get(1).replace("\"type\"", "\"\\u+074ype\""));
        AuditVerifier.Outcome o = verify(l);
        assertEquals(AuditVerifier.Status.TAMPERED, o.status(), o.message());
        assertTrue(o.reason().startsWith("line 2: invalid JSON at offset"), o.message());
        assertTrue(o.reason().contains("four hex digits"), o.message());
    }

    /** A lone surrogate became '?' in the UTF-8 hash input, so any '?' could be swapped for one (v_surr). */
    @Test
    void anUnpairedSurrogateIsBad() throws Exception {
        for (String lone : List.of("\\ud800", "\\udc00", "\ud800", "\\ud800\\u0041")) {
            List<String> l = export(4);
            l.set(1, l.get(1).replace("?\"", lone + "\""));
            AuditVerifier.Outcome o = verify(l);
            assertEquals(AuditVerifier.Status.TAMPERED, o.status(), lone + ": " + o.message());
            assertTrue(o.reason().contains("unpaired surrogate"), o.message());
        }
        List<String> paired = export(4);
        paired.set(1, paired.get(1).replace("?\"", "?\\ud83d\\ude00\""));
        assertEquals(2, verify(paired).badSeq(), "a pair is a character: the edit is a hash mismatch, not bad JSON");
        assertTrue(verify(paired).reason().startsWith("hash mismatch"), verify(paired).message());
    }

    /** Nothing verified is not OK: an empty file, or a sink copy without a line of the --realm (v_empty, v_sink_noA). */
    @Test
    void anInputWithoutARecordOfTheRealmIsEmpty(@TempDir Path dir) throws Exception {
        Path empty = dir.resolve("empty.jsonl");
        Files.write(empty, List.of());
        Path copy = dir.resolve("copy.jsonl");
        Files.write(copy, export(4));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(7, AuditVerifier.run(new String[] {empty.toString(), vkey}, ps, ps));
        assertEquals(7, AuditVerifier.run(new String[] {"--realm", "r2", "--redeliveries", copy.toString(), vkey}, ps, ps));
        assertEquals(0, AuditVerifier.run(new String[] {"--realm", "r1", "--redeliveries", copy.toString(), vkey}, ps, ps));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("EMPTY: the input holds no record: nothing was verified\n"
                + "EMPTY: the input holds no record of realm r2: nothing was verified\nOK 4 records"), printed);
    }
}
