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
    void aScalarBodyIsCanonicalToo() throws Exception {
        // Keycloak takes a bare JSON string as some bodies (an organization's new member).
        assertEquals("\"3f2c-user\"", CanonicalJson.canonicalize(" \"3f2c-user\" "));
        assertEquals("1", CanonicalJson.canonicalize("1.0"));
        assertEquals("true", CanonicalJson.canonicalize(JSON.readTree("true")));
        assertEquals(64, CanonicalJson.digest("cr-1", "POST", "/admin/realms/r/organizations/o/members", JSON.readTree("\"u\"")).length());
    }

    @Test
    void digestIgnoresFormattingButNotContent() throws Exception {
        String a = CanonicalJson.digest("cr-1", "PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"enabled\":false,\"x\":1}"));
        String b = CanonicalJson.digest("cr-1", "PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"x\":1,  \"enabled\":false}"));
        String c = CanonicalJson.digest("cr-1", "PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"x\":1,\"enabled\":true}"));
        String d = CanonicalJson.digest("cr-1", "POST", "/admin/realms/r/clients/1", JSON.readTree("{\"x\":1,\"enabled\":false}"));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertNotEquals(a, d);
        assertEquals(64, a.length());
        // The same request under another change request's id: its own digest (no comparing digests across requests).
        assertNotEquals(a, CanonicalJson.digest("cr-2", "PUT", "/admin/realms/r/clients/1", JSON.readTree("{\"enabled\":false,\"x\":1}")));
    }

    @Test
    void unorderedFormIgnoresArrayOrderAtEveryDepthButNotContent() throws Exception {
        String a = CanonicalJson.canonicalize(CanonicalJson.unordered(JSON.readTree(
                "{\"client\":{\"defaultClientScopes\":[\"roles\",\"email\"],\"protocolMappers\":[{\"name\":\"b\",\"config\":{\"x\":[2,1]}},{\"name\":\"a\"}]}}")));
        String b = CanonicalJson.canonicalize(CanonicalJson.unordered(JSON.readTree(
                "{\"client\":{\"protocolMappers\":[{\"name\":\"a\"},{\"config\":{\"x\":[1,2]},\"name\":\"b\"}],\"defaultClientScopes\":[\"email\",\"roles\"]}}")));
        String c = CanonicalJson.canonicalize(CanonicalJson.unordered(JSON.readTree(
                "{\"client\":{\"protocolMappers\":[{\"name\":\"a\"},{\"config\":{\"x\":[1,3]},\"name\":\"b\"}],\"defaultClientScopes\":[\"email\",\"roles\"]}}")));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals("[1,2]", CanonicalJson.canonicalize(CanonicalJson.unordered(JSON.readTree("[2,1]"))));
    }
}
