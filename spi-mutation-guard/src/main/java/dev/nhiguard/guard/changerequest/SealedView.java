package dev.nhiguard.guard.changerequest;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.nhiguard.guard.sealing.Sealer;

/**
 * How credentials in a change request are shown: by where they are, never by value or by
 * fingerprint, and never as equal or unequal to another credential. A fingerprint, or a mark
 * saying a sent credential equals the current one, would let any admin who can send a request
 * test guesses (send a guess, read the mark). So a credential the request sends is
 * {@code {"sealed":"supplied"}} whatever it equals, one the target holds is
 * {@code {"sealed":"present"}}, and a fingerprint string (a component's secret fingerprints) is
 * {@code "sealed"}. Fingerprints stay in the stored request, where only the server compares them
 * (the apply-time re-check, the dry run's generated values).
 */
final class SealedView {

    /** A credential the request sends. */
    static final String SUPPLIED = "supplied";
    /** A credential the target holds (before-image, dry-run after-image). */
    static final String PRESENT = "present";
    /** A bare fingerprint string, as shown. */
    static final String FINGERPRINT_SHOWN = "sealed";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SealedView() {
    }

    /** A stored body (sealed or public form) as shown: every credential {@code {"sealed":"supplied"}}. */
    static JsonNode body(JsonNode stored) {
        return render(stored, SUPPLIED);
    }

    /** A stored image as shown: every credential {@code {"sealed":"present"}}, fingerprint strings {@code "sealed"}. */
    static JsonNode image(JsonNode stored) {
        return render(stored, PRESENT);
    }

    /** Whether the node is a credential as shown ({@code {"sealed":word}} and nothing else). */
    static boolean isShown(JsonNode n) {
        return n instanceof ObjectNode o && o.size() == 1 && o.path(Sealer.SEALED).isTextual()
                && (PRESENT.equals(o.get(Sealer.SEALED).asText()) || SUPPLIED.equals(o.get(Sealer.SEALED).asText()));
    }

    /**
     * One diff entry per credential the body sends ({@code "source":"request"}, the body's JSON
     * Pointer): a dry run's images show no credential as changed or unchanged, so the diff names
     * what the request supplies from the body, whatever it equals.
     */
    static List<ObjectNode> suppliedEntries(JsonNode storedBody) {
        List<ObjectNode> out = new ArrayList<>();
        for (String pointer : Sealer.fingerprints(storedBody).keySet()) {
            out.add(JSON.createObjectNode().put("op", "replace").put("path", pointer).put(Sealer.SEALED, SUPPLIED)
                    .put("source", "request"));
        }
        return out;
    }

    private static JsonNode render(JsonNode stored, String word) {
        if (stored == null) {
            return null;
        }
        return walk(stored.deepCopy(), word);
    }

    private static JsonNode walk(JsonNode n, String word) {
        if (Sealer.isSealed(n)) {
            return JSON.createObjectNode().put(Sealer.SEALED, word);
        }
        if (n.isTextual() && n.asText().startsWith(Sealer.FINGERPRINT_PREFIX)) {
            return TextNode.valueOf(FINGERPRINT_SHOWN);
        }
        if (n instanceof ObjectNode o) {
            List<String> fields = new ArrayList<>();
            o.fieldNames().forEachRemaining(fields::add);
            for (String f : fields) {
                o.set(f, walk(o.get(f), word));
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, walk(a.get(i), word));
            }
        }
        return n;
    }
}
