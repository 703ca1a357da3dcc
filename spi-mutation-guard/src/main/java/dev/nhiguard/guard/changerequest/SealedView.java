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
 * {@code {"sealed":"present"}}, and a fingerprint string in a component's {@code secretFingerprints}
 * is {@code "sealed"}. Fingerprints stay in the stored request, where only the server compares them
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

    /** Where the audit module keeps a realm sink's secret, sealed with a nonce derived from the secret (so comparable). */
    static final String SECRET_REF = "secretRef";

    /** Where a component's image keeps the fingerprints of the secrets Keycloak does not show ({@code [{key, fingerprints}]}). */
    static final String SECRET_FINGERPRINTS = "secretFingerprints";

    private static JsonNode render(JsonNode stored, String word) {
        if (stored == null) {
            return null;
        }
        return walk(stored.deepCopy(), word, false);
    }

    /** {@code fingerprints}: inside a {@value #SECRET_FINGERPRINTS} list, the only place a bare fingerprint string is one. */
    private static JsonNode walk(JsonNode n, String word, boolean fingerprints) {
        if (Sealer.isSealed(n)) {
            return JSON.createObjectNode().put(Sealer.SEALED, word);
        }
        if (fingerprints && n.isTextual() && n.asText().startsWith(Sealer.FINGERPRINT_PREFIX)) {
            return TextNode.valueOf(FINGERPRINT_SHOWN);
        }
        if (n instanceof ObjectNode o) {
            List<String> fields = new ArrayList<>();
            o.fieldNames().forEachRemaining(fields::add);
            for (String f : fields) {
                JsonNode v = o.get(f);
                // An audit sink's secret, sealed by the audit module: the same secret gives the same text.
                o.set(f, SECRET_REF.equals(f) && v.isTextual() && !v.asText().isEmpty() ? JSON.createObjectNode().put(Sealer.SEALED, word)
                        : walk(v, word, fingerprints || SECRET_FINGERPRINTS.equals(f)));
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, walk(a.get(i), word, fingerprints));
            }
        }
        return n;
    }

    /**
     * The differences between two stored images of one target (a before-image and the target as it
     * is now), as shown: by {@link JsonDiff} on the shown images, and one entry per credential whose
     * stored fingerprint differs ({@code "sealed":"changed"}; neither image is a value anyone chose).
     */
    static ArrayNode changes(JsonNode was, JsonNode now) {
        ArrayNode out = JsonDiff.diff(image(was), image(now));
        java.util.Map<String, String> before = Sealer.fingerprints(was);
        java.util.Map<String, String> after = Sealer.fingerprints(now);
        before.forEach((pointer, fingerprint) -> {
            if (after.containsKey(pointer) && !after.get(pointer).equals(fingerprint)) {
                out.addObject().put("op", "replace").put("path", pointer).put(Sealer.SEALED, "changed");
            }
        });
        List<String> fingerprintsWas = stringsUnder(was);
        List<String> fingerprintsNow = stringsUnder(now);
        if (!fingerprintsWas.equals(fingerprintsNow)) {
            out.addObject().put("op", "replace").put("path", "/" + SECRET_FINGERPRINTS).put(Sealer.SEALED, "changed");
        }
        if (was != null && now != null && !was.findValuesAsText(SECRET_REF).equals(now.findValuesAsText(SECRET_REF))) {
            out.addObject().put("op", "replace").put("path", "/" + SECRET_REF).put(Sealer.SEALED, "changed");
        }
        return out;
    }

    /** The fingerprint strings under {@value #SECRET_FINGERPRINTS}, in document order. */
    private static List<String> stringsUnder(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null) {
            n.findValues(SECRET_FINGERPRINTS).forEach(list -> list.findValues("fingerprints")
                    .forEach(fs -> fs.forEach(f -> out.add(f.asText()))));
        }
        return out;
    }
}
