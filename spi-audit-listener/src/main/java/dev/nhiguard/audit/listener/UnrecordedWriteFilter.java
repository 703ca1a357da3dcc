package dev.nhiguard.audit.listener;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.PathSegment;
import jakarta.ws.rs.ext.Provider;

import org.jboss.logging.Logger;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.representations.AccessToken;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.utils.KeycloakSessionUtil;

import dev.nhiguard.audit.rest.AuthenticatedAdmin;

/**
 * Admin writes Keycloak answers with success but records no admin event for (realm localization
 * texts, a credential's label, a user's impersonation, …) still reach the chain: when a 2xx
 * write under {@code /admin/realms/{realm}/} of a chained realm made no record in its request, an
 * admin event of resource type {@value #RESOURCE_TYPE} is sent for it (method, path, status,
 * the admin), which Keycloak stores like its own when the realm stores admin events and the
 * chain records like any other. It is sent in the request's transaction while that is still
 * open, so it commits with the write; otherwise right after, in a transaction of its own. NHI
 * Guard's own endpoints record their writes themselves and are left out; so are answers of 202
 * (a write the guard held: the change request is recorded). A write through the client admin API v2
 * ({@code /admin/api/{realm}/…}) is recorded so whether or not Keycloak sent an event for part of it, and
 * so is a client-registration write made with an admin's access token (Keycloak's own event names the
 * client, not the admin), with the detail {@code via: client-registration}, and a write through
 * authorization services' protection API ({@code /realms/{realm}/authz/protection/…}: user-managed
 * policies, permission tickets) that Keycloak records nothing for, naming the resource server's
 * service account, with {@code via: authz-protection}, and a write through the account API
 * ({@code /realms/{realm}/account/…}: resources shared with other users, credential labels) that made no record,
 * naming the user, with {@code via: account}.
 */
@Provider
public final class UnrecordedWriteFilter implements ContainerResponseFilter {

    private static final Logger LOG = Logger.getLogger(UnrecordedWriteFilter.class);

    /** Resource type of the events (and of their chain records). */
    public static final String RESOURCE_TYPE = "ADMIN_WRITE_UNRECORDED";

    private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE", "PATCH");
    /** The admin resources of NHI Guard's modules, which record their own writes. */
    private static final Set<String> OWN_RESOURCES = Set.of("mutation-guard", "audit-chain", "agents", "nhi", "nhi-owner");

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        int status = response.getStatus();
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        String rawPath;
        try {
            rawPath = request.getUriInfo().getRequestUri().getRawPath();
        } catch (RuntimeException e) {
            rawPath = request.getUriInfo().getPath(); // no absolute URI (HTTP/1.0 without Host): the decoded path
        }
        if (status < 200 || status > 299 || status == 202 || !WRITES.contains(method)
                || !(rawPath.contains("/admin/realms/") || rawPath.contains("/admin/api/") || rawPath.contains("/clients-registrations/")
                        || rawPath.contains("/authz/protection/") || rawPath.contains("/account/"))) {
            return; // token requests and every other non-admin POST leave here, before any path decoding
        }
        List<PathSegment> segments = request.getUriInfo().getPathSegments(true);
        if (segments.size() < 3) {
            return;
        }
        // Client registration (/realms/{realm}/clients-registrations/…) with an admin's access token: Keycloak's own
        // CLIENT_* user event names the client, not the admin; the write is recorded here naming the admin.
        boolean registration = segments.get(0).getPath().equals("realms") && segments.get(2).getPath().equals("clients-registrations");
        // Authorization services' protection API (/realms/{realm}/authz/protection/…): a resource server's own token
        // creates user-managed policies and permission tickets (access grants) that Keycloak records no event for.
        boolean protection = segments.size() > 3 && segments.get(0).getPath().equals("realms")
                && segments.get(2).getPath().equals("authz") && segments.get(3).getPath().equals("protection");
        // The account API (/realms/{realm}/account/…): a user sharing a resource they own (permission tickets), a
        // credential's label, a consent; Keycloak records no event, or one the chain does not take, for some of them.
        boolean account = segments.get(0).getPath().equals("realms") && segments.get(2).getPath().equals("account");
        // Both under /realms/{realm}/, with the caller authenticated by the request's bearer token, not as an admin.
        boolean bearerApi = protection || account;
        if (!registration && !bearerApi && !segments.get(0).getPath().equals("admin")) {
            return;
        }
        // The client admin API v2 (/admin/api/{realm}/…) records admin events for part of a write at most (a
        // client's roles, not the client): its writes are always recorded here.
        boolean apiV2 = !registration && !bearerApi && segments.get(1).getPath().equals("api");
        if (!registration && !bearerApi && !apiV2 && (!segments.get(1).getPath().equals("realms")
                || (segments.size() > 3 && OWN_RESOURCES.contains(segments.get(3).getPath())))) {
            return;
        }
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        // The write made its own record: on the admin API an admin event (a user event such as an impersonation's
        // IMPERSONATE names another user than the admin), on the account and protection APIs the user's own event.
        boolean recorded = session != null && session.getAttribute(bearerApi ? PendingAppends.SESSION_KEY
                : AuditEventListenerProvider.ADMIN_EVENT_RECORDED) != null;
        if (session == null || (!apiV2 && !registration && recorded)) {
            return; // no session to tell, or the write made its record
        }
        boolean underRealms = registration || bearerApi;
        RealmModel realm = session.realms().getRealmByName(segments.get(underRealms ? 1 : 2).getPath());
        AuditEventListenerProviderFactory chain = (AuditEventListenerProviderFactory) session.getKeycloakSessionFactory()
                .getProviderFactory(EventListenerProvider.class, AuditEventListenerProviderFactory.PROVIDER_ID);
        if (realm == null || chain == null || !chain.chains(realm.getId(), realm.getName())) {
            return;
        }
        String path = String.join("/", segments.subList(underRealms ? 2 : 3, segments.size()).stream().map(PathSegment::getPath).toList());
        String via = registration ? "client-registration" : apiV2 ? "v2" : account ? "account" : protection ? "authz-protection" : null;
        // A v2 create's path names no client: the answer does.
        // a v2 PUT of a clientId that does not exist creates the client (an upsert): 201, as a POST answers
        String created = apiV2 && (method.equals("POST") || status == 201) ? createdClientId(response.getEntity()) : null;
        try {
            AdminAuth admin = AuthenticatedAdmin.of(session);
            if (admin == null && session.getContext().getBearerToken() instanceof AccessToken verified) {
                admin = AuthenticatedAdmin.of(session, verified); // Keycloak verified it: the write answered 2xx
            }
            if (admin == null && bearerApi) {
                admin = bearerCaller(session); // the token's user: a resource server's service account, an account's owner
            }
            if (admin == null && !bearerApi) {
                admin = keycloakAdmin(session); // as Keycloak's own admin authentication takes the request's token
                if (admin == null && registration) {
                    return; // a registration or initial access token: the client's own registrant, recorded by Keycloak's event
                }
            }
            if (session.getTransactionManager().isActive() && !session.getTransactionManager().getRollbackOnly()) {
                send(session, realm, admin, method, path, status, via, created);
            } else {
                AccessToken token = admin == null ? null : admin.getToken();
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                    RealmModel r = s.realms().getRealm(realm.getId());
                    send(s, r, token == null ? null : AuthenticatedAdmin.of(s, token), method, path, status, via, created);
                });
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "A %s %s in realm %s that Keycloak records no admin event for could not be recorded", method,
                    path, realm.getName());
        }
    }

    /** The caller of a protection or account API request (its bearer token, as Keycloak authenticates it), or null. */
    private static AdminAuth bearerCaller(KeycloakSession session) {
        try {
            var result = new org.keycloak.services.managers.AppAuthManager.BearerTokenAuthenticator(session).authenticate();
            return result == null ? null : new AdminAuth(session.getContext().getRealm(), result.token(), result.user(), result.client());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The admin whose access token the request carries, as Keycloak's admin authentication takes it; null for a
     * client registration's registration or initial access token.
     */
    private static AdminAuth keycloakAdmin(KeycloakSession session) {
        try {
            return org.keycloak.services.resources.admin.AdminRoot.authenticateRealmAdminRequest(session);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The clientId of the client a v2 create answers with (its representation), or null. */
    static String createdClientId(Object entity) {
        if (entity == null) {
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode answer = org.keycloak.util.JsonSerialization.mapper.valueToTree(entity);
            com.fasterxml.jackson.databind.JsonNode clientId = answer == null ? null : answer.get("clientId");
            return clientId != null && clientId.isTextual() ? clientId.asText() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void send(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path, int status,
            String via, String createdClientId) {
        if (auth == null) {
            LOG.warnf("A %s of realm %s answered %d without a known admin; not recorded", method, realm.getName(), status);
            return;
        }
        s.getContext().setRealm(realm);
        AdminEventBuilder event = new AdminEventBuilder(realm, auth, s, s.getContext().getConnection())
                .operation(status == 201 ? OperationType.CREATE : switch (method) {
                    case "POST" -> OperationType.CREATE;
                    case "DELETE" -> OperationType.DELETE;
                    default -> OperationType.UPDATE;
                })
                .resource(RESOURCE_TYPE)
                .resourcePath(path.isEmpty() ? new String[0] : path.split("/"))
                .detail("method", method)
                .detail("status", String.valueOf(status));
        if ("v2".equals(via)) {
            event.detail("adminApi", "v2");
            if (createdClientId != null) {
                event.detail("clientId", createdClientId);
            }
        } else if (via != null) {
            event.detail("via", via);
        }
        event.success();
    }
}
