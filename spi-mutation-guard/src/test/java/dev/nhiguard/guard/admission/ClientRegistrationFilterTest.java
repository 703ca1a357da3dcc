package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ClientRegistrationFilterTest {

    private static String refused(String body) {
        return ClientRegistrationFilter.refusedOperation(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRegistrationThatMakesAServiceAccountOrJoinsTheDefaultRolesIsRefused() {
        assertEquals("client-create-service-account", refused("{\"clientId\":\"a\",\"authorizationServicesEnabled\":true}"));
        // read as Keycloak reads it: "TRUE" is true
        assertEquals("client-create-service-account", refused("{\"clientId\":\"a\",\"authorizationServicesEnabled\":\"TRUE\"}"));
        assertEquals("client-create-service-account", refused("{\"clientId\":\"a\",\"serviceAccountsEnabled\":true}"));
        assertEquals("role-composite-add", refused("{\"clientId\":\"a\",\"defaultRoles\":[\"boost\"]}"));
    }

    /** (Fourteenth red-team review.) The agent registry's attributes, which the admin API's client create holds. */
    @Test
    void aRegistrationWritingTheRegistrysAttributesIsRefused() throws Exception {
        assertEquals("client-create-service-account", refused("{\"clientId\":\"a\",\"attributes\":{\"nhi.owner.type\":\"user\","
                + "\"nhi.owner.id\":\"u1\"}}"));
        assertEquals("client-create-service-account", refused("{\"clientId\":\"a\",\"attributes\":{\"nhi.agent.status\":\"ACTIVE\"}}"));
        // An update that sends the client's own registry attributes back unchanged writes nothing new.
        com.fasterxml.jackson.databind.JsonNode current = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"clientId\":\"a\",\"attributes\":{\"nhi.owner.id\":\"u1\"}}");
        assertNull(ClientRegistrationFilter.refusedOperation(("{\"clientId\":\"a\",\"attributes\":{\"nhi.owner.id\":\"u1\"}}")
                .getBytes(StandardCharsets.UTF_8), current));
        assertEquals("client-create-service-account", ClientRegistrationFilter.refusedOperation(
                "{\"clientId\":\"a\",\"attributes\":{\"nhi.owner.id\":\"u2\"}}".getBytes(StandardCharsets.UTF_8), current));
        // Other attributes are the registrant's.
        assertNull(refused("{\"clientId\":\"a\",\"attributes\":{\"pkce.code.challenge.method\":\"S256\"}}"));
    }

    @Test
    void anOrdinaryOrUnreadableRegistrationIsLeftToKeycloak() {
        assertNull(refused("{\"clientId\":\"a\",\"redirectUris\":[\"https://a.example/*\"],\"defaultRoles\":[]}"));
        assertNull(refused("{\"clientId\":\"a\",\"authorizationServicesEnabled\":false}"));
        assertNull(refused("not json"));
        assertNull(refused(""));
    }
}
