package dev.nhiguard.guard.admission;

import java.util.Locale;
import java.util.Set;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

import dev.nhiguard.guard.changerequest.GuardErrors;

/**
 * The strict path reading of {@link RequestPath}, applied to every write under {@code /admin/}
 * <em>before</em> JAX-RS matches the request: Keycloak's sub-resource locators run during
 * matching (they look up the client, the user, the organization …), so an ambiguous or overlong
 * path is refused (400/414) before any of Keycloak's code reads it. Pure string work, no I/O:
 * pre-matching filters may run on the event loop. {@link AdmissionFilter} reads the path the same
 * way again after matching. A request without an absolute URI (HTTP/1.0 without a {@code Host} header) is refused
 * when it writes or reaches the admin API or client registration (Quarkus cannot give its URI; plain Keycloak serves
 * it); so is every request whose path, as the guard reads it, is not the path Keycloak routes on (a raw {@code #}, a
 * scheme in the target).
 */
@Provider
@PreMatching
public final class AdminPathFilter implements ContainerRequestFilter {

    private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE", "PATCH");

    /**
     * Request property: when this node began a write (epoch millis), before Keycloak routed it and loaded what it
     * targets ({@link AdmissionFilter} and {@link ClientRegistrationFilter} compare it with the realm's last apply).
     */
    static final String STARTED_AT = "nhi.guard.startedAt";

    @Override
    public void filter(ContainerRequestContext ctx) {
        boolean write = WRITES.contains(ctx.getMethod().toUpperCase(Locale.ROOT));
        if (write) {
            ctx.setProperty(STARTED_AT, org.keycloak.common.util.Time.currentTimeMillis());
        }
        java.net.URI requestUri = AdmissionFilter.requestUri(ctx);
        if (requestUri == null) {
            // No absolute request URI (an HTTP/1.0 request without a Host header, or a target java.net.URI cannot parse):
            // the guard's filters cannot read the path as Keycloak routes it. Reads outside the admin API and client
            // registration pass, as on plain Keycloak.
            String path = ctx.getUriInfo().getPath();
            if (write || path.matches("(?i).*(^|/)(admin|clients-registrations)(/.*|$)")) {
                ctx.abortWith(GuardErrors.response(400, "invalid_request",
                        "The request target cannot be read as a URI (it needs a Host header and only characters a URI allows)", null));
            }
            return;
        }
        if (!AdmissionFilter.readAsRouted(requestUri, ctx)) {
            // The path the guard's filters read (java.net.URI of the absolute URI Quarkus builds) is not the one JAX-RS
            // routes on: java.net.URI ends the path at a raw '#' ("clients/x#1" is client "x#1" to JAX-RS), and a target
            // with a scheme Vert.x does not take for absolute-form ("x://h/admin/…", "HTTP://…") is appended to the
            // server's own URI, whose authority then swallows the scheme and the next segment. Reads are refused too.
            ctx.abortWith(GuardErrors.response(400, "invalid_request", "The request target is not read as Keycloak routes"
                    + " it; send a path starting with '/', with '#' percent-encoded (%23)", null));
            return;
        }
        if (!write) {
            return;
        }
        String raw = AdmissionFilter.rawPath(requestUri, ctx.getUriInfo().getBaseUri());
        if (!AdmissionFilter.looksLikeAdmin(raw)) {
            return;
        }
        try {
            RequestPath.parse(raw);
        } catch (RequestPath.Refused e) {
            ctx.abortWith(GuardErrors.response(e.status(), e.status() == 414 ? "request_uri_too_long" : "invalid_request",
                    e.getMessage(), null));
        }
    }
}
