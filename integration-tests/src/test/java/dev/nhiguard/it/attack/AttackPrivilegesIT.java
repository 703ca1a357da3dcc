package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeld;
import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Privileges around the catalogue, in realm {@code guard-attack-priv}: mallory gives sa-target
 * more without touching sa-target itself, through composites of a role it holds, groups, the
 * default roles and groups, a rename, mappers and scope mappings of a shared client scope, and a
 * workflow. Judged by effect: sa-target's client-credentials token ({@code realm_access.roles},
 * {@code resource_access}, claims) and its effective role mappings. Each test grants a role of
 * its own, created by mallory (an everyday write), so that one attack that takes effect does not
 * hide another.
 */
@ExtendWith(KeycloakExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AttackPrivilegesIT {

    static final String REALM = "guard-attack-priv";

    /** What sa-target holds, as its token and its effective role mappings say. */
    record Holdings(Set<String> tokenRealmRoles, Set<String> tokenRealmManagementRoles, Set<String> effectiveRealmRoles,
                    Set<String> effectiveRealmManagementRoles, Set<String> claimNames) {

        static Holdings of(AttackRealm r) {
            JsonNode claims = r.serviceAccountClaims("sa-target");
            Set<String> realmRoles = new TreeSet<>();
            claims.path("realm_access").path("roles").forEach(n -> realmRoles.add(n.asText()));
            Set<String> rm = new TreeSet<>();
            claims.path("resource_access").path("realm-management").path("roles").forEach(n -> rm.add(n.asText()));
            Set<String> names = new TreeSet<>();
            claims.fieldNames().forEachRemaining(names::add);
            names.removeAll(Set.of("exp", "iat", "jti", "auth_time", "nbf"));
            String sa = r.serviceAccountUserId("sa-target");
            return new Holdings(realmRoles, rm, r.effectiveRealmRoles(sa), r.effectiveClientRoles(sa, "realm-management"), names);
        }
    }

    static void assertHoldsNothingMore(AttackRealm r, Holdings before) {
        Holdings after = Holdings.of(r);
        assertAll(
                () -> assertEquals(before.tokenRealmRoles(), after.tokenRealmRoles(), "realm_access.roles of sa-target's token"),
                () -> assertEquals(before.tokenRealmManagementRoles(), after.tokenRealmManagementRoles(),
                        "resource_access.realm-management of sa-target's token"),
                () -> assertEquals(before.effectiveRealmRoles(), after.effectiveRealmRoles(), "sa-target's effective realm roles"),
                () -> assertEquals(before.effectiveRealmManagementRoles(), after.effectiveRealmManagementRoles(),
                        "sa-target's effective realm-management roles"),
                () -> assertEquals(before.claimNames(), after.claimNames(), "the claims of sa-target's token"));
    }

    static void freshRole(AttackRealm r, String token, String name) {
        HttpAdmin.Response created = r.http.post(r.admin + "/roles", token, "{\"name\":\"" + name + "\"}");
        assertEquals(201, created.status(), "creating a realm role is everyday work: " + created.body());
    }

    static String freshGroup(AttackRealm r, String token, String name) {
        HttpAdmin.Response created = r.http.post(r.admin + "/groups", token, "{\"name\":\"" + name + "\"}");
        assertEquals(201, created.status(), "creating a group is everyday work: " + created.body());
        return r.groupIdOrNull(name);
    }

    static String roles(AttackRealm r, String... names) {
        StringBuilder out = new StringBuilder("[");
        for (String n : names) {
            out.append(out.length() > 1 ? "," : "").append(r.realmRole(n));
        }
        return out.append(']').toString();
    }

    static String realmManagementRole(AttackRealm r, String role) {
        return "[" + r.read("/clients/" + r.clientUuid("realm-management") + "/roles/" + role) + "]";
    }

    @Test
    @Order(1)
    void compositesOfARoleTheServiceAccountHolds(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        freshRole(r, mallory, "x-composite");
        freshRole(r, mallory, "x-composite-by-id");
        Holdings before = Holdings.of(r);
        assertTrue(before.tokenRealmRoles().contains("reports-reader"), "fixture: sa-target holds reports-reader " + before);
        HttpAdmin.Response realmRole = r.http.post(r.admin + "/roles/reports-reader/composites", mallory, roles(r, "x-composite"));
        HttpAdmin.Response clientRole = r.http.post(r.admin + "/roles/reports-reader/composites", mallory,
                realmManagementRole(r, "manage-users"));
        HttpAdmin.Response byId = r.http.post(r.admin + "/roles-by-id/" + r.realmRole("reports-reader").path("id").asText()
                + "/composites", mallory, roles(r, "x-composite-by-id"));
        assertAll(
                () -> assertHeldOrRefused(realmRole, "a realm role as a composite of reports-reader"),
                () -> assertHeldOrRefused(clientRole, "realm-management manage-users as a composite of reports-reader"),
                () -> assertHeldOrRefused(byId, "a composite of reports-reader through roles-by-id"),
                () -> assertHoldsNothingMore(r, before));
    }

    @Test
    @Order(2)
    void groupsTheServiceAccountJoinsOrIsIn(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        freshRole(r, mallory, "x-group");
        freshRole(r, mallory, "x-automation");
        String sa = r.serviceAccountUserId("sa-target");
        String automation = r.groupIdOrNull("automation");
        assertTrue(r.read("/users/" + sa + "/groups").toString().contains("\"automation\""), "fixture: sa-target is in automation");
        Holdings before = Holdings.of(r);
        String holding = freshGroup(r, mallory, "holds-x-group");
        r.http.post(r.admin + "/groups/" + holding + "/role-mappings/realm", mallory, roles(r, "x-group")); // a group nobody is in
        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + sa + "/groups/" + holding, mallory, null);
        HttpAdmin.Response realmGrant = r.http.post(r.admin + "/groups/" + automation + "/role-mappings/realm", mallory,
                roles(r, "x-automation"));
        HttpAdmin.Response clientGrant = r.http.post(r.admin + "/groups/" + automation + "/role-mappings/clients/"
                + r.clientUuid("realm-management"), mallory, realmManagementRole(r, "view-users"));
        assertAll(
                () -> assertHeldOrRefused(join, "sa-target joining a group that holds x-group"),
                () -> assertHeldOrRefused(realmGrant, "a realm role granted to group automation, which sa-target is in"),
                () -> assertHeldOrRefused(clientGrant, "realm-management view-users granted to group automation"),
                () -> assertFalse(r.read("/users/" + sa + "/groups").toString().contains("holds-x-group"), "sa-target joined holds-x-group"),
                () -> assertHoldsNothingMore(r, before));
    }

    @Test
    @Order(3)
    void defaultRolesAndDefaultGroups(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        freshRole(r, mallory, "x-default");
        Holdings before = Holdings.of(r);
        String defaultGroupsBefore = r.read("/default-groups").toString();
        HttpAdmin.Response composite = r.http.post(r.admin + "/roles/default-roles-" + REALM + "/composites", mallory, roles(r, "x-default"));
        String group = freshGroup(r, mallory, "everyone-gets-this");
        HttpAdmin.Response defaultGroup = r.http.put(r.admin + "/default-groups/" + group, mallory, null);
        assertAll(
                () -> assertHeldOrRefused(composite, "x-default as a composite of the default roles"),
                () -> assertHeldOrRefused(defaultGroup, "a default group"),
                () -> assertEquals(defaultGroupsBefore, r.read("/default-groups").toString(), "default groups"),
                () -> assertHoldsNothingMore(r, before));
    }

    @Test
    @Order(4)
    void mappersAndScopeMappingsOfASharedClientScope(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        freshRole(r, mallory, "x-scope");
        String roles = null;
        for (JsonNode s : r.read("/client-scopes")) {
            if ("roles".equals(s.path("name").asText())) {
                roles = s.path("id").asText();
            }
        }
        String scope = roles;
        assertTrue(r.read("/clients/" + r.clientUuid("sa-target") + "/default-client-scopes").toString().contains("\"roles\""),
                "fixture: sa-target uses the shared scope roles");
        Holdings before = Holdings.of(r);
        String mappersBefore = r.read("/client-scopes/" + roles + "/protocol-mappers/models").toString();
        String scopeMappingsBefore = r.read("/client-scopes/" + roles + "/scope-mappings/realm").toString();
        String mapper = "{\"name\":\"%s\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                + "\"config\":{\"claim.name\":\"%s\",\"claim.value\":\"yes\",\"jsonType.label\":\"String\","
                + "\"access.token.claim\":\"true\",\"id.token.claim\":\"true\",\"userinfo.token.claim\":\"true\"}}";
        HttpAdmin.Response model = r.http.post(r.admin + "/client-scopes/" + roles + "/protocol-mappers/models", mallory,
                String.format(mapper, "evil-claim", "evil"));
        HttpAdmin.Response models = r.http.post(r.admin + "/client-scopes/" + roles + "/protocol-mappers/add-models", mallory,
                "[" + String.format(mapper, "evil-claim-2", "evil2") + "]");
        JsonNode claims = r.serviceAccountClaims("sa-target");
        // A role scope mapping on a client scope makes Keycloak apply the scope only to holders of
        // that role: sa-target's token would lose everything the scope roles gives it.
        HttpAdmin.Response scopeMapping = r.http.post(r.admin + "/client-scopes/" + roles + "/scope-mappings/realm", mallory,
                roles(r, "x-scope"));
        assertAll(
                () -> assertHeldOrRefused(model, "a hardcoded-claim mapper on client scope roles"),
                () -> assertHeldOrRefused(models, "a hardcoded-claim mapper on client scope roles through add-models"),
                () -> assertHeldOrRefused(scopeMapping, "a scope mapping on client scope roles"),
                () -> assertFalse(claims.has("evil") || claims.has("evil2"), "sa-target's token carries mallory's claim: " + claims),
                () -> assertEquals(mappersBefore, r.read("/client-scopes/" + scope + "/protocol-mappers/models").toString(),
                        "mappers of client scope roles"),
                () -> assertEquals(scopeMappingsBefore, r.read("/client-scopes/" + scope + "/scope-mappings/realm").toString(),
                        "scope mappings of client scope roles"),
                () -> assertHoldsNothingMore(r, before));
    }

    @Test
    @Order(5)
    void aWorkflowThatGrantsARoleIsHeld(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        Holdings before = Holdings.of(r);
        HttpAdmin.Response workflow = r.http.post(r.admin + "/workflows", mallory,
                "{\"name\":\"evil-wf\",\"on\":\"user-created\",\"steps\":[{\"uses\":\"grant-role\",\"with\":{\"role\":\"x\"}}]}");
        // A user created afterwards (everyday work) shows whether the workflow runs.
        HttpAdmin.Response probe = r.http.post(r.admin + "/users", r.token("mallory"), "{\"username\":\"workflow-probe\",\"enabled\":true,"
                + "\"email\":\"workflow-probe@" + REALM + ".test\",\"firstName\":\"Workflow\",\"lastName\":\"Probe\"}");
        assertEquals(201, probe.status(), probe.body());
        Thread.sleep(2000);
        assertAll(
                () -> assertHeld(workflow, "POST /workflows with a grant-role step"),
                () -> assertFalse(r.get("/workflows").body().contains("evil-wf"), "workflow evil-wf exists"),
                () -> assertFalse(r.effectiveRealmRoles(r.userId("workflow-probe")).contains("x"), "the workflow granted x"),
                () -> assertHoldsNothingMore(r, before));
    }

    @Test
    @Order(6)
    void renamingARoleTheServiceAccountHolds(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        Holdings before = Holdings.of(r);
        String id = r.realmRole("reports-reader").path("id").asText();
        HttpAdmin.Response byName = r.http.put(r.admin + "/roles/reports-reader", mallory,
                "{\"name\":\"reports-admin\",\"description\":\"renamed\"}");
        HttpAdmin.Response byId = r.http.put(r.admin + "/roles-by-id/" + id, mallory, "{\"name\":\"reports-owner\",\"description\":\"renamed\"}");
        assertAll(
                () -> assertHeldOrRefused(byName, "renaming reports-reader"),
                () -> assertHeldOrRefused(byId, "renaming reports-reader through roles-by-id"),
                () -> assertEquals("reports-reader", r.read("/roles-by-id/" + id).path("name").asText(), "the role's name"),
                () -> assertHoldsNothingMore(r, before));
    }
}
