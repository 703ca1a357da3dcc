package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;

import com.fasterxml.jackson.databind.JsonNode;

/** The one strict body reader and Keycloak's own binding of what it lets through. */
class StrictReadingTest {

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void refusesBodiesAReaderCouldReadDifferently() {
        assertThrows(RequestBody.UnsupportedMediaType.class, () -> RequestBody.of(null, utf8("{}")));
        assertThrows(RequestBody.UnsupportedMediaType.class, () -> RequestBody.of("application/xml", utf8("<a/>")));
        assertThrows(RequestBody.UnsupportedMediaType.class, () -> RequestBody.of("application/json; charset=utf-16", utf8("{}")));
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/json",
                utf8("{\"serviceAccountsEnabled\":false,\"serviceAccountsEnabled\":true}")));
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/json", utf8("{} {}")));
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/json", utf8("\uFEFF{}")));
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/json",
                utf8("[".repeat(1000) + "]".repeat(1000))));
        // "enabled" with its 'e' as the overlong two-byte form C1 A5.
        byte[] overlong = {'{', '"', (byte) 0xC1, (byte) 0xA5, 'n', 'a', 'b', 'l', 'e', 'd', '"', ':', 'f', 'a', 'l', 's', 'e', '}'};
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/json", overlong));
    }

    @Test
    void keepsFormsOpaqueAndJsonAsJson() throws Exception {
        JsonNode form = RequestBody.of("multipart/form-data; boundary=x", utf8("--x--"));
        assertTrue(form.has(RequestBody.FORM_MARKER));
        assertEquals("{\"a\":1}", RequestBody.of("application/json;charset=UTF-8", utf8("{\"a\":1}")).toString());
        assertEquals(null, RequestBody.of(null, new byte[0]));
    }

    @Test
    void classifiesWhatKeycloakBinds() throws Exception {
        JsonNode raw = RequestBody.json("{\"serviceAccountsEnabled\":\"TRUE\",\"clientId\":\"x\",\"attributes\":{\"a\":1}}");
        JsonNode bound = KeycloakReading.read(raw, ClientRepresentation.class);
        assertTrue(bound.path("serviceAccountsEnabled").isBoolean(), bound.toString());
        assertTrue(bound.path("serviceAccountsEnabled").asBoolean(), bound.toString());
        assertEquals("1", bound.path("attributes").path("a").asText(), bound.toString());
        // Keycloak's admin mapper refuses fields its representations do not have: so does the guard (400).
        assertThrows(KeycloakReading.Unreadable.class, () -> KeycloakReading.read(
                RequestBody.json("{\"clientId\":\"x\",\"ServiceAccountsEnabled\":true}"), ClientRepresentation.class));
        JsonNode roles = KeycloakReading.read(RequestBody.json("[{\"name\":\"r\"}]"),
                new com.fasterxml.jackson.core.type.TypeReference<List<RoleRepresentation>>() { }.getType());
        assertEquals("r", roles.get(0).path("name").asText());
        assertThrows(KeycloakReading.Unreadable.class, () -> KeycloakReading.read(RequestBody.json("\"x\""),
                ClientRepresentation.class));
    }
}
