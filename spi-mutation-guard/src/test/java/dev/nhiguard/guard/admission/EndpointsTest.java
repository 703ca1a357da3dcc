package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.services.resources.admin.RealmAdminResource;

/** Resolution against Keycloak's own admin resource classes, as JAX-RS routes them. */
class EndpointsTest {

    static Endpoints.Resolution resolve(String method, String path) throws RequestPath.Refused {
        return Endpoints.resolve(RealmAdminResource.class, RequestPath.parse("/admin/realms/r" + path), 3, method, null);
    }

    static String key(String method, String path) throws RequestPath.Refused {
        return assertInstanceOf(Endpoints.Resolved.class, resolve(method, path), method + " " + path).key();
    }

    @Test
    void resolvesToTheMethodKeycloakRuns() throws Exception {
        String admin = "org.keycloak.services.resources.admin.";
        assertEquals(admin + "RealmAdminResource#updateRealm", key("PUT", ""));
        assertEquals(admin + "RealmAdminResource#updateRealm", key("PUT", "/"));
        assertEquals(admin + "ClientResource#update", key("PUT", "/clients/abc"));
        assertEquals(admin + "ClientResource#update", key("PUT", "/clients/abc/"));
        assertEquals(admin + "ClientResource#regenerateSecret", key("POST", "/clients/abc/client-secret"));
        assertEquals(admin + "ClientsResource#createClient", key("POST", "/clients"));
        assertEquals(admin + "RoleMapperResource#addRealmRoleMappings", key("POST", "/users/u/role-mappings/realm"));
        assertEquals(admin + "RoleByIdResource#addComposites", key("POST", "/roles-by-id/x/composites"));
        assertEquals(admin + "RealmAdminResource#clearAdminEvents", key("DELETE", "/admin-events"));
        assertEquals(admin + "AuthenticationManagementResource#createFlow", key("POST", "/authentication/flows"));
        Endpoints.Resolved r = (Endpoints.Resolved) resolve("PUT", "/clients/abc");
        assertEquals(Map.of("client-uuid", "abc"), r.pathParams());
        assertEquals(ClientRepresentation.class, r.entityType());
    }

    /** One template, one HTTP method, two media types: JAX-RS selects by {@code @Consumes}, and so does the guard. */
    @Test
    void methodsSharingATemplateAreSelectedByTheMediaTypeTheyConsume() throws Exception {
        RequestPath path = RequestPath.parse("/admin/realms/r/identity-provider/import-config");
        for (String type : new String[] {"application/json", "multipart/form-data"}) {
            Endpoints.Resolved r = assertInstanceOf(Endpoints.Resolved.class, Endpoints.resolve(RealmAdminResource.class, path, 3,
                    "POST", null, m -> java.util.Arrays.asList(m.getAnnotation(jakarta.ws.rs.Consumes.class).value()).contains(type)));
            assertEquals("org.keycloak.services.resources.admin.IdentityProvidersResource#importFrom", r.key());
            assertEquals(java.util.List.of(type), java.util.List.of(r.method().getAnnotation(jakarta.ws.rs.Consumes.class).value()));
        }
    }

    @Test
    void unknownPathsAndMethodsAreNamedAsKeycloakWouldAnswerThem() throws Exception {
        assertInstanceOf(Endpoints.MethodNotAllowed.class, resolve("PATCH", "/clients/abc"));
        assertInstanceOf(Endpoints.NotFound.class, resolve("POST", "/clients/abc/no-such-thing/at-all"));
    }

    @Test
    void theRealmExtensionLocatorIsOpaqueWithoutAHook() throws Exception {
        Endpoints.Resolution r = resolve("POST", "/some-extension/anything");
        assertEquals("org.keycloak.services.resources.admin.RealmAdminResource#extension",
                assertInstanceOf(Endpoints.Opaque.class, r).key());
    }
}
