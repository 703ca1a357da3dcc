package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeld;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Who decides, in realms {@code guard-attack-decider} and {@code guard-attack-fgap}: an automation
 * service account with {@code manage-clients}/{@code manage-users} (and, in this realm, the
 * approver role) changing sa-target or itself; a service account approving; an agent owner
 * approving the request of the agent they own ({@code nhi.owner.type=user},
 * {@code nhi.owner.id=<ben's id>}); a fine-grained admin (FGAP v2, no realm-management role)
 * changing sa-target. Judged by effect: sa-target's secret (a token with the old one), its
 * token's roles, and the change request's state and approvals.
 */
@ExtendWith(KeycloakExtension.class)
class AttackDeciderIT {

    static final String REALM = "guard-attack-decider";
    static final String FGAP_REALM = "guard-attack-fgap";

    static String secret(AttackRealm r, String clientId) {
        return r.read("/clients/" + r.clientUuid(clientId) + "/client-secret").path("value").asText();
    }

    @Test
    void anAutomationServiceAccountsChangesAreHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String robot = r.serviceAccountToken("sa-automation");
        String targetSecret = secret(r, "sa-target");
        String ownSecret = secret(r, "sa-automation");
        String sa = r.serviceAccountUserId("sa-target");
        HttpAdmin.Response regenerate = r.http.post(r.admin + "/clients/" + r.clientUuid("sa-target") + "/client-secret", robot, null);
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + sa + "/role-mappings/realm", robot, "[" + r.realmRole("x") + "]");
        HttpAdmin.Response itself = r.http.post(r.admin + "/clients/" + r.clientUuid("sa-automation") + "/client-secret", robot, null);
        assertAll(
                () -> assertHeld(regenerate, "sa-automation regenerating sa-target's secret"),
                () -> assertHeld(grant, "sa-automation granting x to sa-target"),
                () -> assertHeld(itself, "sa-automation regenerating its own secret"),
                () -> assertEquals(targetSecret, secret(r, "sa-target"), "sa-target's secret"),
                () -> assertEquals(200, r.clientCredentialsStatus("sa-target", "sa-target-secret")),
                () -> assertEquals(ownSecret, secret(r, "sa-automation"), "sa-automation's secret"),
                () -> assertFalse(r.tokenRealmRoles("sa-target").contains("x"), "sa-target's token carries x"),
                () -> assertFalse(r.effectiveRealmRoles(sa).contains("x"), "sa-target holds x"));
    }

    @Test
    void aServiceAccountNeverApproves(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        assertTrue(r.directHolders("nhi-approver").contains("service-account-sa-automation"),
                "fixture: the automation account holds the approver role directly");
        JsonNode held = r.heldSecretRegeneration(r.token("mallory"));
        String id = held.path("id").asText();
        HttpAdmin.Response approval = r.approve(id, held.path("digest").asText(), r.serviceAccountToken("sa-automation"));
        JsonNode after = r.changeRequest(id);
        r.http.post(r.guard + "/change-requests/" + id + "/cancel", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(403, approval.status(), "a service account approving: " + approval.body()),
                () -> assertEquals("PENDING", after.path("state").asText(), after.toString()),
                () -> assertEquals(0, after.path("approvals").size(), after.toString()));
    }

    @Test
    void anAgentsOwnerCannotApproveItsRequestButAnotherApproverCan(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String ben = r.userId("ben");
        JsonNode owned = r.read("/clients/" + r.clientUuid("sa-owned")).path("attributes");
        assertEquals("user", owned.path("nhi.owner.type").asText(), "fixture: " + owned);
        assertEquals(ben, owned.path("nhi.owner.id").asText(), "fixture: ben owns sa-owned " + owned);
        String before = secret(r, "sa-target");
        HttpAdmin.Response held = r.http.post(r.admin + "/clients/" + r.clientUuid("sa-target") + "/client-secret",
                r.serviceAccountToken("sa-owned"), null);
        assertHeld(held, "sa-owned regenerating sa-target's secret");
        String id = held.json().path("id").asText();
        String digest = held.json().path("digest").asText();
        HttpAdmin.Response byOwner = r.approve(id, digest, r.token("ben"));
        JsonNode afterOwner = r.changeRequest(id);
        HttpAdmin.Response byAnn = r.approve(id, digest, r.token("ann"));
        assertAll(
                () -> assertEquals(403, byOwner.status(), "ben approving the request of the agent he owns: " + byOwner.body()),
                () -> assertEquals(0, afterOwner.path("approvals").size(), "ben's approval counted: " + afterOwner),
                () -> assertEquals(200, byAnn.status(), "ann approving: " + byAnn.body()),
                () -> assertEquals(before, secret(r, "sa-target"), "approval alone changes nothing"));
    }

    /**
     * An approver who is also a realm admin reads a service account's secret (recorded, not
     * prevented), makes a request as the service account and approves it herself: one person,
     * requester and approver. Judged by effect: her approval is refused and not counted; an
     * approver who never read the credential approves.
     */
    @Test
    void anApproverWhoReadTheRequestingServiceAccountsCredentialDoesNotApprove(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String ann = r.token("ann");
        HttpAdmin.Response read = r.http.get(r.admin + "/clients/" + r.clientUuid("sa-automation") + "/client-secret", ann);
        assertEquals(200, read.status(), "ann reads sa-automation's secret: " + read.body());
        String robot = r.http.clientCredentials(REALM, "sa-automation", read.json().path("value").asText())
                .path("access_token").asText();
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-owned") + "/role-mappings/realm",
                robot, "[" + r.realmRole("x") + "]");
        assertHeld(held, "ann, as sa-automation, granting x to sa-owned");
        String id = held.json().path("id").asText();
        String digest = held.json().path("digest").asText();
        HttpAdmin.Response byAnn = r.approve(id, digest, r.token("ann"));
        JsonNode afterAnn = r.changeRequest(id);
        HttpAdmin.Response byBen = r.approve(id, digest, r.token("ben"));
        assertAll(
                () -> assertEquals(403, byAnn.status(), "ann approving a request she could have made herself: " + byAnn.body()),
                () -> assertEquals(0, afterAnn.path("approvals").size(), "ann's approval counted: " + afterAnn),
                () -> assertEquals("PENDING", afterAnn.path("state").asText(), "after ann"),
                () -> assertEquals(200, byBen.status(), "ben, who never read it, approves: " + byBen.body()));
    }

    @Test
    void aFineGrainedAdminsChangesAreHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, FGAP_REALM);
        assertTrue(r.realm().path("adminPermissionsEnabled").asBoolean(), "fixture: FGAP v2 on");
        String frank = r.userId("frank");
        assertEquals("[]", r.read("/users/" + frank + "/role-mappings/clients/" + r.clientUuid("realm-management")).toString(),
                "fixture: frank holds no realm-management role");
        String target = r.clientUuid("sa-target");
        grantFrankManageOfSaTarget(r, frank, target);

        String frankToken = r.token("frank");
        HttpAdmin.Response read = r.http.get(r.admin + "/clients/" + target, frankToken);
        assertEquals(200, read.status(), "frank's permission lets him read sa-target: " + read.body());
        ObjectNode described = (ObjectNode) read.json();
        described.put("description", "frank was here");
        described.remove("secret");
        HttpAdmin.Response everyday = r.http.put(r.admin + "/clients/" + target, frankToken, AttackRealm.json(described));
        System.out.println("AttackDeciderIT: frank's description-only update of sa-target answered " + everyday.status());

        String before = secret(r, "sa-target");
        String attack = "frank-" + System.nanoTime();
        ObjectNode rep = (ObjectNode) r.read("/clients/" + target);
        rep.put("secret", attack);
        HttpAdmin.Response put = r.http.put(r.admin + "/clients/" + target, r.token("frank"), AttackRealm.json(rep));
        HttpAdmin.Response regenerate = r.http.post(r.admin + "/clients/" + target + "/client-secret", r.token("frank"), null);
        assertAll(
                () -> assertHeld(put, "frank (FGAP) setting sa-target's secret"),
                () -> assertHeld(regenerate, "frank (FGAP) regenerating sa-target's secret"),
                () -> assertNotEquals(200, r.clientCredentialsStatus("sa-target", attack), "frank's secret works"),
                () -> assertEquals(before, secret(r, "sa-target"), "sa-target's secret"));
    }

    /**
     * Keycloak narrows a group's members to the users the calling fine-grained admin may see. frank
     * may view and manage the group {@code automation} but not see its members: had the guard read
     * the members with frank's view, it would have found no service account in the group, and
     * frank's rename (tokens carry group paths) would have passed unheld. The guard classifies on
     * every member (code review of the fifth red-team review's fixes).
     */
    @Test
    void aFineGrainedAdminsGroupRenameReachesAServiceAccountHeSeesNot(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, FGAP_REALM);
        String frank = r.userId("frank");
        String sa = r.serviceAccountUserId("sa-target");
        String found = null;
        for (JsonNode g : r.read("/groups?search=automation")) {
            found = "automation".equals(g.path("name").asText()) ? g.path("id").asText() : found;
        }
        String group = found;
        assertTrue(r.read("/users/" + sa + "/groups").toString().contains("automation"), "fixture: sa-target is in automation");
        grantFrank(r, frank, "frank-manages-automation", "Groups", group, "[\"view\",\"manage\"]");
        String frankToken = r.token("frank");
        HttpAdmin.Response members = r.http.get(r.admin + "/groups/" + group + "/members", frankToken);
        assertTrue(members.status() == 403 || !members.body().contains(sa),
                "fixture: frank does not see sa-target's service account among the members: " + members.body());

        JsonNode rep = r.read("/groups/" + group);
        ((ObjectNode) rep).put("name", "automation-renamed");
        HttpAdmin.Response rename = r.http.put(r.admin + "/groups/" + group, frankToken, AttackRealm.json(rep));
        assertAll(
                () -> assertHeld(rename, "frank (FGAP) renaming the group sa-target's service account is in"),
                () -> assertEquals("automation", r.read("/groups/" + group).path("name").asText(), "the group's name"));
    }

    /** ann gives frank FGAP v2 permission with these scopes on one resource of a type (each held write approved by ben). */
    static void grantFrank(AttackRealm r, String frank, String name, String resourceType, String resource, String scopes) {
        String permissions = r.realm().path("adminPermissionsClient").path("id").asText(r.clientUuid("admin-permissions"));
        String authz = r.admin + "/clients/" + permissions + "/authz/resource-server";
        if (r.read("/clients/" + permissions + "/authz/resource-server/permission?name=" + name).size() > 0) {
            return;
        }
        if (r.read("/clients/" + permissions + "/authz/resource-server/policy?name=frank-is-frank").isEmpty()) {
            asAnnApprovedByBen(r, authz + "/policy/user", "{\"name\":\"frank-is-frank\",\"users\":[\"" + frank + "\"]}");
        }
        String policyId = null;
        for (JsonNode p : r.read("/clients/" + permissions + "/authz/resource-server/policy?name=frank-is-frank")) {
            policyId = p.path("id").asText();
        }
        asAnnApprovedByBen(r, authz + "/permission/scope", "{\"name\":\"" + name + "\",\"resourceType\":\"" + resourceType + "\","
                + "\"resources\":[\"" + resource + "\"],\"scopes\":" + scopes + ",\"policies\":[\"" + policyId + "\"]}");
    }

    /**
     * ann gives frank FGAP v2 permission to view and manage sa-target (a user policy and a scope
     * permission on the {@code admin-permissions} client); each write held is approved by ben and
     * applied by ann (this realm's policy has no cooldowns).
     */
    static void grantFrankManageOfSaTarget(AttackRealm r, String frank, String target) {
        grantFrank(r, frank, "frank-manages-sa-target", "Clients", target, "[\"manage\",\"view\"]");
    }

    static void asAnnApprovedByBen(AttackRealm r, String path, String body) {
        HttpAdmin.Response created = r.http.post(path, r.token("ann"), body);
        if (created.status() == 202) {
            String id = created.json().path("id").asText();
            HttpAdmin.Response approved = r.approve(id, created.json().path("digest").asText(), r.token("ben"));
            assertEquals(200, approved.status(), "setup approval: " + approved.body());
            HttpAdmin.Response applied = r.apply(id, r.token("ann"));
            assertEquals(200, applied.status(), "setup apply: " + applied.body());
            assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
        } else {
            assertEquals(201, created.status(), "setup " + path + ": " + created.body());
        }
    }
}
