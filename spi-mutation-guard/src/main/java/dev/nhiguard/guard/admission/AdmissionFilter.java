package dev.nhiguard.guard.admission;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Set;

import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import org.jboss.logging.Logger;
import org.keycloak.common.Profile;
import org.keycloak.models.AdminRoles;
import org.keycloak.models.ClientModel;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.managers.RealmManager;
import org.keycloak.services.resources.KeycloakApplication;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminRoot;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.fgap.AdminPermissions;
import org.keycloak.utils.KeycloakSessionUtil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.rest.AuthenticatedAdmin;
import dev.nhiguard.guard.changerequest.Admission;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.RealmWriteLock;
import dev.nhiguard.guard.changerequest.RequestBody;
import dev.nhiguard.guard.notify.ApprovalsPage;
import dev.nhiguard.guard.reads.ResentCredentials;
import dev.nhiguard.guard.reads.WrittenCredentials;
import dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory;

/**
 * HTTP admission: every write under {@code /admin/} is read once, strictly ({@link RequestPath},
 * {@link RequestBody}); what cannot be read unambiguously is refused (400/413/414/415). A write
 * to {@code /admin/realms/{realm}/**} is then resolved to the Keycloak resource method it
 * reaches and classified ({@link Admission}); a guarded write is stored as a change request (in
 * its own transaction) and answered {@code 202 Accepted} instead of reaching Keycloak. Fails
 * closed.
 */
@Provider
public final class AdmissionFilter implements ContainerRequestFilter {

    private static final Logger LOG = Logger.getLogger(AdmissionFilter.class);
    private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE", "PATCH");

    /** The resource method JAX-RS matched for this request (a per-request proxy). */
    @Context
    ResourceInfo resourceInfo;

    /** {@link GuardSwitch#switchedOff()}, read once: server configuration does not change while it runs. */
    private volatile Boolean switchedOff;

    private boolean switchedOff() {
        Boolean off = switchedOff;
        if (off == null) {
            off = GuardSwitch.switchedOff();
            switchedOff = off;
        }
        return off;
    }

    /**
     * The request's absolute URI, or null when it has none: Quarkus builds it from the {@code Host} header and throws
     * without one (an HTTP/1.0 request). {@link AdminPathFilter} refuses such requests wherever the guard reads them.
     */
    public static URI requestUri(ContainerRequestContext ctx) {
        try {
            return ctx.getUriInfo().getRequestUri();
        } catch (RuntimeException e) {
            return null; // Quarkus's UriInfoImpl: a NullPointerException without a host, a RuntimeException for a URI it cannot parse
        }
    }

    @Override
    public void filter(ContainerRequestContext ctx) throws IOException {
        URI requestUri = requestUri(ctx);
        if (requestUri == null) {
            return; // refused before matching where it matters (AdminPathFilter)
        }
        String rawPath = rawPath(requestUri, ctx.getUriInfo().getBaseUri());
        if (!looksLikeAdmin(rawPath)) {
            return;
        }
        KeycloakSessionFactory sessionFactory = KeycloakApplication.getSessionFactory();
        MutationGuardResourceProviderFactory guard = sessionFactory == null ? null
                : (MutationGuardResourceProviderFactory) sessionFactory.getProviderFactory(AdminRealmResourceProvider.class,
                        MutationGuardResourceProviderFactory.PROVIDER_ID);
        // Switched off by the operator, Keycloak loads none of the guard's factory: writes are read
        // strictly as always (our other modules' endpoints rely on it) and then go to Keycloak unheld.
        boolean switchedOff = guard == null && sessionFactory != null && switchedOff();
        if (guard == null && !switchedOff) {
            ctx.abortWith(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    "The mutation guard is not initialised; admin requests are refused", null));
            return;
        }
        if (guard != null) {
            guard.filterSeen();
        }
        String method = ctx.getMethod().toUpperCase(java.util.Locale.ROOT);
        if (!WRITES.contains(method)) {
            return;
        }
        // One reading of the path for every decision; what it cannot read unambiguously is refused.
        RequestPath path;
        try {
            path = RequestPath.parse(rawPath);
        } catch (RequestPath.Refused e) {
            ctx.abortWith(GuardErrors.response(e.status(), e.status() == 414 ? "request_uri_too_long" : "invalid_request",
                    e.getMessage(), null));
            return;
        }
        if (!path.startsWith("admin")) {
            return;
        }
        // One strict reading of the body, also for our own modules' endpoints.
        byte[] bytes = readBody(ctx);
        if (bytes == null) {
            ctx.abortWith(GuardErrors.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, "invalid_request",
                    "Request body larger than " + RequestBody.MAX_BYTES + " bytes", null));
            return;
        }
        String contentEncoding = ctx.getHeaderString(HttpHeaders.CONTENT_ENCODING);
        if (bytes.length > 0 && contentEncoding != null && !contentEncoding.isBlank()
                && !contentEncoding.trim().equalsIgnoreCase("identity")) {
            ctx.abortWith(GuardErrors.response(Response.Status.UNSUPPORTED_MEDIA_TYPE, "invalid_request",
                    "Content-Encoding " + contentEncoding + " is not accepted for admin writes", null));
            return;
        }
        JsonNode body;
        try {
            body = RequestBody.of(ctx.getHeaderString(HttpHeaders.CONTENT_TYPE), bytes);
        } catch (RequestBody.UnsupportedMediaType e) {
            ctx.abortWith(GuardErrors.response(Response.Status.UNSUPPORTED_MEDIA_TYPE, "invalid_request", e.getMessage(), null));
            return;
        } catch (RequestBody.MalformedBody e) {
            ctx.abortWith(GuardErrors.response(Response.Status.BAD_REQUEST, "invalid_request", e.getMessage(), null));
            return;
        }
        if (switchedOff) {
            return;
        }
        if (path.startsWith("admin", "api")) {
            admitV2(ctx, sessionFactory, method, path, body);
            return;
        }
        if (path.startsWith("admin", "realms") && path.segments().size() == 2 && "POST".equals(method)) {
            // Realm creation (RealmsAdminResource#importRealm) changes no existing realm, but stores the attributes
            // as sent: a clear audit sink secret among them would stay in clear in the new realm.
            String sinks = Admission.newRealmAuditSinksProblem(body);
            if (sinks != null) {
                ctx.abortWith(GuardErrors.response(Response.Status.BAD_REQUEST, "invalid_request", sinks, null));
            }
            return;
        }
        if (!path.startsWith("admin", "realms") || path.segments().size() < 3) {
            // AdminRoot's other resources (console logout) change no realm; see the coverage table.
            return;
        }
        String realmName = path.segments().get(2);
        String query = requestUri(ctx).getRawQuery();
        String pathWithQuery = query == null ? path.raw() : path.raw() + "?" + query;
        URI base = ctx.getUriInfo().getBaseUri();
        try {
            java.lang.reflect.Method routed = routedMethod();
            boolean mayBeStale = false;
            RealmWriteLock.Admitted admitted = null;
            if (!isApply(routed, path) && !(routed != null
                    && CoverageTable.storesNothing(routed.getDeclaringClass().getName(), routed.getName()))) {
                // Ordered with the realm's applies (RealmWriteLock): a write that passes commits only if no apply was
                // noted between this read and its commit, whose prepare phase takes the realm's lock shared, so an
                // apply's re-check cannot fall between this write's classification and its commit.
                admitted = admitting(realmName);
                Long appliedAt = admitted == null ? null : admitted.appliedAt();
                Object startedAt = ctx.getProperty(AdminPathFilter.STARTED_AT);
                if (appliedDuring(appliedAt, startedAt)) {
                    // Keycloak loaded what this write changes while routing it, before the apply committed: written
                    // from those copies, it could undo what the apply changed.
                    ctx.abortWith(GuardErrors.response(Response.Status.CONFLICT, "conflict", "A change request was applied "
                            + "in this realm while this write was on its way; nothing was changed, send it again", null));
                    return;
                }
                mayBeStale = appliedSince(appliedAt, startedAt);
            }
            // Most writes are not guarded: classify them in the request's own session, with the admin
            // Keycloak already authenticated for it, and store nothing. Only a guarded write opens a
            // transaction of its own, so its change request commits whatever Keycloak does next. Just after an apply
            // by another node, whose clock may differ, the write is classified in a session of its own too
            // (RealmWriteLock).
            Admission.Classification first = mayBeStale ? null : classifyInRequest(method, path, body, realmName, routed);
            if (first instanceof Admission.Pass pass) {
                if (pass.resent() != null) {
                    // The pass confirms a credential the body sends back: its sender is a reader (recorded at once).
                    KeycloakSession s = KeycloakSessionUtil.getKeycloakSession();
                    ResentCredentials.record(s, s.getContext().getRealm(), AuthenticatedAdmin.of(s), path.join(3).substring(1),
                            pass.resent());
                }
                WrittenCredentials.enlist(KeycloakSessionUtil.getKeycloakSession(), realmName, pass.written());
                ordered(admitted);
                return;
            }
            if (first instanceof Admission.Refused refused) {
                ctx.abortWith(refused.response());
                return;
            }
            String[] signInRealm = new String[1]; // the realm the admin signed in to, for the review link
            Admission.Outcome outcome = KeycloakModelUtils.runJobInTransactionWithResult(sessionFactory, s -> {
                AdminAuth auth;
                try {
                    auth = AdminRoot.authenticateRealmAdminRequest(s);
                } catch (NotAuthorizedException e) {
                    return new Admission.Refused(GuardErrors.response(Response.Status.UNAUTHORIZED,
                            "unauthorized", "Admin authentication failed", null));
                }
                RealmModel realm = new RealmManager(s).getRealmByName(realmName);
                if (realm == null) {
                    return new Admission.Pass(); // Keycloak answers 404 itself
                }
                if (!RealmManager.isAdministrationRealm(auth.getRealm()) && !auth.getRealm().equals(realm)) {
                    return new Admission.Pass(); // Keycloak answers 403 itself
                }
                s.getContext().setRealm(realm);
                if (!mayAdminister(s, realm, auth, routed)) {
                    return new Admission.Pass(); // Keycloak answers 403 itself
                }
                String notInPerson = reviewDecisionProblem(s, auth, routed);
                if (notInPerson != null) {
                    return new Admission.Refused(GuardErrors.response(Response.Status.FORBIDDEN, "forbidden", notInPerson, null));
                }
                signInRealm[0] = auth.getRealm().getName();
                return Admission.admit(s, realm, auth, method, path.raw(), pathWithQuery, body, null, routed);
            });
            if (outcome instanceof Admission.Pass pass) {
                WrittenCredentials.enlist(KeycloakSessionUtil.getKeycloakSession(), realmName, pass.written());
                ordered(admitted);
            } else if (outcome instanceof Admission.Held held) {
                ctx.abortWith(heldResponse(held, base, realmName, signInRealm[0], respondAsync(ctx.getHeaderString("Prefer"))));
            } else if (outcome instanceof Admission.Refused refused) {
                ctx.abortWith(refused.response());
            }
        } catch (jakarta.ws.rs.WebApplicationException e) {
            // A refusal raised while holding the write (e.g. 400 for a body the guard will not store): answered as
            // raised when it is the client's (4xx); the job's transaction rolled back, so nothing was stored.
            Response response = e.getResponse();
            if (response == null || response.getStatus() >= 500) {
                LOG.errorf(e, "Mutation guard could not decide on %s %s; refusing the write", method, path.raw());
                ctx.abortWith(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                        "The mutation guard could not decide on this write and refused it: " + e.getClass().getSimpleName(), null));
            } else {
                ctx.abortWith(response);
            }
        } catch (RuntimeException e) {
            if (RealmWriteLock.isLockTimeout(e)) {
                LOG.warnf("%s %s: the realm's write lock was not granted in time; refused", method, path.raw());
                LOG.debugf(e, "%s %s: the lock timeout", method, path.raw());
            } else {
                LOG.errorf(e, "Mutation guard could not decide on %s %s; refusing the write", method, path.raw());
            }
            ctx.abortWith(RealmWriteLock.refusal(e));
        }
    }

    /**
     * Reads, for the write being admitted, when the realm's last change request was applied
     * ({@link RealmWriteLock#admitting}); a realm that does not exist gives null (Keycloak answers 404).
     *
     * @throws IllegalStateException without a request session or transaction (the write is refused)
     */
    static RealmWriteLock.Admitted admitting(String realmName) {
        KeycloakSession request = KeycloakSessionUtil.getKeycloakSession();
        if (request == null) {
            throw new IllegalStateException("no request session to order the write in");
        }
        RealmModel realm = request.realms().getRealmByName(realmName);
        return realm == null ? null : RealmWriteLock.admitting(request, realm.getId());
    }

    /**
     * A write that passed admission commits only if no change request was applied in its realm since it was read
     * ({@link RealmWriteLock.Admitted#ordered}); a held or refused one is not ordered (it writes nothing).
     */
    static void ordered(RealmWriteLock.Admitted admitted) {
        if (admitted != null) {
            admitted.ordered(KeycloakSessionUtil.getKeycloakSession());
        }
    }

    /**
     * Whether the request is the guard's own apply ({@code POST …/mutation-guard/change-requests/{id}/apply}), which
     * takes the realm's write lock exclusively in a transaction of its own: by the method JAX-RS routed it to, else by
     * its path.
     */
    static boolean isApply(java.lang.reflect.Method routed, RequestPath path) {
        if (routed != null) {
            return routed.getDeclaringClass().equals(dev.nhiguard.guard.rest.MutationGuardResource.class)
                    && routed.getName().equals("apply");
        }
        java.util.List<String> seg = path.segments();
        return seg.size() == 7 && seg.get(3).equals("mutation-guard") && seg.get(4).equals("change-requests")
                && seg.get(6).equals("apply");
    }

    /**
     * Whether a change request was applied after this node began the request (epoch millis; unknown: taken as no, the
     * skewed check below then classifies afresh).
     */
    static boolean appliedDuring(Long appliedAt, Object startedAt) {
        return appliedAt != null && startedAt instanceof Long started && appliedAt >= started;
    }

    /** Nodes' clocks may differ by this much: an apply noted this long before the request began counts as during it. */
    static final long CLOCK_SKEW_MILLIS = 5_000;

    /**
     * Whether a change request may have been applied after the request began (and Keycloak loaded its target): an apply
     * noted at {@code appliedAt} by its node's clock, the request started at {@code startedAt} by this node's (unknown:
     * taken as yes).
     */
    static boolean appliedSince(Long appliedAt, Object startedAt) {
        if (appliedAt == null) {
            return false;
        }
        return !(startedAt instanceof Long started) || appliedAt >= started - CLOCK_SKEW_MILLIS;
    }

    /**
     * The write classified in the request's session, or null when it cannot be done there (no
     * request session, or Keycloak has not authenticated the request for this realm yet), in which
     * case the caller decides in a transaction of its own. Reads only.
     */
    private static Admission.Classification classifyInRequest(String method, RequestPath path, JsonNode body,
            String realmName, java.lang.reflect.Method routed) {
        KeycloakSession s = KeycloakSessionUtil.getKeycloakSession();
        if (s == null) {
            return null;
        }
        RealmModel realm = s.getContext().getRealm();
        AdminAuth auth = AuthenticatedAdmin.of(s);
        if (auth == null || realm == null || !realm.getName().equals(realmName)) {
            return null;
        }
        if (Admission.classifyingMayWrite(realm)) {
            // A user-storage provider's reads write (an LDAP role mapper in LDAP_ONLY mode creates the realm roles a
            // directory user's groups name when the guard reads the user's roles): left uncommitted in the request's
            // transaction, the same rows inserted again while the change request is classified and stored in a
            // transaction of its own wait on them until the database's lock timeout (503 realm_busy). Classified only
            // there, they commit with it.
            return null;
        }
        // Keycloak's realm locator has already refused an admin of another realm (403).
        Admission.Classification c = Admission.classify(s, realm, auth, method, path.raw(), body, routed);
        if (c instanceof Admission.Guarded && !mayAdminister(s, realm, auth, routed)) {
            return new Admission.Pass(); // Keycloak answers 403 itself; nothing to store for someone who may not write
        }
        return c;
    }

    /** The resource method JAX-RS matched, or null when it cannot say. */
    private java.lang.reflect.Method routedMethod() {
        try {
            return resourceInfo == null ? null : resourceInfo.getResourceMethod();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether Keycloak's own checks may let the caller write at all, so that a guarded write of theirs is held: any
     * admin role; in a realm with fine-grained admin permissions (v2), or on a server with their first version
     * ({@code admin-fine-grained-authz:v1}, whose permissions admit users without any admin role to the users, groups,
     * clients and roles they name), anyone; on the endpoints of this project that admit people without an admin role
     * by their own rules (a reviewer's narrowing, an owner's revalidation), anyone; and on a write the filter cannot
     * name the resource method of. Only the rest, a write Keycloak or this project's other endpoints refuse with 403
     * for want of any admin role, passes on to that refusal: holding it would let anyone with a token of the realm
     * fill the approvers' list and inboxes.
     */
    private static boolean mayAdminister(KeycloakSession s, RealmModel realm, AdminAuth auth, java.lang.reflect.Method routed) {
        return AdminPermissions.evaluator(s, realm, auth).hasOneAdminRole(managementRoles(realm, auth))
                || realm.isAdminPermissionsEnabled()
                || Profile.isFeatureEnabled(Profile.Feature.ADMIN_FINE_GRAINED_AUTHZ)
                || routed == null
                || WRITES_WITHOUT_ADMIN_ROLES.contains(routed.getDeclaringClass().getName() + "#" + routed.getName());
    }

    /**
     * Every role of the client that administers the realm for the caller ({@code realm-management}, or the realm's
     * client in {@code master} for a master admin) and every role name Keycloak's checks know, asked through Keycloak's
     * own evaluator (which reads a lightweight token's roles from the model). Not only the roles
     * {@code requireAnyAdminRole} counts: {@code impersonation} alone lets Keycloak impersonate (a twenty-second
     * red-team review impersonated an approver with a token carrying nothing else), and a role added to that client
     * may be what another check asks for.
     */
    private static String[] managementRoles(RealmModel realm, AdminAuth auth) {
        Set<String> names = new java.util.TreeSet<>(AdminRoles.ALL_ROLES);
        ClientModel management = RealmManager.isAdministrationRealm(auth.getRealm())
                ? realm.getMasterAdminClient()
                : auth.getRealm().equals(realm) ? realm.getClientByClientId(Constants.REALM_MANAGEMENT_CLIENT_ID)
                : null;
        if (management != null) {
            management.getRolesStream().forEach(r -> names.add(r.getName()));
        }
        return names.toArray(String[]::new);
    }

    /**
     * Why a review decision the guard holds (a narrowing, a revalidation: {@link #WRITES_WITHOUT_ADMIN_ROLES}) may not be
     * made with this token, or null. Such a decision is taken in person, as an approval is: with a token of a decision
     * client ({@code Approvers#decisionClientProblem}), not in an impersonated or offline session. Checked when it is
     * held, since the review's own resource runs only at apply, as the guard's replay (twenty-fourth red-team review: a
     * gateway's exchanged token of an approver filed a narrowing in her name, which a second approver then approved).
     */
    private static String reviewDecisionProblem(KeycloakSession s, AdminAuth auth, java.lang.reflect.Method routed) {
        if (routed == null || !WRITES_WITHOUT_ADMIN_ROLES.contains(routed.getDeclaringClass().getName() + "#" + routed.getName())) {
            return null;
        }
        if (auth.getToken() != null && auth.getToken().getOtherClaims().containsKey("act")) {
            return "A token that names an actor (act) is another's token for this person: it cannot decide a review";
        }
        String wrongClient = dev.nhiguard.guard.changerequest.Approvers.decisionClientProblem(auth);
        return wrongClient != null ? wrongClient
                : dev.nhiguard.guard.changerequest.AuthState.of(s, auth).actsForItselfProblem("decide a review");
    }

    /** This project's guarded writes that their endpoints admit without an admin role (reviewers, owners). */
    private static final Set<String> WRITES_WITHOUT_ADMIN_ROLES = Set.of(
            "dev.nhiguard.agent.review.ReviewsResource#narrow", "dev.nhiguard.agent.review.ReviewsResource#revalidate");

    /** The raw (still percent-encoded) request path relative to the application's base, starting with '/'. */
    public static String rawPath(URI request, URI base) {
        String path = request.getRawPath() == null ? "/" : request.getRawPath();
        String root = base == null || base.getRawPath() == null ? "/" : base.getRawPath();
        if (!root.endsWith("/")) {
            root = root + "/";
        }
        if (path.startsWith(root)) {
            path = path.substring(root.length());
        }
        return path.startsWith("/") ? path : "/" + path;
    }

    /**
     * Whether the path the guard's filters read from the request URI, decoded, is the path JAX-RS routes the request on
     * ({@code UriInfo#getPath()}), both relative to the application's base. Every request is checked before it is routed
     * ({@link AdminPathFilter}): where the two differ, the guard would judge another request than the one Keycloak runs.
     */
    static boolean readAsRouted(URI request, ContainerRequestContext ctx) {
        String routed;
        URI base;
        try {
            routed = ctx.getUriInfo().getPath();
            base = ctx.getUriInfo().getBaseUri();
        } catch (RuntimeException e) {
            return false;
        }
        if (request.isOpaque() || request.getPath() == null || routed == null) {
            return false;
        }
        String path = request.getPath();
        String root = base == null || base.getPath() == null ? "/" : base.getPath();
        if (!root.endsWith("/")) {
            root = root + "/";
        }
        if (path.startsWith(root)) {
            path = path.substring(root.length() - 1);
        } else if ((path + "/").equals(root)) {
            path = "/"; // the application's root without its slash ("/auth"), as JAX-RS gives it
        }
        String read = path.startsWith("/") ? path : "/" + path;
        return read.equals(routed.startsWith("/") ? routed : "/" + routed);
    }

    /** Whether the raw path's first segment, decoded leniently, is {@code admin} (so the strict reading applies). */
    public static boolean looksLikeAdmin(String rawPath) {
        int end = rawPath.indexOf('/', 1);
        String first = end < 0 ? rawPath.substring(1) : rawPath.substring(1, end);
        if (first.equals("admin")) {
            return true;
        }
        if (first.indexOf('%') < 0 && first.indexOf(';') < 0) {
            return false;
        }
        try {
            String decoded = java.net.URLDecoder.decode(first.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
            int semicolon = decoded.indexOf(';');
            return (semicolon < 0 ? decoded : decoded.substring(0, semicolon)).equalsIgnoreCase("admin");
        } catch (IllegalArgumentException e) {
            return true; // malformed: let the strict reading refuse it
        }
    }

    /** Client admin API v2: guarded writes are refused (see {@link AdminApiV2}); authentication first. */
    private static void admitV2(ContainerRequestContext ctx, KeycloakSessionFactory sessionFactory, String method,
            RequestPath path, JsonNode body) {
        java.util.List<String> seg = path.segments();
        boolean clients = seg.size() >= 5 && seg.size() <= 6 && seg.get(3).equals("clients") && seg.get(4).equals("v2");
        if (!clients) {
            // Other client API v2 paths: Keycloak answers 404/405; nothing is written there in 26.7.
            return;
        }
        String realmName = seg.get(2);
        String clientId = seg.size() == 6 ? seg.get(5) : null;
        try {
            RealmWriteLock.Admitted admitted = admitting(realmName);
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
                return;
            }
            // A client created or changed with a secret or certificate of the writer's choosing: its writer holds it.
            String named = clientId != null ? clientId
                    : body != null && body.path("clientId").isTextual() ? body.get("clientId").asText() : null;
            WrittenCredentials.Target written = WrittenCredentials.ofV2Client(named, body);
            if (written != null) {
                WrittenCredentials.enlist(KeycloakSessionUtil.getKeycloakSession(), realmName, java.util.List.of(written));
            }
            ordered(admitted);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Mutation guard could not decide on %s through the client admin API v2; refusing the write", method);
            ctx.abortWith(RealmWriteLock.refusal(e));
        }
    }

    /**
     * The answer to a held write. Only a client that says it understands asynchronous results
     * ({@code Prefer: respond-async}, RFC 7240) gets {@code 202 Accepted}; every other client
     * (kcadm.sh, the admin client library, Terraform, the admin console, which all report a 2xx
     * as done) gets {@code 409} whose error names the change request and where to review it, so
     * a held change never looks applied.
     */
    private static Response heldResponse(Admission.Held held, URI base, String realmName, String signInRealm,
            boolean respondAsync) {
        URI location = jakarta.ws.rs.core.UriBuilder.fromUri(base).path("admin").path("realms").path(realmName)
                .path("mutation-guard").path("change-requests").path(held.id()).build();
        ObjectNode body = held.summary();
        body.put("location", location.toString());
        String review = ApprovalsPage.link(base, realmName, held.id(), signInRealm);
        body.put("review", review);
        if (respondAsync) {
            return Response.status(Response.Status.ACCEPTED).location(location).entity(body)
                    .header("Preference-Applied", "respond-async").type(MediaType.APPLICATION_JSON_TYPE).build();
        }
        String message = body.path("message").asText() + ". Nothing was changed yet; review the request at " + review;
        // Every client shows one of these fields: kcadm.sh error_description, the console error/errorMessage.
        body.put("error", message);
        body.put("error_description", message);
        body.put("errorMessage", message);
        return Response.status(Response.Status.CONFLICT).location(location).entity(body)
                .type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** Whether a {@code Prefer} header (RFC 7240: comma-separated preferences, tokens case-insensitive) asks for respond-async. */
    static boolean respondAsync(String prefer) {
        if (prefer == null) {
            return false;
        }
        for (String preference : prefer.split(",")) {
            String token = preference.split(";")[0].split("=")[0].trim();
            if (token.equalsIgnoreCase("respond-async")) {
                return true;
            }
        }
        return false;
    }

    /** The body's bytes, put back for Keycloak; null when it exceeds the limit. */
    static byte[] readBody(ContainerRequestContext ctx) throws IOException {
        // Not ctx.hasEntity(): it answers false for a body sent without Content-Type, which Keycloak still reads.
        InputStream in = ctx.getEntityStream();
        if (in == null) {
            return new byte[0];
        }
        byte[] bytes = in.readNBytes(RequestBody.MAX_BYTES + 1);
        if (bytes.length > RequestBody.MAX_BYTES) {
            return null;
        }
        ctx.setEntityStream(new java.io.ByteArrayInputStream(bytes));
        return bytes;
    }

}
