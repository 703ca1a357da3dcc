package dev.nhiguard.guard.catalogue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class CatalogueTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A realm with one SA client "sa", one plain client "web", SA user "sau", admin "adm", user "u". */
    static final class FakeFacts implements Facts {
        @Override public boolean isServiceAccountClient(String id) { return "sa".equals(id); }
        @Override public boolean isServiceAccountUser(String id) { return "sau".equals(id); }
        @Override public boolean isPrivilegedUser(String id) { return "adm".equals(id); }
        @Override public JsonNode currentClient(String id) {
            return switch (id) {
                case "sa" -> json("{\"clientId\":\"sa\",\"enabled\":true,\"serviceAccountsEnabled\":true,\"description\":\"d\",\"attributes\":{\"use.jwks.url\":\"false\",\"display.on.consent.screen\":\"false\"}}");
                case "web" -> json("{\"clientId\":\"web\",\"enabled\":true,\"serviceAccountsEnabled\":false}");
                default -> null;
            };
        }
        @Override public JsonNode currentUser(String id) {
            return json("{\"username\":\"" + id + "\",\"email\":\"a@x\",\"enabled\":true,\"firstName\":\"A\"}");
        }
        @Override public JsonNode currentRealm() {
            return json("{\"realm\":\"r\",\"eventsListeners\":[\"jboss-logging\",\"x\"],\"displayName\":\"R\",\"attributes\":{}}");
        }
        @Override public String approverRole() { return "nhi-approver"; }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Optional<Match> classify(String method, String path, String body) {
        return Catalogue.get().classify(method, path, body == null ? null : json(body), new FakeFacts(), op -> true);
    }

    static String id(String method, String path, String body) {
        return classify(method, path, body).map(m -> m.operation().id()).orElse(null);
    }

    @Test
    void serviceAccountClientCreationIsGuardedPlainClientIsNot() {
        assertEquals("client-create-service-account", id("POST", "/clients", "{\"clientId\":\"n\",\"serviceAccountsEnabled\":true}"));
        assertEquals(null, id("POST", "/clients", "{\"clientId\":\"n\"}"));
    }

    @Test
    void clientUpdateGuardedOnlyForSecurityRelevantChangesOfServiceAccountClients() {
        assertEquals("client-update", id("PUT", "/clients/sa", "{\"enabled\":false}"));
        assertEquals("client-update", id("PUT", "/clients/sa", "{\"attributes\":{\"use.jwks.url\":\"true\"}}"));
        assertEquals(null, id("PUT", "/clients/sa", "{\"description\":\"other\",\"enabled\":true}"));
        assertEquals(null, id("PUT", "/clients/sa", "{\"attributes\":{\"display.on.consent.screen\":\"true\"}}"));
        assertEquals(null, id("PUT", "/clients/web", "{\"enabled\":false}"));
        assertEquals("client-update", id("PUT", "/clients/web", "{\"serviceAccountsEnabled\":true}"));
        assertEquals(null, id("PUT", "/clients/missing", "{\"enabled\":false}"));
    }

    @Test
    void credentialOperationsOnServiceAccountClients() {
        assertEquals("client-secret-regenerate", id("POST", "/clients/sa/client-secret", null));
        assertEquals(null, id("POST", "/clients/web/client-secret", null));
        assertEquals("client-secret-rotated-invalidate", id("DELETE", "/clients/sa/client-secret/rotated", null));
        assertEquals("client-certificate-generate", id("POST", "/clients/sa/certificates/jwt.credential/generate", null));
        assertEquals("client-certificate-upload-certificate", id("POST", "/clients/sa/certificates/jwt.credential/upload-certificate", null));
        assertEquals("client-delete", id("DELETE", "/clients/sa", null));
        assertEquals(null, id("DELETE", "/clients/web", null));
    }

    @Test
    void privilegesOfServiceAccountUsersAndApproverRole() {
        assertEquals("service-account-realm-role-grant", id("POST", "/users/sau/role-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals("approver-role-grant", id("POST", "/users/u/role-mappings/realm", "[{\"name\":\"nhi-approver\"}]"));
        assertEquals(null, id("POST", "/users/u/role-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals("service-account-client-role-grant", id("POST", "/users/sau/role-mappings/clients/c1", "[]"));
        assertEquals("service-account-group-join", id("PUT", "/users/sau/groups/g1", null));
    }

    @Test
    void privilegeReducingOperationsAreMarkedAndNotGuardedByDefault() {
        Match m = classify("DELETE", "/users/sau/role-mappings/realm", "[{\"name\":\"x\"}]").orElseThrow();
        assertTrue(m.operation().privilegeReducing());
        var defaults = dev.nhiguard.guard.policy.GuardPolicy.defaults();
        assertFalse(defaults.guards(m.operation()));
        assertTrue(Catalogue.get().classify("DELETE", "/users/sau/role-mappings/realm", json("[]"), new FakeFacts(),
                defaults::guards).isEmpty());
    }

    @Test
    void realmSettingsGuardedWhenSecurityFieldsChange() {
        assertEquals("realm-events-config", id("PUT", "/events/config", "{\"eventsListeners\":[\"jboss-logging\"]}"));
        assertEquals("realm-security-settings", id("PUT", "", "{\"eventsListeners\":[\"jboss-logging\"]}"));
        assertEquals(null, id("PUT", "", "{\"eventsListeners\":[\"x\",\"jboss-logging\"],\"displayName\":\"Other\"}"));
        assertEquals("realm-guard-policy-attribute", id("PUT", "", "{\"attributes\":{\"nhi.guard.policy\":\"{}\"}}"));
    }

    @Test
    void recoveryOfPrivilegedUsersOnly() {
        assertEquals("privileged-user-reset-password", id("PUT", "/users/adm/reset-password", "{}"));
        assertEquals(null, id("PUT", "/users/u/reset-password", "{}"));
        assertEquals("privileged-user-update", id("PUT", "/users/adm", "{\"email\":\"evil@x\"}"));
        assertEquals(null, id("PUT", "/users/adm", "{\"firstName\":\"B\",\"email\":\"a@x\"}"));
        assertEquals("privileged-user-credential-delete", id("DELETE", "/users/adm/credentials/c1", null));
    }

    @Test
    void matchCarriesTargetAndDecodesPathVariables() {
        Match m = classify("POST", "/clients/sa/client-secret", null).orElseThrow();
        assertEquals(TargetType.CLIENT, m.targetType());
        assertEquals("client:sa", m.target());
        assertEquals(Map.of("client", "sa"), m.pathVars());
        assertEquals("client:sa", classify("POST", "/clients/sa/client-secret/", null).orElseThrow().target());
    }

    @Test
    void idsAreUniqueAndTemplatesRelative() {
        Set<String> ids = new java.util.HashSet<>();
        for (Operation op : Catalogue.get().operations()) {
            assertTrue(ids.add(op.id()), op.id());
            assertTrue(op.template().isEmpty() || op.template().startsWith("/"), op.template());
        }
    }
}
