package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ways around the guard found in the fourth red-team review (one helper as mallory, a realm admin
 * who is not an approver; one as the other attackers: automation with {@code manage-*}, a
 * fine-grained admin, one approver alone), each judged by its effect read back through Keycloak.
 *
 * <ul>
 * <li><b>Class 4 and 5 through the client admin API v2:</b> deleting a client whose role gates a
 * client scope of sa-target, or patching its roles away, opened the scope's claims to sa-target's
 * tokens; v2 writes left no admin event and no chain record, and v2 reads of a secret no
 * credential-read record.</li>
 * <li><b>Class 3, recovery:</b> a user update whose body is only an {@code attributes} map removed an
 * approver's email and names (Keycloak's user profile replaces the attributes, the email and
 * names among them, with the map).</li>
 * <li><b>Class 4, tokens:</b> a service-account user's first and last name reach its tokens
 * ({@code profile} scope) and were harmless edits.</li>
 * <li><b>Class 2 and 6, fine-grained admins:</b> a user a FGAP v2 policy names is an administrator
 * without any realm-management role; the guard did not count them as privileged, so their password
 * (for automation with {@code manage-users}) and joining a group a policy names were unheld.</li>
 * </ul>
 */
@ExtendWith(KeycloakExtension.class)
class AttackFourthReviewIT {

    static final String V2 = "/admin/api/" + AttackRedTeamIT.REALM + "/clients/v2/";

    @Test
    void theClientAdminApiV2CannotTakeAGateAwayAndWhatItDoesIsRecorded(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, AttackRedTeamIT.REALM);
        String mallory = r.token("mallory");
        assertEquals(200, r.http.get(V2 + "gate-app", mallory).status(), "fixture: the client admin API v2 is on");
        assertEquals(java.util.Set.of(), AttackRedTeamIT.gatedClaims(r), "fixture: every gated scope is closed to sa-target");
        long before = r.read("/audit-chain/head").path("seq").asLong();

        HttpAdmin.Response deleted = r.http.delete(V2 + "gate-app", mallory);
        HttpAdmin.Response rolesCleared = r.http.send("PATCH", V2 + "gate-app-2", mallory, "application/merge-patch+json",
                "{\"roles\":[]}");
        HttpAdmin.Response replaced = r.http.send("PUT", V2 + "gate-app-2", mallory, "application/json",
                "{\"clientId\":\"gate-app-2\",\"protocol\":\"openid-connect\"}");
        HttpAdmin.Response described = r.http.send("PATCH", V2 + "gate-app-2", mallory, "application/merge-patch+json",
                "{\"description\":\"described through v2\"}");
        HttpAdmin.Response secretRead = r.http.get(V2 + "sa-target", mallory);
        // A PUT of a clientId that does not exist creates it; Keycloak also reads a login flow from its position (3).
        String created = "v2-sa-" + System.nanoTime();
        HttpAdmin.Response putCreated = r.http.send("PUT", V2 + created, mallory, "application/json",
                "{\"clientId\":\"" + created + "\",\"protocol\":\"openid-connect\",\"loginFlows\":[\"SERVICE_ACCOUNT\"]}");
        HttpAdmin.Response byPosition = r.http.post(V2.substring(0, V2.length() - 1), mallory,
                "{\"clientId\":\"" + created + "-3\",\"protocol\":\"openid-connect\",\"loginFlows\":[3]}");
        // A projection without uuid still names the client whose secret it shows.
        HttpAdmin.Response projected = r.http.get(V2.substring(0, V2.length() - 1) + "?fields=clientId,auth", mallory);

        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertHeldOrRefused(deleted, "deleting gate-app (its role gates gated-e) through v2"),
                () -> assertHeldOrRefused(rolesCleared, "removing gate-app-2's roles (gate-f gates gated-f) through v2"),
                () -> assertHeldOrRefused(replaced, "replacing gate-app-2 through v2"),
                () -> assertEquals(java.util.Set.of(), AttackRedTeamIT.gatedClaims(r), "gated scopes reached sa-target's token"),
                () -> assertNotNull(r.clientUuidOrNull("gate-app"), "gate-app was deleted"),
                () -> assertTrue(r.read("/clients/" + r.clientUuid("gate-app-2") + "/roles").toString().contains("\"gate-f\""),
                        "gate-f was removed"),
                () -> assertEquals(200, described.status(), "a description through v2 stays everyday work: " + described.body()),
                () -> assertEquals(200, secretRead.status(), secretRead.body()),
                () -> assertTrue(records.stream().anyMatch(x -> "ADMIN_WRITE_UNRECORDED".equals(x.path("type").asText())
                        && "v2".equals(x.at("/details/adminApi").asText())
                        && x.path("target").asText().endsWith("clients/v2/gate-app-2")
                        && "PATCH".equals(x.at("/details/method").asText())),
                        "the v2 patch is in the chain: " + records),
                () -> assertTrue(records.stream().anyMatch(x -> "CREDENTIAL_READ".equals(x.path("type").asText())
                        && x.path("target").asText().contains("sa-target")
                        || "CREDENTIAL_READ".equals(x.path("type").asText())
                        && r.clientUuid("sa-target").equals(x.at("/details/clientUuid").asText())),
                        "the v2 read of sa-target's secret is in the chain: " + records),
                () -> assertHeldOrRefused(putCreated, "creating a service account by PUT through v2"),
                () -> assertHeldOrRefused(byPosition, "creating a service account through v2, its flow given by position"),
                () -> assertEquals(null, r.clientUuidOrNull(created), "a service account was created by PUT"),
                () -> assertEquals(null, r.clientUuidOrNull(created + "-3"), "a service account was created by position"),
                () -> assertTrue(projected.status() == 503 || records.stream().filter(x -> "CREDENTIAL_READ".equals(x.path("type").asText())
                        && r.clientUuid("sa-target").equals(x.at("/details/clientUuid").asText())).count() >= 2,
                        "the projected list of secrets (" + projected.status() + ") is recorded: " + records),
                () -> assertTrue(r.read("/audit-chain/verify").path("ok").asBoolean(), "chain verifies"));
    }

    @Test
    void anAttributesMapAloneCannotRemoveAnApproversEmailOrAnOwnersNames(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, AttackRedTeamIT.REALM);
        String mallory = r.token("mallory");
        String ann = r.userId("ann");
        String owen = r.userId("owen");
        String walt = "walt-" + System.nanoTime(); // an ordinary user of this test's own (one without email cannot sign in)
        assertEquals(201, r.http.post(r.admin + "/users", mallory, "{\"username\":\"" + walt + "\",\"enabled\":true,"
                + "\"email\":\"" + walt + "@guard-attack-redteam.test\",\"firstName\":\"Walt\",\"lastName\":\"Ordinary\"}").status());
        String ordinary = r.userId(walt);
        JsonNode annBefore = r.read("/users/" + ann);
        assertFalse(annBefore.path("email").asText("").isEmpty(), "fixture: ann has an email");

        HttpAdmin.Response annWiped = r.http.put(r.admin + "/users/" + ann, mallory,
                "{\"attributes\":{\"email\":[\"mallory@attacker.example\"]}}");
        HttpAdmin.Response owenWiped = r.http.put(r.admin + "/users/" + owen, mallory, "{\"attributes\":{}}");
        // On an ordinary user the same body stays everyday work, and shows what Keycloak does with it.
        HttpAdmin.Response ordinaryWiped = r.http.put(r.admin + "/users/" + ordinary, mallory, "{\"attributes\":{}}");
        JsonNode annAfter = r.read("/users/" + ann);
        JsonNode owenAfter = r.read("/users/" + owen);
        JsonNode ordinaryAfter = r.read("/users/" + ordinary);
        assertAll(
                () -> assertHeldOrRefused(annWiped, "an attributes map that leaves out approver ann's email"),
                () -> assertHeldOrRefused(owenWiped, "an empty attributes map on owner owen"),
                () -> assertEquals(annBefore.path("email").asText(), annAfter.path("email").asText(), "ann's email"),
                () -> assertEquals(annBefore.path("firstName").asText(), annAfter.path("firstName").asText(), "ann's first name"),
                () -> assertFalse(owenAfter.path("email").asText("").isEmpty(), "owen's email: " + owenAfter),
                () -> assertEquals(204, ordinaryWiped.status(), "an ordinary user " + ordinaryWiped.body()),
                () -> assertTrue(ordinaryAfter.path("email").asText("").isEmpty() && ordinaryAfter.path("firstName").asText("").isEmpty(),
                        "Keycloak removes the email and names an attributes map leaves out: " + ordinaryAfter));
    }

    @Test
    void aServiceAccountsNameIsHeldItReachesItsTokens(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, AttackRedTeamIT.REALM);
        String sa = r.serviceAccountUserId("sa-target");
        HttpAdmin.Response named = r.http.put(r.admin + "/users/" + sa, r.token("mallory"),
                "{\"firstName\":\"realm-admin\",\"lastName\":\"approved-by-ann\"}");
        JsonNode claims = r.serviceAccountClaims("sa-target");
        assertAll(
                () -> assertHeldOrRefused(named, "naming sa-target's service-account user"),
                () -> assertFalse(claims.has("given_name") || claims.has("family_name") || claims.has("name"),
                        "names in sa-target's token: " + claims));
    }

    @Test
    void aUserAFineGrainedPermissionNamesIsPrivileged(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, AttackDeciderIT.FGAP_REALM);
        String frank = r.userId("frank");
        String olive = r.userId("olive");
        AttackDeciderIT.grantFrankManageOfSaTarget(r, frank, r.clientUuid("sa-target"));
        String staff = staffGroupManagingUsers(r);
        String automation = r.serviceAccountToken("sa-automation");

        HttpAdmin.Response byAutomation = r.http.put(r.admin + "/users/" + frank + "/reset-password", automation,
                "{\"type\":\"password\",\"value\":\"taken-over-1\",\"temporary\":false}");
        HttpAdmin.Response byMallory = r.http.put(r.admin + "/users/" + frank + "/reset-password", r.token("mallory"),
                "{\"type\":\"password\",\"value\":\"taken-over-2\",\"temporary\":false}");
        HttpAdmin.Response joined = r.http.put(r.admin + "/users/" + olive + "/groups/" + staff, r.token("ann"), null);
        // frank's own password first: two refused sign-ins just before may leave him briefly locked by brute-force detection
        int own = r.passwordGrant("admin-cli", null, "frank", "frank-pass").status();
        assertAll(
                () -> assertHeldOrRefused(byAutomation, "sa-automation resetting frank's password (frank: FGAP admin)"),
                () -> assertHeldOrRefused(byMallory, "mallory resetting frank's password"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "frank", "taken-over-1").status(), "automation's password"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "frank", "taken-over-2").status(), "mallory's password"),
                () -> assertEquals(200, own, "frank's own password"),
                () -> assertHeldOrRefused(joined, "approver ann putting olive in /staff (a FGAP group policy makes its members admins)"),
                () -> assertFalse(r.read("/users/" + olive + "/groups").toString().contains(staff), "olive is in /staff"),
                () -> assertEquals(403, r.http.get(r.admin + "/users", r.token("olive")).status(), "olive administers users"));
    }

    /**
     * Client registration takes an admin's access token (one with {@code manage-clients}) besides
     * registration tokens: mallory deleted gate-app there (its role gates a scope of sa-target, which
     * then reached sa-target's token), read sa-target's secret with no record, and her writes there
     * were chained naming the client, not her.
     */
    @Test
    void clientRegistrationWithAnAdminsTokenNeitherOpensAGateNorReadsASecretUnrecorded(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, AttackRedTeamIT.REALM);
        String mallory = r.token("mallory");
        String registrations = "/realms/" + AttackRedTeamIT.REALM + "/clients-registrations/default";
        long before = r.read("/audit-chain/head").path("seq").asLong();

        HttpAdmin.Response deleted = r.http.delete(registrations + "/gate-app", mallory);
        HttpAdmin.Response read = r.http.get(registrations + "/sa-target", mallory);
        String app = "reg-app-" + System.nanoTime();
        HttpAdmin.Response created = r.http.post(registrations, mallory, "{\"clientId\":\"" + app + "\",\"publicClient\":true}");

        List<JsonNode> records = r.recordsAfter(before);
        String malloryId = r.userId("mallory");
        assertAll(
                () -> assertHeldOrRefused(deleted, "deleting gate-app through client registration"),
                () -> assertNotNull(r.clientUuidOrNull("gate-app"), "gate-app was deleted"),
                () -> assertEquals(java.util.Set.of(), AttackRedTeamIT.gatedClaims(r), "gated scopes reached sa-target's token"),
                () -> assertEquals(200, read.status(), "an admin reads a client through registration: " + read.body()),
                () -> assertTrue(records.stream().anyMatch(x -> "CREDENTIAL_READ".equals(x.path("type").asText())
                        && r.clientUuid("sa-target").equals(x.at("/details/clientUuid").asText())
                        && malloryId.equals(x.at("/actor/userId").asText())),
                        "mallory's read of sa-target's secret through registration is in the chain: " + records),
                () -> assertEquals(201, created.status(), "an ordinary registration stays everyday work: " + created.body()),
                () -> assertTrue(records.stream().anyMatch(x -> "ADMIN_WRITE_UNRECORDED".equals(x.path("type").asText())
                        && "client-registration".equals(x.at("/details/via").asText())
                        && malloryId.equals(x.at("/actor/userId").asText())),
                        "the registration names mallory in the chain: " + records));
    }

    /**
     * A group of ordinary users moved under a group holding an admin role: its members inherit the
     * role (the move rule looked only at whether the moved group held guarded members).
     */
    @Test
    void movingAGroupUnderAnAdminGroupIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, AttackRedTeamIT.REALM);
        String mallory = r.token("mallory");
        String admins = r.groupIdOrNull("user-viewers");
        if (admins == null) {
            assertEquals(201, r.http.post(r.admin + "/groups", mallory, "{\"name\":\"user-viewers\"}").status());
            admins = r.groupIdOrNull("user-viewers");
            String management = r.clientUuid("realm-management");
            JsonNode viewUsers = r.read("/clients/" + management + "/roles/view-users");
            HttpAdmin.Response granted = r.http.post(r.admin + "/groups/" + admins + "/role-mappings/clients/" + management,
                    r.token("ann"), "[{\"id\":\"" + viewUsers.path("id").asText() + "\",\"name\":\"view-users\"}]");
            assertEquals(202, granted.status(), "an admin role for a group is held: " + granted.body());
            String id = granted.json().path("id").asText();
            assertEquals(200, r.approve(id, granted.json().path("digest").asText(), r.token("ben")).status(), "setup approval");
            assertEquals(200, r.apply(id, r.token("ann")).status(), "setup apply");
        }
        String crew = "crew-" + System.nanoTime();
        assertEquals(201, r.http.post(r.admin + "/groups", mallory, "{\"name\":\"" + crew + "\"}").status());
        String crewId = r.groupIdOrNull(crew);
        String olive = r.userId("olive");
        assertEquals(204, r.http.put(r.admin + "/users/" + olive + "/groups/" + crewId, mallory, null).status(),
                "an ordinary user into an ordinary group");
        HttpAdmin.Response moved = r.http.post(r.admin + "/groups/" + admins + "/children", mallory,
                "{\"id\":\"" + crewId + "\",\"name\":\"" + crew + "\"}");
        assertAll(
                () -> assertHeldOrRefused(moved, "moving a group of ordinary users under a group holding view-users"),
                () -> assertFalse(r.effectiveClientRoles(olive, "realm-management").contains("view-users"),
                        "olive holds view-users"));
    }

    /** Group {@code staff}, whose members a FGAP v2 group policy and permission let manage every user (set up with approval). */
    private static String staffGroupManagingUsers(AttackRealm r) {
        String staff = r.groupIdOrNull("staff");
        if (staff == null) {
            HttpAdmin.Response created = r.http.post(r.admin + "/groups", r.token("mallory"), "{\"name\":\"staff\"}");
            assertEquals(201, created.status(), "an ordinary group: " + created.body());
            staff = r.groupIdOrNull("staff");
        }
        String permissions = r.realm().path("adminPermissionsClient").path("id").asText(r.clientUuid("admin-permissions"));
        String authz = r.admin + "/clients/" + permissions + "/authz/resource-server";
        if (r.read("/clients/" + permissions + "/authz/resource-server/permission?name=staff-manage-users").size() == 0) {
            AttackDeciderIT.asAnnApprovedByBen(r, authz + "/policy/group",
                    "{\"name\":\"staff-members\",\"groups\":[{\"id\":\"" + staff + "\",\"extendChildren\":false}]}");
            String policyId = r.read("/clients/" + permissions + "/authz/resource-server/policy?name=staff-members").get(0)
                    .path("id").asText();
            AttackDeciderIT.asAnnApprovedByBen(r, authz + "/permission/scope", "{\"name\":\"staff-manage-users\","
                    + "\"resourceType\":\"Users\",\"scopes\":[\"view\",\"manage\"],\"policies\":[\"" + policyId + "\"]}");
        }
        return staff;
    }
}
