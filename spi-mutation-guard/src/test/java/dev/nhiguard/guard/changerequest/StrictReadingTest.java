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

    /**
     * A number bound to a string field reads as its text in Keycloak's binding, and the approved request is replayed in
     * its canonical form (RFC 8785). An eleventh red-team review found {@code 1.00000000000000001} held as {@code 1.0}
     * (and replayed as {@code 1}): numbers are kept as written, and one not written canonically is refused.
     */
    @Test
    void keepsNumbersAsWrittenAndRefusesOnesThatPrintOtherwise() throws Exception {
        JsonNode bound = KeycloakReading.read(RequestBody.json(
                "{\"clientId\":\"x\",\"attributes\":{\"a\":1.5,\"b\":0.1,\"c\":9007199254740991,\"d\":-3}}"),
                ClientRepresentation.class);
        assertEquals("1.5", bound.at("/attributes/a").asText());
        assertEquals("0.1", bound.at("/attributes/b").asText());
        assertEquals("9007199254740991", bound.at("/attributes/c").asText());
        assertEquals("-3", bound.at("/attributes/d").asText());
        assertEquals(7, RequestBody.json("{\"n\":7}").get("n").intValue());
        for (String odd : List.of("1.00000000000000001", "1e2", "1.5E1", "1.0", "1.50", "-0", "0.0000001", "-0.0",
                "9007199254740992", "1" + "0".repeat(400))) {
            assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.json("{\"attributes\":{\"a\":" + odd + "}}"), odd);
        }
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.json("{\"a\":1,\"a\":2}"));
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.json("[1] 2"));
    }

    @Test
    void keepsFormsOpaqueAndJsonAsJson() throws Exception {
        JsonNode form = RequestBody.of("multipart/form-data; boundary=x", utf8("--x--"));
        assertTrue(form.has(RequestBody.FORM_MARKER));
        assertEquals("{\"a\":1}", RequestBody.of("application/json;charset=UTF-8", utf8("{\"a\":1}")).toString());
        assertEquals(null, RequestBody.of(null, new byte[0]));
    }

    /** A URL-encoded form keeps its bytes (replayed as sent) and shows its parameters decoded as JAX-RS decodes them. */
    @Test
    void aUrlEncodedFormShowsItsParametersAndReplaysItsBytes() throws Exception {
        JsonNode form = RequestBody.of("application/x-www-form-urlencoded", utf8("email=ann%40example.org&firstName=Ann+Lee&x"));
        assertEquals("{\"email\":\"ann@example.org\",\"firstName\":\"Ann Lee\",\"x\":\"\"}",
                form.at("/_form/fields").toString());
        // Keycloak takes a repeated parameter's first value; shown both, an approver would not know which
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/x-www-form-urlencoded", utf8("id=a&id=b")));
        assertThrows(RequestBody.UnsupportedMediaType.class, () -> RequestBody.of("application/x-www-form-urlencoded; charset=iso-8859-1",
                utf8("id=a")));
        assertEquals("ann@example.org", RequestBody.urlEncodedForm(form).get("email"));
        assertEquals(null, RequestBody.urlEncodedForm(RequestBody.of("multipart/form-data; boundary=x", utf8("--x--"))));
        assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.of("application/x-www-form-urlencoded", utf8("id=%zz")));
    }

    /**
     * A multipart upload keeps its bytes, shows its short text fields and its files by name and size, and is read into
     * the parts the apply hands to Keycloak's resource; a form two readers could read differently is refused.
     */
    @Test
    void aMultipartFormShowsItsFieldsAndIsReadStrictly() throws Exception {
        String ct = "multipart/form-data; boundary=\"XB\"";
        String body = "preamble\r\n--XB\r\nContent-Disposition: form-data; name=\"keystoreFormat\"\r\n\r\nJKS\r\n"
                + "--XB\r\nContent-Disposition: form-data; name=\"storePassword\"\r\n\r\nst\u00f6re\r\n"
                + "--XB \r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.jks\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n\u0000\u0001--XB\r\n--XB--\r\n";
        JsonNode form = RequestBody.of(ct, utf8(body));
        assertEquals("{\"keystoreFormat\":\"JKS\",\"storePassword\":\"st\u00f6re\"}", form.at("/_form/fields").toString());
        assertEquals("{\"file\":{\"filename\":\"k.jks\",\"bytes\":6}}", form.at("/_form/files").toString());
        List<MultipartForm.Part> parts = RequestBody.multipartForm(form);
        assertEquals(List.of("keystoreFormat", "storePassword", "file"), parts.stream().map(MultipartForm.Part::name).toList());
        assertEquals("st\u00f6re", parts.get(1).text());
        assertEquals("\u0000\u0001--XB", parts.get(2).text(), "a boundary not at a line's start is content");
        assertEquals(null, RequestBody.multipartForm(RequestBody.of("application/x-www-form-urlencoded", utf8("a=b"))));
        assertEquals("a;b.pem", RequestBody.multipartForm(RequestBody.of(ct, utf8("--XB\r\nContent-Disposition: form-data; "
                + "name=\"file\"; filename=\"a;b.pem\"\r\n\r\nx\r\n--XB--"))).get(0).filename());

        String part = "--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n";
        for (String[] bad : new String[][] {
                {"multipart/form-data", part + "--XB--"},                                     // no boundary
                {"multipart/form-data; boundary=XB; boundary=YB", part + "--XB--"},          // two boundaries
                {ct, part + part + "--XB--"},                                                // a name twice
                {ct, part},                                                                  // never closed
                {ct, part + "--XB--\r\ntrailing"},                                          // data after the close
                {ct, "--XB\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XB--"},
                {ct, "--XB\r\nContent-Disposition: form-data; name=\"a\"; name*=utf-8''b\r\n\r\nv\r\n--XB--"},
                {ct, "--XB\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\ndg==\r\n--XB--"},
                {ct, "--XB\r\nContent-Type: text/plain\r\n\r\nv\r\n--XB--"},               // no name
                {ct, "--XB\nContent-Disposition: form-data; name=\"a\"\n\nv\n--XB--"},          // bare line feeds
        }) {
            // Stored unread (Keycloak reads it where nothing holds it), never held, never replayed.
            JsonNode stored = RequestBody.of(bad[0], utf8(bad[1]));
            assertTrue(RequestBody.unholdable(stored) != null, bad[0] + " " + bad[1]);
            assertThrows(RequestBody.MalformedBody.class, () -> RequestBody.multipartForm(stored), bad[0] + " " + bad[1]);
        }
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
