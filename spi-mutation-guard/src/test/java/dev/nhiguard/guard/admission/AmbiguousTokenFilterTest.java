package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/** Which bearer tokens name a claim twice (the twenty-third review's forged {@code azp} and {@code sid}). */
class AmbiguousTokenFilterTest {

    static String jws(String payload) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".c2ln";
    }

    @Test
    void aClaimNamedTwiceAtAnyDepthIsFound() {
        assertTrue(AmbiguousTokenFilter.namesAClaimTwice(jws("{\"azp\":\"mal2\",\"sub\":\"m\",\"azp\":\"security-admin-console\"}")));
        assertTrue(AmbiguousTokenFilter.namesAClaimTwice(jws("{\"act\":{\"sub\":\"a\",\"sub\":\"b\"}}")), "inside a claim");
    }

    @Test
    void anOrdinaryTokenAndWhatIsNotAJwsPass() {
        assertFalse(AmbiguousTokenFilter.namesAClaimTwice(jws("{\"azp\":\"c\",\"sub\":\"u\",\"realm_access\":{\"roles\":[\"a\",\"a\"]},"
                + "\"x\":{\"azp\":\"c\"}}")), "the same name in different objects, the same value twice in a list");
        assertFalse(AmbiguousTokenFilter.namesAClaimTwice("opaque-token"));
        assertFalse(AmbiguousTokenFilter.namesAClaimTwice("a.b.c.d.e"), "a JWE");
        assertFalse(AmbiguousTokenFilter.namesAClaimTwice("a.!!!.c"), "not base64url");
        assertFalse(AmbiguousTokenFilter.namesAClaimTwice(jws("{\"azp\":")), "unreadable JSON: Keycloak refuses it");
    }
}
