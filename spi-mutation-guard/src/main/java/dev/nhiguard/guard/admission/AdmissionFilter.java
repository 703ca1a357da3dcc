package dev.nhiguard.guard.admission;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import org.jboss.logging.Logger;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.managers.RealmManager;
import org.keycloak.services.resources.KeycloakApplication;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminRoot;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.fgap.AdminPermissions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.Admission;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.RequestBody;
import dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory;

/**
 * HTTP admission: every write to {@code /admin/realms/{realm}/**} is classified against the
 * catalogue and the realm's policy; a guarded write is stored as a change request (in its own
 * transaction) and answered {@code 202 Accepted} instead of reaching Keycloak. Fails closed.
 */
@Provider
public final class AdmissionFilter implements ContainerRequestFilter {

    private static final Logger LOG = Logger.getLogger(AdmissionFilter.class);
    private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE", "PATCH");
    private static final String PREFIX = "/admin/realms/";

    @Override
    public void filter(ContainerRequestContext ctx) throws IOException {
        String rawPath = ctx.getUriInfo().getPath();
        String path = rawPath.startsWith("/") ? rawPath : "/" + rawPath;
        if (!path.startsWith("/admin/")) {
            return;
        }
        KeycloakSessionFactory sessionFactory = KeycloakApplication.getSessionFactory();
        MutationGuardResourceProviderFactory guard = sessionFactory == null ? null
                : (MutationGuardResourceProviderFactory) sessionFactory.getProviderFactory(AdminRealmResourceProvider.class,
                        MutationGuardResourceProviderFactory.PROVIDER_ID);
        if (guard == null) {
            ctx.abortWith(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    "The mutation guard is not initialised; admin requests are refused", null));
            return;
        }
        guard.filterSeen();
        String method = ctx.getMethod().toUpperCase(java.util.Locale.ROOT);
        if (!guard.isEnabled() || !WRITES.contains(method)) {
            return;
        }
        java.util.regex.Matcher v2 = AdminApiV2.match(path);
        if (v2 != null) {
            admitV2(ctx, sessionFactory, method, v2.group(1), v2.group(2));
            return;
        }
        if (!path.startsWith(PREFIX)) {
            return;
        }
        String afterPrefix = path.substring(PREFIX.length());
        int slash = afterPrefix.indexOf('/');
        String realmName = slash < 0 ? afterPrefix : afterPrefix.substring(0, slash);
        String relative = slash < 0 ? "" : afterPrefix.substring(slash);
        if (realmName.isEmpty()) {
            return;
        }
        String rel = relative.endsWith("/") && relative.length() > 1 ? relative.substring(0, relative.length() - 1) : relative;
        if (!Catalogue.get().anyTemplateMatches(method, rel)) {
            return;
        }
        byte[] bytes = readBody(ctx);
        if (bytes == null) {
            ctx.abortWith(GuardErrors.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, "invalid_request",
                    "Request body larger than " + RequestBody.MAX_BYTES + " bytes", null));
            return;
        }
        JsonNode body;
        try {
            body = RequestBody.of(ctx.getHeaderString(HttpHeaders.CONTENT_TYPE), bytes);
        } catch (RequestBody.MalformedBody e) {
            ctx.abortWith(GuardErrors.response(Response.Status.BAD_REQUEST, "invalid_request", e.getMessage(), null));
            return;
        }
        String query = ctx.getUriInfo().getRequestUri().getRawQuery();
        String pathWithQuery = query == null ? path : path + "?" + query;
        URI base = ctx.getUriInfo().getBaseUri();
        try {
            Decision d = KeycloakModelUtils.runJobInTransactionWithResult(sessionFactory, s -> {
                AdminAuth auth;
                try {
                    auth = AdminRoot.authenticateRealmAdminRequest(s);
                } catch (NotAuthorizedException e) {
                    return new Decision(new Admission.Refused(GuardErrors.response(Response.Status.UNAUTHORIZED,
                            "unauthorized", "Admin authentication failed", null)), false);
                }
                RealmModel realm = new RealmManager(s).getRealmByName(realmName);
                if (realm == null) {
                    return new Decision(new Admission.Pass(), false);
                }
                if (!RealmManager.isAdministrationRealm(auth.getRealm()) && !auth.getRealm().equals(realm)) {
                    return new Decision(new Admission.Pass(), false);
                }
                s.getContext().setRealm(realm);
                try {
                    AdminPermissions.evaluator(s, realm, auth).requireAnyAdminRole();
                } catch (ForbiddenException e) {
                    return new Decision(new Admission.Pass(), false); // Keycloak answers 403 itself
                }
                boolean console = auth.getToken() != null && Constants.ADMIN_CONSOLE_CLIENT_ID.equals(auth.getToken().getIssuedFor());
                return new Decision(Admission.admit(s, realm, auth, method, path, pathWithQuery, body, null), console);
            });
            if (d.outcome() instanceof Admission.Held held) {
                ctx.abortWith(heldResponse(held, base, realmName, d.console()));
            } else if (d.outcome() instanceof Admission.Refused refused) {
                ctx.abortWith(refused.response());
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Mutation guard could not decide on %s %s; refusing the write", method, path);
            ctx.abortWith(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    "The mutation guard could not decide on this write and refused it: " + e.getClass().getSimpleName(), null));
        }
    }

    /** Client admin API v2: guarded writes are refused (see {@link AdminApiV2}); authentication first. */
    private static void admitV2(ContainerRequestContext ctx, KeycloakSessionFactory sessionFactory, String method,
            String realmName, String clientId) throws IOException {
        byte[] bytes = readBody(ctx);
        if (bytes == null) {
            ctx.abortWith(GuardErrors.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, "invalid_request",
                    "Request body larger than " + RequestBody.MAX_BYTES + " bytes", null));
            return;
        }
        JsonNode body;
        try {
            body = bytes.length == 0 ? null : RequestBody.of(MediaType.APPLICATION_JSON, bytes);
        } catch (RequestBody.MalformedBody e) {
            return; // Keycloak answers malformed JSON itself; nothing is changed
        }
        try {
            Response refusal = KeycloakModelUtils.runJobInTransactionWithResult(sessionFactory, s -> {
                try {
                    AdminRoot.authenticateRealmAdminRequest(s);
                } catch (NotAuthorizedException e) {
                    return null; // Keycloak answers 401 itself
                }
                return AdminApiV2.decide(s, realmName, clientId, method, body);
            });
            if (refusal != null) {
                ctx.abortWith(refusal);
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Mutation guard could not decide on %s through the client admin API v2; refusing the write", method);
            ctx.abortWith(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    "The mutation guard could not decide on this write and refused it: " + e.getClass().getSimpleName(), null));
        }
    }

    private record Decision(Admission.Outcome outcome, boolean console) {
    }

    private static Response heldResponse(Admission.Held held, URI base, String realmName, boolean console) {
        URI location = jakarta.ws.rs.core.UriBuilder.fromUri(base).path("admin").path("realms").path(realmName)
                .path("mutation-guard").path("change-requests").path(held.id()).build();
        ObjectNode body = held.summary();
        body.put("location", location.toString());
        if (console) {
            // The admin console reports any 2xx as "saved"; answer it with an error whose text it
            // shows ("Could not … due to: <error>"), naming the change request.
            body.put("error", body.path("message").asText());
            body.put("error_description", body.path("message").asText());
            body.put("errorMessage", body.path("message").asText());
            return Response.status(Response.Status.CONFLICT).location(location).entity(body)
                    .type(MediaType.APPLICATION_JSON_TYPE).build();
        }
        return Response.status(Response.Status.ACCEPTED).location(location).entity(body)
                .type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** The body's bytes, put back for Keycloak; null when it exceeds the limit. */
    private static byte[] readBody(ContainerRequestContext ctx) throws IOException {
        if (!ctx.hasEntity()) {
            return new byte[0];
        }
        InputStream in = ctx.getEntityStream();
        byte[] bytes = in.readNBytes(RequestBody.MAX_BYTES + 1);
        if (bytes.length > RequestBody.MAX_BYTES) {
            return null;
        }
        ctx.setEntityStream(new java.io.ByteArrayInputStream(bytes));
        return bytes;
    }

}
