package dev.nhiguard.guard.changerequest;

import java.util.Optional;

import jakarta.ws.rs.core.Response;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.Match;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;

/** Decides whether an admin write is guarded and, if so, holds it as a change request. */
public final class Admission {

    private Admission() {
    }

    /** What admission decided. */
    public sealed interface Outcome permits Pass, Held, Refused {
    }

    /** Not guarded: let Keycloak handle it. */
    public record Pass() implements Outcome {
    }

    /** Held as a change request. */
    public record Held(com.fasterxml.jackson.databind.node.ObjectNode summary, String id) implements Outcome {
    }

    /** Refused with this answer (step-up needed, guard cannot decide). */
    public record Refused(Response response) implements Outcome {
    }

    /** Enabled human users holding the approver role directly (not through groups or composites), except one. */
    static long eligibleApprovers(KeycloakSession s, RealmModel realm, GuardPolicy policy, String exceptUserId) {
        org.keycloak.models.RoleModel role = realm.getRole(policy.approverRole());
        if (role == null) {
            return 0;
        }
        return s.users().getRoleMembersStream(realm, role)
                .filter(u -> u.isEnabled() && u.getServiceAccountClientLink() == null && !u.getId().equals(exceptUserId))
                .limit(policy.approvalsRequired() + 1L)
                .count();
    }

    /** A policy change is validated before it is held, so an invalid policy is never approved. */
    private static String invalidPolicyBody(Match match, JsonNode body) {
        String text = switch (match.operation().id()) {
            case "guard-policy-update" -> body == null ? "" : body.toString();
            case "realm-guard-policy-attribute" -> body.path("attributes").path(Catalogue.POLICY_ATTRIBUTE).asText("");
            default -> null;
        };
        if (text == null || (text.isEmpty() && match.operation().id().equals("realm-guard-policy-attribute"))) {
            return null;
        }
        try {
            GuardPolicy.parse(text);
            return null;
        } catch (PolicyException e) {
            return "Invalid guard policy: " + e.getMessage();
        }
    }

    /** The path relative to {@code /admin/realms/{realm}}, or null when the path is not under it. */
    public static String relativePath(String path, String realmName) {
        String prefix = "/admin/realms/" + realmName;
        if (!path.startsWith(prefix)) {
            return null;
        }
        String rest = path.substring(prefix.length());
        if (!rest.isEmpty() && !rest.startsWith("/")) {
            return null;
        }
        return rest.equals("/") ? "" : rest;
    }

    /**
     * Classifies the write against the catalogue and the realm's policy and holds it when guarded.
     *
     * @param path          path from {@code /admin/realms/…}, without query
     * @param pathWithQuery the same with its query, as stored
     */
    public static Outcome admit(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path,
            String pathWithQuery, JsonNode body, String rollbackOf) {
        GuardPolicy policy;
        try {
            policy = Policies.of(realm);
        } catch (PolicyException e) {
            return new Refused(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    e.getMessage() + "; writes to guarded objects are refused until the policy is fixed", null));
        }
        if (policy.guardsNothing()) {
            return new Pass();
        }
        String rel = relativePath(path, realm.getName());
        if (rel == null) {
            return new Pass();
        }
        TargetState state = new TargetState(s, realm, policy.approverRole());
        Optional<Match> match = Catalogue.get().classify(method, rel, body, state, policy::guards);
        if (match.isEmpty()) {
            return new Pass();
        }
        long approvers = eligibleApprovers(s, realm, policy, null);
        if (match.get().operation().id().equals("approver-role-grant") && approvers < policy.approvalsRequired() + 1) {
            // Bootstrap: while the realm has too few approvers for any request to be approvable,
            // appointing approvers passes, recorded as an admin event and in the log.
            GuardService.recordBootstrap(s, realm, auth, method, pathWithQuery, body, approvers, policy);
            return new Pass();
        }
        String invalid = invalidPolicyBody(match.get(), body);
        if (invalid != null) {
            return new Refused(GuardErrors.response(Response.Status.BAD_REQUEST, "invalid_request", invalid, null));
        }
        AuthState as = AuthState.of(s, auth);
        String problem = as.stepUpProblem(policy);
        if (problem != null) {
            return new Refused(AuthState.challenge(policy, problem));
        }
        var cr = GuardService.hold(s, realm, auth, as, policy, match.get(), method, pathWithQuery, body, state, rollbackOf);
        var summary = ChangeRequestView.summary(cr, 0, policy);
        long others = eligibleApprovers(s, realm, policy, auth.getUser().getId());
        if (others < policy.approvalsRequired()) {
            summary.with("needs").put("warning", "Realm " + realm.getName() + " has " + others + " eligible approver(s) "
                    + "besides you but the policy needs " + policy.approvalsRequired() + "; appoint approvers first (granting the '"
                    + policy.approverRole() + "' role is not held while the realm has fewer than "
                    + (policy.approvalsRequired() + 1) + " approvers)");
        }
        summary.put("message", "This change is held for approval as change request " + cr.getId()
                + "; it is not applied until " + policy.approvalsRequired() + " approver(s) holding '"
                + policy.approverRole() + "' approve it");
        return new Held(summary, cr.getId());
    }
}
