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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.erdtman.jcs.JsonCanonicalizer;

/**
 * Verifies an audit chain export (JSON Lines from {@code GET …/audit-chain/export}, or a sink's
 * copy in the native, CloudEvents or OCSF format) offline: every record hashes (SHA-256 over
 * RFC 8785 canonical JSON without {@code hash}) to its hash, links to the record before it, and
 * every checkpoint line is an Ed25519 C2SP signed note by the given key over the hash of the
 * record it follows. The export of a pruned chain starts with an anchor line
 * {@code {"anchor":{"seq":n,"hash":h}}}: the first record must be {@code n + 1} and link to
 * {@code h}, and a signed checkpoint must cover the records after the anchor (otherwise an
 * anchor and the records after it could be made up).
 *
 * <p>Trusted heads ({@code --checkpoint FILE}: a signed note received earlier, e.g. from a sink
 * or a witness; {@code --state FILE}: the head of the last successful run) make it also fail
 * when the export ends before such a head or lacks it, or forks from it. See {@link #USAGE}.
 *
 * Exit codes: 0 OK, 1 tampered (the first bad seq is printed), 2 usage or I/O error,
 * 3 truncated, 4 forked, 5 a given checkpoint is not trusted (signature, witness policy), 6 unsigned (no
 * signed checkpoint or trusted head covers any record), 7 empty (no record, or none of the given realm).
 */
public final class AuditVerifier {

    static final String GENESIS = "0".repeat(64);
    static final String ORIGIN_PREFIX = "nhi-guard/audit-chain/";
    static final String CE_RECORD_TYPE = "dev.nhiguard.audit.record.v1";
    static final String CE_CHECKPOINT_TYPE = "dev.nhiguard.audit.checkpoint.v1";
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    static final String USAGE = String.join("\n",
            "usage: java -jar nhi-audit-verifier.jar [options] <export.jsonl> [<verifier-key | key-file>]",
            "       java -jar nhi-audit-verifier.jar witness ...   (see: witness --help)",
            "options:",
            "  --checkpoint FILE      a signed checkpoint received earlier (repeatable): the export must contain its record, with its hash",
            "  --state FILE           the last run's head per realm; checked like a checkpoint, updated when the run succeeds",
            "  --witness-policy FILE  C2SP tlog-policy: each --checkpoint must be cosigned by its quorum; its log line may replace the key",
            "  --realm ID             verify only this realm's lines (a sink copy holding several realms)",
            "  --redeliveries         accept repeated records and checkpoints (at-least-once sink copies); each is still verified",
            "exit codes: 0 OK, 1 TAMPERED (BAD seq n), 2 usage or I/O error, 3 TRUNCATED, 4 FORKED, 5 UNTRUSTED checkpoint, "
            + "6 UNSIGNED (no signed checkpoint or trusted head covers any record), 7 EMPTY (no record of the realm)");

    /** How a run ended; the exit code of each. */
    enum Status {
        OK(0), TAMPERED(1), TRUNCATED(3), FORKED(4), UNTRUSTED(5), UNSIGNED(6), EMPTY(7);

        final int exit;

        Status(int exit) {
            this.exit = exit;
        }
    }

    /** A head the export must contain: record {@code seq} with {@code hash} of realm {@code realmId}. */
    record TrustedHead(String realmId, long seq, String hash, String source, boolean fromState) {
    }

    /** What to check besides the chain itself. */
    record Options(String realm, List<TrustedHead> trusted, boolean redeliveries) {

        static final Options NONE = new Options(null, List.of(), false);
    }

    /** What verification found. */
    record Outcome(Status status, long records, long checkpoints, long signedUpTo, long headSeq, String headHash,
                   long badSeq, String reason, long anchorSeq, String realmId, int trustedChecked) {

        Outcome(boolean ok, long records, long checkpoints, long signedUpTo, long headSeq, String headHash, long badSeq, String reason) {
            this(ok ? Status.OK : Status.TAMPERED, records, checkpoints, signedUpTo, headSeq, headHash, badSeq, reason, 0, null, 0);
        }

        boolean ok() {
            return status == Status.OK;
        }

        String message() {
            switch (status) {
                case TAMPERED:
                    return "BAD seq " + badSeq + ": " + reason;
                case TRUNCATED:
                    return "TRUNCATED: " + reason;
                case FORKED:
                    return "FORKED seq " + badSeq + ": " + reason;
                case UNTRUSTED:
                    return "UNTRUSTED: " + reason;
                case UNSIGNED:
                    return "UNSIGNED: " + reason;
                case EMPTY:
                    return "EMPTY: " + reason;
                default:
                    break;
            }
            return "OK " + records + " records" + (anchorSeq > 0 ? " (seq " + (anchorSeq + 1) + " on; records up to " + anchorSeq + " were pruned)" : "")
                    + ", head seq " + headSeq + " hash " + headHash + "; " + checkpoints
                    + " checkpoints verified" + (checkpoints == 0 ? " (no signed checkpoint: only internal consistency was checked)"
                    : ", signed up to seq " + signedUpTo)
                    + (trustedChecked > 0 ? "; contains " + trustedChecked + " trusted head(s)" : "");
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
        if (args.length > 0 && "witness".equals(args[0])) {
            return Witness.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        List<String> positional = new ArrayList<>();
        List<Path> checkpointFiles = new ArrayList<>();
        Path stateFile = null;
        Path policyFile = null;
        String realm = null;
        boolean redeliveries = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean needsValue = a.equals("--checkpoint") || a.equals("--state") || a.equals("--witness-policy") || a.equals("--realm");
            if (needsValue && i + 1 >= args.length) {
                err.println(a + " needs a value\n" + USAGE);
                return 2;
            }
            switch (a) {
                case "--checkpoint" -> checkpointFiles.add(Path.of(args[++i]));
                case "--state" -> stateFile = Path.of(args[++i]);
                case "--witness-policy" -> policyFile = Path.of(args[++i]);
                case "--realm" -> realm = args[++i];
                case "--redeliveries" -> redeliveries = true;
                case "--help", "-h" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    if (a.startsWith("--")) {
                        err.println("unknown option " + a + "\n" + USAGE);
                        return 2;
                    }
                    positional.add(a);
                }
            }
        }
        if (positional.isEmpty() || positional.size() > 2 || (policyFile != null && checkpointFiles.isEmpty())) {
            err.println((policyFile != null && checkpointFiles.isEmpty() ? "--witness-policy needs --checkpoint\n" : "") + USAGE);
            return 2;
        }
        Outcome o;
        State state = null;
        try {
            Policy policy = policyFile == null ? null : Policy.parse(Files.readString(policyFile, StandardCharsets.UTF_8));
            Key key;
            if (positional.size() == 2) {
                key = readKey(positional.get(1));
            } else if (policy != null && policy.logs.size() == 1) {
                key = new Key(policy.logs.get(0).name(), policy.logs.get(0).publicKey());
            } else {
                err.println("the checkpoint key is missing (give it, or one log line in the witness policy)\n" + USAGE);
                return 2;
            }
            List<TrustedHead> trusted = new ArrayList<>();
            for (Path f : checkpointFiles) {
                Notes.Note note = Notes.parse(Files.readString(f, StandardCharsets.UTF_8));
                Notes.Checkpoint cp = Notes.checkpoint(note);
                if (cp.realmId() == null) {
                    err.println("error: " + f + " is not a checkpoint of an audit chain (origin " + cp.origin() + ")");
                    return 2;
                }
                if (!Notes.signedBy(note, new Notes.VKey(key.name() != null ? key.name() : signerName(note), Notes.TYPE_ED25519, key.publicKey()))) {
                    out.println("UNTRUSTED: checkpoint " + f + " is not signed by the given key");
                    return Status.UNTRUSTED.exit;
                }
                if (policy != null && !policy.satisfied(note)) {
                    out.println("UNTRUSTED: checkpoint " + f + " does not meet the witness policy's quorum " + policy.quorum()
                            + " (valid cosignatures by: " + (policy.cosigners(note).isEmpty() ? "none" : String.join(", ", policy.cosigners(note))) + ")");
                    return Status.UNTRUSTED.exit;
                }
                trusted.add(new TrustedHead(cp.realmId(), cp.size(), cp.hashHex(), "checkpoint " + f.getFileName(), false));
            }
            if (stateFile != null) {
                state = State.read(stateFile);
                trusted.addAll(state.heads(stateFile.getFileName().toString()));
            }
            try (BufferedReader r = Files.newBufferedReader(Path.of(positional.get(0)), StandardCharsets.UTF_8)) {
                o = verify(r, key, new Options(realm, trusted, redeliveries));
            }
            if (o.ok() && state != null && o.realmId() != null) {
                state.put(o.realmId(), o.headSeq(), o.headHash());
                state.write(stateFile);
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        out.println(o.message());
        return o.status().exit;
    }

    private static String signerName(Notes.Note note) {
        String line = note.signatures().isEmpty() ? "" : note.signatures().get(0);
        String[] parts = line.substring(Math.min(line.length(), Notes.DASH.length())).split(" ");
        return parts[0];
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

    static Outcome verify(BufferedReader lines, Key key) throws IOException {
        return verify(lines, key, Options.NONE);
    }

    /** The realm a native line belongs to, or null when it does not say (an anchor line). */
    private static String realmOf(Map<String, Object> obj) {
        if (obj.get("checkpoint") instanceof Map<?, ?> cp) {
            if (cp.get("realmId") instanceof String r) {
                return r;
            }
            if (cp.get("note") instanceof String note && note.startsWith(ORIGIN_PREFIX)) {
                int nl = note.indexOf('\n');
                return nl < 0 ? null : note.substring(ORIGIN_PREFIX.length(), nl);
            }
            return null;
        }
        return obj.get("realmId") instanceof String r ? r : null;
    }

    static Outcome verify(BufferedReader lines, Key key, Options options) throws IOException {
        long expected = 1;
        String prev = GENESIS;
        String realmId = options.realm();
        long checkpoints = 0;
        long signedUpTo = 0;
        long anchorSeq = 0;
        String anchorHash = null;
        String prunedAnchor = null; // "seq hash" named by the latest CHAIN_PRUNED record
        long firstSeq = 0;
        boolean first = true;
        Map<Long, String> seen = options.redeliveries() ? new HashMap<>() : null;
        List<TrustedHead> trusted = new ArrayList<>(options.trusted());
        trusted.sort((x, y) -> Long.compare(x.seq(), y.seq()));
        int trustedChecked = 0;
        long lastCheckpointSeq = -1; // the seq of the last checkpoint counted
        long lineNo = 0;
        SinkEnvelope.Format format = null; // the first line's
        String line;
        while ((line = lines.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            List<Map<String, Object>> objs;
            try {
                Object parsed = Json.parse(line);
                SinkEnvelope.Format lineFormat = SinkEnvelope.format(parsed);
                if (format == null) {
                    format = lineFormat;
                } else if (lineFormat != format) {
                    // A sink writes one format and the export is native: a CloudEvent among native lines is not a copy of ours.
                    throw new IllegalArgumentException("a " + lineFormat + " line in an input whose first line is " + format
                            + " (verify each format's copy on its own)");
                }
                if (options.realm() != null && lineFormat != SinkEnvelope.Format.NATIVE && !line.contains(options.realm())) {
                    // A sink's event states its realm (source, log_name, nhirealmid) and carries its record: a line that
                    // names the verified realm nowhere is another realm's, dropped by --realm unexamined (a realm whose
                    // rows a database writer changed must not fail the verification of another).
                    continue;
                }
                objs = SinkEnvelope.nativeLines(parsed);
            } catch (IllegalArgumentException e) {
                return bad(expected, "line " + lineNo + ": " + e.getMessage(), expected - 1, checkpoints, signedUpTo, prev);
            }
            for (Map<String, Object> obj : objs) {
                String shape = LineShape.problem(obj);
                if (shape != null) {
                    // Checked before the realm filter: a line the verifier does not hash must not carry anything else.
                    return bad(expected, "line " + lineNo + ": " + shape, expected - 1, checkpoints, signedUpTo, prev);
                }
                String lineRealm = realmOf(obj);
                if (options.realm() != null && lineRealm != null && !options.realm().equals(lineRealm)) {
                    continue;
                }
                boolean firstLine = first;
                first = false;
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
                    anchorHash = h;
                    continue;
                }
                if (obj.containsKey("checkpoint")) {
                    long seq = expected - 1;
                    String hashThere = prev;
                    if (seen != null && obj.get("checkpoint") instanceof Map<?, ?> cpm && cpm.get("seq") instanceof Json.Num cn) {
                        long stated = parseSeq(cn);
                        if (stated < seq && seen.containsKey(stated)) {
                            seq = stated; // a redelivered checkpoint: verified against the record it covers
                            hashThere = seen.get(stated);
                        }
                    }
                    if (seq == lastCheckpointSeq && seen == null) {
                        return bad(seq, "line " + lineNo + ": checkpoint " + seq + " appears again (a sink copy delivered at least once"
                                + " needs --redeliveries)", seq, checkpoints, signedUpTo, prev);
                    }
                    String problem = checkpoint(obj.get("checkpoint"), seq, hashThere, realmId, key);
                    if (problem != null) {
                        return bad(seq, problem, seq, checkpoints, signedUpTo, prev);
                    }
                    if (seq == expected - 1 && seq != lastCheckpointSeq) {
                        checkpoints++; // a redelivered copy is verified, and counted once
                        signedUpTo = seq;
                        lastCheckpointSeq = seq;
                    }
                    continue;
                }
                long seq = obj.get("seq") instanceof Json.Num n ? parseSeq(n) : -1;
                if (seq < expected && seen != null && seq >= 1 && seen.containsKey(seq)) {
                    String stated = obj.get("hash") instanceof String h ? h : null;
                    Map<String, Object> copy = new LinkedHashMap<>(obj);
                    copy.remove("hash");
                    String actual = sha256Hex(new JsonCanonicalizer(Json.write(copy)).getEncodedString().getBytes(StandardCharsets.UTF_8));
                    if (actual.equals(stated) && actual.equals(seen.get(seq))) {
                        continue; // the same record again (at-least-once delivery)
                    }
                    return bad(seq, "repeated record " + seq + " differs from its first copy", expected - 1, checkpoints, signedUpTo, prev);
                }
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
                if (firstSeq == 0) {
                    firstSeq = seq;
                }
                for (TrustedHead t : trusted) {
                    if (t.seq() == seq && t.realmId().equals(realmId)) {
                        if (!t.hash().equals(hash)) {
                            return new Outcome(Status.FORKED, seq - 1, checkpoints, signedUpTo, seq - 1, prev, seq,
                                    "the export forks from the trusted head (" + t.source() + "): record " + seq + " hashes to " + hash
                                            + ", the trusted head has " + t.hash(), anchorSeq, realmId, trustedChecked);
                        }
                        trustedChecked++;
                    }
                }
                if ("CHAIN_PRUNED".equals(obj.get("type")) && obj.get("details") instanceof Map<?, ?> d) {
                    prunedAnchor = d.get("anchorSeq") + " " + d.get("anchorHash");
                }
                if (seen != null) {
                    seen.put(seq, hash);
                }
                prev = hash;
                expected++;
            }
        }
        long head = expected - 1;
        if (anchorSeq > 0 && checkpoints == 0) {
            return bad(anchorSeq + 1, "the chain starts after record " + anchorSeq
                    + " and no signed checkpoint covers the records after that anchor", head, checkpoints, signedUpTo, prev);
        }
        for (TrustedHead t : trusted) {
            if (t.seq() == 0 || (t.fromState() && !t.realmId().equals(realmId))) {
                continue; // the state of another realm
            }
            String problem = null;
            if (!t.realmId().equals(realmId)) {
                problem = "the export holds no record of realm " + t.realmId() + " of the trusted head (" + t.source() + ", seq " + t.seq() + ")";
            } else if (t.seq() > head) {
                problem = "the export ends at record " + head + ", before the trusted head at seq " + t.seq() + " (" + t.source()
                        + "): records " + (head + 1) + ".." + t.seq() + " are missing";
            } else if (firstSeq == 0 || t.seq() < firstSeq) {
                if (t.seq() == anchorSeq && t.hash().equals(anchorHash)) {
                    trustedChecked++;
                    continue; // the trusted head is the anchor the export starts from
                }
                problem = "the export lacks record " + t.seq() + " of the trusted head (" + t.source() + "): it starts at record "
                        + (firstSeq == 0 ? head + 1 : firstSeq);
            }
            if (problem != null) {
                return new Outcome(Status.TRUNCATED, head - anchorSeq, checkpoints, signedUpTo, head, prev, t.seq(), problem, anchorSeq, realmId,
                        trustedChecked);
            }
        }
        if (anchorSeq > 0 && !(anchorSeq + " " + anchorHash).equals(prunedAnchor)) {
            // A prune appends CHAIN_PRUNED naming the anchor it leaves; records deleted in the database with the anchor
            // moved by hand leave none (and writing one would change every later hash).
            return bad(anchorSeq + 1, "the chain starts after record " + anchorSeq + " but " + (prunedAnchor == null
                    ? "no CHAIN_PRUNED record says so" : "its latest CHAIN_PRUNED record names another anchor (" + prunedAnchor + ")")
                    + ": records were removed without a prune", head, checkpoints, signedUpTo, prev);
        }
        if (firstSeq == 0) {
            // Nothing was verified: an empty file, the wrong --realm, or every record removed (seventeenth review: OK 0 records, exit 0).
            return new Outcome(Status.EMPTY, 0, checkpoints, signedUpTo, head, prev, 0, "the input holds no record"
                    + (options.realm() != null ? " of realm " + options.realm() : "") + ": nothing was verified", anchorSeq, realmId,
                    trustedChecked);
        }
        if (checkpoints == 0 && trustedChecked == 0) {
            // Consistent, and nothing more: whoever can edit the export can rewrite any record and recompute every hash
            // after it (sixteenth review: such an export verified OK with the realm's key).
            return new Outcome(Status.UNSIGNED, head - anchorSeq, checkpoints, signedUpTo, head, prev, 0, (head - anchorSeq)
                    + " records, head seq " + head + " hash " + prev + ", are internally consistent, but no checkpoint signed with"
                    + " the given key and no trusted head covers any of them: anyone who could edit the export could have"
                    + " rewritten it", anchorSeq, realmId, trustedChecked);
        }
        return new Outcome(Status.OK, head - anchorSeq, checkpoints, signedUpTo, head, prev, 0, null, anchorSeq, realmId, trustedChecked);
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

    private static long parseSeq(Json.Num n) {
        try {
            return Long.parseLong(n.text());
        } catch (NumberFormatException e) {
            return -1;
        }
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
