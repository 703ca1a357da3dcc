package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Eleventh red-team review (2026-12-06): a lockout cleared by "enabling" an enabled approver, organization invitations
 * whose link makes a member, credentials in the admin events Keycloak stores, and a guarded realm's own approver role
 * in the administration realm. Each test works in a realm of its own copied from {@code guard-attack-fifth} (ann and ben
 * approve and administer, mallory administers, olive holds no role), judged by what Keycloak then does.
 */
@ExtendWith(KeycloakExtension.class)
class AttackEleventhReviewIT {

    /**
     * ann was locked out for now by brute-force detection (mallory guessing her password). {@code DELETE
     * …/attack-detection/brute-force/users/{ann}} is held, but mallory sent {@code PUT /users/{ann}
     * {"enabled":true}} instead: Keycloak deletes a user's login failures when an update enables a user who is locked
     * out, though {@code enabled} reads unchanged. 204, no request, and the guessing went on. Held now; an ordinary
     * user's lockout is still cleared that way.
     */
    @Test
    void enablingALockedOutApproverIsABruteForceClearAndHeld(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "lockout", rep -> {
            rep.put("bruteForceProtected", true);
            rep.put("permanentLockout", false);
            rep.put("failureFactor", 2);
            rep.put("waitIncrementSeconds", 600);
            rep.put("maxFailureWaitSeconds", 900);
        });
        String ann = r.userId("ann");
        String olive = r.userId("olive");
        lockOut(r, "ann", ann);
        lockOut(r, "olive", olive);
        String mallory = r.token("mallory");

        HttpAdmin.Response annEnabled = r.http.put(r.admin + "/users/" + ann, mallory, "{\"enabled\":true}");
        HttpAdmin.Response oliveEnabled = r.http.put(r.admin + "/users/" + olive, mallory, "{\"enabled\":true}");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(annEnabled, "mallory enabling ann, who is locked out"),
                    () -> assertTrue(lockedOut(r, ann), "ann is still locked out"),
                    () -> assertTrue(r.passwordGrant("admin-cli", null, "ann", "ann-pass").status() != 200,
                            "ann's own password is refused while she is locked out"),
                    () -> assertEquals(204, oliveEnabled.status(), "an ordinary user's lockout: " + oliveEnabled.body()),
                    () -> assertFalse(lockedOut(r, olive), "olive's lockout is cleared"));
        } finally {
            r.cancelHeld(mallory, annEnabled);
        }
    }

    /**
     * (Code review of the fix above.) Keycloak also clears a permanent lockout when an update enables the user, and for
     * the owner of a service account, who is guarded like an admin, {@code enabled} is an ordinary field: owen, locked
     * out for good by mallory's guesses, was enabled again unheld. Held now; an ordinary user's permanent lockout is
     * still cleared that way.
     */
    @Test
    void enablingAnOwnerLockedOutForGoodIsABruteForceClearAndHeld(KeycloakTarget keycloak) {
        String owenId = java.util.UUID.randomUUID().toString();
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "permanent", rep -> {
            rep.put("bruteForceProtected", true);
            rep.put("permanentLockout", true);
            rep.put("failureFactor", 2);
            ObjectNode owen = ((com.fasterxml.jackson.databind.node.ArrayNode) rep.path("users")).addObject();
            owen.put("id", owenId);
            owen.put("username", "owen");
            owen.put("enabled", true);
            owen.putArray("credentials").addObject().put("type", "password").put("value", "owen-pass").put("temporary", false);
            ObjectNode client = ((com.fasterxml.jackson.databind.node.ArrayNode) rep.path("clients")).addObject();
            client.put("clientId", "owen-svc");
            client.put("secret", "owen-svc-secret");
            client.put("serviceAccountsEnabled", true);
            client.put("publicClient", false);
            client.putObject("attributes").put("nhi.owner.type", "user").put("nhi.owner.id", owenId);
        });
        String olive = r.userId("olive");
        lockOut(r, "owen", owenId);
        lockOut(r, "olive", olive);
        String mallory = r.token("mallory");

        HttpAdmin.Response owenEnabled = r.http.put(r.admin + "/users/" + owenId, mallory, "{\"enabled\":true}");
        HttpAdmin.Response oliveEnabled = r.http.put(r.admin + "/users/" + olive, mallory, "{\"enabled\":true}");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(owenEnabled, "mallory enabling owen, locked out for good"),
                    () -> assertFalse(r.read("/users/" + owenId).path("enabled").asBoolean(), "owen stays disabled"),
                    () -> assertTrue(lockedOut(r, owenId), "owen is still locked out"),
                    () -> assertEquals(204, oliveEnabled.status(), "an ordinary user's lockout: " + oliveEnabled.body()),
                    () -> assertFalse(lockedOut(r, olive), "olive's lockout is cleared"));
        } finally {
            r.cancelHeld(mallory, owenEnabled);
        }
    }

    /**
     * Adding ann to an organization is held; inviting her was not. The invitation's link makes her a member when
     * anyone follows it, no credentials asked, and without a configured hostname its host is the request's own (the
     * review sent it to a host of its own and redeemed it). Held now, for an existing user by id or by email; approved
     * and applied, Keycloak sends the invitation on the realm's frontend URL.
     */
    @Test
    void invitingAnExistingUserIntoAnOrganizationIsHeldAndAppliesAsApproved(KeycloakTarget keycloak) {
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            String frontend = keycloak.baseUri().toString().replaceAll("/+$", "");
            AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "invite", rep -> {
                rep.put("organizationsEnabled", true);
                ObjectNode mail = rep.putObject("smtpServer");
                smtp.smtpServerConfig().forEach(mail::put);
                ((ObjectNode) rep.path("attributes")).put("frontendUrl", frontend);
            });
            String ann = r.userId("ann");
            HttpAdmin.Response created = r.http.post(r.admin + "/organizations", r.master(),
                    "{\"name\":\"acme\",\"domains\":[{\"name\":\"acme.test\"}]}");
            assertEquals(201, created.status(), created.body());
            String org = r.read("/organizations?search=acme&exact=true").get(0).path("id").asText();
            String mallory = r.token("mallory");

            HttpAdmin.Response byId = r.http.send("POST", r.admin + "/organizations/" + org + "/members/invite-existing-user",
                    mallory, "application/x-www-form-urlencoded", "id=" + ann);
            HttpAdmin.Response byEmail = r.http.send("POST", r.admin + "/organizations/" + org + "/members/invite-user",
                    mallory, "application/x-www-form-urlencoded", "email=" + AttackRealm.enc("ben@guard-attack-fifth.test"));
            assertAll(
                    () -> AttackRealm.assertHeld(byId, "mallory inviting ann by id"),
                    () -> AttackRealm.assertHeld(byEmail, "mallory inviting ben by his email"),
                    () -> assertEquals(0, r.read("/organizations/" + org + "/invitations").size(), "no invitation exists"),
                    () -> assertTrue(smtp.messages().stream().noneMatch(m -> m.recipients().contains("ann@guard-attack-fifth.test")
                            && m.text().contains("/login-actions/action-token")), "no invitation mail went to ann"));
            r.cancelHeld(mallory, byEmail);

            String id = byId.json().path("id").asText();
            assertEquals(200, r.approve(id, byId.json().path("digest").asText(), r.token("ben")).status());
            HttpAdmin.Response applied = r.apply(id, mallory);
            assertEquals(200, applied.status(), applied.body());
            SmtpReceiver.Message invitation = smtp.await(m -> m.recipients().contains("ann@guard-attack-fifth.test")
                    && m.text().contains("/login-actions/action-token"), Duration.ofSeconds(20));
            JsonNode invitations = r.read("/organizations/" + org + "/invitations");
            assertAll(
                    () -> assertEquals("APPLIED", r.changeRequest(id).path("state").asText()),
                    () -> assertEquals(1, invitations.size(), invitations.toString()),
                    () -> assertEquals("ann@guard-attack-fifth.test", invitations.path(0).path("email").asText(), invitations.toString()),
                    () -> assertTrue(invitation.text().contains(frontend + "/realms/" + r.name + "/login-actions/action-token"),
                            "the link is on the frontend URL: " + invitation.text()));
        }
    }

    /**
     * With admin events stored with their representation, generating a client's key pair and a registration access
     * token left both in clear in Keycloak's admin events: anyone with {@code view-events} read them (and with the
     * token, the client's secret), an approver too, without being recorded as a reader. The stored representation now
     * carries them sealed; the requester still gets them in Keycloak's answer.
     */
    @Test
    void storedAdminEventsCarryNoGeneratedKeyOrRegistrationToken(KeycloakTarget keycloak) {
        // Keycloak's events, not the guard's holds, are under test: the realm's policy guards nothing.
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "events", rep -> {
            rep.put("adminEventsEnabled", true);
            rep.put("adminEventsDetailsEnabled", true);
            ((ObjectNode) rep.path("attributes")).put("nhi.guard.policy", "{\"guardedOperations\":[]}");
        });
        String app = r.clientUuid("plain-app");
        String mallory = r.token("mallory");
        HttpAdmin.Response key = r.http.post(r.admin + "/clients/" + app + "/certificates/jwt.credential/generate", mallory, null);
        HttpAdmin.Response token = r.http.post(r.admin + "/clients/" + app + "/registration-access-token", mallory, null);
        assertEquals(200, key.status(), key.body());
        assertEquals(200, token.status(), token.body());
        String privateKey = key.json().path("privateKey").asText();
        String registrationToken = token.json().path("registrationAccessToken").asText();
        assertTrue(privateKey.length() > 100 && registrationToken.length() > 100, "Keycloak's answers carry both");

        String events = r.get("/admin-events?resourceTypes=CLIENT&max=50").body();
        assertAll(
                () -> assertTrue(events.contains("jwt.credential/generate") && events.contains("registration-access-token"),
                        "both events are stored: " + AttackRealm.abbreviate(events)),
                () -> assertFalse(events.contains(privateKey.substring(0, 60)), "the private key is not in the admin events"),
                () -> assertFalse(events.contains(registrationToken.substring(registrationToken.length() - 40)),
                        "the registration access token is not in the admin events"),
                () -> assertTrue(events.contains("**sealed** hmac-sha256:"), "sealed in their place: " + AttackRealm.abbreviate(events)));
    }

    /**
     * A guarded realm took its approvers from {@code master} with a role of its own name. A master admin who was no
     * approver granted that role in master: nothing held it (master's own approver role was held), and the grantee
     * approved the guarded realm's requests. The administration realm's approver roles now include every role a realm
     * taking approvers from it names.
     */
    @Test
    void grantingAnotherRealmsApproverRoleInMasterIsHeld(KeycloakTarget keycloak) {
        String role = "eleventh-approver-" + Long.toString(System.nanoTime(), 36);
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "approvers", rep -> ((ObjectNode) rep.path("attributes"))
                .put("nhi.guard.policy", "{\"approverRealm\":\"master\",\"approverRole\":\"" + role + "\"}"));
        AttackRealm master = new AttackRealm(keycloak, "master");
        String admin = master.master();
        HttpAdmin.Response createdRole = r.http.post("/admin/realms/master/roles", admin, "{\"name\":\"" + role + "\"}");
        assertEquals(201, createdRole.status(), createdRole.body());
        String username = "eleventh-olive-" + Long.toString(System.nanoTime(), 36);
        HttpAdmin.Response createdUser = r.http.post("/admin/realms/master/users", admin,
                "{\"username\":\"" + username + "\",\"enabled\":true}");
        assertEquals(201, createdUser.status(), createdUser.body());
        String olive = master.userId(username);
        JsonNode roleRep = master.realmRole(role);

        HttpAdmin.Response grant = r.http.post("/admin/realms/master/users/" + olive + "/role-mappings/realm", admin, "[" + roleRep + "]");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(grant, "master's admin granting " + r.name + "'s approver role"),
                    () -> assertFalse(master.effectiveRealmRoles(olive).contains(role), "the grantee does not hold it"),
                    () -> assertFalse(master.directHolders(role).contains(username), "nobody holds it directly"));
        } finally {
            master.cancelHeld(admin, grant);
            r.http.delete("/admin/realms/master/users/" + olive, admin);
        }
    }

    /**
     * An HTTP/1.0 request without a {@code Host} header made every filter of the guard fail with a 500 (Quarkus cannot
     * build such a request's URI), on every path: where plain Keycloak answers. Reads outside the admin API now get
     * Keycloak's answer; writes and the admin API a 400 with Keycloak's error JSON, and nothing changes.
     */
    @Test
    void aRequestWithoutAHostHeaderGetsAnAnswerNotAServerError(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "nohost", rep -> { });
        String target = r.clientUuid("sa-target");
        String mallory = r.token("mallory");
        HttpAdmin.Response read = RawHttp.sendWithoutHost(keycloak.baseUri(), "GET", "/realms/" + r.name, Map.of(), null);
        HttpAdmin.Response write = RawHttp.sendWithoutHost(keycloak.baseUri(), "PUT", r.admin + "/clients/" + target,
                Map.of("Authorization", "Bearer " + mallory, "Content-Type", "application/json"),
                "{\"serviceAccountsEnabled\":false}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        HttpAdmin.Response secret = RawHttp.sendWithoutHost(keycloak.baseUri(), "GET", r.admin + "/clients/" + target + "/client-secret",
                Map.of("Authorization", "Bearer " + mallory), null);
        assertAll(
                () -> assertEquals(200, read.status(), "the realm's public page: " + read.body()),
                () -> assertEquals(400, write.status(), write.body()),
                () -> assertEquals("invalid_request", write.json().path("error").asText(), write.body()),
                () -> assertEquals(400, secret.status(), secret.body()),
                () -> assertTrue(r.read("/clients/" + target).path("serviceAccountsEnabled").asBoolean(), "sa-target keeps its service account"));
    }

    private static void lockOut(AttackRealm r, String username, String userId) {
        for (int i = 0; i < 5 && !lockedOut(r, userId); i++) {
            r.passwordGrant("admin-cli", null, username, "wrong-" + i);
        }
        assertTrue(lockedOut(r, userId), "fixture: " + username + " is locked out");
    }

    private static boolean lockedOut(AttackRealm r, String userId) {
        return r.read("/attack-detection/brute-force/users/" + userId).path("disabled").asBoolean(false);
    }
}
