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

    @Test
    void anOrdinaryOrUnreadableRegistrationIsLeftToKeycloak() {
        assertNull(refused("{\"clientId\":\"a\",\"redirectUris\":[\"https://a.example/*\"],\"defaultRoles\":[]}"));
        assertNull(refused("{\"clientId\":\"a\",\"authorizationServicesEnabled\":false}"));
        assertNull(refused("not json"));
        assertNull(refused(""));
    }
}
