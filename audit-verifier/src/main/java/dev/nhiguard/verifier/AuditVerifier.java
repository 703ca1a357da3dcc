package dev.nhiguard.verifier;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

import org.erdtman.jcs.JsonCanonicalizer;

/**
 * Verifies an audit chain export (JSON Lines from {@code GET …/audit-chain/export}) offline:
 * every record hashes (SHA-256 over RFC 8785 canonical JSON without {@code hash}) to its hash,
 * links to the record before it, and every checkpoint line is an Ed25519 C2SP signed note by
 * the given key over the hash of the record it follows. The export of a pruned chain starts with
 * an anchor line {@code {"anchor":{"seq":n,"hash":h}}}: the first record must be {@code n + 1}
 * and link to {@code h}, and a signed checkpoint must cover the records after the anchor
 * (otherwise an anchor and the records after it could be made up).
 *
 * <pre>java -jar nhi-audit-verifier.jar export.jsonl (verifier-key | key-file)</pre>
 *
 * Exit codes: 0 OK, 1 the chain is broken (the first bad seq is printed), 2 usage or I/O error.
 */
public final class AuditVerifier {

    static final String GENESIS = "0".repeat(64);
    static final String ORIGIN_PREFIX = "nhi-guard/audit-chain/";
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /** What verification found. */
    record Outcome(boolean ok, long records, long checkpoints, long signedUpTo, long headSeq, String headHash,
                   long badSeq, String reason, long anchorSeq) {

        Outcome(boolean ok, long records, long checkpoints, long signedUpTo, long headSeq, String headHash, long badSeq, String reason) {
            this(ok, records, checkpoints, signedUpTo, headSeq, headHash, badSeq, reason, 0);
        }

        String message() {
            if (!ok) {
                return "BAD seq " + badSeq + ": " + reason;
            }
            return "OK " + records + " records" + (anchorSeq > 0 ? " (seq " + (anchorSeq + 1) + " on; records up to " + anchorSeq + " were pruned)" : "")
                    + ", head seq " + headSeq + " hash " + headHash + "; " + checkpoints
                    + " checkpoints verified" + (checkpoints == 0 ? " (no signed checkpoint: only internal consistency was checked)"
                    : ", signed up to seq " + signedUpTo);
        }
    }

    /** The checkpoint key: a name (null = take it from the signature line) and an Ed25519 public key. */
    record Key(String name, PublicKey publicKey) {
    }

    private AuditVerifier() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 2) {
            err.println("usage: java -jar nhi-audit-verifier.jar <export.jsonl> <verifier-key | key-file (verifier key or PEM public key)>");
            return 2;
        }
        Outcome o;
        try {
            Key key = readKey(args[1]);
            try (BufferedReader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
                o = verify(r, key);
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        out.println(o.message());
        return o.ok() ? 0 : 1;
    }

    static Key readKey(String arg) throws IOException {
        String text = arg;
        Path p = Path.of(arg);
        if (Files.isRegularFile(p)) {
            text = Files.readString(p, StandardCharsets.US_ASCII).trim();
        }
        if (text.startsWith("-----BEGIN PUBLIC KEY-----")) {
            byte[] der = Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", "").trim());
            return new Key(null, publicKey(der));
        }
        String[] parts = text.split("\\+", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a verifier key (name+id+key) or PEM public key");
        }
        byte[] typed = Base64.getDecoder().decode(parts[2]);
        if (typed.length != 33 || typed[0] != 1) {
            throw new IllegalArgumentException("not an Ed25519 verifier key");
        }
        byte[] spki = new byte[44];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, 12);
        System.arraycopy(typed, 1, spki, 12, 32);
        Key key = new Key(parts[0], publicKey(spki));
        if (!HexFormat.of().formatHex(keyId(parts[0], key.publicKey())).equals(parts[1])) {
            throw new IllegalArgumentException("verifier key id does not match its key");
        }
        return key;
    }

    private static PublicKey publicKey(byte[] spki) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
    }

    @SuppressWarnings("unchecked")
    static Outcome verify(BufferedReader lines, Key key) throws IOException {
        long expected = 1;
        String prev = GENESIS;
        String realmId = null;
        long checkpoints = 0;
        long signedUpTo = 0;
        long anchorSeq = 0;
        boolean first = true;
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            boolean firstLine = first;
            first = false;
            Map<String, Object> obj;
            try {
                Object parsed = Json.parse(line);
                if (!(parsed instanceof Map)) {
                    return bad(expected, "line is not a JSON object", expected - 1, checkpoints, signedUpTo, prev);
                }
                obj = (Map<String, Object>) parsed;
            } catch (IllegalArgumentException e) {
                return bad(expected, e.getMessage(), expected - 1, checkpoints, signedUpTo, prev);
            }
            if (obj.containsKey("anchor")) {
                if (!firstLine) {
                    return bad(expected, "an anchor line may only be the first line", expected - 1, checkpoints, signedUpTo, prev);
                }
                if (!(obj.get("anchor") instanceof Map<?, ?> anchor) || !(anchor.get("seq") instanceof Json.Num n)
                        || !(anchor.get("hash") instanceof String h) || !h.matches("[0-9a-f]{64}")) {
                    return bad(1, "anchor line is malformed", 0, checkpoints, signedUpTo, prev);
                }
                try {
                    anchorSeq = Long.parseLong(n.text());
                } catch (NumberFormatException e) {
                    return bad(1, "anchor line is malformed", 0, checkpoints, signedUpTo, prev);
                }
                if (anchorSeq < 1) {
                    return bad(1, "anchor line is malformed", 0, checkpoints, signedUpTo, prev);
                }
                expected = anchorSeq + 1;
                prev = h;
                continue;
            }
            if (obj.containsKey("checkpoint")) {
                long seq = expected - 1;
                String problem = checkpoint(obj.get("checkpoint"), seq, prev, realmId, key);
                if (problem != null) {
                    return bad(seq, problem, seq, checkpoints, signedUpTo, prev);
                }
                checkpoints++;
                signedUpTo = seq;
                continue;
            }
            long seq = obj.get("seq") instanceof Json.Num n ? Long.parseLong(n.text()) : -1;
            if (seq != expected) {
                return bad(expected, seq > expected ? "record " + expected + " is missing (next record is " + seq + ")"
                        : "record " + seq + " is out of place (expected " + expected + ")", expected - 1, checkpoints, signedUpTo, prev);
            }
            if (!(obj.remove("hash") instanceof String hash)) {
                return bad(seq, "record has no hash", seq - 1, checkpoints, signedUpTo, prev);
            }
            String canonical = new JsonCanonicalizer(Json.write(obj)).getEncodedString();
            String actual = sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
            if (!actual.equals(hash)) {
                return bad(seq, "hash mismatch: record hashes to " + actual + ", it states " + hash, seq - 1, checkpoints, signedUpTo, prev);
            }
            if (!prev.equals(obj.get("prevHash"))) {
                return bad(seq, "prevHash does not match the hash of record " + (seq - 1), seq - 1, checkpoints, signedUpTo, prev);
            }
            Object rid = obj.get("realmId");
            if (realmId == null && rid instanceof String s) {
                realmId = s;
            } else if (realmId != null && !realmId.equals(rid)) {
                return bad(seq, "record belongs to realm " + rid + ", not " + realmId, seq - 1, checkpoints, signedUpTo, prev);
            }
            prev = hash;
            expected++;
        }
        if (anchorSeq > 0 && checkpoints == 0) {
            return bad(anchorSeq + 1, "the chain starts after record " + anchorSeq
                    + " and no signed checkpoint covers the records after that anchor", expected - 1, checkpoints, signedUpTo, prev);
        }
        return new Outcome(true, expected - 1 - anchorSeq, checkpoints, signedUpTo, expected - 1, prev, 0, null, anchorSeq);
    }

    @SuppressWarnings("unchecked")
    private static String checkpoint(Object value, long seq, String recordHash, String realmId, Key key) {
        if (!(value instanceof Map)) {
            return "checkpoint line is malformed";
        }
        Map<String, Object> cp = (Map<String, Object>) value;
        if (!(cp.get("note") instanceof String note) || !(cp.get("seq") instanceof Json.Num n)) {
            return "checkpoint line is malformed";
        }
        if (Long.parseLong(n.text()) != seq) {
            return "checkpoint for seq " + n.text() + " follows record " + seq;
        }
        int split = note.lastIndexOf("\n\n");
        if (split < 0 || !note.endsWith("\n")) {
            return "checkpoint " + seq + " is not a signed note";
        }
        String text = note.substring(0, split + 1);
        boolean signed = false;
        for (String sigLine : note.substring(split + 2).split("\n")) {
            if (!sigLine.startsWith("\u2014 ")) {
                return "checkpoint " + seq + " has a malformed signature line";
            }
            String[] parts = sigLine.substring(2).split(" ");
            if (parts.length != 2 || (key.name() != null && !key.name().equals(parts[0]))) {
                continue;
            }
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (blob.length != 68 || !Arrays.equals(Arrays.copyOf(blob, 4), keyId(parts[0], key.publicKey()))) {
                continue;
            }
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initVerify(key.publicKey());
                s.update(text.getBytes(StandardCharsets.UTF_8));
                signed = s.verify(Arrays.copyOfRange(blob, 4, 68));
            } catch (GeneralSecurityException e) {
                return "checkpoint " + seq + ": " + e.getMessage();
            }
            if (signed) {
                break;
            }
        }
        if (!signed) {
            return "checkpoint " + seq + " is not signed by the given key";
        }
        String[] t = text.split("\n");
        if (t.length < 3) {
            return "checkpoint " + seq + " text is malformed";
        }
        if (realmId != null && !t[0].equals(ORIGIN_PREFIX + realmId)) {
            return "checkpoint " + seq + " is for " + t[0] + ", not realm " + realmId;
        }
        if (!t[1].equals(Long.toString(seq))) {
            return "checkpoint " + seq + " is signed for size " + t[1];
        }
        String signedHash;
        try {
            signedHash = HexFormat.of().formatHex(Base64.getDecoder().decode(t[2]));
        } catch (IllegalArgumentException e) {
            return "checkpoint " + seq + " hash is not base64";
        }
        if (!signedHash.equals(recordHash)) {
            return "checkpoint " + seq + " signs hash " + signedHash + ", record " + seq + " hashes to " + recordHash;
        }
        return null;
    }

    private static Outcome bad(long seq, String reason, long records, long checkpoints, long signedUpTo, String head) {
        return new Outcome(false, records, checkpoints, signedUpTo, records, head, seq, reason);
    }

    static byte[] keyId(String name, PublicKey key) {
        byte[] enc = key.getEncoded();
        byte[] raw = Arrays.copyOfRange(enc, enc.length - 32, enc.length);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] in = new byte[nameBytes.length + 2 + 32];
        System.arraycopy(nameBytes, 0, in, 0, nameBytes.length);
        in[nameBytes.length] = 0x0A;
        in[nameBytes.length + 1] = 0x01;
        System.arraycopy(raw, 0, in, nameBytes.length + 2, 32);
        return Arrays.copyOf(sha256(in), 4);
    }

    static String sha256Hex(byte[] in) {
        return HexFormat.of().formatHex(sha256(in));
    }

    private static byte[] sha256(byte[] in) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(in);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
