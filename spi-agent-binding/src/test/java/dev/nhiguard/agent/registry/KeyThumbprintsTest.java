package dev.nhiguard.agent.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class KeyThumbprintsTest {

    /** The example of RFC 7638 section 3.1. */
    @Test
    void rfc7638Example() {
        Map<String, Object> jwk = new HashMap<>();
        jwk.put("kty", "RSA");
        jwk.put("n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw");
        jwk.put("e", "AQAB");
        jwk.put("alg", "RS256");
        jwk.put("kid", "2011-04-29");
        assertEquals("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", KeyThumbprints.jwkThumbprint(jwk));
    }

    @Test
    void optionalMembersDoNotChangeTheThumbprint() {
        Map<String, Object> a = new HashMap<>(Map.of("kty", "EC", "crv", "P-256", "x", "AAAA", "y", "BBBB"));
        Map<String, Object> b = new HashMap<>(a);
        b.put("kid", "something");
        b.put("use", "sig");
        assertEquals(KeyThumbprints.jwkThumbprint(a), KeyThumbprints.jwkThumbprint(b));
    }

    @Test
    void privateMaterialMissingMembersAndSymmetricKeysAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> KeyThumbprints.jwkThumbprint(Map.of("kty", "EC", "crv", "P-256", "x", "AAAA", "y", "BBBB", "d", "CCCC")));
        assertThrows(IllegalArgumentException.class, () -> KeyThumbprints.jwkThumbprint(Map.of("kty", "EC", "crv", "P-256", "x", "AAAA")));
        assertThrows(IllegalArgumentException.class, () -> KeyThumbprints.jwkThumbprint(Map.of("kty", "oct", "k", "AAAA")));
    }

    @Test
    void thumbprintShape() {
        assertTrue(KeyThumbprints.isThumbprint("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
        assertFalse(KeyThumbprints.isThumbprint("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs="));
        assertFalse(KeyThumbprints.isThumbprint(null));
    }
}
