package dev.nhiguard.guard.admission;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.PathSegment;
import jakarta.ws.rs.ext.Provider;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.utils.KeycloakSessionUtil;

import dev.nhiguard.guard.changerequest.Admission;

/**
 * Keycloak's SCIM API ({@code /realms/{realm}/scim/v2/…}, preview feature {@code scim-api},
 * turned on per realm) creates, replaces, patches and deletes users and groups outside the admin
 * REST API: a group's members (an administrators' group among them), a privileged user's email
 * or name. The guard classifies none of it and cannot hold it (it replays admin requests only),
 * so in a realm whose policy guards {@code unclassified-write} (the default) every SCIM write is
 * refused with 403; searches ({@code POST …/.search}) and reads pass. A realm that relaxes
 * {@code unclassified-write} (a guarded change) lets SCIM writes through.
 */
@Provider
public final class ScimWriteFilter implements ContainerRequestFilter {

    @Override
    public void filter(ContainerRequestContext ctx) throws IOException {
        String method = ctx.getMethod().toUpperCase(Locale.ROOT);
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        java.net.URI requestUri = AdmissionFilter.requestUri(ctx);
        if (requestUri == null) {
            return; // a write: refused before matching (AdminPathFilter)
        }
        String raw = requestUri.getRawPath();
        if (raw == null || !(raw.contains("/scim") || raw.indexOf('%') >= 0 || raw.indexOf(';') >= 0)) {
            return; // string check first: other requests pay nothing
        }
        // Decoded segments, as JAX-RS matched them: realms / {realm} / scim / …
        List<String> segments = ctx.getUriInfo().getPathSegments(true).stream().map(PathSegment::getPath).toList();
        if (segments.size() < 3 || !segments.get(0).equals("realms") || !segments.get(2).equals("scim")) {
            return;
        }
        if (method.equals("POST") && segments.get(segments.size() - 1).equals(".search")) {
            return; // a search reads
        }
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        RealmModel realm = session == null ? null : session.realms().getRealmByName(segments.get(1));
        if (realm == null) {
            return; // Keycloak answers 404 itself
        }
        OffApiRefusal.refuseIfGuarded(ctx, realm, Admission.UNCLASSIFIED, "SCIM (which the guard does not classify)",
                policy -> true);
    }
}
