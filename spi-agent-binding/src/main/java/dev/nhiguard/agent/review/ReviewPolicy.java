package dev.nhiguard.agent.review;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A realm's access-review policy, realm attribute {@value #ATTRIBUTE} (JSON). Absent fields take
 * the defaults; an unreadable stored policy falls back to the defaults as a whole.
 *
 * @param intervalDays     the scheduled pass starts a campaign this many days after the previous one started; 0 = by hand only
 * @param scope            which service accounts a campaign covers: {@code all}, {@code agents}, {@code flagged} (any inventory flag)
 * @param deadlineSeconds  how long reviewers have to decide an item
 * @param onUndecided      what happens to an item undecided at the deadline: {@code suspend} (agents suspended, other
 *                         service accounts disabled) or {@code narrow} (unrequested roles and scopes dropped)
 * @param lookbackDays     the period of recorded usage an item compares what it holds against
 * @param narrowOnSignals  risk signal types that narrow the identity instead of the default response
 * @param narrowKeepRoles  roles a risk narrowing keeps (realm role names, client roles as {@code clientId/role})
 */
public record ReviewPolicy(int intervalDays, String scope, long deadlineSeconds, String onUndecided, int lookbackDays,
                           List<String> narrowOnSignals, List<String> narrowKeepRoles) {

    public static final String ATTRIBUTE = "nhi.review.policy";
    public static final String SCOPE_ALL = "all";
    public static final String SCOPE_AGENTS = "agents";
    public static final String SCOPE_FLAGGED = "flagged";
    public static final String UNDECIDED_SUSPEND = "suspend";
    public static final String UNDECIDED_NARROW = "narrow";
    static final Set<String> SIGNALS = Set.of("leaked-secret", "auth-failure-burst", "new-source-network");

    public static final ReviewPolicy DEFAULTS = new ReviewPolicy(0, SCOPE_ALL, 14 * 86400L, UNDECIDED_SUSPEND, 90, List.of(), List.of());

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> FIELDS = Set.of("intervalDays", "scope", "deadlineSeconds", "onUndecided", "lookbackDays",
            "narrowOnSignals", "narrowKeepRoles");

    /** The stored policy, or the defaults when absent or unreadable. */
    public static ReviewPolicy stored(String json) {
        if (json == null || json.isBlank()) {
            return DEFAULTS;
        }
        try {
            return parse(json);
        } catch (IllegalArgumentException e) {
            return DEFAULTS;
        }
    }

    /** Parses and validates a policy; throws {@link IllegalArgumentException} naming the problem. */
    public static ReviewPolicy parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("policy is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("policy must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown policy field '" + f + "'");
            }
        }
        return new ReviewPolicy(
                (int) number(root, "intervalDays", DEFAULTS.intervalDays, 0, 3650),
                choice(root, "scope", DEFAULTS.scope, Set.of(SCOPE_ALL, SCOPE_AGENTS, SCOPE_FLAGGED)),
                number(root, "deadlineSeconds", DEFAULTS.deadlineSeconds, 1, 366 * 86400L),
                choice(root, "onUndecided", DEFAULTS.onUndecided, Set.of(UNDECIDED_SUSPEND, UNDECIDED_NARROW)),
                (int) number(root, "lookbackDays", DEFAULTS.lookbackDays, 1, 3650),
                strings(root, "narrowOnSignals", SIGNALS),
                strings(root, "narrowKeepRoles", null));
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long number(JsonNode root, String name, long dflt, long min, long max) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.longValue() < min || v.longValue() > max) {
            throw new IllegalArgumentException(name + " must be an integer from " + min + " to " + max);
        }
        return v.longValue();
    }

    private static String choice(JsonNode root, String name, String dflt, Set<String> allowed) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual() || !allowed.contains(v.textValue())) {
            throw new IllegalArgumentException(name + " must be one of " + String.join(", ", new java.util.TreeSet<>(allowed)));
        }
        return v.textValue();
    }

    private static List<String> strings(JsonNode root, String name, Set<String> allowed) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray() || v.size() > 200) {
            throw new IllegalArgumentException(name + " must be an array of at most 200 strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || e.textValue().isBlank() || e.textValue().length() > 255) {
                throw new IllegalArgumentException(name + " must hold non-empty strings of at most 255 characters");
            }
            if (allowed != null && !allowed.contains(e.textValue())) {
                throw new IllegalArgumentException(name + ": unknown value '" + e.textValue() + "'; allowed: "
                        + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
            if (!out.contains(e.textValue())) {
                out.add(e.textValue());
            }
        }
        return List.copyOf(out);
    }
}
