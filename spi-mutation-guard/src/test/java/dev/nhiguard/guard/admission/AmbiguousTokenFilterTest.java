package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/** Which tokens name an identity claim twice (the twenty-third review's forged {@code azp} and {@code sid}). */
class AmbiguousTokenFilterTest {

    static String jws(String payload) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
    }

    @Test
    void anIdentityClaimNamedTwiceAtTheTopIsFound() {
        assertEquals("azp", AmbiguousTokenFilter.claimNamedTwice(jws("{\"azp\":\"mal2\",\"sub\":\"m\",\"x\":{\"a\":[1,{\"b\":2}]},"
                + "\"azp\":\"security-admin-console\"}")));
        assertEquals("sid", AmbiguousTokenFilter.claimNamedTwice(jws("{\"sid\":\"a\",\"sid\":{\"nested\":true}}")));
    }

    @Test
    void otherRepeatsAnOrdinaryTokenAndWhatIsNotAJwsPass() {
        assertNull(AmbiguousTokenFilter.claimNamedTwice(jws("{\"azp\":\"c\",\"resource_access\":{\"a\":{\"roles\":[\"r\"]}},"
                + "\"resource_access\":{\"app\":{\"tenant\":\"t\"}}}")), "a mapper writing beside Keycloak's roles");
        assertNull(AmbiguousTokenFilter.claimNamedTwice(jws("{\"azp\":\"c\",\"x\":{\"azp\":\"c\",\"azp\":\"d\"}}")),
                "a repeat inside another claim");
        assertNull(AmbiguousTokenFilter.claimNamedTwice("opaque-token"));
        assertNull(AmbiguousTokenFilter.claimNamedTwice("a.b.c.d.e"), "a JWE");
        assertNull(AmbiguousTokenFilter.claimNamedTwice("a.!!!.c"), "not base64url");
        assertNull(AmbiguousTokenFilter.claimNamedTwice(jws("{\"azp\":")), "unreadable JSON: Keycloak refuses it");
    }
}
