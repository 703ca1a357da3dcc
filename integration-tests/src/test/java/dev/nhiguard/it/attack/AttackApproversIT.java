package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeld;
import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

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
 * Approvers cannot be manufactured, in realm {@code guard-attack-approvers}: mallory creates an
 * account of her own, {@code mallory2}, and tries every way to make it hold {@code nhi-approver}:
 * groups, composites (of the default roles or of a role mallory2 holds), renames, deletion of
 * the role, removing an approver so that the realm has "too few" and a grant would be let
 * through. Judged by effect: mallory2, logged in with her own password, cannot approve a change
 * request mallory made; ann and ben still hold the role directly; the role still exists under its
 * name. The tests run in order, the destructive ones last, so that an attack which takes effect
 * on code that does not hold it spoils as little as possible for the next.
 */
@ExtendWith(KeycloakExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AttackApproversIT {

    static final String REALM = "guard-attack-approvers";
    static final String ROLE = "nhi-approver";

    /** mallory2: created by mallory with a password she knows, given a harmless admin role so she reaches the guard's API. */
    static String mallory2(AttackRealm r) {
        JsonNode found = r.read("/users?exact=true&username=mallory2");
        if (!found.isEmpty()) {
            return found.get(0).get("id").asText();
        }
        String mallory = r.token("mallory");
        HttpAdmin.Response created = r.http.post(r.admin + "/users", mallory, "{\"username\":\"mallory2\",\"enabled\":true,"
                + "\"email\":\"mallory2@" + r.name + ".test\",\"emailVerified\":true,\"firstName\":\"Mallory\",\"lastName\":\"Two\","
                + "\"credentials\":[{\"type\":\"password\",\"value\":\"mallory2-pass\",\"temporary\":false}]}");
        assertEquals(201, created.status(), "creating an ordinary user is everyday work: " + created.body());
        String id = r.userId("mallory2");
        // Not asserted: whether giving her view-users is held. Without any admin role she could not
        // reach the approve endpoint at all, which would make the checks below say less.
        JsonNode viewUsers = r.read("/clients/" + r.clientUuid("realm-management") + "/roles/view-users");
        r.http.post(r.admin + "/users/" + id + "/role-mappings/clients/" + r.clientUuid("realm-management"), mallory,
                "[" + viewUsers + "]");
        return id;
    }

    static String roleArray(AttackRealm r, String role) {
        return "[" + r.realmRole(role) + "]";
    }

    /**
     * The verdict after each attack: mallory2 (fresh login with her password) gets 403 approving
     * a secret regeneration mallory asked for, which stays PENDING without approvals; she does
     * not hold the approver role, even through groups or composites; ann and ben hold it
     * directly; it exists under its name.
     */
    static void assertApproversIntact(AttackRealm r, String mallory2) {
        JsonNode held = r.heldSecretRegeneration(r.token("mallory"));
        String id = held.path("id").asText();
        HttpAdmin.Response approval = r.approve(id, held.path("digest").asText(),
                r.http.passwordGrant(r.name, "admin-cli", "mallory2", "mallory2-pass", null).get("access_token").asText());
        JsonNode after = r.changeRequest(id);
        r.http.post(r.guard + "/change-requests/" + id + "/cancel", r.token("mallory"), null);
        Set<String> holders = r.directHolders(ROLE);
        assertAll(
                () -> assertEquals(403, approval.status(), "mallory2 approving mallory's request: " + approval.body()),
                () -> assertEquals("PENDING", after.path("state").asText(), after.toString()),
                () -> assertEquals(0, after.path("approvals").size(), after.toString()),
                () -> assertFalse(r.effectiveRealmRoles(mallory2).contains(ROLE), "mallory2 holds " + ROLE),
                () -> assertTrue(holders.containsAll(Set.of("ann", "ben")), "direct holders of " + ROLE + ": " + holders),
                () -> assertFalse(holders.contains("mallory2") || holders.contains("mallory"), "direct holders: " + holders),
                () -> assertEquals(ROLE, r.realmRole(ROLE).path("name").asText()));
    }

    @Test
    @Order(1)
    void aDirectGrantIsHeldInARealmWithEnoughApprovers(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String m2 = mallory2(r);
        String mallory = r.token("mallory");
        HttpAdmin.Response toMallory2 = r.http.post(r.admin + "/users/" + m2 + "/role-mappings/realm", mallory, roleArray(r, ROLE));
        HttpAdmin.Response toHerself = r.http.post(r.admin + "/users/" + r.userId("mallory") + "/role-mappings/realm", mallory,
                roleArray(r, ROLE));
        assertAll(
                () -> assertHeld(toMallory2, "granting " + ROLE + " to mallory2"),
                () -> assertHeld(toHerself, "granting " + ROLE + " to mallory herself"),
                () -> assertApproversIntact(r, m2));
    }

    @Test
    @Order(2)
    void aGroupHoldingTheApproverRoleMakesNoApprover(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String m2 = mallory2(r);
        String mallory = r.token("mallory");
        // Join first, then grant the role to the group.
        String joinedFirst = createGroup(r, mallory, "approvers-by-membership");
        r.http.put(r.admin + "/users/" + m2 + "/groups/" + joinedFirst, mallory, null);
        HttpAdmin.Response grantAfterJoin = r.http.post(r.admin + "/groups/" + joinedFirst + "/role-mappings/realm", mallory,
                roleArray(r, ROLE));
        // Grant the role to the group first, then join.
        String grantedFirst = createGroup(r, mallory, "approvers-by-group");
        HttpAdmin.Response grantBeforeJoin = r.http.post(r.admin + "/groups/" + grantedFirst + "/role-mappings/realm", mallory,
                roleArray(r, ROLE));
        r.http.put(r.admin + "/users/" + m2 + "/groups/" + grantedFirst, mallory, null);
        assertAll(
                () -> assertHeldOrRefused(grantAfterJoin, "granting " + ROLE + " to a group mallory2 is in"),
                () -> assertHeldOrRefused(grantBeforeJoin, "granting " + ROLE + " to a group"),
                () -> assertApproversIntact(r, m2));
    }

    @Test
    @Order(3)
    void aCompositeOfTheDefaultRolesOrOfAHeldRoleMakesNoApprover(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String m2 = mallory2(r);
        String mallory = r.token("mallory");
        HttpAdmin.Response defaults = r.http.post(r.admin + "/roles/default-roles-" + REALM + "/composites", mallory,
                roleArray(r, ROLE));
        HttpAdmin.Response createdRole = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"m2-role\"}");
        assertEquals(201, createdRole.status(), "creating a realm role is everyday work: " + createdRole.body());
        // Not asserted: mallory2 holds view-users, so a guard may treat her as privileged and hold this grant;
        // the composite below must be held or refused either way.
        r.http.post(r.admin + "/users/" + m2 + "/role-mappings/realm", mallory, roleArray(r, "m2-role"));
        HttpAdmin.Response composite = r.http.post(r.admin + "/roles/m2-role/composites", mallory, roleArray(r, ROLE));
        HttpAdmin.Response compositeById = r.http.post(r.admin + "/roles-by-id/" + r.realmRole("m2-role").path("id").asText()
                + "/composites", mallory, roleArray(r, ROLE));
        assertAll(
                () -> assertHeldOrRefused(defaults, ROLE + " as a composite of the default roles"),
                () -> assertHeldOrRefused(composite, ROLE + " as a composite of m2-role, which mallory2 holds"),
                () -> assertHeldOrRefused(compositeById, ROLE + " as a composite of m2-role through roles-by-id"),
                () -> assertFalse(r.effectiveRealmRoles(r.userId("olive")).contains(ROLE), "every user holds " + ROLE),
                () -> assertApproversIntact(r, m2));
    }

    @Test
    @Order(4)
    void renamingRolesMakesNoApprover(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String m2 = mallory2(r);
        String mallory = r.token("mallory");
        if (r.get("/roles/m2-role").status() == 404) {
            assertEquals(201, r.http.post(r.admin + "/roles", mallory, "{\"name\":\"m2-role\"}").status());
            r.http.post(r.admin + "/users/" + m2 + "/role-mappings/realm", mallory, roleArray(r, "m2-role"));
        }
        String approverId = r.realmRole(ROLE).path("id").asText();
        HttpAdmin.Response away = r.http.put(r.admin + "/roles/" + ROLE, mallory,
                "{\"name\":\"nhi-approver-retired\",\"description\":\"renamed\"}");
        HttpAdmin.Response awayById = r.http.put(r.admin + "/roles-by-id/" + approverId, mallory,
                "{\"name\":\"nhi-approver-old\",\"description\":\"renamed\"}");
        String m2RoleId = r.get("/roles/m2-role").status() == 200 ? r.realmRole("m2-role").path("id").asText() : null;
        HttpAdmin.Response onto = r.http.put(r.admin + "/roles/m2-role", mallory, "{\"name\":\"" + ROLE + "\"}");
        HttpAdmin.Response ontoById = m2RoleId == null ? null
                : r.http.put(r.admin + "/roles-by-id/" + m2RoleId, mallory, "{\"name\":\"" + ROLE + "\"}");
        assertAll(
                () -> assertHeldOrRefused(away, "renaming " + ROLE),
                () -> assertHeldOrRefused(awayById, "renaming " + ROLE + " through roles-by-id"),
                () -> assertTrue(onto.status() == 404 || AttackRealm.HELD_OR_REFUSED.contains(onto.status()),
                        "renaming m2-role to " + ROLE + ": " + onto.status() + " " + onto.body()),
                () -> assertTrue(ontoById == null || ontoById.status() == 404 || AttackRealm.HELD_OR_REFUSED.contains(ontoById.status()),
                        "renaming m2-role to " + ROLE + " by id: " + (ontoById == null ? "-" : ontoById.status() + " " + ontoById.body())),
                () -> assertEquals(approverId, r.realmRole(ROLE).path("id").asText(), "the approver role is another role now"),
                () -> assertApproversIntact(r, m2));
    }

    @Test
    @Order(6)
    void deletingTheApproverRoleIsHeldOrRefused(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String m2 = mallory2(r);
        String mallory = r.token("mallory");
        String approverId = r.realmRole(ROLE).path("id").asText();
        HttpAdmin.Response byName = r.http.delete(r.admin + "/roles/" + ROLE, mallory);
        HttpAdmin.Response byId = r.http.delete(r.admin + "/roles-by-id/" + approverId, mallory);
        assertAll(
                () -> assertHeldOrRefused(byName, "DELETE /roles/" + ROLE),
                () -> assertTrue(byId.status() == 404 || AttackRealm.HELD_OR_REFUSED.contains(byId.status()),
                        "DELETE /roles-by-id/{" + ROLE + "}: " + byId.status() + " " + byId.body()),
                () -> assertEquals(200, r.get("/roles-by-id/" + approverId).status(), "the approver role was deleted"),
                () -> assertApproversIntact(r, m2));
    }

    @Test
    @Order(5)
    void removingAnApproverDoesNotOpenABootstrapGrant(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String m2 = mallory2(r);
        String mallory = r.token("mallory");
        String ben = r.userId("ben");
        HttpAdmin.Response revoke = r.http.send("DELETE", r.admin + "/users/" + ben + "/role-mappings/realm", mallory,
                "application/json", roleArray(r, ROLE));
        HttpAdmin.Response disable = r.http.put(r.admin + "/users/" + ben, mallory, "{\"enabled\":false}");
        HttpAdmin.Response delete = r.http.delete(r.admin + "/users/" + ben, mallory);
        // However many approvers the realm has left, the grant is held: there is no bootstrap.
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + m2 + "/role-mappings/realm", r.token("mallory"),
                roleArray(r, ROLE));
        assertAll(
                () -> assertHeldOrRefused(revoke, "revoking " + ROLE + " from ben"),
                () -> assertHeldOrRefused(disable, "disabling ben"),
                () -> assertHeldOrRefused(delete, "deleting ben"),
                () -> assertHeld(grant, "granting " + ROLE + " to mallory2 after removing ben"),
                () -> assertEquals(200, r.get("/users/" + ben).status(), "ben was deleted"),
                () -> assertTrue(r.get("/users/" + ben).status() != 200 || r.read("/users/" + ben).path("enabled").asBoolean(),
                        "ben was disabled"),
                () -> assertApproversIntact(r, m2));
    }

    @Test
    void aDirectGrantIsHeldInARealmWithNoApprovers(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, "guard-attack-empty");
        assertEquals(Set.of(), r.directHolders(ROLE), "fixture: no approvers");
        String mallory = r.token("mallory");
        HttpAdmin.Response toOlive = r.http.post(r.admin + "/users/" + r.userId("olive") + "/role-mappings/realm", mallory,
                roleArray(r, ROLE));
        HttpAdmin.Response toHerself = r.http.post(r.admin + "/users/" + r.userId("mallory") + "/role-mappings/realm",
                r.token("mallory"), roleArray(r, ROLE));
        assertAll(
                () -> assertHeld(toOlive, "granting " + ROLE + " to olive in a realm without approvers"),
                () -> assertHeld(toHerself, "granting " + ROLE + " to mallory in a realm without approvers"),
                () -> assertEquals(Set.of(), r.directHolders(ROLE), "direct holders of " + ROLE));
    }

    private static String createGroup(AttackRealm r, String token, String name) {
        HttpAdmin.Response created = r.http.post(r.admin + "/groups", token, "{\"name\":\"" + name + "\"}");
        assertEquals(201, created.status(), "creating a group is everyday work: " + created.body());
        return r.groupIdOrNull(name);
    }
}
