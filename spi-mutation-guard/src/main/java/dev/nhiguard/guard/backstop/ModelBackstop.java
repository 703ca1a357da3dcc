package dev.nhiguard.guard.backstop;

import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.http.HttpRequest;
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
import dev.nhiguard.guard.changerequest.Policies;
import dev.nhiguard.guard.changerequest.TargetState;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.replay.Replayer;

/**
 * Model-level backstop: synchronous provider events (role grants, group joins, client updates
 * and removals, IdP links) veto guarded changes made through HTTP paths the admission filter
 * does not hold — partial import, admin API v2 ({@code /admin/…} outside
 * {@code /admin/realms/}) and dynamic client registration — unless the change is a replay
 * carrying the guard's bypass marker. Start-up import and bootstrap run outside HTTP requests
 * and are not admin requests: they pass.
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
                        ? "service-account-client-role-grant" : "service-account-realm-role-grant");
            }
            if (!e.getRole().isClientRole() && realm != null) {
                GuardPolicy policy = policyOrNull(realm);
                if (policy == null || policy.approverRole().equals(e.getRole().getName())) {
                    check(e.getKeycloakSession(), realm, "approver-role-grant");
                }
            }
        } else if (event instanceof GroupModel.GroupMemberJoinEvent e) {
            if (e.getUser().getServiceAccountClientLink() != null) {
                check(e.getKeycloakSession(), realmOf(e.getRealm(), e.getKeycloakSession()), "service-account-group-join");
            }
        } else if (event instanceof ClientModel.ClientUpdatedEvent e) {
            ClientModel c = e.getUpdatedClient();
            if (c.isServiceAccountsEnabled()) {
                check(e.getKeycloakSession(), c.getRealm(), "client-update");
            }
        } else if (event instanceof ClientModel.ClientRemovedEvent e) {
            ClientModel c = e.getClient();
            if (c.isServiceAccountsEnabled()) {
                check(e.getKeycloakSession(), c.getRealm(), "client-delete");
            }
        } else if (event instanceof FederatedIdentityModel.FederatedIdentityCreatedEvent e) {
            if (uncoveredPath(e.getKeycloakSession(), e.getRealm()) != null) {
                GuardPolicy policy = policyOrNull(e.getRealm());
                String role = policy == null ? GuardPolicy.DEFAULT_APPROVER_ROLE : policy.approverRole();
                if (new TargetState(e.getKeycloakSession(), e.getRealm(), role).isPrivilegedUser(e.getUser().getId())) {
                    check(e.getKeycloakSession(), e.getRealm(), "privileged-user-idp-link");
                }
            }
        }
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

    private static void check(KeycloakSession session, RealmModel realm, String operationId) {
        if (realm == null || session.getAttribute(Replayer.BYPASS_ATTRIBUTE) != null) {
            return;
        }
        String path = uncoveredPath(session, realm);
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
     * The request path when this change comes from an HTTP request the admission filter does not
     * hold (partial import, admin API v2, dynamic client registration); null otherwise, including
     * outside HTTP requests (start-up import, bootstrap, scheduled tasks).
     */
    private static String uncoveredPath(KeycloakSession session, RealmModel realm) {
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
        if (path.startsWith("/admin/realms/")) {
            return path.matches("/admin/realms/[^/]+/partialImport/?") ? method + " " + path : null;
        }
        if (path.startsWith("/admin/") || path.contains("/clients-registrations/")) {
            return method + " " + path;
        }
        return null;
    }
}
