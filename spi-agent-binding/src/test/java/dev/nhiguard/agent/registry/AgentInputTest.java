package dev.nhiguard.agent.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class AgentInputTest {

    static final String JWK = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

    static String body(String extra) {
        return "{\"name\":\"bot-1\",\"owner\":{\"type\":\"user\",\"username\":\"olga\"},\"purpose\":\"p\","
                + "\"expiresAt\":\"2030-01-01T00:00:00Z\",\"keyBinding\":{\"type\":\"jwk\",\"jwk\":" + JWK + "}" + extra + "}";
    }

    @Test
    void registrationParses() throws Exception {
        AgentInput in = AgentInput.parse(body(""), true);
        assertEquals("bot-1", in.name());
        assertEquals(List.of(), in.allowedScopes());
        assertEquals("jwk", in.keyBinding().type());
        assertEquals(KeyThumbprints.jwkThumbprint(in.keyBinding().jwk()), in.keyBinding().thumbprint());
        assertNull(in.tokenExchange());
    }

    @Test
    void updatesMayOmitEverything() throws Exception {
        AgentInput in = AgentInput.parse("{\"purpose\":\"new\"}", false);
        assertEquals("new", in.purpose());
        assertNull(in.owner());
        assertNull(in.allowedScopes());
    }

    @Test
    void badInputNamesTheField() {
        String[][] cases = {
                {"{}", "name is required"},
                {body(",\"x\":1"), "unknown field 'x'"},
                {body(",\"allowedScopes\":[\"a b\"]"), "allowedScopes"},
                {"{\"keyBinding\":{\"type\":\"mtls\",\"thumbprint\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}", "subjectDn"},
                {"{\"keyBinding\":{\"type\":\"spiffe\",\"spiffeId\":\"http://x\",\"identityProvider\":\"i\"}}", "spiffeId"},
                {"{\"owner\":{\"type\":\"user\",\"id\":\"1\",\"username\":\"u\"}}", "exactly one"},
                {"{\"expiresAt\":\"tomorrow\"}", "expiresAt"},
                {"{\"expiresAt\":\"+1000000000-12-31T23:59:59Z\"}", "expiresAt must be at most 9999-12-31T23:59:59Z"},
                {"{\"expiresAt\":\"+10000-01-01T00:00:00Z\"}", "expiresAt must be at most"},
        };
        for (String[] c : cases) {
            boolean registration = c[0].contains("bot-1") || c[0].equals("{}");
            AgentInput.InvalidInput e = assertThrows(AgentInput.InvalidInput.class, () -> AgentInput.parse(c[0], registration), c[0]);
            assertEquals(true, e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void statusReason() throws Exception {
        assertNull(AgentInput.reason(""));
        assertEquals("why", AgentInput.reason("{\"reason\":\"why\"}"));
        assertThrows(AgentInput.InvalidInput.class, () -> AgentInput.reason("{\"why\":1}"));
    }
}
