package dev.nhiguard.verifier;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * C2SP signed notes (https://c2sp.org/signed-note) as the audit chain writes them: checkpoints
 * signed by the log's Ed25519 key (signature type 0x01) and witness cosignatures in the
 * C2SP tlog-cosignature {@code cosignature/v1} Ed25519 form (signature type 0x04: the signed
 * message is {@code "cosignature/v1\ntime <t>\n"} followed by the note text, the signature
 * line carries key id, the 8-byte big-endian timestamp and the signature).
 */
final class Notes {

    static final String DASH = "\u2014 ";
    static final byte TYPE_ED25519 = 0x01;
    static final byte TYPE_COSIGNATURE_V1 = 0x04;
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /** A verifier key: name, signature type and Ed25519 public key. */
    record VKey(String name, byte type, PublicKey publicKey) {

        byte[] keyId() {
            return Notes.keyId(name, type, publicKey);
        }

        String encoded() {
            byte[] typed = new byte[33];
            typed[0] = type;
            System.arraycopy(raw(publicKey), 0, typed, 1, 32);
            return name + "+" + HexFormat.of().formatHex(keyId()) + "+" + Base64.getEncoder().encodeToString(typed);
        }
    }

    /** A signed note split into its text and signature lines. */
    record Note(String text, List<String> signatures) {

        String withSignature(String line) {
            StringBuilder b = new StringBuilder(text).append('\n');
            for (String s : signatures) {
                b.append(s).append('\n');
            }
            return b.append(line).append('\n').toString();
        }
    }

    /** A checkpoint's first lines: origin, size and head hash (hex). */
    record Checkpoint(String origin, long size, String hashHex) {

        String realmId() {
            return origin.startsWith(AuditVerifier.ORIGIN_PREFIX) ? origin.substring(AuditVerifier.ORIGIN_PREFIX.length()) : null;
        }
    }

    private Notes() {
    }

    static Note parse(String note) {
        int split = note.lastIndexOf("\n\n");
        if (split < 0 || !note.endsWith("\n")) {
            throw new IllegalArgumentException("not a signed note");
        }
        List<String> sigs = new ArrayList<>();
        for (String line : note.substring(split + 2).split("\n")) {
            if (!line.startsWith(DASH)) {
                throw new IllegalArgumentException("malformed signature line");
            }
            sigs.add(line);
        }
        return new Note(note.substring(0, split + 1), sigs);
    }

    static Checkpoint checkpoint(Note note) {
        String[] t = note.text().split("\n");
        if (t.length < 3) {
            throw new IllegalArgumentException("checkpoint text is malformed");
        }
        try {
            long size = Long.parseLong(t[1]);
            byte[] hash = Base64.getDecoder().decode(t[2]);
            if (size < 0 || hash.length != 32) {
                throw new IllegalArgumentException("checkpoint text is malformed");
            }
            return new Checkpoint(t[0], size, HexFormat.of().formatHex(hash));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint text is malformed");
        }
    }

    /** Whether a signature line by the log key (type 0x01) over the note's text verifies. */
    static boolean signedBy(Note note, VKey key) {
        for (String line : note.signatures()) {
            byte[] blob = blob(line, key);
            if (blob != null && blob.length == 68 && verify(key.publicKey(), note.text().getBytes(StandardCharsets.UTF_8),
                    Arrays.copyOfRange(blob, 4, 68))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a cosignature/v1 line by the witness key verifies (its timestamp is not checked). */
    static boolean cosignedBy(Note note, VKey witness) {
        for (String line : note.signatures()) {
            byte[] blob = blob(line, witness);
            if (blob == null || blob.length != 76) {
                continue;
            }
            long time = ByteBuffer.wrap(blob, 4, 8).getLong();
            if (time < 0) {
                continue;
            }
            if (verify(witness.publicKey(), cosignedMessage(note.text(), time), Arrays.copyOfRange(blob, 12, 76))) {
                return true;
            }
        }
        return false;
    }

    /** The cosignature line of a witness over a note's text at {@code time} (seconds). */
    static String cosign(Note note, String name, PrivateKey key, PublicKey publicKey, long time) {
        byte[] sig = sign(key, cosignedMessage(note.text(), time));
        ByteBuffer blob = ByteBuffer.allocate(76);
        blob.put(keyId(name, TYPE_COSIGNATURE_V1, publicKey)).putLong(time).put(sig);
        return DASH + name + " " + Base64.getEncoder().encodeToString(blob.array());
    }

    static byte[] cosignedMessage(String text, long time) {
        return ("cosignature/v1\ntime " + time + "\n" + text).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] blob(String line, VKey key) {
        String[] parts = line.substring(DASH.length()).split(" ");
        if (parts.length != 2 || !parts[0].equals(key.name())) {
            return null;
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return blob.length >= 4 && Arrays.equals(Arrays.copyOf(blob, 4), key.keyId()) ? blob : null;
    }

    private static boolean verify(PublicKey key, byte[] message, byte[] sig) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    static byte[] sign(PrivateKey key, byte[] message) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /** C2SP key id: SHA-256(name || 0x0A || type || raw public key)[:4]. */
    static byte[] keyId(String name, byte type, PublicKey key) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(name.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0x0A);
            md.update(type);
            md.update(raw(key));
            return Arrays.copyOf(md.digest(), 4);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a verifier key {@code name+hexid+base64(type || key)} of the expected signature type. */
    static VKey vkey(String text, byte expectedType) {
        String[] parts = text.trim().split("\\+", 3);
        if (parts.length != 3 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("not a verifier key (name+id+key): " + text);
        }
        byte[] typed;
        try {
            typed = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("verifier key is not base64: " + text);
        }
        if (typed.length != 33 || typed[0] != expectedType) {
            throw new IllegalArgumentException("not an Ed25519 verifier key of signature type 0x0" + expectedType + ": " + parts[0]);
        }
        VKey k = new VKey(parts[0], expectedType, publicKeyOfRaw(Arrays.copyOfRange(typed, 1, 33)));
        if (!HexFormat.of().formatHex(k.keyId()).equals(parts[1])) {
            throw new IllegalArgumentException("verifier key id does not match its key: " + parts[0]);
        }
        return k;
    }

    static PublicKey publicKeyOfRaw(byte[] raw) {
        byte[] spki = new byte[44];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, 12);
        System.arraycopy(raw, 0, spki, 12, 32);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
    }

    static PrivateKey privateKeyOfPem(String pem) {
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").trim());
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 PKCS#8 private key");
        }
    }

    static byte[] raw(PublicKey key) {
        byte[] enc = key.getEncoded();
        return Arrays.copyOfRange(enc, enc.length - 32, enc.length);
    }
}
