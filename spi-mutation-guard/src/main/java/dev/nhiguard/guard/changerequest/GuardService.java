package dev.nhiguard.guard.changerequest;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.common.ClientConnection;
import org.keycloak.common.util.Time;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.representations.AccessToken;
import org.keycloak.services.Urls;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.admission.RequestPath;
import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.catalogue.Match;
import dev.nhiguard.guard.catalogue.TargetType;
import dev.nhiguard.guard.metrics.GuardMetrics;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.replay.Replayer;
import dev.nhiguard.guard.reads.WrittenCredentials;
import dev.nhiguard.guard.sealing.Sealer;
import dev.nhiguard.guard.sealing.Sealing;
import dev.nhiguard.guard.store.ApprovalEntity;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/** Creating, deciding and applying change requests. */
public final class GuardService {

    private static final Logger LOG = Logger.getLogger(GuardService.class);

    /** Resource type of the guard's custom admin events. */
    public static final String RESOURCE_TYPE = "CHANGE_REQUEST";

    private GuardService() {
    }

    /** Who acted, by ids, so later transactions can reload the models. */
    public record Actor(String realmId, String userId, String clientUuid, String username, AccessToken token) {
        public static Actor of(AdminAuth auth) {
            return new Actor(auth.getRealm().getId(), auth.getUser().getId(),
                    auth.getClient() == null ? null : auth.getClient().getId(), auth.getUser().getUsername(), auth.getToken());
        }

        AdminAuth load(KeycloakSession s) {
            RealmModel r = s.realms().getRealm(realmId);
            UserModel u = s.users().getUserById(r, userId);
            ClientModel c = clientUuid == null ? null : r.getClientById(clientUuid);
            return new AdminAuth(r, token, u, c);
        }
    }

    // ------------------------------------------------------------------ hold

    /**
     * How long a cancelled or rejected request counts against its requester's cap ({@code maxOpenPerRequester}): it
     * mailed the approvers when it was made, and a loop that makes and cancels (or, as an approver, rejects) its own
     * requests would otherwise mail them without end.
     */
    static final long CLOSED_COUNT_MILLIS = 3_600_000L;

    /**
     * Stores a held request (PENDING) in the session's transaction and records the admin event.
     *
     * @param body the parsed JSON body (null when none); stored in RFC 8785 form
     */
    public static ChangeRequestEntity hold(KeycloakSession s, RealmModel realm, AdminAuth auth, AuthState authState,
            GuardPolicy policy, Match match, List<Match> effects, String method, String pathWithQuery, JsonNode body,
            boolean credentialBody, TargetState state, String rollbackOf) {
        String unholdable = RequestBody.unholdable(body);
        if (unholdable != null) {
            throw GuardErrors.badRequest("The upload cannot be held: " + unholdable);
        }
        String acting = authState.impersonatorId() != null ? authState.impersonatorId() : auth.getUser().getId();
        long counted = new ChangeRequestStore(s).countAgainstCap(realm.getId(), acting,
                Time.currentTimeMillis() - CLOSED_COUNT_MILLIS);
        if (counted >= policy.maxOpenPerRequester()) {
            throw GuardErrors.error(429, "too_many_requests", "You have " + counted + " change requests in this realm that are "
                    + "open or were made in the last hour and cancelled or rejected, the most its policy allows one requester "
                    + "(maxOpenPerRequester); wait for their decision, or an hour after making the closed ones");
        }
        // A definition operation's target is the definition its path names (a create has none).
        match = state.resolve(match, pathWithQuery, body);
        long now = Time.currentTimeMillis();
        ChangeRequestEntity cr = new ChangeRequestEntity();
        cr.setId(UUID.randomUUID().toString());
        cr.setRealmId(realm.getId());
        cr.setState(State.PENDING.name());
        cr.setOperation(match.operation().id());
        cr.setOperationKind(match.operation().kind().jsonName());
        cr.setMethod(method);
        cr.setPath(pathWithQuery);
        // Credentials sealed at rest; the digest covers their ciphertexts (fresh nonces), never the clear values, and
        // nobody can recompute it from a value or a fingerprint (a digest recomputable from a fingerprint would test guesses).
        JsonNode sealed;
        try {
            sealed = Sealing.sealer(s, realm.getId()).seal(body, credentialBody);
        } catch (IllegalArgumentException e) {
            throw GuardErrors.badRequest("The request body cannot be held: " + e.getMessage());
        }
        cr.setBody(sealed == null ? null : CanonicalJson.canonicalize(sealed));
        cr.setDigest(CanonicalJson.digest(cr.getId(), method, pathWithQuery, sealed));
        cr.setTarget(match.target());
        cr.setTargetType(match.targetType().name());
        cr.setTargetId(match.targetId());
        JsonNode before = state.beforeImage(match, effects, pathWithQuery, body);
        cr.setBeforeImage(before == null ? null : CanonicalJson.canonicalize(before));
        // The after-image Keycloak itself produces, from a dry run that is rolled back; nothing invalid is held.
        // Each effect with its target resolved, as the primary's: a definition is read by its key.
        List<Match> resolved = effects.stream().map(e -> state.resolve(e, pathWithQuery, body)).toList();
        DryRun.Outcome dry = DryRun.run(s, realm, auth, resolved, method, pathWithQuery, body, sealed, state,
                policy.approverRole());
        if (dry.refused() != null) {
            throw new DryRunRefused(dry.refused());
        }
        List<TargetState.Hidden> hidden = state.hiddenInImages(match.targetType(), match.targetId());
        if (!hidden.isEmpty()) {
            // A value the state holds where an approver would see only its fingerprint (stored unheld, on an object no
            // guarded subject used yet) cannot be approved knowingly, as in a request's body.
            throw GuardErrors.badRequest("The request cannot be held: the current state of " + hidden.get(0)
                    + " holds a value that looks like a credential (a private key, a token, a secret inside JSON or encoded "
                    + "text) or is too costly to read, outside a place where Keycloak keeps credentials; approvers could not "
                    + "be shown it. Rewrite or remove it first");
        }
        if (dry.stored() == null && RequestBody.isMultipart(body)) {
            // An upload's content is shown by name and size only: its approvers see what it sets in the dry run's images.
            throw GuardErrors.badRequest("The upload cannot be held: the guard could not show its approvers its effect ("
                    + dry.reason() + ")");
        }
        cr.setDryRun(dry.stored() == null ? null : CanonicalJson.canonicalize(dry.stored()));
        if (dry.stored() == null) {
            LOG.debugf("No dry run of %s %s in realm %s: %s", method, pathWithQuery, realm.getName(), dry.reason());
        }
        cr.setRollbackMaterial(SecretRollback.capture(s, realm, match, effects, body, policy));
        cr.setRequesterUserId(auth.getUser().getId());
        cr.setRequesterUsername(auth.getUser().getUsername());
        cr.setRequesterRealmId(auth.getRealm().getId());
        cr.setRequesterClientId(auth.getClient() == null ? null : auth.getClient().getClientId());
        cr.setRequesterAuthTime(authState.authTime());
        cr.setRequesterLoa(authState.loa());
        cr.setRequesterImpersonatorId(authState.impersonatorId());
        cr.setRequesterServiceAccount(authState.serviceAccount());
        cr.setApprovalsRequired(policy.approvalsRequired());
        // The strictest cooldown of all its effects, and of the credentials it supplies. A client's own secret sent back
        // unchanged (a console or kcadm round trip) sets nothing; that the cooldown then says so confirms the value to
        // its sender, who is recorded as a reader of it, as when such an update passes.
        org.keycloak.models.ClientModel targetClient = match.targetType() == TargetType.CLIENT && match.targetId() != null
                ? realm.getClientById(match.targetId()) : null;
        dev.nhiguard.guard.reads.ResentCredentials.Confirmed resent = rollbackOf != null || targetClient == null ? null
                : dev.nhiguard.guard.reads.ResentCredentials.of(targetClient, body);
        if (resent != null) {
            int q = pathWithQuery.indexOf('?');
            String relative = Admission.relativePath(q < 0 ? pathWithQuery : pathWithQuery.substring(0, q), realm.getName());
            dev.nhiguard.guard.reads.ResentCredentials.record(s, realm, auth, relative == null ? "" : relative.replaceFirst("^/", ""), resent);
        }
        cr.setCooldownSeconds(Math.max(effects.stream().mapToLong(e -> policy.cooldownSeconds(e.operation().kind())).max()
                .orElse(policy.cooldownSeconds(match.operation().kind())),
                suppliedCredentialCooldown(policy, sealed, targetClient, resent != null && resent.names().contains("secret"))));
        cr.setEffects(String.join(",", effects.stream().map(e -> e.operation().id()).toList()));
        cr.setCreatedAt(now);
        cr.setUpdatedAt(now);
        cr.setExpiresAt(now + policy.expirySeconds() * 1000);
        cr.setRollbackOf(rollbackOf);
        try {
            cr.setBaseUri(s.getContext().getUri().getBaseUri().toString());
        } catch (RuntimeException e) {
            LOG.debugf(e, "No request base URI for change request %s", cr.getId());
        }
        new ChangeRequestStore(s).persist(cr, auth.getUser().getId(),
                match.operation().id() + " " + method + " " + pathWithQuery);
        LOG.infof("Held %s %s in realm %s as change request %s (operation %s, requester %s)", method, pathWithQuery,
                realm.getName(), cr.getId(), cr.getOperation(), auth.getUser().getId());
        emit(s, realm, auth, cr, "CREATED", OperationType.CREATE, null);
        return cr;
    }

    /**
     * The cooldown a request waits for the credentials of identities its body supplies, whatever operation carries them:
     * a client update sending a secret or a key to authenticate with, or a partial import with passwords or secrets,
     * sets a credential as the credential and recovery operations do, and waits as long (a client's credential, or a
     * user's sign-in credential as a recovery); 0 without any. Secrets of settings (a sink's, an identity provider's)
     * follow their operation's kind.
     */
    static long suppliedCredentialCooldown(GuardPolicy policy, JsonNode sealedBody, org.keycloak.models.ClientModel target,
            boolean secretUnchanged) {
        java.util.Set<String> paths = dev.nhiguard.guard.sealing.Sealer.fingerprints(sealedBody).keySet();
        long cooldown = 0;
        boolean clientSecret = paths.stream().anyMatch(p -> (p.equals("/secret") && !secretUnchanged) || p.matches("^/clients/\\d+/secret$"));
        boolean clientKey = WrittenCredentials.setsAuthentication(sealedBody, target) || (sealedBody != null && sealedBody.path("clients").isArray()
                && java.util.stream.StreamSupport.stream(sealedBody.get("clients").spliterator(), false)
                        .anyMatch(c -> WrittenCredentials.setsAuthentication(c, null)));
        if (clientSecret || clientKey) {
            cooldown = policy.cooldownSeconds(dev.nhiguard.guard.catalogue.OperationKind.CREDENTIAL);
        }
        if (paths.stream().anyMatch(p -> p.startsWith("/credentials/") || p.matches("^/users/\\d+/credentials/.*"))) {
            cooldown = Math.max(cooldown, policy.cooldownSeconds(dev.nhiguard.guard.catalogue.OperationKind.RECOVERY));
        }
        return cooldown;
    }

    /**
     * Whether the user may hold the secret a rollback of {@code replacing} restores: they read the client's credential,
     * or set its secret through a change request of their own (requested or made while impersonating), before the
     * request that replaced it was applied. Not known: a secret set by a write the guard did not hold (before the
     * client was a service account, or before the guard was installed).
     */
    private static boolean heldTheRestoredSecret(KeycloakSession s, ChangeRequestEntity replacing, String userId) {
        if (replacing.getTargetId() == null || replacing.getAppliedAt() == null
                || CredentialReaders.readBefore(s, replacing.getTargetId(), userId, replacing.getAppliedAt())) {
            return true;
        }
        for (ChangeRequestEntity earlier : new ChangeRequestStore(s).appliedBefore(replacing.getRealmId(), replacing.getTargetId(),
                userId, replacing.getAppliedAt())) {
            if (earlier.getBody() != null && dev.nhiguard.guard.sealing.Sealer.fingerprints(ChangeRequestView.parse(earlier.getBody()))
                    .keySet().stream().anyMatch(p -> p.equals("/secret") || p.endsWith("/secret"))) {
                return true;
            }
        }
        return false;
    }

    /** As {@link #heldTheRestoredSecret(KeycloakSession, ChangeRequestEntity, String)}, for an admin and whoever impersonates them. */
    private static boolean heldTheRestoredSecret(KeycloakSession s, ChangeRequestEntity replacing, AuthState as, String userId) {
        return heldTheRestoredSecret(s, replacing, userId)
                || (as.impersonatorId() != null && heldTheRestoredSecret(s, replacing, as.impersonatorId()));
    }

    /** Whether the request is a rollback that restores a client's earlier secret (its body supplies one). */
    private static boolean restoresSecret(ChangeRequestEntity cr) {
        return cr.getRollbackOf() != null && cr.getTargetId() != null && TargetType.CLIENT.name().equals(cr.getTargetType())
                && cr.getBody() != null && !dev.nhiguard.guard.sealing.Sealer.fingerprints(ChangeRequestView.parse(cr.getBody())).isEmpty();
    }

    /** Keycloak refused the held request in its dry run: answered with Keycloak's own status and error. */
    public static final class DryRunRefused extends RuntimeException {
        private final transient Replayer.Result result;

        DryRunRefused(Replayer.Result result) {
            super("Keycloak refused the request in a dry run with status " + result.status(), null, false, false);
            this.result = result;
        }

        /** Keycloak's answer, its error JSON as the body. */
        public Response response() {
            if (result.body() == null || result.body().isBlank()) {
                return GuardErrors.response(result.status(), "invalid_request",
                        "Keycloak refuses this request (status " + result.status() + ")", null);
            }
            return Response.status(result.status()).entity(result.body()).type(MediaType.APPLICATION_JSON_TYPE).build();
        }
    }

    // ------------------------------------------------------------------ decisions

    /** Approve in the request's transaction; answers the updated request, or an error response. */
    public static Response approve(KeycloakSession s, RealmModel realm, AdminAuth auth, String id, JsonNode input) {
        GuardPolicy policy = policy(realm);
        String digest = input.path("digest").isTextual() ? input.get("digest").asText() : null;
        if (digest == null) {
            throw GuardErrors.badRequest("Field 'digest' (the digest of the request you reviewed) is required");
        }
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realm.getId(), id);
        if (cr == null) {
            throw GuardErrors.notFound("Change request not found");
        }
        Response expired = expireIfDue(s, realm, auth, store, cr);
        if (expired != null) {
            return expired;
        }
        if (State.valueOf(cr.getState()) != State.PENDING) {
            throw GuardErrors.conflict("Change request is " + cr.getState() + "; only PENDING requests can be approved", cr.getState());
        }
        UserModel approver = auth.getUser();
        if (approver.getServiceAccountClientLink() != null) {
            throw GuardErrors.forbidden("Service accounts cannot approve change requests");
        }
        AuthState as = AuthState.of(s, auth);
        if (approver.getId().equals(cr.getRequesterUserId()) || approver.getId().equals(cr.getRequesterImpersonatorId())) {
            throw GuardErrors.forbidden("The requester cannot approve their own change request");
        }
        String notItself = as.actsForItselfProblem("approve change requests");
        if (notItself != null) {
            throw GuardErrors.forbidden(notItself);
        }
        // The owner of the requesting service account (its owner attributes name the approver or a group of theirs).
        ClientModel requestingClient = requestingServiceAccountClient(s, cr);
        if (requestingClient == null && cr.isRequesterServiceAccount()) {
            // Its owners and credential readers can no longer be told: nobody may approve (fail closed).
            throw GuardErrors.forbidden("The service account that made this request, or its client, no longer exists; "
                    + "its owners and credential readers cannot be excluded, so the request cannot be approved");
        }
        if (requestingClient != null && OwnerAttributes.owns(s, requestingClient.getRealm(), requestingClient, approver)) {
            throw GuardErrors.forbidden("The owner of the requesting service account cannot approve its change request");
        }
        if (requestingClient == null && !cr.isRequesterServiceAccount()
                && (CredentialReaders.holds(s, realm, cr.getRequesterUserId(), approver.getId())
                        || (cr.getRequesterImpersonatorId() != null
                                && CredentialReaders.holds(s, realm, cr.getRequesterImpersonatorId(), approver.getId())))) {
            throw GuardErrors.forbidden("You set how the requester signs in (a password, an email address or a linked identity), "
                    + "directly or through an identity you hold, so you could have made this request yourself; a second person "
                    + "must approve it");
        }
        if (CredentialReaders.holds(s, realm, approver.getId(), cr.getRequesterUserId())
                || (cr.getRequesterImpersonatorId() != null
                        && CredentialReaders.holds(s, realm, approver.getId(), cr.getRequesterImpersonatorId()))) {
            throw GuardErrors.forbidden("The requester set how you sign in (a password, an email address or a linked identity), "
                    + "directly or through an identity they hold, so they could approve as you; a second person must approve it");
        }
        if (requestingClient != null && CredentialReaders.holds(s, requestingClient.getRealm(), requestingClient.getId(), approver.getId())) {
            throw GuardErrors.forbidden("You have read or set the credential of the requesting service account (client "
                    + requestingClient.getClientId() + "), so you could have made this request yourself; a second person must approve it");
        }
        if (restoresSecret(cr)) {
            ChangeRequestEntity original = store.find(realm.getId(), cr.getRollbackOf());
            if (original == null) {
                throw GuardErrors.forbidden("This rollback restores a secret, and the request it rolls back is gone: who held that "
                        + "secret can no longer be told, so nobody may approve it");
            }
            if (heldTheRestoredSecret(s, original, approver.getId())) {
                throw GuardErrors.forbidden("This rollback restores a secret of a client whose credential you read or set before it was "
                        + "replaced (it may be the secret you hold); a second person must approve it");
            }
        }
        if (!Approvers.isApprover(s, auth, realm, policy)) {
            throw GuardErrors.forbidden(Approvers.requirement(realm, policy));
        }
        String wrongClient = Approvers.decisionClientProblem(auth);
        if (wrongClient != null) {
            throw GuardErrors.forbidden(wrongClient);
        }
        List<ApprovalEntity> approvals = store.approvals(cr.getId());
        if (approvals.stream().anyMatch(a -> a.getApproverUserId().equals(approver.getId()))) {
            throw GuardErrors.conflict("You have already approved this change request", cr.getState());
        }
        if (!digest.equals(cr.getDigest())) {
            throw GuardErrors.conflict("The digest you approved (" + digest + ") is not the digest of this change request ("
                    + cr.getDigest() + "); review the request again", cr.getState());
        }
        String problem = as.stepUpProblem(policy);
        if (problem != null) {
            throw AuthState.challengeException(policy, problem);
        }
        ApprovalEntity a = new ApprovalEntity();
        a.setId(UUID.randomUUID().toString());
        a.setChangeRequestId(cr.getId());
        a.setApproverUserId(approver.getId());
        a.setApproverUsername(approver.getUsername());
        a.setApproverRealmId(auth.getRealm().getId());
        a.setDigest(digest);
        a.setAuthTime(as.authTime());
        a.setLoa(as.loa());
        a.setApprovedAt(Time.currentTimeMillis());
        store.addApproval(a);
        store.history(cr, approver.getId(), "APPROVAL", cr.getState(), cr.getState(), "digest " + digest);
        int given = approvals.size() + 1;
        if (given >= cr.getApprovalsRequired()) {
            cr.setApprovedAt(Time.currentTimeMillis());
            State next = cr.getCooldownSeconds() > 0 ? State.COOLING_DOWN : State.APPROVED;
            store.transition(cr, next, approver.getId(), "APPROVED", given + " of " + cr.getApprovalsRequired() + " approvals");
            if (next == State.APPROVED && policy.autoApply()) {
                applyAfterCommit(s, realm.getId(), cr.getId());
            }
        }
        emit(s, realm, auth, cr, "APPROVED", OperationType.UPDATE, null);
        return ok(ChangeRequestView.summary(cr, given, policy));
    }

    /** Auto-apply: once this transaction (the last approval) has committed, apply as the requester. */
    private static void applyAfterCommit(KeycloakSession s, String realmId, String id) {
        KeycloakSessionFactory factory = s.getKeycloakSessionFactory();
        ClientConnection connection = s.getContext().getConnection();
        s.getTransactionManager().enlistAfterCompletion(new org.keycloak.models.AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                autoApply(factory, realmId, id, connection);
            }

            @Override
            protected void rollbackImpl() {
            }
        });
    }

    /** Applies an approved request on the requester's behalf (policy {@code autoApply}); never throws. */
    public static void autoApply(KeycloakSessionFactory factory, String realmId, String id, ClientConnection connection) {
        try {
            Object[] ctx = KeycloakModelUtils.runJobInTransactionWithResult(factory, s -> {
                ChangeRequestEntity cr = new ChangeRequestStore(s).find(realmId, id);
                if (cr == null || cr.getBaseUri() == null) {
                    return null;
                }
                RealmModel rr = s.realms().getRealm(cr.getRequesterRealmId());
                if (rr == null) {
                    return null;
                }
                s.getContext().setRealm(rr);
                ClientModel client = cr.getRequesterClientId() == null ? null : rr.getClientByClientId(cr.getRequesterClientId());
                UserModel user = s.users().getUserById(rr, cr.getRequesterUserId());
                if (user == null || client == null) {
                    return null;
                }
                return new Object[] {new Actor(rr.getId(), user.getId(), client.getId(),
                        user.getUsername(), null), URI.create(cr.getBaseUri())};
            });
            if (ctx == null) {
                LOG.warnf("Change request %s cannot be applied automatically: requester or base URI unknown", id);
                return;
            }
            Response r = apply(factory, realmId, id, (Actor) ctx[0], false, (URI) ctx[1], connection);
            LOG.infof("Auto-apply of change request %s answered %d", id, r.getStatus());
        } catch (RuntimeException e) {
            LOG.warnf(e, "Auto-apply of change request %s failed", id);
        }
    }


    /** The client of the service account that requested the change, or null when a person requested it. */
    private static ClientModel requestingServiceAccountClient(KeycloakSession s, ChangeRequestEntity cr) {
        if (!cr.isRequesterServiceAccount()) {
            return null;
        }
        RealmModel rr = s.realms().getRealm(cr.getRequesterRealmId());
        UserModel sa = rr == null ? null : s.users().getUserById(rr, cr.getRequesterUserId());
        return sa == null || sa.getServiceAccountClientLink() == null ? null : rr.getClientById(sa.getServiceAccountClientLink());
    }

    public static Response reject(KeycloakSession s, RealmModel realm, AdminAuth auth, String id, JsonNode input) {
        GuardPolicy policy = policy(realm);
        JsonNode reasonNode = input.get("reason");
        if (reasonNode == null || !reasonNode.isTextual() || reasonNode.asText().isBlank() || reasonNode.asText().length() > 2000) {
            throw GuardErrors.badRequest("Field 'reason' (text of 1 to 2000 characters) is required");
        }
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realm.getId(), id);
        if (cr == null) {
            throw GuardErrors.notFound("Change request not found");
        }
        Response expired = expireIfDue(s, realm, auth, store, cr);
        if (expired != null) {
            return expired;
        }
        if (auth.getUser().getServiceAccountClientLink() != null || !Approvers.isApprover(s, auth, realm, policy)) {
            throw GuardErrors.forbidden("Rejecting needs: " + Approvers.requirement(realm, policy));
        }
        String notItself = AuthState.of(s, auth).actsForItselfProblem("reject change requests");
        if (notItself != null) {
            // A decision is the approver's own: an admin who impersonates one decides nothing in their name.
            throw GuardErrors.forbidden(notItself);
        }
        String wrongClient = Approvers.decisionClientProblem(auth);
        if (wrongClient != null) {
            throw GuardErrors.forbidden(wrongClient);
        }
        cr.setDecisionReason(reasonNode.asText());
        store.transition(cr, State.REJECTED, auth.getUser().getId(), "REJECTED", reasonNode.asText());
        emit(s, realm, auth, cr, "REJECTED", OperationType.UPDATE, reasonNode.asText());
        return ok(ChangeRequestView.summary(cr, store.approvals(cr.getId()).size(), policy));
    }

    public static Response cancel(KeycloakSession s, RealmModel realm, AdminAuth auth, String id) {
        GuardPolicy policy = policy(realm);
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realm.getId(), id);
        if (cr == null) {
            throw GuardErrors.notFound("Change request not found");
        }
        if (!auth.getUser().getId().equals(cr.getRequesterUserId())) {
            throw GuardErrors.forbidden("Only the requester can cancel a change request");
        }
        AuthState as = AuthState.of(s, auth);
        String notItself = as.actsForItselfProblem("cancel change requests in this person's name");
        if (notItself != null && !(as.impersonatorId() != null && as.impersonatorId().equals(cr.getRequesterImpersonatorId()))) {
            // An impersonator cancels what they made while impersonating, nothing the person made.
            throw GuardErrors.forbidden(notItself);
        }
        store.transition(cr, State.CANCELLED, auth.getUser().getId(), "CANCELLED", null);
        emit(s, realm, auth, cr, "CANCELLED", OperationType.UPDATE, null);
        return ok(ChangeRequestView.summary(cr, store.approvals(cr.getId()).size(), policy));
    }

    private static Response expireIfDue(KeycloakSession s, RealmModel realm, AdminAuth auth, ChangeRequestStore store,
            ChangeRequestEntity cr) {
        State st = State.valueOf(cr.getState());
        if (st.isOpen() && Time.currentTimeMillis() > cr.getExpiresAt()) {
            store.transition(cr, State.EXPIRED, auth == null ? null : auth.getUser().getId(), "EXPIRED", null);
            if (auth != null) {
                emit(s, realm, auth, cr, "EXPIRED", OperationType.UPDATE, null);
            }
            return GuardErrors.response(Response.Status.CONFLICT, "conflict", "Change request has expired",
                    Map.of("state", State.EXPIRED.name()));
        }
        return null;
    }

    // ------------------------------------------------------------------ rollback

    /**
     * Opens a change request whose body restores the applied request's before-image; it goes
     * through the same approvals, and applying it marks the original ROLLED_BACK.
     */
    public static Response rollback(KeycloakSession s, RealmModel realm, AdminAuth auth, String id, URI requestUri) {
        GuardPolicy policy = policy(realm);
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity original = store.lock(realm.getId(), id);
        if (original == null) {
            throw GuardErrors.notFound("Change request not found");
        }
        if (State.valueOf(original.getState()) != State.APPLIED) {
            throw GuardErrors.conflict("Change request is " + original.getState() + "; only APPLIED requests can be rolled back",
                    original.getState());
        }
        // A replaced client secret kept sealed with the request is restored; any other credential is kept as it is.
        String restoredSecret = SecretRollback.restorable(s, realm, original, policy);
        org.keycloak.models.ClientModel target = original.getTargetId() == null ? null : realm.getClientById(original.getTargetId());
        if (restoredSecret != null && target != null && target.getSecret() != null && java.security.MessageDigest.isEqual(
                restoredSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8), target.getSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            // The secret is the one the request found (a client update that sent it back unchanged): nothing to restore.
            restoredSecret = null;
        }
        if (restoredSecret != null && heldTheRestoredSecret(s, original, AuthState.of(s, auth), auth.getUser().getId())) {
            // The secret the rollback brings back may be the one this admin read: it would work for them again.
            throw GuardErrors.forbidden("You read or set this client's credential before its secret was replaced, so the secret "
                    + "this rollback restores may be one you hold; a second person must request the rollback");
        }
        Rollbacks.Inverse inverse = Rollbacks.inverse(original, realm, restoredSecret);
        if (inverse == null) {
            throw GuardErrors.error(422, "unsupported_request", "Operation " + original.getOperation()
                    + " cannot be rolled back from its before-image: " + Rollbacks.whyNot(original)
                    + "; submit the restoring change yourself");
        }
        AuthState as = AuthState.of(s, auth);
        String problem = as.stepUpProblem(policy);
        if (problem != null) {
            throw AuthState.challengeException(policy, problem);
        }
        int q = inverse.path().indexOf('?');
        String plain = q < 0 ? inverse.path() : inverse.path().substring(0, q);
        String rel = Admission.relativePath(plain, realm.getName());
        TargetState state = new TargetState(s, realm, policy.approverRole());
        // Every effect of the restoring request, as admission finds them for a request sent by a client: its diff,
        // before-image, re-check, pins and cooldown cover all of them (a realm update restores more than its policy).
        List<Match> effects = rel == null ? List.of()
                : dev.nhiguard.guard.catalogue.Catalogue.get().classifyAll(inverse.method(), rel, inverse.body(), state, op -> true);
        // Rollback bodies are built by the guard from before-images (Rollbacks), never sent by a client.
        if (effects.isEmpty()) {
            throw GuardErrors.error(422, "unsupported_request",
                    "The restoring request is not a catalogue operation");
        }
        ChangeRequestEntity cr;
        try {
            cr = hold(s, realm, auth, as, policy, Admission.primary(effects), effects, inverse.method(),
                    inverse.path(), inverse.body(), false, state, original.getId());
        } catch (DryRunRefused e) {
            throw new jakarta.ws.rs.WebApplicationException(e.response());
        }
        store.history(original, auth.getUser().getId(), "ROLLBACK_REQUESTED", original.getState(), original.getState(),
                "rollback change request " + cr.getId());
        ObjectNode summary = ChangeRequestView.summary(cr, 0, policy);
        return Response.status(Response.Status.CREATED)
                .location(jakarta.ws.rs.core.UriBuilder.fromUri(requestUri).path("..").path("..").path(cr.getId()).build().normalize())
                .entity(summary).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    // ------------------------------------------------------------------ apply

    /**
     * What one apply transaction did: answered with {@code response} (a refusal, or the applied
     * request), or replayed and was refused by Keycloak ({@code refused}; nothing committed).
     */
    private record Attempt(Response response, Replayer.Result refused) {
    }

    /** Set once the replay has started, so an error after it is recorded as a failed apply. */
    private static final class Progress {
        boolean replayed;
    }

    /**
     * Applies an approved request exactly once. One transaction locks the request's row, re-checks
     * it and the target against the before-image, marks it APPLIED and replays it through
     * Keycloak's admin resources under the requester's current permissions, so the mark and the
     * change commit together or not at all: concurrent applies wait for the row and then find it
     * APPLIED, and a node that stops mid-apply leaves the request APPROVED with nothing applied.
     * A replay Keycloak refuses rolls the transaction back; the request is then recorded FAILED
     * in a transaction of its own.
     */
    public static Response apply(KeycloakSessionFactory factory, String realmId, String id, Actor caller,
            boolean callerIsRequester, URI baseUri, ClientConnection connection) {
        Progress progress = new Progress();
        Attempt attempt;
        try {
            // Under the realm's write lock, held until this transaction has committed: writes admitted beside the apply,
            // and other applies, are ordered with its re-check (RealmWriteLock).
            attempt = RealmWriteLock.whileApplying(factory, realmId,
                    s -> attempt(s, realmId, id, caller, callerIsRequester, baseUri, connection, progress), () -> progress.replayed);
        } catch (RuntimeException e) {
            if (progress.replayed) {
                // The replay ran but its transaction did not commit (the audit append or the database refused it).
                LOG.warnf(e, "Apply of change request %s did not commit", id);
                attempt = new Attempt(null, new Replayer.Result(500,
                        "{\"error\":\"apply_failed\",\"error_description\":\"The change could not be committed\"}", null));
            } else {
                ApplyFailure failure = ApplyFailure.of(e);
                switch (failure) {
                    case LOCK_TIMEOUT -> {
                        // The realm's write lock was not granted in time: another apply, or a long admin write, held it.
                        LOG.debugf(e, "Apply of change request %s: the realm's write lock was not granted in time", id);
                        return RealmWriteLock.refusal(e);
                    }
                    case ANSWER -> {
                        LOG.debugf(e, "Apply of change request %s refused before its replay", id);
                        return ((jakarta.ws.rs.WebApplicationException) e).getResponse();
                    }
                    case CONCURRENT -> LOG.debugf(e, "Apply of change request %s lost to a concurrent apply", id);
                    default -> LOG.errorf(e, "Apply of change request %s failed before its replay; nothing was changed", id);
                }
                String state;
                try {
                    state = KeycloakModelUtils.runJobInTransactionWithResult(factory, s -> {
                        ChangeRequestEntity cr = new ChangeRequestStore(s).find(realmId, id);
                        return cr == null ? null : cr.getState();
                    });
                } catch (RuntimeException unread) {
                    LOG.warnf(unread, "Apply of change request %s: its state could not be read", id);
                    state = null;
                }
                Map<String, ?> extra = state == null ? null : Map.of("state", state);
                if (failure == ApplyFailure.CONCURRENT) {
                    // Another apply held the request's row longer than the database's lock timeout, or changed it.
                    return GuardErrors.response(Response.Status.CONFLICT, "conflict",
                            "Change request is being applied by a concurrent request", extra);
                }
                // A fault, not a race: not a misleading "concurrent request" (the server log has the cause).
                return GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                        "The change request could not be applied: " + e.getClass().getSimpleName()
                                + " (nothing was changed; the server log has the cause)", extra);
            }
        }
        if (attempt.response() != null) {
            return attempt.response();
        }
        Replayer.Result refused = attempt.refused();
        return KeycloakModelUtils.runJobInTransactionWithResult(factory,
                s -> recordFailure(s, realmId, id, caller, callerIsRequester, connection, refused));
    }

    private static Attempt attempt(KeycloakSession s, String realmId, String id, Actor caller, boolean callerIsRequester,
            URI baseUri, ClientConnection connection, Progress progress) {
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realmId, id);
        if (cr == null) {
            return refusal(GuardErrors.response(Response.Status.NOT_FOUND, "not_found", "Change request not found", null));
        }
        if (State.valueOf(cr.getState()) == State.APPROVED || State.valueOf(cr.getState()) == State.COOLING_DOWN) {
            // Before anything of Keycloak's is read for the re-check (RealmWriteLock); not for requests that cannot apply.
            RealmWriteLock.beforeRecheck(s);
        }
        RealmModel realm = s.realms().getRealm(realmId);
        s.getContext().setRealm(realm);
        s.getContext().setConnection(connection);
        AdminAuth auth = caller.load(s);
        Response expired = expireIfDue(s, realm, auth, store, cr);
        if (expired != null) {
            return refusal(expired);
        }
        State st = State.valueOf(cr.getState());
        long cooldownEnds = cr.getApprovedAt() == null ? 0 : cr.getApprovedAt() + cr.getCooldownSeconds() * 1000;
        if (st == State.COOLING_DOWN && cooldownEnds > Time.currentTimeMillis()) {
            return refusal(GuardErrors.response(Response.Status.CONFLICT, "conflict",
                    "Change request is cooling down until " + java.time.Instant.ofEpochMilli(cooldownEnds), Map.of("state", st.name())));
        }
        if (st != State.APPROVED && st != State.COOLING_DOWN) {
            return refusal(GuardErrors.response(Response.Status.CONFLICT, "conflict",
                    "Change request is " + st + "; only approved requests can be applied", Map.of("state", st.name())));
        }
        JsonNode body = ChangeRequestView.parse(cr.getBody());
        if (body != null && body.has(RequestBody.FORM_MARKER) && !RequestBody.isReplayableForm(body)) {
            return refusal(GuardErrors.response(422, "unsupported_request",
                    "This change request carries a text body, which the guard cannot replay", Map.of("state", st.name())));
        }
        GuardPolicy policy;
        try {
            policy = Policies.of(realm);
        } catch (PolicyException e) {
            return refusal(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable", e.getMessage(), null));
        }
        TargetState ts = new TargetState(s, realm, policy.approverRole());
        // Order-insensitive: Keycloak lists set-valued fields in an order that varies between nodes and restarts.
        JsonNode was = CanonicalJson.unordered(ChangeRequestView.parse(cr.getBeforeImage()));
        JsonNode now = CanonicalJson.unordered(ts.currentImage(TargetType.valueOf(cr.getTargetType()), cr.getTargetId(),
                cr.getOperation(), body, ChangeRequestView.parse(cr.getBeforeImage())));
        if (!Objects.equals(was == null ? null : CanonicalJson.canonicalize(was), now == null ? null : CanonicalJson.canonicalize(now))) {
            store.history(cr, caller.userId(), "APPLY_REFUSED", st.name(), st.name(), "target changed since the request was made");
            return refusal(GuardErrors.response(Response.Status.CONFLICT, "target_changed",
                    "The target changed since the request was made; the request stays unapplied",
                    Map.of("state", st.name(), "changes", SealedView.changes(was, now))));
        }
        String prefix = "/admin/realms/" + realm.getName();
        if (!cr.getPath().startsWith(prefix)) {
            s.getTransactionManager().setRollbackOnly();
            return new Attempt(null, new Replayer.Result(409,
                    "{\"error\":\"replay_failed\",\"error_description\":\"realm was renamed\"}", null));
        }
        String relative = cr.getPath().substring(prefix.length());

        // Keycloak builds the links of the mail a replay sends (execute-actions-email) on the replay's base URI. The base
        // of the apply request (or, for auto-apply, of the held one) is whatever Host its sender chose when no hostname is
        // configured: an approved reset mail to an approver would carry its action token to the requester's host. So the
        // replay runs on the trusted base (the realm's frontend URL, else the configured hostname), and a request whose
        // replay mails a link is not applied without one.
        URI trusted = dev.nhiguard.guard.notify.MailLinkBase.of(s, realm);
        if (trusted == null && mailsALink(cr.getPath())) {
            store.history(cr, caller.userId(), "APPLY_REFUSED", st.name(), st.name(), "no trusted base for the mail's links");
            return refusal(GuardErrors.response(Response.Status.CONFLICT, "no_trusted_hostname",
                    "This change makes Keycloak mail a link, and this server has no configured hostname and the realm no "
                            + "frontend URL to build it on (the request's own Host is not trusted); configure one and apply again",
                    Map.of("state", st.name())));
        }
        URI replayBase = trusted != null ? trusted : baseUri;

        // The exact approved body, unsealed only for the replay; the mark below destroys the ciphertexts.
        JsonNode clear = Sealing.sealer(s, realmId).unseal(body);
        String replayBody = clear == null ? null : CanonicalJson.canonicalize(clear);
        // A secret or key the requester chose: from the apply on, the requester holds that client's credential.
        List<WrittenCredentials.Target> written = Admission.writtenCredentials(s, realm, auth, cr.getMethod(), cr.getPath(), clear);

        // The mark and everything that follows from it commit only together with the replayed change.
        if (st == State.COOLING_DOWN) {
            store.transition(cr, State.APPROVED, caller.userId(), "COOLDOWN_ENDED", null);
        }
        cr.setAppliedAt(Time.currentTimeMillis());
        store.transition(cr, State.APPLIED, caller.userId(), "APPLIED", "replayed through Keycloak's admin API");
        ChangeRequestEntity original = cr.getRollbackOf() == null ? null : store.lock(realmId, cr.getRollbackOf());
        if (original != null && State.valueOf(original.getState()).canMoveTo(State.ROLLED_BACK)) {
            store.transition(original, State.ROLLED_BACK, caller.userId(), "ROLLED_BACK", "by " + cr.getId());
        } else {
            original = null;
        }

        // The chain's APPLIED record goes into the change's own transaction, before the replay: some admin resources
        // (user update) commit that transaction themselves, and a record written after it could be lost to a crash,
        // leaving an APPLIED request the chain never says was applied. A replay that fails rolls the record back with
        // it. A realm's own deletion is not: its chain goes with it, and the change request that deleted it is its record
        // (recordApplied).
        boolean deletesItsRealm = "DELETE".equalsIgnoreCase(cr.getMethod()) && namesTheRealmItself(cr.getPath());
        if (!deletesItsRealm) {
            if (original != null) {
                emit(s, realm, auth, original, "ROLLED_BACK", OperationType.UPDATE, null);
            }
            emit(s, realm, auth, cr, "APPLIED", OperationType.UPDATE, null);
        }
        progress.replayed = true;
        Replayer.Result result;
        try {
            s.setAttribute(RealmRecordsCleanup.APPLYING, cr.getId());
            result = replay(s, realmId, cr, replayBody, replayBase, connection, relative, caller);
        } catch (RuntimeException e) {
            LOG.warnf(e, "Replay of change request %s failed", id);
            s.getTransactionManager().setRollbackOnly();
            result = new Replayer.Result(500, null, null);
        }
        if (!result.ok()) {
            // Nothing of this transaction may commit: not the APPLIED mark, not the original's ROLLED_BACK, not their
            // records (the replay refuses some requests before reaching Keycloak, e.g. a requester since disabled).
            if (s.getTransactionManager().isActive()) {
                s.getTransactionManager().setRollbackOnly();
            }
            return new Attempt(null, result);
        }
        if (s.getTransactionManager().isActive() && s.getTransactionManager().getRollbackOnly()) {
            // Keycloak answered success but will not commit: nothing is applied.
            return new Attempt(null, new Replayer.Result(500, "{\"error\":\"apply_failed\",\"error_description\":\"Keycloak answered "
                    + result.status() + " but rolled its transaction back\"}", null));
        }
        Replayer.Result applied = result;
        String originalId = original == null ? null : original.getId();
        boolean recorded = !deletesItsRealm;
        if (s.getTransactionManager().isActive()) {
            return new Attempt(recordApplied(s, realmId, id, originalId, caller, callerIsRequester, connection, applied, recorded, written),
                    null);
        }
        // Some admin resources (user update) commit the transaction themselves: the mark and its record committed with
        // the change.
        return new Attempt(KeycloakModelUtils.runJobInTransactionWithResult(s.getKeycloakSessionFactory(),
                t -> recordApplied(t, realmId, id, originalId, caller, callerIsRequester, connection, applied, recorded, written)), null);
    }

    /** The admin resources whose replay makes Keycloak mail a link built on the request's base URI. */
    private static final java.util.Set<String> MAILING_RESOURCES = java.util.Set.of("execute-actions-email",
            "reset-password-email", "send-verify-email", "invite-user", "invite-existing-user",
            "send-credential-offer", // OID4VCI: …/users/{id}/vc/credentials/send-credential-offer
            "resend"); // an organization invitation's …/invitations/{id}/resend

    /** Whether a stored request path ends in a resource that mails a link ({@link #MAILING_RESOURCES}). */
    private static boolean mailsALink(String path) {
        java.util.List<String> segments = storedSegments(path);
        return segments == null // admission refused such paths already; fail closed
                || !segments.isEmpty() && MAILING_RESOURCES.contains(segments.get(segments.size() - 1));
    }

    /** Whether a stored request path is the realm's own resource ({@code /admin/realms/{realm}}, however written). */
    private static boolean namesTheRealmItself(String path) {
        java.util.List<String> segments = storedSegments(path);
        return segments != null && segments.size() == 3;
    }

    /** The decoded segments of a stored request path without its query; null for a path admission would refuse. */
    private static java.util.List<String> storedSegments(String path) {
        int query = path.indexOf('?');
        try {
            return RequestPath.parse(query < 0 ? path : path.substring(0, query)).segments();
        } catch (RequestPath.Refused e) {
            return null;
        }
    }

    private static Attempt refusal(Response response) {
        return new Attempt(response, null);
    }

    /**
     * The replay succeeded and the request is APPLIED: its outcome, the admin events (unless they were recorded with
     * the change, {@code recorded}), the answer.
     */
    private static Response recordApplied(KeycloakSession s, String realmId, String id, String rolledBackId, Actor caller,
            boolean callerIsRequester, ClientConnection connection, Replayer.Result outcome, boolean recorded,
            List<WrittenCredentials.Target> written) {
        RealmModel realm = s.realms().getRealm(realmId);
        s.getContext().setRealm(realm);
        s.getContext().setConnection(connection);
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realmId, id);
        cr.setResultStatus(outcome.status());
        if (realm == null) {
            // The request deleted its own realm: no realm to record events in or read a policy of, and the guard's
            // other records of it went with it (RealmRecordsCleanup).
            LOG.infof("Applied change request %s: realm %s deleted (%s %s): %d", id, realmId, cr.getMethod(), cr.getPath(),
                    outcome.status());
            ObjectNode view = JsonSerialization.mapper.createObjectNode().put("id", cr.getId()).put("state", cr.getState())
                    .put("operation", cr.getOperation());
            view.putObject("result").put("status", outcome.status());
            return ok(view);
        }
        AdminAuth auth = caller.load(s);
        if (!recorded) {
            if (rolledBackId != null) {
                emit(s, realm, auth, store.find(realmId, rolledBackId), "ROLLED_BACK", OperationType.UPDATE, null);
            }
            emit(s, realm, auth, cr, "APPLIED", OperationType.UPDATE, null);
        }
        WrittenCredentials.record(s, realm, written, cr.getRequesterUserId(), cr.getRequesterImpersonatorId());
        if ("client-registration-access-token".equals(cr.getOperation())) {
            // The answer (the token) goes to the requester only, who holds every client registered with it.
            dev.nhiguard.guard.reads.InitialAccessTokens.recordApplied(s, realm, outcome.body(), cr.getRequesterUserId(),
                    cr.getRequesterImpersonatorId());
        }
        if (callerIsRequester) {
            // The answer (a new secret, token or key) goes to the requester, who is from now on its reader.
            dev.nhiguard.guard.reads.AppliedCredentialAnswer.record(s, realm, auth, cr.getMethod(), cr.getPath());
        }
        String realmName = realm.getName();
        GuardMetrics.afterCommit(s, m -> m.applied(realmName));
        LOG.infof("Applied change request %s in realm %s (%s %s): %d", id, realm.getName(), cr.getMethod(), cr.getPath(),
                outcome.status());
        return ok(resultView(store, realm, cr, outcome, callerIsRequester));
    }

    /** Keycloak refused the replay and its transaction rolled back: the request becomes FAILED. */
    private static Response recordFailure(KeycloakSession s, String realmId, String id, Actor caller, boolean callerIsRequester,
            ClientConnection connection, Replayer.Result outcome) {
        RealmModel realm = s.realms().getRealm(realmId);
        s.getContext().setRealm(realm);
        s.getContext().setConnection(connection);
        ChangeRequestStore store = new ChangeRequestStore(s);
        ChangeRequestEntity cr = store.lock(realmId, id);
        String detail = "Keycloak answered " + outcome.status() + (outcome.body() == null ? "" : ": " + outcome.body());
        if (State.valueOf(cr.getState()).canMoveTo(State.FAILED)) {
            cr.setResultStatus(outcome.status());
            store.transition(cr, State.FAILED, caller.userId(), "FAILED", detail);
            emit(s, realm, caller.load(s), cr, "FAILED", OperationType.UPDATE, "Keycloak answered " + outcome.status());
        } else {
            // Decided meanwhile (expired by the scheduled task): the failed attempt is only recorded.
            store.history(cr, caller.userId(), "APPLY_FAILED", cr.getState(), cr.getState(), detail);
        }
        String realmName = realm.getName();
        GuardMetrics.afterCommit(s, m -> m.applyFailed(realmName));
        LOG.warnf("Change request %s in realm %s failed on apply: %d %s", id, realm.getName(), outcome.status(), outcome.body());
        ObjectNode view = resultView(store, realm, cr, outcome, callerIsRequester);
        view.put("error", "apply_failed");
        view.put("error_description", "Keycloak refused the request with status " + outcome.status());
        return Response.status(Response.Status.CONFLICT).entity(view).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    private static ObjectNode resultView(ChangeRequestStore store, RealmModel realm, ChangeRequestEntity cr,
            Replayer.Result outcome, boolean callerIsRequester) {
        ObjectNode view = ChangeRequestView.summary(cr, store.approvals(cr.getId()).size(), policy(realm));
        ObjectNode r = view.putObject("result");
        r.put("status", outcome.status());
        if (outcome.location() != null) {
            r.put("location", outcome.location());
        }
        if (callerIsRequester || !outcome.ok()) {
            r.set("body", parseLenient(outcome.body()));
        } else {
            r.put("bodyWithheld", "Only the requester receives Keycloak's answer body");
        }
        return view;
    }

    private static Replayer.Result replay(KeycloakSession s, String realmId, ChangeRequestEntity cr, String clearBody,
            URI baseUri, ClientConnection connection, String relative, Actor caller) {
        RealmModel requesterRealm = s.realms().getRealm(cr.getRequesterRealmId());
        s.getContext().setRealm(requesterRealm);
        UserModel user = requesterRealm == null ? null : s.users().getUserById(requesterRealm, cr.getRequesterUserId());
        ClientModel client = requesterRealm == null || cr.getRequesterClientId() == null ? null
                : requesterRealm.getClientByClientId(cr.getRequesterClientId());
        if (user == null || client == null || !user.isEnabled()) {
            return new Replayer.Result(403, "{\"error\":\"replay_failed\",\"error_description\":\"The requester or their client no longer exists or is disabled\"}", null);
        }
        AccessToken token = new AccessToken();
        token.subject(user.getId());
        token.issuedFor(client.getClientId());
        token.issuer(Urls.realmIssuer(baseUri, requesterRealm.getName()));
        token.type("Bearer");
        token.iat((long) Time.currentTime());
        token.exp((long) Time.currentTime() + 60);
        AdminAuth requester = new AdminAuth(requesterRealm, token, user, client);
        RealmModel target = s.realms().getRealm(realmId);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("changeRequestId", cr.getId());
        details.put("appliedBy", caller.userId());
        return Replayer.replay(s, target, requester, connection, baseUri, cr.getMethod(), cr.getPath(), relative,
                clearBody, cr.getId(), details);
    }

    private static JsonNode parseLenient(String text) {
        if (text == null) {
            return null;
        }
        try {
            return JsonSerialization.mapper.readTree(text);
        } catch (java.io.IOException e) {
            return JsonSerialization.mapper.getNodeFactory().textNode(text);
        }
    }

    // ------------------------------------------------------------------ helpers

    public static GuardPolicy policy(RealmModel realm) {
        try {
            return Policies.of(realm);
        } catch (PolicyException e) {
            throw GuardErrors.error(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable", e.getMessage());
        }
    }

    public static Response ok(JsonNode body) {
        return Response.ok(body, MediaType.APPLICATION_JSON_TYPE).build();
    }

    /**
     * The admin event of a transition no admin made (the scheduled expiry): no acting user, the
     * guard named as the author's address.
     */
    public static void emitSystem(KeycloakSession s, RealmModel realm, ChangeRequestEntity cr, String transition) {
        org.keycloak.events.admin.AdminEvent prepared = new org.keycloak.events.admin.AdminEvent();
        prepared.setRealmId(realm.getId());
        prepared.setRealmName(realm.getName());
        org.keycloak.events.admin.AuthDetails details = new org.keycloak.events.admin.AuthDetails();
        details.setRealmId(realm.getId());
        details.setRealmName(realm.getName());
        details.setIpAddress("nhi-guard-scheduler");
        prepared.setAuthDetails(details);
        AdminEventBuilder b = new AdminEventBuilder(realm, new AdminAuth(realm, null, null, null), s, "nhi-guard-scheduler",
                prepared) {
        };
        send(b, cr, transition, OperationType.UPDATE, null);
    }

    /** A custom admin event for a transition, carrying the request summary, the diff and the decision. */
    public static void emit(KeycloakSession s, RealmModel realm, AdminAuth actor, ChangeRequestEntity cr, String transition,
            OperationType op, String reason) {
        send(new AdminEventBuilder(realm, actor, s, s.getContext().getConnection()), cr, transition, op, reason);
    }

    private static void send(AdminEventBuilder builder, ChangeRequestEntity cr, String transition, OperationType op,
            String reason) {
        ObjectNode rep = ChangeRequestView.summary(cr, 0, GuardPolicy.defaults());
        rep.remove("needs");
        rep.remove("approvalsGiven");
        rep.put("transition", transition);
        if (reason != null) {
            rep.put("decision", reason);
        }
        ChangeRequestView.Proposed proposed = ChangeRequestView.proposed(cr);
        rep.set("diff", proposed.diff());
        if ("CREATED".equals(transition)) {
            // The request as held (credentials shown only as supplied): what a later apply replays, also where Keycloak
            // itself records nothing of it (a workflow's steps) or no diff can be taken.
            rep.set("body", SealedView.body(ChangeRequestView.parse(cr.getBody())));
        }
        rep.putObject("afterImage").put("source", proposed.source());
        AdminEventBuilder b = builder
                .operation(op).resource(RESOURCE_TYPE)
                .resourcePath("mutation-guard", "change-requests", cr.getId())
                .representation(rep)
                .detail("transition", transition)
                .detail("changeRequestId", cr.getId())
                .detail("operation", cr.getOperation())
                .detail("state", cr.getState())
                .detail("digest", cr.getDigest());
        if (reason != null) {
            b.detail("decision", reason);
        }
        b.success();
    }
}
