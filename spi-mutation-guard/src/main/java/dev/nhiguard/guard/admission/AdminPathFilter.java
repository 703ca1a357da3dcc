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
 * way again after matching.
 */
@Provider
@PreMatching
public final class AdminPathFilter implements ContainerRequestFilter {

    private static final Set<String> WRITES = Set.of("POST", "PUT", "DELETE", "PATCH");

    @Override
    public void filter(ContainerRequestContext ctx) {
        if (!WRITES.contains(ctx.getMethod().toUpperCase(Locale.ROOT))) {
            return;
        }
        String raw = AdmissionFilter.rawPath(ctx.getUriInfo().getRequestUri(), ctx.getUriInfo().getBaseUri());
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
