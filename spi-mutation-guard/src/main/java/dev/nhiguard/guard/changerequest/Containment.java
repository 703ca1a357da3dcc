package dev.nhiguard.guard.changerequest;

import java.net.URI;
import java.util.UUID;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.common.util.Time;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.catalogue.OperationKind;
import dev.nhiguard.guard.catalogue.TargetType;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * Containment: one admin with a fresh authentication disables a service-account client at
 * once (no approval); a second admin holding the approver role confirms or reverts it within
 * the policy's review window. Recorded as a change request in state CONTAINED.
 */
public final class Containment {

    public static final String OPERATION = "containment-disable";

    private Containment() {
    }

    public static Response contain(KeycloakSession s, RealmModel realm, AdminPermissionEvaluator auth, JsonNode input,
            URI requestUri) {
        JsonNode clientId = input.get("clientId");
        JsonNode reason = input.get("reason");
        if (clientId == null || !clientId.isTextual() || reason == null || !reason.isTextual() || reason.asText().isBlank()
                || reason.asText().length() > 2000) {
            throw GuardErrors.badRequest("Fields 'clientId' (the client's id) and 'reason' (1 to 2000 characters) are required");
        }
        ClientModel client = clientId.asText().length() > 36 ? null : realm.getClientById(clientId.asText());
        if (client == null) {
            throw GuardErrors.notFound("Client not found");
        }
        auth.clients().requireManage(client);
        if (!client.isServiceAccountsEnabled()) {
            throw GuardErrors.badRequest("Containment applies to non-human identities (clients with a service account)");
        }
        if (!client.isEnabled()) {
            throw GuardErrors.conflict("Client " + client.getClientId() + " is already disabled", null);
        }
        GuardPolicy policy = GuardService.policy(realm);
        AdminAuth admin = auth.adminAuth();
        AuthState as = AuthState.of(s, admin);
        String problem = as.stepUpProblem(policy);
        if (problem != null) {
            throw AuthState.challengeException(policy, problem);
        }
        TargetState state = new TargetState(s, realm, policy.approverRole());
        JsonNode before = state.beforeImage(TargetType.CLIENT, client.getId());
        client.setEnabled(false);
        // The tokens it holds stop working too, and those naming its service account that another client holds (an
        // exchange of them, which that client could renew without end): Keycloak checks the client's not-before and the
        // user's. Reverting the containment does not revive them. (The agent module's IssuedTokens does the same.)
        int notBefore = Time.currentTime() + 1;
        client.setNotBefore(notBefore);
        org.keycloak.models.UserModel serviceAccount = s.users().getServiceAccount(client);
        if (serviceAccount != null) {
            s.users().setNotBeforeForUser(realm, serviceAccount, notBefore);
        }
        // And the user sessions it took part in: a person's token a gateway exchanged from one names the person.
        s.sessions().getUserSessionsStream(realm, client).toList().forEach(us -> s.sessions().removeUserSession(realm, us));
        s.sessions().getOfflineUserSessionsStream(realm, client, null, null).toList()
                .forEach(us -> s.sessions().removeOfflineUserSession(realm, us));

        long now = Time.currentTimeMillis();
        ObjectNode body = JsonSerialization.mapper.createObjectNode();
        body.put("clientId", client.getId());
        body.put("reason", reason.asText());
        String path = requestUri.getPath();
        ChangeRequestEntity cr = new ChangeRequestEntity();
        cr.setId(UUID.randomUUID().toString());
        cr.setRealmId(realm.getId());
        cr.setState(State.CONTAINED.name());
        cr.setOperation(OPERATION);
        cr.setOperationKind(OperationKind.CLIENT.jsonName());
        cr.setMethod("POST");
        cr.setPath(path);
        cr.setBody(CanonicalJson.canonicalize(body));
        cr.setDigest(CanonicalJson.digest(cr.getId(), "POST", path, body));
        cr.setTarget("client:" + client.getId());
        cr.setTargetType(TargetType.CLIENT.name());
        cr.setTargetId(client.getId());
        cr.setBeforeImage(before == null ? null : CanonicalJson.canonicalize(before));
        cr.setRequesterUserId(admin.getUser().getId());
        cr.setRequesterUsername(admin.getUser().getUsername());
        cr.setRequesterRealmId(admin.getRealm().getId());
        cr.setRequesterClientId(admin.getClient() == null ? null : admin.getClient().getClientId());
        cr.setRequesterAuthTime(as.authTime());
        cr.setRequesterLoa(as.loa());
        cr.setRequesterImpersonatorId(as.impersonatorId());
        cr.setRequesterServiceAccount(as.serviceAccount());
        cr.setApprovalsRequired(1);
        cr.setCooldownSeconds(0);
        cr.setCreatedAt(now);
        cr.setUpdatedAt(now);
        cr.setAppliedAt(now);
        cr.setExpiresAt(now + policy.containmentReviewSeconds() * 1000);
        cr.setDecisionReason(reason.asText());
        new ChangeRequestStore(s).persist(cr, admin.getUser().getId(), "disabled client " + client.getClientId());
        GuardService.emit(s, realm, admin, cr, "CONTAINED", OperationType.ACTION, reason.asText());
        ObjectNode summary = ChangeRequestView.summary(cr, 0, policy);
        return Response.status(Response.Status.CREATED)
                .location(jakarta.ws.rs.core.UriBuilder.fromUri(requestUri).path("..").path("change-requests").path(cr.getId())
                        .build().normalize())
                .entity(summary).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** A second admin confirms (client stays disabled) or reverts (client enabled again). */
    public static Response review(KeycloakSession s, RealmModel realm, AdminAuth auth, String id, boolean confirm) {
        GuardPolicy policy = GuardService.policy(realm);
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realm.getId(), id);
        if (cr == null) {
            throw GuardErrors.notFound("Change request not found");
        }
        if (!OPERATION.equals(cr.getOperation())) {
            throw GuardErrors.conflict("Change request is not a containment", cr.getState());
        }
        if (State.valueOf(cr.getState()) != State.CONTAINED) {
            throw GuardErrors.conflict("Containment is " + cr.getState() + "; it was already reviewed", cr.getState());
        }
        if (Time.currentTimeMillis() > cr.getExpiresAt()) {
            throw GuardErrors.conflict("The review window closed; the containment stands", cr.getState());
        }
        if (auth.getUser().getServiceAccountClientLink() != null) {
            throw GuardErrors.forbidden("Service accounts cannot review a containment");
        }
        if (auth.getUser().getId().equals(cr.getRequesterUserId()) || auth.getUser().getId().equals(cr.getRequesterImpersonatorId())) {
            throw GuardErrors.forbidden("A second admin must review the containment");
        }
        // The approver rule, as for approvals: the approver realm's role held directly, not through a group or composite.
        if (!Approvers.isApprover(s, auth, realm, policy)) {
            throw GuardErrors.forbidden("Reviewing a containment needs: " + Approvers.requirement(realm, policy));
        }
        String wrongClient = Approvers.decisionClientProblem(auth);
        if (wrongClient != null) {
            throw GuardErrors.forbidden(wrongClient);
        }
        AuthState as = AuthState.of(s, auth);
        String notItself = as.actsForItselfProblem("review a containment");
        if (notItself != null) {
            throw GuardErrors.forbidden(notItself);
        }
        String problem = as.stepUpProblem(policy);
        if (problem != null) {
            throw AuthState.challengeException(policy, problem);
        }
        if (confirm) {
            store.transition(cr, State.CONFIRMED, auth.getUser().getId(), "CONFIRMED", null);
        } else {
            ClientModel client = realm.getClientById(cr.getTargetId());
            if (client == null) {
                throw GuardErrors.conflict("The contained client no longer exists", cr.getState());
            }
            String status = client.getAttribute(AgentImage.STATUS);
            if (status != null && !"ACTIVE".equals(status)) {
                // Suspended or retired by the agent registry since: a revert must not enable it behind the registry's back.
                throw GuardErrors.conflict("The agent is " + status + " now; reverting the containment would enable it. "
                        + "Confirm the containment, or resume the agent through its registry", cr.getState());
            }
            client.setEnabled(true);
            store.transition(cr, State.REVERTED, auth.getUser().getId(), "REVERTED", "client enabled again");
        }
        GuardService.emit(s, realm, auth, cr, confirm ? "CONFIRMED" : "REVERTED", OperationType.UPDATE, null);
        return GuardService.ok(ChangeRequestView.summary(cr, 0, policy));
    }
}
