package dev.nhiguard.guard.admission;

import java.util.Base64;
import java.util.List;
import java.util.Locale;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;

import dev.nhiguard.guard.changerequest.GuardErrors;

/**
 * Refuses (401) a token in the {@code Authorization} header (any scheme: {@code Bearer}, {@code DPoP}) whose claims name
 * one claim twice, on every request that carries one (the admin API, the account API, userinfo, this project's
 * endpoints). A token sent in a form field (userinfo's {@code access_token}, introspection's {@code token}) is not read
 * here: see the guard README's limits. Keycloak serializes a claim a protocol mapper writes beside
 * the token's own field of the same name, and reads the last one back: a twenty-third red-team review had a mapper of
 * her own client write a second {@code azp} ({@code security-admin-console}) and {@code sid} (an approver's session)
 * into her token, and Keycloak's admin API took her for the approver, whose session it names. The guard holds such
 * mappers ({@code IdentityClaims}); a token that carries a claim twice anyway (a mapper that was there before) reads
 * differently to whoever reads it first or last, so it is not taken at all. Pure string and JSON work, no I/O:
 * pre-matching filters may run on the event loop.
 */
@Provider
@PreMatching
public final class AmbiguousTokenFilter implements ContainerRequestFilter {

    /** Reads JSON and fails on the second occurrence of a name in one object. Immutable and thread-safe. */
    private static final JsonFactory STRICT = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

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
            if (space > 0 && namesAClaimTwice(value.substring(space + 1).trim())) {
                ctx.abortWith(GuardErrors.response(401, "invalid_token",
                        "The token carries a claim twice (a protocol mapper writes a claim the token already has); it is not accepted", null));
                return;
            }
        }
    }

    /**
     * Whether a JWS's payload names one claim twice in any object. A token that is not a readable JWS (encrypted, opaque,
     * malformed) is left to Keycloak, which refuses what it cannot verify.
     */
    static boolean namesAClaimTwice(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0 || token.indexOf('.', second + 1) >= 0) {
            return false; // not three parts: not a JWS Keycloak issued (a JWE has five)
        }
        byte[] payload;
        try {
            payload = Base64.getUrlDecoder().decode(token.substring(first + 1, second));
        } catch (IllegalArgumentException e) {
            return false;
        }
        try (JsonParser parser = STRICT.createParser(payload)) {
            while (parser.nextToken() != null) {
                // reading each name is the check
            }
            return false;
        } catch (StreamReadException e) {
            return e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).startsWith("duplicate field");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
