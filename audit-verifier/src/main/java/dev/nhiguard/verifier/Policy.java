package dev.nhiguard.verifier;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A witness policy in the C2SP tlog-policy format (https://c2sp.org/tlog-policy): lines
 * {@code log <vkey> [<url>]}, {@code witness <name> <vkey> [<url>]},
 * {@code group <name> <k|all|any> <member>...} and exactly one {@code quorum <name|none>};
 * {@code #} comments and blank lines are ignored. Log keys are checkpoint keys (signature type
 * 0x01), witness keys cosignature/v1 keys (0x04). A group or the quorum may only name witnesses
 * or groups defined on earlier lines, each member at most once. Deviation: the key name of a
 * log is the chain's checkpoint key name, not its origin line (the origin names the realm).
 */
final class Policy {

    /** A witness or a group: satisfied by a note when enough of its members cosigned it. */
    private record Node(Notes.VKey witness, int k, List<String> members) {
    }

    final List<Notes.VKey> logs = new ArrayList<>();
    private final Map<String, Node> names = new LinkedHashMap<>();
    private String quorum;

    static Policy parse(String text) {
        Policy p = new Policy();
        int n = 0;
        for (String raw : text.split("\n", -1)) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("[ \t]+");
            switch (f[0]) {
                case "log" -> {
                    if (f.length < 2 || f.length > 3) {
                        throw p.error(n, "log <vkey> [<url>]");
                    }
                    p.logs.add(Notes.vkey(f[1], Notes.TYPE_ED25519));
                }
                case "witness" -> {
                    if (f.length < 3 || f.length > 4) {
                        throw p.error(n, "witness <name> <vkey> [<url>]");
                    }
                    p.define(n, f[1], new Node(Notes.vkey(f[2], Notes.TYPE_COSIGNATURE_V1), 0, List.of()));
                }
                case "group" -> {
                    if (f.length < 4) {
                        throw p.error(n, "group <name> <k|all|any> <member>...");
                    }
                    List<String> members = List.of(f).subList(3, f.length);
                    if (members.stream().distinct().count() != members.size()) {
                        throw p.error(n, "a member may be listed once");
                    }
                    for (String m : members) {
                        if (!p.names.containsKey(m)) {
                            throw p.error(n, "member " + m + " is not defined on an earlier line");
                        }
                    }
                    int k;
                    if ("all".equals(f[2])) {
                        k = members.size();
                    } else if ("any".equals(f[2])) {
                        k = 1;
                    } else {
                        try {
                            k = Integer.parseInt(f[2]);
                        } catch (NumberFormatException e) {
                            throw p.error(n, "threshold must be all, any or a number");
                        }
                        if (k < 1 || k > members.size()) {
                            throw p.error(n, "threshold must be 1.." + members.size());
                        }
                    }
                    p.define(n, f[1], new Node(null, k, members));
                }
                case "quorum" -> {
                    if (f.length != 2 || p.quorum != null) {
                        throw p.error(n, "exactly one quorum <name> line");
                    }
                    if (!"none".equals(f[1]) && !p.names.containsKey(f[1])) {
                        throw p.error(n, "quorum " + f[1] + " is not defined on an earlier line");
                    }
                    p.quorum = f[1];
                }
                default -> throw p.error(n, "unknown line type " + f[0]);
            }
        }
        if (p.quorum == null) {
            throw new IllegalArgumentException("witness policy has no quorum line");
        }
        return p;
    }

    private void define(int line, String name, Node node) {
        if ("none".equals(name) || names.containsKey(name)) {
            throw error(line, "name " + name + " is reserved or already defined");
        }
        for (Node other : names.values()) {
            if (node.witness() != null && other.witness() != null
                    && java.util.Arrays.equals(Notes.raw(other.witness().publicKey()), Notes.raw(node.witness().publicKey()))) {
                throw error(line, "duplicate witness key");
            }
        }
        names.put(name, node);
    }

    private IllegalArgumentException error(int line, String what) {
        return new IllegalArgumentException("witness policy line " + line + ": " + what);
    }

    /** Whether the note's cosignatures satisfy the quorum. */
    boolean satisfied(Notes.Note note) {
        return "none".equals(quorum) || satisfied(quorum, note, new HashMap<>());
    }

    /** Names of the witnesses whose cosignature on the note verifies. */
    List<String> cosigners(Notes.Note note) {
        List<String> out = new ArrayList<>();
        names.forEach((name, node) -> {
            if (node.witness() != null && Notes.cosignedBy(note, node.witness())) {
                out.add(name);
            }
        });
        return out;
    }

    String quorum() {
        return quorum;
    }

    private boolean satisfied(String name, Notes.Note note, Map<String, Boolean> memo) {
        Boolean known = memo.get(name);
        if (known != null) {
            return known;
        }
        Node node = names.get(name);
        boolean ok;
        if (node.witness() != null) {
            ok = Notes.cosignedBy(note, node.witness());
        } else {
            int count = 0;
            for (String m : node.members()) {
                if (satisfied(m, note, memo)) {
                    count++;
                }
            }
            ok = count >= node.k();
        }
        memo.put(name, ok);
        return ok;
    }
}
