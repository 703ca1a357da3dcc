package dev.nhiguard.verifier;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The exact shape of the two native lines that are not records, as the server writes them: the
 * anchor line of a pruned export {@code {"anchor":{"seq":n,"hash":"…"}}}, and a checkpoint line,
 * {@code {"checkpoint":{"seq":n,"note":"…"}}} in an export, {@code {"checkpoint":{"realmId":"…","seq":n,"note":"…"}}}
 * in a sink copy (a CloudEvent's {@code data}). The verifier hashes records only; a member
 * beside these on such a line would be read by other tools ({@code jq}) but covered by nothing,
 * so such a line is refused (seventeenth review: a whole forged record rode on a checkpoint line).
 */
final class LineShape {

    private static final Set<String> ANCHOR = Set.of("seq", "hash");
    private static final Set<String> CHECKPOINT_REQUIRED = Set.of("seq", "note");
    private static final Set<String> CHECKPOINT_ALLOWED = Set.of("realmId", "seq", "note");

    private LineShape() {
    }

    /** Why this anchor or checkpoint line is not in the shape the server writes, or null (also for a record line). */
    static String problem(Map<String, Object> line) {
        boolean anchor = line.containsKey("anchor");
        boolean checkpoint = line.containsKey("checkpoint");
        if (!anchor && !checkpoint) {
            return null;
        }
        String kind = anchor ? "anchor" : "checkpoint";
        if (line.size() != 1) {
            Set<String> others = new TreeSet<>(line.keySet());
            others.remove(kind);
            return kind + " line has other members (" + String.join(", ", others) + "), which nothing verifies";
        }
        if (!(line.get(kind) instanceof Map<?, ?> inner)) {
            return kind + " line is malformed: " + kind + " is not a JSON object";
        }
        if (anchor) {
            return inner.keySet().equals(ANCHOR) ? null : "anchor line is malformed: its anchor must have exactly seq and hash, has "
                    + new TreeSet<>(inner.keySet());
        }
        if (!inner.keySet().containsAll(CHECKPOINT_REQUIRED) || !CHECKPOINT_ALLOWED.containsAll(inner.keySet())) {
            return "checkpoint line is malformed: its checkpoint must have seq and note (and, in a sink copy, realmId), has "
                    + new TreeSet<>(inner.keySet());
        }
        if (inner.containsKey("realmId")) {
            if (!(inner.get("realmId") instanceof String realmId) || !(inner.get("note") instanceof String note)
                    || !note.startsWith(AuditVerifier.ORIGIN_PREFIX + realmId + "\n")) {
                return "checkpoint line is malformed: its realmId is not the realm its note is signed for";
            }
        }
        return null;
    }
}
