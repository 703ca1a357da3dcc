package dev.nhiguard.agent.lifecycle;

import java.util.Iterator;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A realm's NHI lifecycle policy, from the realm attribute {@value #ATTRIBUTE} (JSON). Absent
 * fields take the defaults; an unreadable stored policy falls back to the defaults as a whole.
 *
 * @param dormantDays       unused for this many days = dormant
 * @param rotationDays      a client secret older than this = rotation overdue
 * @param suspendDormant    the scheduled task suspends dormant agents
 * @param suspendOrphaned   agents whose owner is disabled or deleted are suspended
 * @param suspendExpired    agents past their expiry are suspended
 * @param maxActionsPerHour automatic actions per realm per hour, beyond which the rest waits
 * @param expiryWarningDays the owner is emailed this many days before an agent expires; 0 = no warning
 * @param authFailureThreshold     this many client authentication failures of one service account within
 *                                 {@code authFailureWindowSeconds} are a burst; 0 = no detection
 * @param authFailureWindowSeconds the window of the burst
 * @param authFailureAction        what a burst does to an agent: {@code review} (flagged; the default) or
 *                                 {@code suspend}. Anyone who can reach the token endpoint and knows a client id can
 *                                 cause a burst, so {@code suspend} hands them a way to stop the agent.
 * @param newNetworkAction         what a token request from a source network not seen before does:
 *                                 {@code review}, {@code suspend} (agents; others are reviewed) or {@code off}
 * @param networkLearningDays      networks seen in this many days after registration are learnt silently
 */
public record LifecyclePolicy(int dormantDays, int rotationDays, boolean suspendDormant, boolean suspendOrphaned,
                              boolean suspendExpired, int maxActionsPerHour, int expiryWarningDays,
                              int authFailureThreshold, int authFailureWindowSeconds, String authFailureAction,
                              String newNetworkAction, int networkLearningDays) {

    public static final String NETWORK_REVIEW = "review";
    public static final String NETWORK_SUSPEND = "suspend";
    public static final String NETWORK_OFF = "off";
    private static final Set<String> NETWORK_ACTIONS = Set.of(NETWORK_REVIEW, NETWORK_SUSPEND, NETWORK_OFF);
    public static final String AUTH_FAILURE_REVIEW = "review";
    public static final String AUTH_FAILURE_SUSPEND = "suspend";
    private static final Set<String> AUTH_FAILURE_ACTIONS = Set.of(AUTH_FAILURE_REVIEW, AUTH_FAILURE_SUSPEND);

    public static final String ATTRIBUTE = "nhi.lifecycle.policy";
    public static final LifecyclePolicy DEFAULTS = new LifecyclePolicy(90, 90, true, true, true, 50, 7, 10, 300, AUTH_FAILURE_REVIEW,
            NETWORK_REVIEW, 7);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("dormantDays", "rotationDays", "suspendDormant", "suspendOrphaned",
            "suspendExpired", "maxActionsPerHour", "expiryWarningDays", "authFailureThreshold", "authFailureWindowSeconds",
            "authFailureAction", "newNetworkAction", "networkLearningDays");

    /** The stored policy, or the defaults when absent or unreadable. */
    public static LifecyclePolicy stored(String json) {
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
    public static LifecyclePolicy parse(String json) {
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
        return new LifecyclePolicy(
                intField(root, "dormantDays", DEFAULTS.dormantDays, 1, 3650),
                intField(root, "rotationDays", DEFAULTS.rotationDays, 1, 3650),
                boolField(root, "suspendDormant", DEFAULTS.suspendDormant),
                boolField(root, "suspendOrphaned", DEFAULTS.suspendOrphaned),
                boolField(root, "suspendExpired", DEFAULTS.suspendExpired),
                intField(root, "maxActionsPerHour", DEFAULTS.maxActionsPerHour, 0, 10_000),
                intField(root, "expiryWarningDays", DEFAULTS.expiryWarningDays, 0, 365),
                intField(root, "authFailureThreshold", DEFAULTS.authFailureThreshold, 0, 1000),
                intField(root, "authFailureWindowSeconds", DEFAULTS.authFailureWindowSeconds, 10, 86400),
                oneOf(root, "authFailureAction", DEFAULTS.authFailureAction, AUTH_FAILURE_ACTIONS, "review, suspend"),
                oneOf(root, "newNetworkAction", DEFAULTS.newNetworkAction, NETWORK_ACTIONS, "review, suspend, off"),
                intField(root, "networkLearningDays", DEFAULTS.networkLearningDays, 0, 365));
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int intField(JsonNode root, String name, int dflt, int min, int max) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isInt() || v.intValue() < min || v.intValue() > max) {
            throw new IllegalArgumentException(name + " must be an integer from " + min + " to " + max);
        }
        return v.intValue();
    }

    private static String oneOf(JsonNode root, String name, String dflt, Set<String> allowed, String inWords) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual() || !allowed.contains(v.textValue())) {
            throw new IllegalArgumentException(name + " must be one of " + inWords);
        }
        return v.textValue();
    }

    private static boolean boolField(JsonNode root, String name, boolean dflt) {
        JsonNode v = root.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(name + " must be true or false");
        }
        return v.booleanValue();
    }
}
