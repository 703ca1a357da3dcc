package dev.nhiguard.guard.backstop;

import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.http.HttpRequest;
import org.keycloak.authorization.fgap.AdminPermissionsSchema;
import org.keycloak.models.ClientModel;
import org.keycloak.models.FederatedIdentityModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.OwnerAttributes;
import dev.nhiguard.guard.changerequest.Policies;
import dev.nhiguard.guard.changerequest.TargetState;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.replay.Replayer;

/**
 * Model-level backstop: synchronous provider events veto guarded changes that reach Keycloak's
 * model through an HTTP request without the guard's replay marker. Role grants to
 * service-account users, direct grants of the approver role, group joins of service-account
 * users, removals of service-account clients and identity-provider links of privileged users are
 * refused on <em>every</em> HTTP path, the admin REST API included: there the admission filter
 * holds them, so one reaching the model means the filter missed it, and the backstop fails
 * closed. Client updates are ambiguous on the admin REST API (a description edit of a
 * service-account client is not guarded) and are refused only on the paths the filter does not
 * see (partial import, admin API v2, dynamic client registration): there the removal of a
 * service-account user (which is how Keycloak turns a service account off) is refused, and so is
 * the creation or update of a non-human identity's client (service account on, or a registered
 * agent), of a client with flow binding overrides, of an administration client or of a client
 * whose roles a flow condition or a client policy names, as is the deletion of the last two. Start-up import and
 * scheduled work run outside HTTP requests and pass; so does realm creation
 * ({@code POST /admin/realms}), which changes no existing realm.
 */
public final class ModelBackstop implements ProviderEventListener {

    private static final Logger LOG = Logger.getLogger(ModelBackstop.class);

    @Override
    public void onEvent(ProviderEvent event) {
        if (event instanceof RoleModel.RoleGrantedEvent e) {
            UserModel user = e.getUser();
            RealmModel realm = realmOf(e.getRealm(), e.getKeycloakSession());
            if (user.getServiceAccountClientLink() != null) {
                check(e.getKeycloakSession(), realm, e.getRole().isClientRole()
                        ? "service-account-client-role-grant" : "service-account-realm-role-grant", false);
            }
            // (the approver roles are looked up only where the backstop may refuse: every user creation grants a role)
            if (!e.getRole().isClientRole() && realm != null && e.getKeycloakSession().getAttribute(Replayer.BYPASS_ATTRIBUTE) == null
                    && httpPath(e.getKeycloakSession(), false) != null) {
                GuardPolicy policy = policyOrNull(realm);
                if (policy == null || dev.nhiguard.guard.changerequest.Approvers.approverRoleNames(e.getKeycloakSession(), realm,
                        policy.approverRole()).contains(e.getRole().getName())) {
                    check(e.getKeycloakSession(), realm, "approver-role-grant", false);
                }
            }
        } else if (event instanceof UserModel.UserRemovedEvent e) {
            // Turning a service account off deletes its user (ClientManager#disableServiceAccount): the client's update
            // event then shows an ordinary client. Off the admin API that is refused as the client update it is.
            if (e.getUser().getServiceAccountClientLink() != null) {
                check(e.getKeycloakSession(), realmOf(e.getRealm(), e.getKeycloakSession()), "client-update", true);
            }
        } else if (event instanceof GroupModel.GroupMemberJoinEvent e) {
            if (e.getUser().getServiceAccountClientLink() != null) {
                check(e.getKeycloakSession(), realmOf(e.getRealm(), e.getKeycloakSession()), "service-account-group-join", false);
            }
        } else if (event instanceof ClientModel.ClientUpdatedEvent e) {
            ClientModel c = e.getUpdatedClient();
            KeycloakSession session = e.getKeycloakSession();
            // Ambiguous on the admin API (admission decides there): only the paths admission does not see are judged.
            if (!offTheAdminApi(session)) {
                return;
            }
            // (a client that exchanges others' tokens shapes the tokens of service accounts: OIDC registration turns
            // standard token exchange on from its grant_types)
            if (OwnerAttributes.shapesNonHumanTokens(c)) {
                check(session, c.getRealm(), "client-update", true);
            } else {
                // Keycloak fires this event after a client's creation too (RepresentationToModel#createClient).
                // Off the admin API the guard cannot compare with what was there before: a client bound to flows of
                // its own, a client Keycloak's administration depends on, or one whose roles a flow condition or a
                // client policy names (a clientId change moves the name) changes through the admin API only.
                if (!c.getAuthenticationFlowBindingOverrides().isEmpty()) {
                    check(session, c.getRealm(), "client-flow-override", true);
                } else if (clientIsAdministrationOrGate(session, c)) {
                    check(session, c.getRealm(), "client-update", true);
                }
            }
        } else if (event instanceof ClientModel.ClientRemovedEvent e) {
            ClientModel c = e.getClient();
            KeycloakSession session = e.getKeycloakSession();
            if (OwnerAttributes.shapesNonHumanTokens(c)) {
                check(session, c.getRealm(), "client-delete", false);
            } else if (offTheAdminApi(session) && clientIsAdministrationOrGate(session, c)) {
                check(session, c.getRealm(), "client-delete", true);
            }
        } else if (event instanceof FederatedIdentityModel.FederatedIdentityCreatedEvent e) {
            if (httpPath(e.getKeycloakSession(), false) != null) {
                GuardPolicy policy = policyOrNull(e.getRealm());
                String role = policy == null ? GuardPolicy.DEFAULT_APPROVER_ROLE : policy.approverRole();
                TargetState target = new TargetState(e.getKeycloakSession(), e.getRealm(), role);
                // The same users as the catalogue's operation: privileged users and owners of service accounts.
                // and service-account users: a broker login as one is an interactive session of the non-human identity.
                // Decided on every subject, not on what the admin at hand may see (fine-grained admin permissions).
                boolean guardedUser = e.getUser().getServiceAccountClientLink() != null
                        || AdminPermissionsSchema.runWithoutAuthorization(e.getKeycloakSession(),
                                () -> target.isPrivilegedUser(e.getUser().getId()) || target.isAccountOwner(e.getUser().getId()));
                if (guardedUser) {
                    check(e.getKeycloakSession(), e.getRealm(), "privileged-user-idp-link", false);
                }
            }
        }
    }

    /** Whether the change comes from an HTTP request the admission filter does not classify (partial import, admin API v2, client registration). */
    private static boolean offTheAdminApi(KeycloakSession session) {
        return session.getAttribute(Replayer.BYPASS_ATTRIBUTE) == null && httpPath(session, true) != null;
    }

    /** A client Keycloak's administration depends on, or one whose roles a flow condition or a client policy names. */
    private static boolean clientIsAdministrationOrGate(KeycloakSession session, ClientModel c) {
        GuardPolicy policy = policyOrNull(c.getRealm());
        TargetState target = new TargetState(session, c.getRealm(),
                policy == null ? GuardPolicy.DEFAULT_APPROVER_ROLE : policy.approverRole());
        return AdminPermissionsSchema.runWithoutAuthorization(session,
                () -> target.isAdminClient(c.getId()) || target.clientMayBeAGate(c));
    }

    private static RealmModel realmOf(RealmModel realm, KeycloakSession session) {
        return realm != null ? realm : session.getContext().getRealm();
    }

    private static GuardPolicy policyOrNull(RealmModel realm) {
        try {
            return Policies.of(realm);
        } catch (PolicyException e) {
            return null;
        }
    }

    private static void check(KeycloakSession session, RealmModel realm, String operationId, boolean ambiguousOnAdminApi) {
        if (realm == null || session.getAttribute(Replayer.BYPASS_ATTRIBUTE) != null) {
            return;
        }
        String path = httpPath(session, ambiguousOnAdminApi);
        if (path == null) {
            return;
        }
        GuardPolicy policy;
        try {
            policy = Policies.of(realm);
        } catch (PolicyException e) {
            throw GuardErrors.error(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable", e.getMessage());
        }
        if (!policy.guards(Catalogue.get().byId(operationId).orElseThrow())) {
            return;
        }
        LOG.warnf("Mutation guard backstop refused %s in realm %s reached through %s", operationId, realm.getName(), path);
        throw GuardErrors.error(Response.Status.FORBIDDEN, "change_refused", "The guarded operation " + operationId
                + " cannot be made through " + path + "; make it through the admin REST API, where it is held for approval",
                Map.of("operation", operationId));
    }

    /**
     * {@code METHOD path} of the HTTP request this change comes from; null outside HTTP requests
     * (start-up import, scheduled tasks), for realm creation, and, when {@code onlyUncovered},
     * for admin REST paths the admission filter classifies (all of {@code /admin/realms/{realm}/…}
     * except partial import).
     */
    private static String httpPath(KeycloakSession session, boolean onlyUncovered) {
        HttpRequest request;
        try {
            request = session.getContext().getHttpRequest();
        } catch (RuntimeException e) {
            return null; // no active HTTP request
        }
        if (request == null || request.getUri() == null) {
            return null;
        }
        String path = request.getUri().getPath();
        if (path == null) {
            return null;
        }
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        String method = request.getHttpMethod();
        if (path.matches("/admin/realms/?")) {
            return null; // realm creation: a new realm, nothing existing changes
        }
        if (onlyUncovered && path.startsWith("/admin/realms/") && !path.matches("/admin/realms/[^/]+/partialImport/?")) {
            return null;
        }
        return method + " " + path;
    }
}
