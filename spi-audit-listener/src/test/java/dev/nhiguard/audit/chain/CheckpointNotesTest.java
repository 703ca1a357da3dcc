package dev.nhiguard.audit.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;

import org.junit.jupiter.api.Test;

class CheckpointNotesTest {

    static KeyPair ed25519() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    @Test
    void signedNoteRoundTripsThroughItsVerifierKey() throws Exception {
        KeyPair kp = ed25519();
        String hash = "ab".repeat(32);
        String note = CheckpointNotes.sign(CheckpointNotes.text("realm-1", 42, hash, 1700), "nhi-guard-audit-realm-1", kp.getPrivate(), kp.getPublic());
        assertTrue(note.startsWith("nhi-guard/audit-chain/realm-1\n42\n"), note);
        assertTrue(note.contains("\n\n\u2014 nhi-guard-audit-realm-1 "), note);
        String vkey = CheckpointNotes.verifierKey("nhi-guard-audit-realm-1", kp.getPublic());
        CheckpointNotes.Checkpoint c = CheckpointNotes.verify(note, CheckpointNotes.keyNameOfVerifierKey(vkey),
                CheckpointNotes.publicKeyOfVerifierKey(vkey));
        assertEquals(42, c.size());
        assertEquals(hash, c.headHashHex());
        assertEquals(1700, c.time());
    }

    @Test
    void forgedNotesAreRejected() throws Exception {
        KeyPair kp = ed25519();
        String note = CheckpointNotes.sign(CheckpointNotes.text("r", 5, "cd".repeat(32), 1), "k", kp.getPrivate(), kp.getPublic());
        assertThrows(IllegalArgumentException.class, () -> CheckpointNotes.verify(note.replace("\n5\n", "\n6\n"), "k", kp.getPublic()));
        KeyPair other = ed25519();
        String byOther = CheckpointNotes.sign(CheckpointNotes.text("r", 5, "cd".repeat(32), 1), "k", other.getPrivate(), other.getPublic());
        assertThrows(IllegalArgumentException.class, () -> CheckpointNotes.verify(byOther, "k", kp.getPublic()));
        assertThrows(IllegalArgumentException.class, () -> CheckpointNotes.verify("garbage", "k", kp.getPublic()));
    }

    /** The key id follows C2SP: SHA-256(name || 0x0A || 0x01 || key)[:4], checked on a fixed key. */
    @Test
    void keyIdFollowsC2sp() throws Exception {
        byte[] raw = new byte[32];
        for (int i = 0; i < 32; i++) {
            raw[i] = (byte) i;
        }
        var pub = CheckpointNotes.publicKeyOfRaw(raw);
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update("example.com".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update((byte) 0x0A);
        md.update((byte) 0x01);
        md.update(raw);
        byte[] expected = java.util.Arrays.copyOf(md.digest(), 4);
        assertEquals(java.util.HexFormat.of().formatHex(expected), java.util.HexFormat.of().formatHex(CheckpointNotes.keyId("example.com", pub)));
        String vkey = CheckpointNotes.verifierKey("example.com", pub);
        assertTrue(vkey.startsWith("example.com+" + java.util.HexFormat.of().formatHex(expected) + "+AQ"), vkey);
    }
}
