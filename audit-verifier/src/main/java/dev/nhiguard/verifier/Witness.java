package dev.nhiguard.verifier;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.erdtman.jcs.JsonCanonicalizer;

/**
 * A witness for the audit chain, the equivalent of a C2SP tlog-witness for a linear hash chain:
 * it keeps, per log (checkpoint origin and log key), the last head it cosigned in a state file,
 * and cosigns a new checkpoint (C2SP tlog-cosignature, Ed25519 {@code cosignature/v1}) only if
 * it is signed by the log key and extends that head: same size and same hash, or a larger size
 * with a consistency proof. The proof of a linear chain is the records between the two heads:
 * records {@code old+1..new} (any file the verifier reads: an export, a sink copy), each hashing
 * to its hash, linking by {@code prevHash} from the old head's hash, the last one hashing to the
 * new head's hash. The first checkpoint of a log the witness sees is cosigned on first use.
 */
final class Witness {

    static final String USAGE = String.join("\n",
            "usage: java -jar nhi-audit-verifier.jar witness keygen --name NAME --key FILE",
            "       java -jar nhi-audit-verifier.jar witness vkey --name NAME --key FILE",
            "       java -jar nhi-audit-verifier.jar witness cosign --name NAME --key FILE --state FILE --log-key VKEY|FILE",
            "                                              --checkpoint NOTE [--records FILE] [--out FILE]",
            "  keygen  writes a new Ed25519 key (PKCS#8 and X.509 PEM) to FILE and prints its verifier key (type 0x04)",
            "  cosign  prints the checkpoint with the witness's cosignature added when it extends the last head seen",
            "exit codes: 0 cosigned (or done), 2 usage or I/O error, 3 PROOF MISSING (records between the heads absent),",
            "            4 REFUSED (does not extend the last head: smaller, other hash, records do not link), 5 UNTRUSTED (log signature)");

    private Witness() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || "--help".equals(args[0])) {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                err.println("bad argument " + args[i] + "\n" + USAGE);
                return 2;
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        try {
            switch (args[0]) {
                case "keygen":
                    return keygen(require(opts, "name"), Path.of(require(opts, "key")), out, err);
                case "vkey": {
                    Keys k = Keys.read(Path.of(require(opts, "key")));
                    out.println(new Notes.VKey(require(opts, "name"), Notes.TYPE_COSIGNATURE_V1, k.publicKey()).encoded());
                    return 0;
                }
                case "cosign":
                    return cosign(opts, out, err);
                default:
                    err.println("unknown witness command " + args[0] + "\n" + USAGE);
                    return 2;
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
    }

    private static String require(Map<String, String> opts, String name) {
        String v = opts.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    /** The witness key file: the PKCS#8 private key and the X.509 public key, PEM. */
    record Keys(PrivateKey privateKey, PublicKey publicKey) {

        static Keys read(Path file) throws IOException {
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            int pub = text.indexOf("-----BEGIN PUBLIC KEY-----");
            if (pub < 0) {
                throw new IllegalArgumentException(file + " holds no public key block");
            }
            PrivateKey priv = Notes.privateKeyOfPem(text.substring(0, pub));
            byte[] der = Base64.getMimeDecoder().decode(text.substring(pub).replaceAll("-----[A-Z ]+-----", "").trim());
            return new Keys(priv, Notes.publicKeyOfRaw(java.util.Arrays.copyOfRange(der, der.length - 32, der.length)));
        }
    }

    private static int keygen(String name, Path file, PrintStream out, PrintStream err) throws IOException {
        if (name.contains(" ") || name.contains("+") || name.contains("\n")) {
            err.println("error: a key name has no spaces, '+' or newlines");
            return 2;
        }
        if (Files.exists(file)) {
            err.println("error: " + file + " exists; not overwriting a key");
            return 2;
        }
        KeyPair kp;
        try {
            kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        String pem = "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(kp.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n"
                + "-----BEGIN PUBLIC KEY-----\n" + b64.encodeToString(kp.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        Files.writeString(file, pem, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
        out.println(new Notes.VKey(name, Notes.TYPE_COSIGNATURE_V1, kp.getPublic()).encoded());
        return 0;
    }

    private static int cosign(Map<String, String> opts, PrintStream out, PrintStream err) throws IOException {
        String name = require(opts, "name");
        Keys keys = Keys.read(Path.of(require(opts, "key")));
        Path stateFile = Path.of(require(opts, "state"));
        AuditVerifier.Key logKey = AuditVerifier.readKey(require(opts, "log-key"));
        if (logKey.name() == null) {
            throw new IllegalArgumentException("--log-key must be a verifier key (name+id+key), the witness keys its state by it");
        }
        Notes.VKey log = new Notes.VKey(logKey.name(), Notes.TYPE_ED25519, logKey.publicKey());
        Notes.Note note = Notes.parse(Files.readString(Path.of(require(opts, "checkpoint")), StandardCharsets.UTF_8));
        Notes.Checkpoint cp = Notes.checkpoint(note);
        if (!Notes.signedBy(note, log)) {
            out.println("UNTRUSTED: the checkpoint is not signed by the log key " + log.name());
            return 5;
        }
        if (cp.realmId() == null) {
            out.println("UNTRUSTED: origin " + cp.origin() + " is not an audit chain");
            return 5;
        }
        String logId = cp.origin() + " " + log.name() + "+" + HexFormat.of().formatHex(log.keyId());
        Path abs = stateFile.toAbsolutePath();
        try (FileChannel lockChannel = FileChannel.open(abs.resolveSibling(abs.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = lockChannel.lock()) {
            Map<String, Object> logs = readState(abs);
            if (logs.get(logId) instanceof Map<?, ?> last) {
                long oldSize = Long.parseLong(((Json.Num) last.get("size")).text());
                String oldHash = (String) last.get("hash");
                if (cp.size() < oldSize) {
                    out.println("REFUSED: size " + cp.size() + " is smaller than the last cosigned size " + oldSize + " (a rollback)");
                    return 4;
                }
                if (cp.size() == oldSize && !cp.hashHex().equals(oldHash)) {
                    out.println("REFUSED: size " + cp.size() + " was cosigned with hash " + oldHash + ", this checkpoint has " + cp.hashHex() + " (a fork)");
                    return 4;
                }
                if (cp.size() > oldSize) {
                    if (opts.get("records") == null) {
                        out.println("PROOF MISSING: records " + (oldSize + 1) + ".." + cp.size() + " are needed (--records)");
                        return 3;
                    }
                    String problem;
                    try (BufferedReader r = Files.newBufferedReader(Path.of(opts.get("records")), StandardCharsets.UTF_8)) {
                        problem = consistency(r, cp.realmId(), oldSize, oldHash, cp.size(), cp.hashHex());
                    }
                    if (problem != null) {
                        boolean missing = problem.startsWith("missing");
                        out.println((missing ? "PROOF MISSING: " : "REFUSED: ") + problem);
                        return missing ? 3 : 4;
                    }
                }
            }
            long now = System.currentTimeMillis() / 1000;
            String cosigned = note.withSignature(Notes.cosign(note, name, keys.privateKey(), keys.publicKey(), now));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("size", new Json.Num(Long.toString(cp.size())));
            entry.put("hash", cp.hashHex());
            entry.put("time", new Json.Num(Long.toString(now)));
            logs.put(logId, entry);
            writeState(abs, logs);
            if (opts.get("out") != null) {
                Files.writeString(Path.of(opts.get("out")), cosigned, StandardCharsets.UTF_8);
            } else {
                out.print(cosigned);
            }
            return 0;
        }
    }

    /**
     * Checks that the records in {@code lines} of the realm link from {@code (oldSize, oldHash)}
     * to {@code (newSize, newHash)}; returns null when they do, else why not ("missing …" when
     * records are absent rather than wrong).
     */
    static String consistency(BufferedReader lines, String realmId, long oldSize, String oldHash, long newSize, String newHash) throws IOException {
        long expected = oldSize + 1;
        String prev = oldHash;
        String line;
        while (expected <= newSize && (line = lines.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            for (Map<String, Object> obj : SinkEnvelope.nativeLines(Json.parse(line))) {
                if (obj.containsKey("checkpoint") || obj.containsKey("anchor") || !realmId.equals(obj.get("realmId"))) {
                    continue;
                }
                long seq = obj.get("seq") instanceof Json.Num n ? Long.parseLong(n.text()) : -1;
                if (seq < expected || expected > newSize) {
                    continue; // before the old head, or a repeated record already checked
                }
                if (seq > expected) {
                    return "missing record " + expected + " (next record is " + seq + ")";
                }
                if (!(obj.remove("hash") instanceof String hash)) {
                    return "record " + seq + " has no hash";
                }
                String actual = AuditVerifier.sha256Hex(new JsonCanonicalizer(Json.write(obj)).getEncodedString().getBytes(StandardCharsets.UTF_8));
                if (!actual.equals(hash)) {
                    return "record " + seq + " hashes to " + actual + ", it states " + hash;
                }
                if (!prev.equals(obj.get("prevHash"))) {
                    return "record " + seq + " does not link to " + (seq == oldSize + 1 ? "the last cosigned head" : "record " + (seq - 1));
                }
                prev = hash;
                expected++;
            }
        }
        if (expected <= newSize) {
            return "missing records " + expected + ".." + newSize;
        }
        if (!prev.equals(newHash)) {
            return "record " + newSize + " hashes to " + prev + ", the checkpoint signs " + newHash + " (a fork)";
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readState(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new LinkedHashMap<>();
        }
        Object parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8).strip());
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("logs") instanceof Map<?, ?> logs)) {
            throw new IllegalArgumentException("witness state " + file + " is malformed");
        }
        return new LinkedHashMap<>((Map<String, Object>) logs);
    }

    private static void writeState(Path file, Map<String, Object> logs) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("v", new Json.Num("1"));
        root.put("logs", logs);
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, Json.write(root) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
