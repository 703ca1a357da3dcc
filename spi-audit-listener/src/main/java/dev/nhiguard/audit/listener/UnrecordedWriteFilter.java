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
 * ({@code /admin/api/{realm}/…}) is recorded so whether or not Keycloak sent an event for part of it.
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
        String rawPath = request.getUriInfo().getRequestUri().getRawPath();
        if (status < 200 || status > 299 || status == 202 || !WRITES.contains(method)
                || !(rawPath.contains("/admin/realms/") || rawPath.contains("/admin/api/"))) {
            return; // token requests and every other non-admin POST leave here, before any path decoding
        }
        List<PathSegment> segments = request.getUriInfo().getPathSegments(true);
        if (segments.size() < 3 || !segments.get(0).getPath().equals("admin")) {
            return;
        }
        // The client admin API v2 (/admin/api/{realm}/…) records admin events for part of a write at most (a
        // client's roles, not the client): its writes are always recorded here.
        boolean apiV2 = segments.get(1).getPath().equals("api");
        if (!apiV2 && (!segments.get(1).getPath().equals("realms")
                || (segments.size() > 3 && OWN_RESOURCES.contains(segments.get(3).getPath())))) {
            return;
        }
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        if (session == null || (!apiV2 && session.getAttribute(PendingAppends.SESSION_KEY) != null)) {
            return; // no session to tell, or the write's own admin event made its record
        }
        RealmModel realm = session.realms().getRealmByName(segments.get(2).getPath());
        AuditEventListenerProviderFactory chain = (AuditEventListenerProviderFactory) session.getKeycloakSessionFactory()
                .getProviderFactory(EventListenerProvider.class, AuditEventListenerProviderFactory.PROVIDER_ID);
        if (realm == null || chain == null || !chain.chains(realm.getId(), realm.getName())) {
            return;
        }
        String path = String.join("/", segments.subList(3, segments.size()).stream().map(PathSegment::getPath).toList());
        try {
            if (session.getTransactionManager().isActive() && !session.getTransactionManager().getRollbackOnly()) {
                AdminAuth admin = AuthenticatedAdmin.of(session);
                if (admin == null && session.getContext().getBearerToken() instanceof AccessToken verified) {
                    admin = AuthenticatedAdmin.of(session, verified); // Keycloak verified it: the write answered 2xx
                }
                send(session, realm, admin, method, path, status, apiV2);
            } else {
                AccessToken token = session.getContext().getBearerToken() instanceof AccessToken t ? t : null;
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                    RealmModel r = s.realms().getRealm(realm.getId());
                    send(s, r, token == null ? null : AuthenticatedAdmin.of(s, token), method, path, status, apiV2);
                });
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "A %s %s in realm %s that Keycloak records no admin event for could not be recorded", method,
                    path, realm.getName());
        }
    }

    private static void send(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path, int status,
            boolean apiV2) {
        if (auth == null) {
            LOG.warnf("A %s of realm %s answered %d without a known admin; not recorded", method, realm.getName(), status);
            return;
        }
        s.getContext().setRealm(realm);
        AdminEventBuilder event = new AdminEventBuilder(realm, auth, s, s.getContext().getConnection())
                .operation(switch (method) {
                    case "POST" -> OperationType.CREATE;
                    case "DELETE" -> OperationType.DELETE;
                    default -> OperationType.UPDATE;
                })
                .resource(RESOURCE_TYPE)
                .resourcePath(path.isEmpty() ? new String[0] : path.split("/"))
                .detail("method", method)
                .detail("status", String.valueOf(status));
        if (apiV2) {
            event.detail("adminApi", "v2");
        }
        event.success();
    }
}
