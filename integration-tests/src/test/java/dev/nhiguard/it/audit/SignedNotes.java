package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/** An independent reading of C2SP signed notes with the JDK, to check what the server signs. */
final class SignedNotes {

    record Checkpoint(String origin, long size, String hashHex) {
    }

    private SignedNotes() {
    }

    /** Verifies the note's signature by the verifier key ({@code name+hexid+base64(0x01||key)}) and parses it. */
    static Checkpoint verify(String note, String verifierKey) throws Exception {
        String[] vk = verifierKey.split("\\+", 3);
        byte[] typed = Base64.getDecoder().decode(vk[2]);
        assertEquals(1, typed[0], "Ed25519 verifier key");
        byte[] spki = new byte[44];
        System.arraycopy(HexFormat.of().parseHex("302a300506032b6570032100"), 0, spki, 0, 12);
        System.arraycopy(typed, 1, spki, 12, 32);
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));

        int split = note.lastIndexOf("\n\n");
        String text = note.substring(0, split + 1);
        String sigLine = note.substring(split + 2).trim();
        assertTrue(sigLine.startsWith("\u2014 " + vk[0] + " "), sigLine);
        byte[] blob = Base64.getDecoder().decode(sigLine.substring(("\u2014 " + vk[0] + " ").length()));
        assertEquals(vk[1], HexFormat.of().formatHex(Arrays.copyOf(blob, 4)), "key id");
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(text.getBytes(StandardCharsets.UTF_8));
        assertTrue(s.verify(Arrays.copyOfRange(blob, 4, blob.length)), "signature verifies");
        String[] lines = text.split("\n");
        return new Checkpoint(lines[0], Long.parseLong(lines[1]), HexFormat.of().formatHex(Base64.getDecoder().decode(lines[2])));
    }
}
