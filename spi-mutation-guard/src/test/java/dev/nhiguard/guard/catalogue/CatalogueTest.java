package dev.nhiguard.guard.catalogue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class CatalogueTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A realm with one SA client "sa", one plain client "web", SA user "sau", admin "adm", user "u". */
    static class FakeFacts implements Facts {
        @Override public boolean shapesServiceAccountTokens(String id) { return "sa".equals(id); }
        @Override public boolean isServiceAccountUser(String id) { return "sau".equals(id) || "sau-default".equals(id); }
        @Override public boolean isPrivilegedUser(String id) { return "adm".equals(id) || "adm-default".equals(id) || "ldap-adm".equals(id); }
        @Override public JsonNode currentClient(String id) {
            return switch (id) {
                case "sa" -> json("{\"clientId\":\"sa\",\"enabled\":true,\"serviceAccountsEnabled\":true,\"description\":\"d\",\"attributes\":{\"use.jwks.url\":\"false\",\"display.on.consent.screen\":\"false\"}}");
                case "web" -> json("{\"clientId\":\"web\",\"enabled\":true,\"serviceAccountsEnabled\":false}");
                case "c-idp" -> json("{\"clientId\":\"plain-app\",\"enabled\":true,\"serviceAccountsEnabled\":false}");
                case "resource-server" -> json("{\"clientId\":\"resource-server\",\"enabled\":true,\"serviceAccountsEnabled\":false}");
                case "console" -> json("{\"clientId\":\"security-admin-console\",\"enabled\":true,\"redirectUris\":[\"/admin/r/console/*\"]}");
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
        @Override public boolean isAdminClient(String id) { return "console".equals(id); }
        @Override public boolean isAdminClientName(String clientId) {
            return Set.of("security-admin-console", "admin-cli", "nhi-approvals").contains(clientId);
        }
        @Override public boolean rolesArePrivileged(JsonNode roles, String clientId) {
            return roles.toString().contains("realm-admin");
        }
        @Override public boolean groupIsPrivileged(String id) { return "g-admin".equals(id); }
        @Override public boolean membershipsReachADirectory(String id) { return "ldap-user".equals(id) || "ldap-adm".equals(id); }
        @Override public boolean newUsersReachADirectory() { return false; }
        @Override public boolean groupTreeIsPrivileged(String id) { return "g-admin".equals(id) || "g-admins-parent".equals(id); }
        @Override public String roleId(String clientId, String name) { return name == null ? null : "id-" + name; }
        @Override public JsonNode currentRole(String id) { return json("{\"name\":\"" + id.substring(3) + "\"}"); }
        @Override public boolean isApproverRole(String id) { return "id-nhi-approver".equals(id); }
        @Override public boolean roleReachesGuarded(String id) { return "id-held-by-sa".equals(id); }
        @Override public boolean groupReachesGuarded(String id) { return "g-sa".equals(id) || "g-gate".equals(id); }
        @Override public JsonNode currentGroup(String id) {
            return json("{\"name\":\"" + id + "\",\"attributes\":{\"tenant\":[\"a\"]}}");
        }
        @Override public JsonNode userAttributes(String id) { return json("{\"tenant\":[\"a\"]}"); }
        @Override public boolean isBootstrapApproverName(String username) { return "eve".equalsIgnoreCase(username); }
        @Override public boolean clientScopeReachesServiceAccounts(String id) { return "roles".equals(id); }
        @Override public boolean isAccountOwner(String id) { return "own".equals(id); }
        @Override public boolean roleIsAGate(String id) { return "id-gate".equals(id); }
        @Override public boolean clientRolesAreGates(String id) { return "gate-app".equals(id); }
        @Override public boolean clientRolesReachGuarded(String id) { return "resource-server".equals(id); }
        @Override public boolean roleNameIsAGate(String name, String clientId) { return "gate".equals(name); }
        @Override public boolean rolesAreGates(JsonNode roles, String clientId) { return roles.toString().contains("\"gate\""); }
        @Override public boolean groupHoldsAGate(String id) { return "g-gate".equals(id); }
        @Override public boolean scopeIsAGate(String id) { return "strict".equals(id); }
        @Override public boolean clientIdIsAGate(String clientId) { return "gated-app".equals(clientId); }
        // identity-provider mappers name group g-idp by its path, role r-idp, and a role of client c-idp
        @Override public boolean identityProviderMappersNameGroup(String id) { return "g-idp".equals(id); }
        @Override public boolean identityProviderMappersNameRole(String id) { return "id-idp-named".equals(id); }
        @Override public boolean identityProviderMappersNameClientRoles(String id) { return "c-idp".equals(id); }
        @Override public boolean attributeIsAGate(String name) { return "otp-exempt".equals(name) || "lastName".equals(name); }
        @Override public boolean scopeNameIsAGate(String name) { return "strict".equals(name); }
        @Override public Set<String> profileDefaultsWritten(String id) {
            return switch (id) {
                case "adm-default" -> Set.of("otp-exempt");
                case "sau-default" -> Set.of("tenant");
                default -> Set.of();
            };
        }
    }

    /** Every operation the write matches, reducing ones included. */
    static List<String> ids(String method, String path, String body) {
        return Catalogue.get().classifyAll(method, path, body == null ? null : json(body), new FakeFacts(), op -> true).stream()
                .map(m -> m.operation().id()).toList();
    }

    /** The operations of the write that exist because of login- or token-time names (the ones this test is about). */
    static List<String> gateOps(String method, String path, String body) {
        return ids(method, path, body).stream().filter(i -> i.contains("gate") || i.equals("client-update") || i.equals("role-update"))
                .toList();
    }

    @Test
    void namesALoginOrTokenTimeGateResolvesAreHeldWhereTheyChangeWhomItMatches() {
        // a flow condition or client policy names the role: creating it changes a (negated) condition
        assertTrue(ids("POST", "/roles", "{\"name\":\"gate\"}").contains("gate-role-create"), "gate-role-create");
        assertTrue(ids("POST", "/clients/web/roles", "{\"name\":\"gate\"}").contains("gate-role-create"), "gate-role-create");
        assertEquals(List.of(), gateOps("POST", "/roles", "{\"name\":\"reports-viewer\"}"));
        // granting or revoking it, or a group holding it, to or from a privileged user
        assertTrue(ids("DELETE", "/users/adm/role-mappings/realm", "[{\"name\":\"gate\"}]").contains("privileged-user-gate-role"), "privileged-user-gate-role");
        assertTrue(ids("POST", "/users/adm/role-mappings/clients/web", "[{\"name\":\"gate\"}]").contains("privileged-user-gate-role"), "privileged-user-gate-role");
        assertTrue(ids("DELETE", "/users/own/role-mappings/realm", "[{\"name\":\"gate\"}]").contains("privileged-user-gate-role"),
                "an owner of a service account");
        assertEquals(List.of(), gateOps("DELETE", "/users/u/role-mappings/realm", "[{\"name\":\"gate\"}]"));
        assertEquals(List.of(), gateOps("DELETE", "/users/adm/role-mappings/realm", "[{\"name\":\"other\"}]"));
        assertTrue(ids("DELETE", "/users/adm/groups/g-gate", null).contains("privileged-user-gate-group"), "privileged-user-gate-group");
        assertTrue(ids("PUT", "/users/adm/groups/g-gate", null).contains("privileged-user-gate-group"), "privileged-user-gate-group");
        assertEquals(List.of(), gateOps("DELETE", "/users/u/groups/g-gate", null));
        // a group's gate role, a group holding one, or a composite that is one, taken from guarded members
        assertTrue(ids("DELETE", "/groups/g-sa/role-mappings/realm", "[{\"name\":\"gate\"}]").contains("gate-group-role-revoke"), "gate-group-role-revoke");
        assertEquals(List.of(), gateOps("DELETE", "/groups/g-plain/role-mappings/realm", "[{\"name\":\"gate\"}]"));
        assertTrue(ids("DELETE", "/groups/g-gate", null).contains("gate-group-delete"), "gate-group-delete");
        assertTrue(ids("DELETE", "/roles/held-by-sa/composites", "[{\"name\":\"gate\"}]").contains("gate-role-composite-remove"), "gate-role-composite-remove");
        assertEquals(List.of(), gateOps("DELETE", "/roles/unheld/composites", "[{\"name\":\"gate\"}]"));
        // a scope a client policy names, added to or removed from any client
        assertTrue(ids("DELETE", "/clients/web/default-client-scopes/strict", null).contains("client-scope-policy-gate"), "client-scope-policy-gate");
        assertTrue(ids("PUT", "/clients/web/optional-client-scopes/strict", null).contains("client-scope-policy-gate"), "client-scope-policy-gate");
        assertEquals(List.of(), gateOps("DELETE", "/clients/web/default-client-scopes/profile", null));
        // renaming a client to or from a clientId a flow condition names (clientId.role)
        assertTrue(ids("PUT", "/clients/web", "{\"clientId\":\"gated-app\"}").contains("client-update"), "client-update");
        assertEquals(List.of(), gateOps("PUT", "/clients/web", "{\"clientId\":\"web-2\"}"));
        // renaming a client whose roles a guarded subject holds (tokens name the roles and audience by clientId)
        assertTrue(ids("PUT", "/clients/resource-server", "{\"clientId\":\"payments\"}").contains("client-update"), "client-update");
        // renaming a role to a name a gate names
        assertTrue(ids("PUT", "/roles/ordinary", "{\"name\":\"gate\"}").contains("role-update"), "role-update");
        // a user attribute a flow condition reads, changed on a privileged user or an owner (attributes are otherwise harmless)
        assertTrue(ids("PUT", "/users/adm", "{\"attributes\":{\"tenant\":[\"a\"],\"otp-exempt\":[\"true\"]}}")
                .contains("privileged-user-update"), "a gate attribute set on an admin");
        assertTrue(ids("PUT", "/users/own", "{\"attributes\":{\"tenant\":[\"a\"],\"otp-exempt\":[\"true\"]}}")
                .contains("privileged-user-update"), "a gate attribute set on an owner");
        assertFalse(ids("PUT", "/users/adm", "{\"email\":\"a@x\",\"firstName\":\"A\",\"attributes\":{\"tenant\":[\"b\"]}}")
                .contains("privileged-user-update"), "an attribute no condition reads");
        assertFalse(ids("PUT", "/users/u", "{\"attributes\":{\"otp-exempt\":[\"true\"]}}").contains("privileged-user-update"),
                "an ordinary user");
        assertFalse(ids("PUT", "/users/adm", "{\"firstName\":\"B\"}").contains("privileged-user-update"),
                "no attributes map: Keycloak keeps the attributes");
        assertTrue(ids("PUT", "/users/adm", "{\"lastName\":\"Exempt\"}").contains("privileged-user-update"),
                "a root field a condition reads as an attribute");
    }

    @Test
    void anAttributesMapIsReadAsKeycloakAppliesIt() {
        // Keycloak replaces the user's attributes with the map, the email and names among them.
        assertTrue(ids("PUT", "/users/adm", "{\"attributes\":{\"tenant\":[\"a\"]}}").contains("privileged-user-update"),
                "a map that leaves out an admin's email removes it");
        assertTrue(ids("PUT", "/users/adm", "{\"attributes\":{\"email\":[\"m@evil\"]}}").contains("privileged-user-update"),
                "an email in the map");
        assertFalse(ids("PUT", "/users/adm", "{\"email\":\"a@x\",\"firstName\":\"A\",\"attributes\":{}}")
                .contains("privileged-user-update"), "a map whose user keeps email and names");
        assertFalse(ids("PUT", "/users/u", "{\"attributes\":{}}").contains("privileged-user-update"), "an ordinary user");
        assertEquals("", Catalogue.asKeycloakApplies(json("{\"attributes\":{}}")).path("email").asText("x"));
        assertEquals("m@evil", Catalogue.asKeycloakApplies(json("{\"attributes\":{\"email\":[\"m@evil\"]}}")).path("email").asText());
        assertFalse(Catalogue.asKeycloakApplies(json("{\"email\":\"a@x\"}")).has("firstName"), "no map: Keycloak keeps what is left out");
        assertTrue(ids("PUT", "/users/adm", "{\"email\":\"a@x\",\"firstName\":\"A\",\"attributes\":{\"username\":[\"root\"]}}")
                .contains("privileged-user-update"), "a rename through the map");
    }

    /** Keycloak carries a group's new path, a role's or a client's new name into the identity-provider mappers naming them. */
    @Test
    void aRenameKeycloakWouldCarryIntoAnIdentityProviderMapperIsHeld() {
        assertTrue(ids("PUT", "/groups/g-idp", "{\"name\":\"admins/\"}").contains("group-update"));
        assertTrue(ids("PUT", "/organizations/o1/groups/g-idp", "{\"name\":\"admins\"}").contains("group-update"));
        assertTrue(ids("POST", "/groups/g-other/children", "{\"id\":\"g-idp\",\"name\":\"g-idp\"}").contains("group-move"));
        assertTrue(ids("POST", "/organizations/o1/groups", "{\"id\":\"g-idp\",\"name\":\"g-idp\"}").contains("group-move"));
        assertTrue(ids("PUT", "/roles/idp-named", "{\"name\":\"realm-management.realm-admin\"}").contains("role-update"));
        assertTrue(ids("PUT", "/clients/c-idp", "{\"clientId\":\"plain-app-2\"}").contains("client-update"));
        // no rename, or nothing a mapper names: not held
        assertFalse(ids("PUT", "/groups/g-idp", "{\"name\":\"g-idp\",\"description\":\"d\"}").contains("group-update"));
        assertFalse(ids("PUT", "/groups/g-plain", "{\"name\":\"admins/\"}").contains("group-update"));
        assertFalse(ids("PUT", "/organizations/o1/groups/g-plain", "{\"name\":\"other\"}").contains("group-update"));
        assertFalse(ids("POST", "/organizations/o1/groups", "{\"name\":\"new\"}").contains("group-move"));
        assertFalse(ids("PUT", "/roles/idp-named", "{\"name\":\"idp-named\",\"description\":\"d\"}").contains("role-update"));
        assertFalse(ids("PUT", "/roles/plain", "{\"name\":\"realm-management.realm-admin\"}").contains("role-update"));
        assertFalse(ids("PUT", "/clients/c-idp", "{\"clientId\":\"plain-app\",\"description\":\"d\"}").contains("client-update"));
        assertFalse(ids("PUT", "/clients/web", "{\"clientId\":\"web-2\"}").contains("client-update"));
    }

    /** Names Keycloak resolves client-first (clientId.role): a new client, or a new role with composites, captures them. */
    @Test
    void aClientOrACompositeRoleThatANameResolvedAtLoginWouldFindIsHeld() {
        assertTrue(ids("POST", "/clients", "{\"clientId\":\"gated-app\",\"publicClient\":true}").contains("admin-client-create"),
                "a flow condition names a role gated-app.<role>: the new client would take the name");
        assertFalse(ids("POST", "/clients", "{\"clientId\":\"ordinary-app\",\"publicClient\":true}").contains("admin-client-create"));
        assertTrue(ids("POST", "/clients/web/roles", "{\"name\":\"viewer\",\"composite\":true,"
                + "\"composites\":{\"client\":{\"realm-management\":[\"realm-admin\"]}}}").contains("role-composite-add"));
        assertTrue(ids("POST", "/roles", "{\"name\":\"boss\",\"composite\":true,\"composites\":{\"realm\":[\"admin\"]}}")
                .contains("role-composite-add"));
        assertFalse(ids("POST", "/roles", "{\"name\":\"plain\"}").contains("role-composite-add"));
        assertFalse(ids("POST", "/roles", "{\"name\":\"plain\",\"composite\":false,\"composites\":{\"realm\":[\"admin\"]}}")
                .contains("role-composite-add"), "Keycloak adds composites only to a role created composite");
    }

    /** A conditional-client-scope condition finds a scope by name (or a client of that clientId, or nothing). */
    @Test
    void aClientScopeAConditionNamesIsNotCreatedRenamedOrDeletedUnheld() {
        assertTrue(ids("POST", "/client-scopes", "{\"name\":\"strict\",\"protocol\":\"openid-connect\"}").contains("client-scope-config"));
        assertFalse(ids("POST", "/client-scopes", "{\"name\":\"other\",\"protocol\":\"openid-connect\"}").contains("client-scope-config"));
        assertTrue(ids("PUT", "/client-scopes/strict", "{\"name\":\"strict-retired\"}").contains("client-scope-config"));
        assertTrue(ids("DELETE", "/client-scopes/strict", null).contains("client-scope-config"));
        assertTrue(ids("PUT", "/client-scopes/plain", "{\"name\":\"strict\"}").contains("client-scope-config"), "renamed to it");
        assertFalse(ids("PUT", "/client-scopes/plain", "{\"name\":\"plain\",\"description\":\"d\"}").contains("client-scope-config"));
        assertFalse(ids("POST", "/client-scopes/strict/protocol-mappers/models",
                "{\"name\":\"strict\",\"protocolMapper\":\"oidc-audience-mapper\"}").contains("client-scope-config"),
                "a mapper of the scope changes no name a condition reads");
    }

    /** Keycloak writes the profile's default values into empty attributes on any user update, with or without a map. */
    @Test
    void anUpdateThatMakesKeycloakWriteAProfileDefaultIsJudgedByIt() {
        assertTrue(ids("PUT", "/users/adm-default", "{\"firstName\":\"A\"}").contains("privileged-user-update"),
                "the default of a condition's attribute is written");
        assertTrue(ids("PUT", "/users/sau-default", "{}").contains("service-account-user-attributes"), "a mapper may copy it");
        assertFalse(ids("PUT", "/users/adm", "{\"firstName\":\"A\"}").contains("privileged-user-update"), "no default to write");
        assertFalse(ids("PUT", "/users/plain", "{\"firstName\":\"B\"}").contains("privileged-user-update"));
    }

    @Test
    void movingAGroupUnderAPrivilegedParentIsHeld() {
        assertTrue(ids("POST", "/groups/g-admin/children", "{\"id\":\"g-plain\",\"name\":\"crew\"}").contains("group-move"),
                "its members would inherit the parent's admin roles");
        assertFalse(ids("POST", "/groups/g-other/children", "{\"id\":\"g-plain\",\"name\":\"crew\"}").contains("group-move"),
                "an ordinary group under an ordinary parent");
        assertFalse(ids("POST", "/groups/g-admin/children", "{\"name\":\"new\"}").contains("group-move"),
                "a new, empty subgroup (joining it is held)");
        // a privileged group, or one above it, moved anywhere: group mappers find groups by path at each login
        assertTrue(ids("POST", "/groups/g-other/children", "{\"id\":\"g-admin\",\"name\":\"crew\"}").contains("group-move"));
        assertTrue(ids("POST", "/groups", "{\"id\":\"g-admins-parent\",\"name\":\"crew\"}").contains("group-move"));
    }

    @Test
    void aServiceAccountUsersNamesAreHeldTheyReachItsTokens() {
        assertTrue(ids("PUT", "/users/sau", "{\"firstName\":\"realm-admin\"}").contains("service-account-user-attributes"),
                "a first name");
        assertTrue(ids("PUT", "/users/sau", "{\"lastName\":\"approved\"}").contains("service-account-user-attributes"),
                "a last name");
        assertFalse(ids("PUT", "/users/sau", "{\"firstName\":\"A\"}").contains("service-account-user-attributes"),
                "the same first name");
        assertFalse(ids("PUT", "/users/u", "{\"firstName\":\"B\"}").contains("service-account-user-attributes"),
                "an ordinary user's name");
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

    /**
     * Eighteenth review: a client that exchanges others' tokens (standard token exchange) gets, for a service account's
     * token, a token of that service account's identity and roles with its own mappers, scope and lifetime. Turning the
     * exchange on is held wherever a service account would be, read as Keycloak reads the attribute (parseBoolean).
     */
    @Test
    void turningStandardTokenExchangeOnIsHeldAsAServiceAccountIs() {
        assertEquals("client-create-service-account", id("POST", "/clients",
                "{\"clientId\":\"rs\",\"attributes\":{\"standard.token.exchange.enabled\":\"true\"}}"));
        assertEquals("client-create-service-account", id("POST", "/clients",
                "{\"clientId\":\"rs\",\"attributes\":{\"standard.token.exchange.enabled\":\"TRUE\"}}"));
        assertEquals(null, id("POST", "/clients", "{\"clientId\":\"rs\",\"attributes\":{\"standard.token.exchange.enabled\":\"yes\"}}"),
                "Keycloak reads 'yes' as off");
        assertEquals("client-update", id("PUT", "/clients/web", "{\"attributes\":{\"standard.token.exchange.enabled\":\"true\"}}"));
        assertEquals(null, id("PUT", "/clients/web", "{\"attributes\":{\"standard.token.exchange.enabled\":\"false\"}}"));
        assertTrue(Catalogue.turnsTokenExchangeOn(null, json("{\"attributes\":{\"standard.token.exchange.enabled\":true}}")));
        assertFalse(Catalogue.turnsTokenExchangeOn(json("{\"attributes\":{\"standard.token.exchange.enabled\":\"True\"}}"),
                json("{\"attributes\":{\"standard.token.exchange.enabled\":\"true\"}}")), "already on: judged as the guarded client it is");
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
        assertEquals(null, id("PUT", "", "{\"eventsListeners\":[\"x\",\"jboss-logging\"],\"loginTheme\":\"other\"}"));
        // Mails put the display name, as HTML, before the link of a password reset: it is no harmless name.
        assertEquals("realm-security-settings", id("PUT", "", "{\"displayName\":\"<a href=https://x.example/ title=\\\"\"}"));
        assertEquals("realm-guard-policy-attribute", id("PUT", "", "{\"attributes\":{\"nhi.guard.policy\":\"{}\"}}"));
    }

    /**
     * Fifteenth review: the operator names {@code r:eve} a bootstrap approver and eve does not exist yet; a realm admin
     * who creates eve (or renames a user to eve) makes her own approver, so both are held.
     */
    @Test
    void aUserUnderABootstrapApproversNameIsHeld() {
        assertTrue(ids("POST", "/users", "{\"username\":\"eve\",\"enabled\":true}").contains("user-create-bootstrap-approver"));
        assertTrue(ids("POST", "/users", "{\"username\":\"EVE\"}").contains("user-create-bootstrap-approver"), "usernames are case-insensitive");
        assertFalse(ids("POST", "/users", "{\"username\":\"dave\"}").contains("user-create-bootstrap-approver"));
        assertTrue(ids("PUT", "/users/dave", "{\"username\":\"eve\"}").contains("user-rename-bootstrap-approver"));
        assertFalse(ids("PUT", "/users/eve", "{\"username\":\"eve\",\"firstName\":\"Eve\"}").contains("user-rename-bootstrap-approver"),
                "eve's own update keeps her name");
    }

    /** A client approvers decide through (nhi-approvals) or an administration client, made under its name. */
    @Test
    void aClientUnderAnAdministrationClientsNameIsHeld() {
        assertTrue(ids("POST", "/clients", "{\"clientId\":\"nhi-approvals\",\"redirectUris\":[\"https://evil/*\"]}")
                .contains("admin-client-create"), "creating nhi-approvals");
        assertFalse(ids("POST", "/clients", "{\"clientId\":\"reports-portal\"}").contains("admin-client-create"), "an ordinary client");
        // the operator's documented creation: codes reach only Keycloak's theme files
        String documented = "{\"clientId\":\"nhi-approvals\",\"publicClient\":true,\"standardFlowEnabled\":true,"
                + "\"directAccessGrantsEnabled\":false,\"rootUrl\":\"${authBaseUrl}\",\"redirectUris\":[\"/resources/*\"],"
                + "\"webOrigins\":[\"+\"],\"attributes\":{\"pkce.code.challenge.method\":\"S256\",\"post.logout.redirect.uris\":\"+\","
                + "\"client.use.lightweight.access.token.enabled\":\"true\"}}";
        assertFalse(ids("POST", "/clients", documented).contains("admin-client-create"), "nhi-approvals as the README creates it");
        assertFalse(ids("POST", "/clients", documented.replace(",\"client.use.lightweight.access.token.enabled\":\"true\"", ""))
                .contains("admin-client-create"), "nhi-approvals as earlier READMEs created it (full access tokens)");
        assertTrue(ids("POST", "/clients", documented.replace("\"client.use.lightweight.access.token.enabled\"",
                "\"client.use.lightweight.access.token.enabled\":\"true\",\"use.refresh.tokens\""))
                .contains("admin-client-create"), "an attribute the README does not set");
        // Ninth review: a confidential one exchanges an approver's token from any client into one of its own; the
        // device and CIBA grants sign an approver in for whoever started them.
        for (String[] change : new String[][] {{"\"publicClient\":true", "\"publicClient\":false"},
                {"\"publicClient\":true,", ""}, {"\"publicClient\":true", "\"publicClient\":true,\"secret\":\"s\""},
                {"\"directAccessGrantsEnabled\":false", "\"directAccessGrantsEnabled\":true"},
                {"\"post.logout.redirect.uris\":\"+\"", "\"post.logout.redirect.uris\":\"+\",\"standard.token.exchange.enabled\":\"true\""},
                {"\"post.logout.redirect.uris\":\"+\"", "\"post.logout.redirect.uris\":\"+\",\"oauth2.device.authorization.grant.enabled\":\"true\""},
                {"\"publicClient\":true", "\"publicClient\":true,\"serviceAccountsEnabled\":true"}}) {
            String body = documented.replace(change[0], change[1]);
            assertNotEquals(documented, body);
            assertTrue(ids("POST", "/clients", body).contains("admin-client-create"), "nhi-approvals: " + body);
        }
        assertFalse(ids("POST", "/clients", documented.replace("\"post.logout.redirect.uris\":\"+\"",
                "\"post.logout.redirect.uris\":\"+\",\"oauth2.device.authorization.grant.enabled\":\"false\"")).contains("admin-client-create"),
                "a flag sent as off");
        for (String uris : new String[] {"[\"/*\"]", "[\"/resources/*\",\"/realms/*\"]", "[\"//evil/*\"]", "[]",
                "[\"/resources/../realms/*\"]"}) {
            assertTrue(ids("POST", "/clients", "{\"clientId\":\"nhi-approvals\",\"publicClient\":true,\"rootUrl\":\"${authBaseUrl}\","
                    + "\"redirectUris\":" + uris + "}").contains("admin-client-create"), "nhi-approvals with redirect URIs " + uris);
        }
        // Fifteenth review: what a browser resolves above /resources/ though Keycloak matches the URI as written
        for (String uri : new String[] {"/resources/%2e%2e/realms/r/protocol/openid-connect/auth?client_id=evil",
                "/resources/.%2e/*", "/resources/%2E%2E/*", "/resources/./*", "/resources//evil/*", "/resources/x?a=b",
                "/resources/x#y", "/resources/x/*/y", "/resources/*x", "/resources/"}) {
            assertFalse(Catalogue.isThemeResourcePath(uri, true), uri);
            assertTrue(ids("POST", "/clients", documented.replace("[\"/resources/*\"]", "[\"/resources/*\",\"" + uri + "\"]"))
                    .contains("admin-client-create"), "nhi-approvals with the redirect URI " + uri);
        }
        assertTrue(Catalogue.isThemeResourcePath("/resources/nhiap/common/nhi-guard/approvals/index.html", false));
        assertFalse(Catalogue.isThemeResourcePath("/resources/*", false), "a base URL is no pattern");
        assertFalse(ids("POST", "/clients", documented.replace("[\"/resources/*\"]", "[\"/resources/nhiap/*\"]"))
                .contains("admin-client-create"), "a narrower redirect URI below /resources/");
        assertTrue(ids("POST", "/clients", "{\"clientId\":\"nhi-approvals\",\"rootUrl\":\"https://evil\","
                + "\"redirectUris\":[\"/resources/*\"]}").contains("admin-client-create"), "nhi-approvals under another root");
        assertTrue(ids("POST", "/clients", "{\"clientId\":\"admin-cli\"}").contains("admin-client-create"), "admin-cli");
        assertTrue(ids("PUT", "/clients/web", "{\"clientId\":\"nhi-approvals\"}").contains("client-update"),
                "renaming an ordinary client to nhi-approvals");
        assertEquals(List.of(), ids("PUT", "/clients/web", "{\"clientId\":\"web\",\"redirectUris\":[\"https://evil/*\"]}"),
                "an ordinary client's redirect URIs");
        assertEquals(List.of(), ids("PUT", "/clients/console", "{\"clientId\":\"security-admin-console\",\"description\":\"x\"}"),
                "the console's description, sent with its own clientId as the console does");
    }

    @Test
    void recoveryOfPrivilegedUsersOnly() {
        assertEquals("privileged-user-reset-password", id("PUT", "/users/adm/reset-password", "{}"));
        assertEquals(null, id("PUT", "/users/u/reset-password", "{}"));
        // an owner of a service account or agent: recovery and authentication are held, disabling and deleting are not
        assertEquals("privileged-user-reset-password", id("PUT", "/users/own/reset-password", "{}"));
        assertEquals("privileged-user-credential-delete", id("DELETE", "/users/own/credentials/c", null));
        assertEquals("privileged-user-impersonation", id("POST", "/users/own/impersonation", null));
        assertEquals("privileged-user-update", id("PUT", "/users/own", "{\"email\":\"x@evil\"}"));
        assertEquals("privileged-user-update", id("PUT", "/users/own", "{\"requiredActions\":[\"UPDATE_PASSWORD\"]}"));
        assertEquals(null, id("PUT", "/users/own", "{\"enabled\":false,\"firstName\":\"B\"}"));
        assertEquals(null, id("DELETE", "/users/own", null));
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
    void guardedClientChangesAreDenyByDefault() {
        // A kcadm-style round trip: the whole representation back, the same secret, scopes reordered, read-only fields.
        String roundTrip = "{\"clientId\":\"sa\",\"enabled\":true,\"serviceAccountsEnabled\":true,\"description\":\"new\","
                + "\"access\":{\"view\":true},\"id\":\"sa\",\"attributes\":{\"use.jwks.url\":\"false\"}}";
        assertEquals(null, id("PUT", "/clients/sa", roundTrip));
        assertEquals("client-update", id("PUT", "/clients/sa", "{\"redirectUris\":[\"https://x\"]}"));
        assertEquals("client-update", id("PUT", "/clients/sa", "{\"attributes\":{\"some.new.attribute\":\"x\"}}"));
        assertEquals("client-update", id("PUT", "/clients/console", "{\"redirectUris\":[\"https://evil\"]}"));
        assertEquals(null, id("PUT", "/clients/web", "{\"redirectUris\":[\"https://x\"],\"description\":\"d\"}"));
        assertEquals("client-flow-override", id("PUT", "/clients/web",
                "{\"authenticationFlowBindingOverrides\":{\"direct_grant\":\"f1\"}}"));
        assertEquals("client-flow-override", id("POST", "/clients",
                "{\"clientId\":\"n\",\"authenticationFlowBindingOverrides\":{\"browser\":\"f1\"}}"));
    }

    @Test
    void realmUpdateCarriesEveryEffect() {
        String both = "{\"attributes\":{\"nhi.guard.policy\":\"{}\"},\"bruteForceProtected\":false}";
        List<String> ids = Catalogue.get().classifyAll("PUT", "", json(both), new FakeFacts(), op -> true).stream()
                .map(m -> m.operation().id()).toList();
        assertEquals(List.of("realm-guard-policy-attribute", "realm-security-settings"), ids);
        // An attributes map that omits an attribute removes it in Keycloak.
        FakeFacts withPolicy = new FakeFacts() {
            @Override public JsonNode currentRealm() {
                return json("{\"realm\":\"r\",\"attributes\":{\"nhi.guard.policy\":\"{}\"}}");
            }
        };
        ids = Catalogue.get().classifyAll("PUT", "", json("{\"attributes\":{}}"), withPolicy, op -> true).stream()
                .map(m -> m.operation().id()).toList();
        assertEquals(List.of("realm-guard-policy-attribute", "realm-security-settings"), ids);
        assertEquals(null, id("PUT", "", "{\"loginTheme\":\"other\",\"realm\":\"r\"}"));
        assertEquals("realm-security-settings", id("PUT", "", "{\"adminEventsExpiration\":1}"));
    }

    @Test
    void membershipWritesThatADirectoryKeepsAreHeldWhateverTheyName() {
        assertEquals("directory-membership-write", id("POST", "/users/ldap-user/role-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals("directory-membership-write", id("POST", "/users/ldap-user/role-mappings/clients/c1", "[{\"name\":\"x\"}]"));
        assertEquals("directory-membership-write", id("PUT", "/users/ldap-user/groups/g-plain", null));
        // leaving and revoking take away, unless the user is privileged (the directory membership deleted may be another
        // mapper's gate); a local user's plain grant passes as before
        assertEquals(null, id("DELETE", "/users/ldap-user/role-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals(null, id("DELETE", "/users/ldap-user/groups/g-plain", null));
        assertEquals("directory-membership-remove", id("DELETE", "/users/ldap-adm/groups/g-plain", null));
        assertEquals("directory-membership-remove", id("DELETE", "/users/ldap-adm/role-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals(null, id("PUT", "/users/u/groups/g-plain", null));
    }

    @Test
    void privilegesThroughRolesGroupsAndScopes() {
        assertEquals("privileged-role-grant", id("POST", "/users/u/role-mappings/clients/rm", "[{\"name\":\"realm-admin\"}]"));
        assertEquals("privileged-group-join", id("PUT", "/users/u/groups/g-admin", null));
        assertEquals(null, id("PUT", "/users/u/groups/g-plain", null));
        assertEquals("role-update", id("PUT", "/roles/nhi-approver", "{\"name\":\"nhi-approver\",\"description\":\"x\"}"));
        assertEquals("role-update", id("PUT", "/roles/held-by-sa", "{\"name\":\"renamed\"}"));
        assertEquals(null, id("PUT", "/roles/held-by-sa", "{\"name\":\"held-by-sa\",\"description\":\"d\"}"));
        assertEquals(null, id("PUT", "/roles/plain", "{\"name\":\"renamed\"}"));
        // renamed to the approver role's name (a realm without one yet): its holders would become approvers
        assertEquals("role-update", id("PUT", "/roles/plain", "{\"name\":\"nhi-approver\"}"));
        assertEquals("role-delete", id("DELETE", "/roles-by-id/id-nhi-approver", null));
        // a role gating a client scope a service account uses: without it the scope applies to everyone
        assertEquals("role-delete", id("DELETE", "/roles/gate", null));
        assertEquals("role-delete", id("DELETE", "/roles-by-id/id-gate", null));
        assertEquals(null, id("DELETE", "/roles/plain", null));
        assertEquals("client-delete", id("DELETE", "/clients/gate-app", null));
        // removing a client scope's scope mappings opens the scope: held where a service account uses it
        assertEquals("client-scope-config", id("DELETE", "/client-scopes/roles/scope-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals("client-scope-config", id("DELETE", "/client-scopes/roles/scope-mappings/clients/web", "[{\"name\":\"x\"}]"));
        assertEquals("client-scope-config", id("POST", "/ui-ext/role-mapping-delete/clientScopes/roles", "[{\"roleId\":\"x\"}]"));
        assertEquals("client-scope-mapping-remove", id("DELETE", "/client-scopes/unused/scope-mappings/realm", "[{\"name\":\"x\"}]"));
        assertEquals(null, id("POST", "/ui-ext/role-mapping-delete/clientScopes/unused", "[{\"roleId\":\"x\"}]"));
        // groups with guarded members: renames and attribute changes (also by omission) are held, descriptions pass
        assertEquals("group-update", id("PUT", "/groups/g-sa", "{\"name\":\"renamed\"}"));
        assertEquals("group-update", id("PUT", "/groups/g-sa", "{\"attributes\":{\"tenant\":[\"b\"]}}"));
        assertEquals("group-update", id("PUT", "/groups/g-sa", "{\"attributes\":{}}"));
        assertEquals(null, id("PUT", "/groups/g-sa", "{\"name\":\"g-sa\",\"description\":\"d\",\"attributes\":{\"tenant\":[\"a\"]}}"));
        assertEquals(null, id("PUT", "/groups/g-plain", "{\"name\":\"renamed\",\"attributes\":{}}"));
        // a privileged group without guarded members: renamed, held (identity-provider group mappers name it by path)
        assertEquals("group-update", id("PUT", "/groups/g-admins-parent", "{\"name\":\"renamed\"}"));
        // a service-account user's attributes are held; an unchanged map and other users' attributes pass
        assertEquals("service-account-user-attributes", id("PUT", "/users/sau",
                "{\"email\":\"a@x\",\"firstName\":\"A\",\"attributes\":{\"tenant\":[\"b\"]}}"));
        assertEquals("service-account-user-attributes", id("PUT", "/users/sau", "{\"email\":\"a@x\",\"firstName\":\"A\",\"attributes\":{}}"));
        assertEquals(null, id("PUT", "/users/sau", "{\"email\":\"a@x\",\"firstName\":\"A\",\"attributes\":{\"tenant\":[\"a\"]}}"));
        assertEquals(null, id("PUT", "/users/u", "{\"attributes\":{\"tenant\":[\"b\"]}}"));
        assertEquals(null, id("DELETE", "/roles/plain", null));
        assertEquals("group-move", id("POST", "/groups/parent/children", "{\"id\":\"g-sa\",\"name\":\"x\"}"));
        assertEquals(null, id("POST", "/groups/parent/children", "{\"name\":\"new\"}"));
        assertEquals("client-scope-config", id("POST", "/client-scopes/roles/protocol-mappers/models", "{}"));
        assertEquals(null, id("POST", "/client-scopes/other/protocol-mappers/models", "{}"));
        assertEquals("realm-partial-import", id("POST", "/partialImport", "{\"clientScopes\":[{\"name\":\"x\"}]}"));
        assertEquals(null, id("POST", "/partialImport", "{\"ifResourceExists\":\"SKIP\"}"));
    }

    @Test
    void idsAreUniqueAndTemplatesRelative() {
        Set<String> ids = new java.util.HashSet<>();
        for (Operation op : Catalogue.get().operations()) {
            assertTrue(ids.add(op.id()), op.id());
            assertTrue(op.template().isEmpty() || op.template().startsWith("/"), op.template());
        }
    }

    @Test
    void theAgentRegistrysAttributesAreAChangeWhenSetChangedOrRemovedNeverWhenSentBackUnchanged() {
        JsonNode current = json("{\"attributes\":{\"nhi.owner.id\":\"u1\",\"logoUri\":\"x\"}}");
        assertTrue(Catalogue.changesRegistryAttributes(null, json("{\"attributes\":{\"nhi.agent\":\"true\"}}")), "created as an agent");
        assertTrue(Catalogue.changesRegistryAttributes(current, json("{\"attributes\":{\"nhi.owner.id\":\"u2\"}}")), "owner changed");
        assertTrue(Catalogue.changesRegistryAttributes(current, json("{\"attributes\":{\"nhi.owner.id\":null}}")), "owner removed");
        assertTrue(Catalogue.changesRegistryAttributes(current, json("{\"attributes\":{\"nhi.agent.expires\":\"2099\"}}")), "expiry set");
        assertFalse(Catalogue.changesRegistryAttributes(current, json("{\"attributes\":{\"nhi.owner.id\":\"u1\",\"logoUri\":\"y\"}}")),
                "the console sends the owner back unchanged with another edit");
        assertFalse(Catalogue.changesRegistryAttributes(current, json("{\"description\":\"d\"}")), "no attributes sent");
    }
}
