package dev.nhiguard.guard.canonical;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class CanonicalJsonTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sortsKeysAndNormalisesNumbersPerRfc8785() {
        assertEquals("{\"a\":[1,true,null],\"b\":\"x\"}", CanonicalJson.canonicalize("{ \"b\": \"x\", \"a\": [1.0, true, null] }"));
        assertEquals("{\"n\":1e+30}", CanonicalJson.canonicalize("{\"n\":1E30}"));
    }

    @Test
    void digestIgnoresFormattingButNotContent() throws Exception {
        String a = CanonicalJson.digest("PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"enabled\":false,\"x\":1}"));
        String b = CanonicalJson.digest("PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"x\":1,  \"enabled\":false}"));
        String c = CanonicalJson.digest("PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"x\":1,\"enabled\":true}"));
        String d = CanonicalJson.digest("POST", "/admin/realms/r/clients/1", JSON.readTree("{\"x\":1,\"enabled\":false}"));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertNotEquals(a, d);
        assertEquals(64, a.length());
    }
}
