package dev.nhiguard.audit.chain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Checkpoints as C2SP signed notes (https://c2sp.org/signed-note) with an Ed25519 signature.
 * The note text is, line by line: the origin {@code nhi-guard/audit-chain/<realmId>}, the chain
 * size (sequence number of the last record covered), the head hash (standard base64 of the 32
 * hash bytes), and the extension line {@code time <epoch millis>}. A blank line and the
 * signature line {@code — <key name> <base64(key id (4 bytes) || signature (64 bytes))>} follow.
 */
public final class CheckpointNotes {

    public static final String ORIGIN_PREFIX = "nhi-guard/audit-chain/";
    private static final String DASH = "\u2014 ";
    private static final byte ED25519 = 0x01;
    /** DER prefix of an X.509 SubjectPublicKeyInfo holding a raw 32-byte Ed25519 key. */
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /** A parsed checkpoint. */
    public record Checkpoint(String origin, long size, String headHashHex, long time, String keyName) {
    }

    private CheckpointNotes() {
    }

    public static String text(String realmId, long size, String headHashHex, long time) {
        return ORIGIN_PREFIX + realmId + "\n" + size + "\n"
                + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(headHashHex)) + "\n"
                + "time " + time + "\n";
    }

    /** Signs note text: the text, a blank line and one signature line. */
    public static String sign(String text, String keyName, PrivateKey key, PublicKey publicKey) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(text.getBytes(StandardCharsets.UTF_8));
            byte[] sig = s.sign();
            byte[] blob = new byte[4 + sig.length];
            System.arraycopy(keyId(keyName, publicKey), 0, blob, 0, 4);
            System.arraycopy(sig, 0, blob, 4, sig.length);
            return text + "\n" + DASH + keyName + " " + Base64.getEncoder().encodeToString(blob) + "\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /**
     * Verifies a signed note against a public key and returns its checkpoint.
     *
     * @throws IllegalArgumentException when the note is malformed or no signature verifies
     */
    public static Checkpoint verify(String note, String keyName, PublicKey publicKey) {
        int split = note.lastIndexOf("\n\n");
        if (split < 0 || !note.endsWith("\n")) {
            throw new IllegalArgumentException("not a signed note");
        }
        String text = note.substring(0, split + 1);
        byte[] expectedId = keyId(keyName, publicKey);
        boolean verified = false;
        for (String line : note.substring(split + 2).split("\n")) {
            if (!line.startsWith(DASH)) {
                throw new IllegalArgumentException("malformed signature line");
            }
            String[] parts = line.substring(DASH.length()).split(" ");
            if (parts.length != 2 || !parts[0].equals(keyName)) {
                continue;
            }
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("signature is not base64");
            }
            if (blob.length != 68 || !Arrays.equals(Arrays.copyOf(blob, 4), expectedId)) {
                continue;
            }
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initVerify(publicKey);
                s.update(text.getBytes(StandardCharsets.UTF_8));
                verified = s.verify(Arrays.copyOfRange(blob, 4, 68));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Ed25519 verification failed", e);
            }
            if (verified) {
                break;
            }
        }
        if (!verified) {
            throw new IllegalArgumentException("no signature by key " + keyName + " verifies");
        }
        String[] lines = text.split("\n");
        if (lines.length < 4 || !lines[3].startsWith("time ")) {
            throw new IllegalArgumentException("checkpoint text is malformed");
        }
        try {
            return new Checkpoint(lines[0], Long.parseLong(lines[1]),
                    HexFormat.of().formatHex(Base64.getDecoder().decode(lines[2])), Long.parseLong(lines[3].substring(5)), keyName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint text is malformed: " + e.getMessage());
        }
    }

    /** C2SP key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || raw public key). */
    public static byte[] keyId(String keyName, PublicKey publicKey) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(keyName.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0x0A);
            md.update(ED25519);
            md.update(raw(publicKey));
            return Arrays.copyOf(md.digest(), 4);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** C2SP verifier key: {@code <name>+<hex key id>+<base64(0x01 || raw public key)>}. */
    public static String verifierKey(String keyName, PublicKey publicKey) {
        byte[] raw = raw(publicKey);
        byte[] typed = new byte[raw.length + 1];
        typed[0] = ED25519;
        System.arraycopy(raw, 0, typed, 1, raw.length);
        return keyName + "+" + HexFormat.of().formatHex(keyId(keyName, publicKey)) + "+" + Base64.getEncoder().encodeToString(typed);
    }

    /** Parses a verifier key back into its name and public key. */
    public static PublicKey publicKeyOfVerifierKey(String vkey) {
        String[] parts = vkey.trim().split("\\+", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a verifier key");
        }
        byte[] typed = Base64.getDecoder().decode(parts[2]);
        if (typed.length != 33 || typed[0] != ED25519) {
            throw new IllegalArgumentException("not an Ed25519 verifier key");
        }
        return publicKeyOfRaw(Arrays.copyOfRange(typed, 1, 33));
    }

    public static String keyNameOfVerifierKey(String vkey) {
        return vkey.trim().split("\\+")[0];
    }

    public static PublicKey publicKeyOfRaw(byte[] raw) {
        byte[] spki = new byte[SPKI_PREFIX.length + raw.length];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
        System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, raw.length);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key", e);
        }
    }

    static byte[] raw(PublicKey publicKey) {
        byte[] enc = publicKey.getEncoded();
        return Arrays.copyOfRange(enc, enc.length - 32, enc.length);
    }
}
