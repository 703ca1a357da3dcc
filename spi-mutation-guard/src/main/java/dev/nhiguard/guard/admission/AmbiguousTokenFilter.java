package dev.nhiguard.guard.admission;

import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import dev.nhiguard.guard.changerequest.GuardErrors;

/**
 * Refuses (401) a token in the {@code Authorization} header (any scheme: {@code Bearer}, {@code DPoP}) that names one of
 * the claims saying who it is for, through which client, in which session or from whom ({@link #IDENTITY}) twice, on
 * every request that carries one (the admin API, the account API, userinfo, this project's endpoints). Keycloak
 * serializes a claim a protocol mapper writes beside the token's own field of the same name, and reads the last one
 * back: a twenty-third red-team review had a mapper of her own client write a second {@code azp}
 * ({@code security-admin-console}) and {@code sid} (an approver's session) into her token, and Keycloak's admin API took
 * her for the approver, whose session it names (it takes the user from the session). The guard holds such mappers
 * ({@code IdentityClaims}); a token that names such a claim twice anyway (a mapper that was there before, or approved)
 * reads differently to whoever reads it first or last, so it is not taken at all. Other repeated names (a mapper that
 * writes under {@code resource_access} beside Keycloak's own roles) are left alone: Keycloak's admin checks read roles
 * from its database. A token sent in a form field (userinfo's {@code access_token}, introspection's {@code token}, token
 * exchange's {@code subject_token}) is not read here: see the guard README's limits. Pure string and JSON work, no
 * I/O: pre-matching filters may run on the event loop.
 */
@Provider
@PreMatching
public final class AmbiguousTokenFilter implements ContainerRequestFilter {

    /** Top-level claims whose two values would make the token say two things about who, where, when or for whom. */
    static final Set<String> IDENTITY = dev.nhiguard.guard.catalogue.IdentityClaims.NAMES;

    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public void filter(ContainerRequestContext ctx) {
        List<String> authorization = ctx.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (authorization == null) {
            return;
        }
        for (String value : authorization) {
            // Whatever the scheme: Keycloak takes a token as "Bearer" and, with DPoP on (the default), as "DPoP" (a
            // re-attack of this fix went around a Bearer-only check with a DPoP-bound token); Basic credentials are no JWS.
            int space = value == null ? -1 : value.indexOf(' ');
            String twice = space > 0 ? claimNamedTwice(value.substring(space + 1).trim()) : null;
            if (twice != null) {
                ctx.abortWith(GuardErrors.response(401, "invalid_token", "The token carries claim '" + twice + "' twice (a "
                        + "protocol mapper of its client or its scopes writes a claim the token already has); it is not accepted", null));
                return;
            }
        }
    }

    /**
     * The first claim of {@link #IDENTITY} a JWS's payload names twice at its top level, or null. A token that is not a
     * readable JWS (encrypted, opaque, malformed) is left to Keycloak, which refuses what it cannot verify.
     */
    static String claimNamedTwice(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0 || token.indexOf('.', second + 1) >= 0) {
            return null; // not three parts: not a JWS Keycloak issued (a JWE has five)
        }
        byte[] payload;
        try {
            payload = Base64.getUrlDecoder().decode(token.substring(first + 1, second));
        } catch (IllegalArgumentException e) {
            return null;
        }
        try (JsonParser parser = JSON.createParser(payload)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Set<String> seen = new HashSet<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                if (!seen.add(name) && IDENTITY.contains(name)) {
                    return name;
                }
                parser.nextToken();
                parser.skipChildren();
            }
            return null;
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
