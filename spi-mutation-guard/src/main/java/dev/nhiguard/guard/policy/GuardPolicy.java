package dev.nhiguard.guard.policy;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.Operation;
import dev.nhiguard.guard.catalogue.OperationKind;

/**
 * A realm's guard policy, read from the realm attribute {@code nhi.guard.policy}. Absent means
 * the defaults: every catalogue operation that does not only reduce privileges is guarded.
 */
public final class GuardPolicy {

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public static final int DEFAULT_APPROVALS = 1;
    public static final String DEFAULT_APPROVER_ROLE = "nhi-approver";
    /** The name Keycloak gives a realm's default role ({@code default-roles-<realm>}). */
    public static final String DEFAULT_ROLES_PREFIX = "default-roles-";
    public static final long DEFAULT_EXPIRY_SECONDS = 24 * 3600L;
    public static final long DEFAULT_STEP_UP_MAX_AGE_SECONDS = 300L;
    public static final long DEFAULT_SENSITIVE_COOLDOWN_SECONDS = 15 * 60L;

    private static final Set<String> KEYS = Set.of("guardedOperations", "approvalsRequired", "approverRole",
            "expirySeconds", "cooldownSeconds", "stepUpMaxAgeSeconds", "stepUpMinimumLevel", "stepUpAcr",
            "containmentReviewSeconds", "autoApply", "approverRealm", "secretRollbackRetentionSeconds", "maxOpenPerRequester");
    public static final long DEFAULT_CONTAINMENT_REVIEW_SECONDS = 3600L;
    /** How long after apply the replaced client secret is kept (sealed) so a rollback can restore it. */
    public static final long DEFAULT_SECRET_ROLLBACK_RETENTION_SECONDS = 7 * 24 * 3600L;
    /** How many open change requests (pending, approved, cooling down) one requester may have in a realm. */
    public static final int DEFAULT_MAX_OPEN_PER_REQUESTER = 100;

    private final Set<String> guardedOperations; // null = defaults
    private final int approvalsRequired;
    private final String approverRole;
    private final long expirySeconds;
    private final Map<OperationKind, Long> cooldownSeconds;
    private final long stepUpMaxAgeSeconds;
    private final int stepUpMinimumLevel;
    private final String stepUpAcr;
    private final long containmentReviewSeconds;
    private final boolean autoApply;
    private final String approverRealm;
    private final long secretRollbackRetentionSeconds;
    private final int maxOpenPerRequester;

    private GuardPolicy(Set<String> guardedOperations, int approvalsRequired, String approverRole, long expirySeconds,
            Map<OperationKind, Long> cooldownSeconds, long stepUpMaxAgeSeconds, int stepUpMinimumLevel, String stepUpAcr,
            long containmentReviewSeconds, boolean autoApply, String approverRealm, long secretRollbackRetentionSeconds,
            int maxOpenPerRequester) {
        this.guardedOperations = guardedOperations == null ? null : Collections.unmodifiableSet(guardedOperations);
        this.approvalsRequired = approvalsRequired;
        this.approverRole = approverRole;
        this.expirySeconds = expirySeconds;
        this.cooldownSeconds = Collections.unmodifiableMap(cooldownSeconds);
        this.stepUpMaxAgeSeconds = stepUpMaxAgeSeconds;
        this.stepUpMinimumLevel = stepUpMinimumLevel;
        this.stepUpAcr = stepUpAcr;
        this.containmentReviewSeconds = containmentReviewSeconds;
        this.autoApply = autoApply;
        this.approverRealm = approverRealm;
        this.secretRollbackRetentionSeconds = secretRollbackRetentionSeconds;
        this.maxOpenPerRequester = maxOpenPerRequester;
    }

    public static GuardPolicy defaults() {
        return new GuardPolicy(null, DEFAULT_APPROVALS, DEFAULT_APPROVER_ROLE, DEFAULT_EXPIRY_SECONDS,
                defaultCooldowns(), DEFAULT_STEP_UP_MAX_AGE_SECONDS, 0, null, DEFAULT_CONTAINMENT_REVIEW_SECONDS, false,
                null, DEFAULT_SECRET_ROLLBACK_RETENTION_SECONDS, DEFAULT_MAX_OPEN_PER_REQUESTER);
    }

    private static Map<OperationKind, Long> defaultCooldowns() {
        Map<OperationKind, Long> m = new EnumMap<>(OperationKind.class);
        for (OperationKind k : OperationKind.values()) {
            m.put(k, 0L);
        }
        m.put(OperationKind.CREDENTIAL, DEFAULT_SENSITIVE_COOLDOWN_SECONDS);
        m.put(OperationKind.RECOVERY, DEFAULT_SENSITIVE_COOLDOWN_SECONDS);
        return m;
    }

    /** The policy stored in the attribute value; null or blank gives the defaults. */
    public static GuardPolicy fromAttribute(String value) throws PolicyException {
        if (value == null || value.isBlank()) {
            return defaults();
        }
        return parse(value);
    }

    /** Parses and validates a policy document; unknown keys, wrong types and bad ranges are refused. */
    public static GuardPolicy parse(String json) throws PolicyException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new PolicyException("Policy is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new PolicyException("Policy must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new PolicyException("Unknown policy field '" + key + "'; known: " + new java.util.TreeSet<>(KEYS));
            }
        }
        Set<String> guarded = null;
        JsonNode g = root.get("guardedOperations");
        if (g != null && !g.isNull()) {
            if (!g.isArray()) {
                throw new PolicyException("guardedOperations must be an array of catalogue operation ids");
            }
            guarded = new LinkedHashSet<>();
            for (JsonNode e : g) {
                if (!e.isTextual()) {
                    throw new PolicyException("guardedOperations must contain strings");
                }
                if (Catalogue.get().byId(e.asText()).isEmpty()) {
                    throw new PolicyException("Unknown catalogue operation '" + e.asText() + "'");
                }
                guarded.add(e.asText());
            }
        }
        int approvals = (int) integer(root, "approvalsRequired", DEFAULT_APPROVALS, 1, 10);
        String role = DEFAULT_APPROVER_ROLE;
        JsonNode r = root.get("approverRole");
        if (r != null && !r.isNull()) {
            if (!r.isTextual() || r.asText().isBlank() || r.asText().length() > 255) {
                throw new PolicyException("approverRole must be a non-empty role name of at most 255 characters");
            }
            if (r.asText().startsWith(DEFAULT_ROLES_PREFIX)) {
                // Keycloak grants a realm's default role directly to every user it creates: all of them would approve.
                throw new PolicyException("approverRole must not be a realm's default role (" + DEFAULT_ROLES_PREFIX + "…)");
            }
            role = r.asText();
        }
        long expiry = integer(root, "expirySeconds", DEFAULT_EXPIRY_SECONDS, 1, 30L * 24 * 3600);
        Map<OperationKind, Long> cooldowns = defaultCooldowns();
        JsonNode c = root.get("cooldownSeconds");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw new PolicyException("cooldownSeconds must be an object of operation kind to seconds");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                OperationKind kind = OperationKind.fromJsonName(e.getKey());
                if (kind == null) {
                    throw new PolicyException("Unknown operation kind '" + e.getKey() + "' in cooldownSeconds");
                }
                if (!e.getValue().canConvertToLong() || !e.getValue().isIntegralNumber()
                        || e.getValue().asLong() < 0 || e.getValue().asLong() > 7L * 24 * 3600) {
                    throw new PolicyException("cooldownSeconds." + e.getKey() + " must be an integer from 0 to 604800");
                }
                cooldowns.put(kind, e.getValue().asLong());
            }
        }
        long maxAge = integer(root, "stepUpMaxAgeSeconds", DEFAULT_STEP_UP_MAX_AGE_SECONDS, 1, 24 * 3600);
        int minLevel = (int) integer(root, "stepUpMinimumLevel", 0, 0, 100);
        String acr = null;
        JsonNode a = root.get("stepUpAcr");
        if (a != null && !a.isNull()) {
            if (!a.isTextual() || a.asText().isBlank() || a.asText().length() > 255 || a.asText().contains("\"")) {
                throw new PolicyException("stepUpAcr must be a non-empty ACR value without quotes");
            }
            acr = a.asText();
        }
        long review = integer(root, "containmentReviewSeconds", DEFAULT_CONTAINMENT_REVIEW_SECONDS, 1, 7L * 24 * 3600);
        boolean autoApply = false;
        JsonNode au = root.get("autoApply");
        if (au != null && !au.isNull()) {
            if (!au.isBoolean()) {
                throw new PolicyException("autoApply must be true or false");
            }
            autoApply = au.asBoolean();
        }
        String approverRealm = null;
        JsonNode ar = root.get("approverRealm");
        if (ar != null && !ar.isNull()) {
            if (!ar.isTextual() || ar.asText().isBlank() || ar.asText().length() > 255) {
                throw new PolicyException("approverRealm must be a realm name (the administration realm, e.g. master)");
            }
            approverRealm = ar.asText();
        }
        long retention = integer(root, "secretRollbackRetentionSeconds", DEFAULT_SECRET_ROLLBACK_RETENTION_SECONDS, 0,
                90L * 24 * 3600);
        int maxOpen = (int) integer(root, "maxOpenPerRequester", DEFAULT_MAX_OPEN_PER_REQUESTER, 1, 100_000);
        return new GuardPolicy(guarded, approvals, role, expiry, cooldowns, maxAge, minLevel, acr, review, autoApply,
                approverRealm, retention, maxOpen);
    }

    private static long integer(JsonNode root, String field, long dflt, long min, long max) throws PolicyException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw new PolicyException(field + " must be an integer from " + min + " to " + max);
        }
        return n.asLong();
    }

    /** Whether the policy guards this catalogue operation. */
    public boolean guards(Operation op) {
        if (guardedOperations == null) {
            return !op.privilegeReducing();
        }
        return guardedOperations.contains(op.id());
    }

    public boolean guardsNothing() {
        return guardedOperations != null && guardedOperations.isEmpty();
    }

    public int approvalsRequired() { return approvalsRequired; }
    public String approverRole() { return approverRole; }
    public long expirySeconds() { return expirySeconds; }
    public long cooldownSeconds(OperationKind kind) { return cooldownSeconds.getOrDefault(kind, 0L); }
    public long stepUpMaxAgeSeconds() { return stepUpMaxAgeSeconds; }
    public int stepUpMinimumLevel() { return stepUpMinimumLevel; }
    /** ACR value to ask for in a step-up challenge, or null when the policy names none. */
    public String stepUpAcr() { return stepUpAcr; }
    /** How long a second admin has to confirm or revert a containment. */
    public long containmentReviewSeconds() { return containmentReviewSeconds; }
    /** Apply without a separate call once the last approval lands and the cooldown has ended. */
    public boolean autoApply() { return autoApply; }
    /**
     * The realm whose users approve, or null for the guarded realm itself. Keycloak lets only the
     * guarded realm's and the administration realm's users call its admin API, so in practice this
     * is the administration realm ({@code master}): then no admin of the guarded realm can create,
     * change or log in as an approver at all.
     */
    public String approverRealm() { return approverRealm; }
    /**
     * How long after apply a replaced client secret stays sealed with its change request so that a
     * rollback can restore it; 0 keeps none (a rollback then keeps the current secret).
     */
    public long secretRollbackRetentionSeconds() { return secretRollbackRetentionSeconds; }
    /**
     * How many open change requests one requester may have in the realm: beyond it a write that would be held answers
     * 429, so that no one (a reviewer without an admin role, a script, a stolen token) fills the approvers' list and
     * inboxes.
     */
    public int maxOpenPerRequester() { return maxOpenPerRequester; }

    /** The effective policy as JSON, defaults spelled out. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode g = o.putArray("guardedOperations");
        Catalogue.get().operations().stream().filter(this::guards).forEach(op -> g.add(op.id()));
        o.put("approvalsRequired", approvalsRequired);
        o.put("approverRole", approverRole);
        o.put("expirySeconds", expirySeconds);
        ObjectNode c = o.putObject("cooldownSeconds");
        cooldownSeconds.forEach((k, v) -> c.put(k.jsonName(), v));
        o.put("stepUpMaxAgeSeconds", stepUpMaxAgeSeconds);
        o.put("stepUpMinimumLevel", stepUpMinimumLevel);
        if (stepUpAcr != null) {
            o.put("stepUpAcr", stepUpAcr);
        }
        o.put("containmentReviewSeconds", containmentReviewSeconds);
        o.put("autoApply", autoApply);
        if (approverRealm != null) {
            o.put("approverRealm", approverRealm);
        }
        o.put("secretRollbackRetentionSeconds", secretRollbackRetentionSeconds);
        o.put("maxOpenPerRequester", maxOpenPerRequester);
        return o;
    }
}
