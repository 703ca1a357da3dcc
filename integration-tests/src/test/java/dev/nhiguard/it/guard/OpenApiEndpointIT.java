package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The API's OpenAPI document is served from the provider JAR to admins of the realm only. */
@ExtendWith(KeycloakExtension.class)
class OpenApiEndpointIT {

    static final String DOC = GuardTestRealm.GUARD + "/openapi.yaml";

    @Test
    void adminsReadTheOpenApiDocument(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        HttpAdmin.Response r = realm.http.get(DOC, realm.token("cara"));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("application/yaml"), r.headers().toString());
        assertTrue(r.body().startsWith("openapi: 3.0."), r.body().substring(0, Math.min(200, r.body().length())));
        assertTrue(r.body().contains("/admin/realms/{realm}/mutation-guard/change-requests/{id}/apply:"), "covers apply");
    }

    @Test
    void othersAreRefused(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        assertEquals(401, realm.http.get(DOC, null).status());
        // dave is an ordinary user of the realm without any admin role
        HttpAdmin.Response r = realm.http.get(DOC, realm.token("dave"));
        assertEquals(403, r.status(), r.body());
    }
}
