package dev.nhiguard.guard.changerequest;

import java.util.List;

import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.store.ApprovalEntity;
import dev.nhiguard.guard.store.ChangeRequestEntity;
import dev.nhiguard.guard.store.HistoryEntity;

/** JSON of a change request as the REST API shows it. */
public final class ChangeRequestView {

    private ChangeRequestView() {
    }

    static JsonNode parse(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JsonSerialization.mapper.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored JSON unreadable", e);
        }
    }

    /** Summary for lists and for the 202 answer. */
    public static ObjectNode summary(ChangeRequestEntity cr, int approvals, GuardPolicy policy) {
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.put("id", cr.getId());
        o.put("state", cr.getState());
        o.put("operation", cr.getOperation());
        com.fasterxml.jackson.databind.node.ArrayNode effects = o.putArray("effects");
        for (String e : (cr.getEffects() == null ? cr.getOperation() : cr.getEffects()).split(",")) {
            effects.add(e);
        }
        o.put("kind", cr.getOperationKind());
        o.put("method", cr.getMethod());
        o.put("path", cr.getPath());
        o.put("target", cr.getTarget());
        o.put("digest", cr.getDigest());
        ObjectNode req = o.putObject("requester");
        req.put("userId", cr.getRequesterUserId());
        req.put("username", cr.getRequesterUsername());
        req.put("realmId", cr.getRequesterRealmId());
        req.put("clientId", cr.getRequesterClientId());
        if (cr.getRequesterAuthTime() != null) {
            req.put("authTime", cr.getRequesterAuthTime());
        }
        if (cr.getRequesterLoa() != null) {
            req.put("loa", cr.getRequesterLoa());
        }
        if (cr.getRequesterImpersonatorId() != null) {
            req.put("impersonatorId", cr.getRequesterImpersonatorId());
        }
        req.put("serviceAccount", cr.isRequesterServiceAccount());
        o.put("createdAt", cr.getCreatedAt());
        o.put("updatedAt", cr.getUpdatedAt());
        o.put("expiresAt", cr.getExpiresAt());
        o.put("approvalsRequired", cr.getApprovalsRequired());
        o.put("approvalsGiven", approvals);
        o.put("cooldownSeconds", cr.getCooldownSeconds());
        if (cr.getApprovedAt() != null) {
            o.put("approvedAt", cr.getApprovedAt());
            o.put("cooldownEndsAt", cr.getApprovedAt() + cr.getCooldownSeconds() * 1000);
        }
        if (cr.getAppliedAt() != null) {
            o.put("appliedAt", cr.getAppliedAt());
        }
        if (cr.getDecisionReason() != null) {
            o.put("reason", cr.getDecisionReason());
        }
        if (cr.getResultStatus() != null) {
            o.put("resultStatus", cr.getResultStatus());
        }
        if (cr.getRollbackOf() != null) {
            o.put("rollbackOf", cr.getRollbackOf());
        }
        o.set("needs", needs(cr, approvals, policy));
        return o;
    }

    static ObjectNode needs(ChangeRequestEntity cr, int approvals, GuardPolicy policy) {
        ObjectNode n = JsonSerialization.mapper.createObjectNode();
        State s = State.valueOf(cr.getState());
        if (s == State.PENDING) {
            n.put("approvals", Math.max(0, cr.getApprovalsRequired() - approvals));
            n.put("approverRole", policy.approverRole());
            ObjectNode step = n.putObject("stepUp");
            step.put("maxAgeSeconds", policy.stepUpMaxAgeSeconds());
            step.put("minimumLevel", policy.stepUpMinimumLevel());
            if (policy.stepUpAcr() != null) {
                step.put("acr", policy.stepUpAcr());
            }
            n.put("approvalEndpoint", "change-requests/" + cr.getId() + "/approve");
        }
        if (s == State.PENDING || s == State.COOLING_DOWN) {
            n.put("cooldownSeconds", cr.getCooldownSeconds());
        }
        if (s == State.CONTAINED) {
            n.put("review", "a second admin holding '" + policy.approverRole() + "' confirms or reverts by "
                    + java.time.Instant.ofEpochMilli(cr.getExpiresAt()));
            n.put("confirmEndpoint", "change-requests/" + cr.getId() + "/confirm");
            n.put("revertEndpoint", "change-requests/" + cr.getId() + "/revert");
        }
        if (s == State.APPROVED || s == State.COOLING_DOWN) {
            n.put("apply", "change-requests/" + cr.getId() + "/apply");
        }
        return n;
    }

    /**
     * The proposed after-image, how it was obtained, and the diff: from a dry run in Keycloak when
     * one was made at hold time (one image per target; with several targets the after-image is keyed
     * by target name and each diff entry names its target), else the guard's merge of the body.
     */
    public record Proposed(String source, JsonNode after, ArrayNode diff, String reason) {
    }

    public static Proposed proposed(ChangeRequestEntity cr) {
        JsonNode dry = parse(cr.getDryRun());
        if (dry != null && dry.path("targets").isArray() && !dry.path("targets").isEmpty()) {
            JsonNode targets = dry.get("targets");
            ArrayNode diff = JsonSerialization.mapper.createArrayNode();
            // Credentials in the images are shown as present, never as changed or unchanged; the request's own
            // credentials are named from its body (SealedView).
            JsonNode shown;
            if (targets.size() == 1) {
                JsonNode t = targets.get(0);
                shown = SealedView.image(t.get("after"));
                diff.addAll(JsonDiff.diff(SealedView.image(t.get("before")), shown));
            } else {
                ObjectNode after = JsonSerialization.mapper.createObjectNode();
                for (JsonNode t : targets) {
                    String name = t.path("target").asText();
                    after.set(name, SealedView.image(t.get("after")));
                    for (JsonNode d : JsonDiff.diff(SealedView.image(t.get("before")), SealedView.image(t.get("after")))) {
                        ((ObjectNode) d).put("target", name);
                        diff.add(d);
                    }
                }
                shown = after;
            }
            SealedView.suppliedEntries(parse(cr.getBody())).forEach(diff::add);
            return new Proposed(DryRun.SOURCE_DRY_RUN, shown, diff, null);
        }
        JsonNode before = SealedView.image(parse(cr.getBeforeImage()));
        JsonNode body = SealedView.body(parse(cr.getBody()));
        JsonNode after = JsonDiff.proposedAfter(cr.getOperation(), before, body);
        return new Proposed(DryRun.SOURCE_MERGE, after, JsonDiff.diff(before, after),
                "no dry run was made for this request (see the mutation guard README for the operations that are dry-run)");
    }

    /** Everything: request body, before-image, proposed after, diff, approvals, history. */
    public static ObjectNode full(ChangeRequestEntity cr, List<ApprovalEntity> approvals, List<HistoryEntity> history,
            GuardPolicy policy) {
        ObjectNode o = summary(cr, approvals.size(), policy);
        // Never the ciphertext, the clear value or a fingerprint: credentials are shown by where they are (SealedView).
        o.set("body", SealedView.body(parse(cr.getBody())));
        o.set("beforeImage", SealedView.image(parse(cr.getBeforeImage())));
        Proposed proposed = proposed(cr);
        o.set("proposedAfter", proposed.after());
        ObjectNode source = o.putObject("afterImage").put("source", proposed.source());
        if (proposed.reason() != null) {
            source.put("reason", proposed.reason());
        }
        o.set("diff", proposed.diff());
        if (SecretRollback.OPERATIONS.contains(cr.getOperation())) {
            // Whether a rollback restores the replaced secret (kept sealed, never shown).
            o.put("rollbackRestoresSecret", cr.getRollbackMaterial() != null);
        }
        ArrayNode a = o.putArray("approvals");
        for (ApprovalEntity e : approvals) {
            ObjectNode x = a.addObject();
            x.put("userId", e.getApproverUserId());
            x.put("username", e.getApproverUsername());
            x.put("realmId", e.getApproverRealmId());
            x.put("digest", e.getDigest());
            x.put("approvedAt", e.getApprovedAt());
            if (e.getAuthTime() != null) {
                x.put("authTime", e.getAuthTime());
            }
            if (e.getLoa() != null) {
                x.put("loa", e.getLoa());
            }
        }
        ArrayNode h = o.putArray("history");
        for (HistoryEntity e : history) {
            ObjectNode x = h.addObject();
            x.put("at", e.getAt());
            x.put("step", e.getAction());
            x.put("actorUserId", e.getActorUserId());
            x.put("from", e.getFromState());
            x.put("to", e.getToState());
            x.put("detail", e.getDetail());
        }
        return o;
    }
}
