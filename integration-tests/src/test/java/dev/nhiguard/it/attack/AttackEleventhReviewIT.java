package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
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
        assertEnablingIsHeldAndOnlyOlivesLockoutCleared(r, "ann", r.userId("ann"),
                () -> assertTrue(r.passwordGrant("admin-cli", null, "ann", "ann-pass").status() != 200,
                        "ann's own password is refused while she is locked out"));
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
        assertEnablingIsHeldAndOnlyOlivesLockoutCleared(r, "owen", owenId,
                () -> assertFalse(r.read("/users/" + owenId).path("enabled").asBoolean(), "owen stays disabled"));
    }

    /**
     * Locks out {@code username} and olive by wrong passwords, then mallory enables both: held for the guarded user, who
     * stays locked out; olive's lockout is cleared (204).
     */
    private static void assertEnablingIsHeldAndOnlyOlivesLockoutCleared(AttackRealm r, String username, String userId,
            org.junit.jupiter.api.function.Executable more) {
        String olive = r.userId("olive");
        lockOut(r, username, userId);
        lockOut(r, "olive", olive);
        String mallory = r.token("mallory");
        HttpAdmin.Response guarded = r.http.put(r.admin + "/users/" + userId, mallory, "{\"enabled\":true}");
        HttpAdmin.Response ordinary = r.http.put(r.admin + "/users/" + olive, mallory, "{\"enabled\":true}");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(guarded, "mallory enabling " + username + ", who is locked out"),
                    () -> assertTrue(lockedOut(r, userId), username + " is still locked out"),
                    more,
                    () -> assertEquals(204, ordinary.status(), "an ordinary user's lockout: " + ordinary.body()),
                    () -> assertFalse(lockedOut(r, olive), "olive's lockout is cleared"));
        } finally {
            r.cancelHeld(mallory, guarded);
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

            // (Twenty-second red-team review, code reading) Resending deletes the invitation and invites the address
            // again: to an existing user's address, the invitation held above. Held as it is.
            HttpAdmin.Response resend = r.http.post(r.admin + "/organizations/" + org + "/invitations/"
                    + invitations.path(0).path("id").asText() + "/resend", mallory, null);
            AttackRealm.assertHeld(resend, "mallory resending ann's invitation");
            r.cancelHeld(mallory, resend);
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

    /**
     * (Red team, second round.) A write to the fine-grained admin permissions' policies went below a locator the guard
     * cannot follow ({@code PolicyService#getResource} returns {@code Object}) and was held as {@code unclassified-write},
     * not as the {@code admin-permissions} it is: in a realm whose policy guards {@code admin-permissions} and leaves
     * unclassified writes out, mallory's user policy naming herself was stored unheld.
     */
    @Test
    void aWriteBelowTheAdminPermissionsPoliciesIsHeldAsAdminPermissions(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOf(keycloak, "guard-attack-fgap-realm.json", "eleventh", "fgapop",
                rep -> ((ObjectNode) rep.path("attributes")).put("nhi.guard.policy", "{\"guardedOperations\":[\"admin-permissions\"]}"));
        String mallory = r.token("mallory");
        HttpAdmin.Response policy = r.http.post(AttackTenthReviewIT.authz(r) + "/policy/user", mallory,
                "{\"name\":\"mallory-policy\",\"users\":[\"" + r.userId("mallory") + "\"]}");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(policy, "mallory's user policy in the admin permissions"),
                    () -> assertEquals("admin-permissions", policy.json().path("operation").asText(), policy.body()),
                    () -> assertFalse(r.get(AttackTenthReviewIT.authz(r).substring(r.admin.length()) + "/policy?name=mallory-policy")
                            .body().contains("mallory-policy"), "no such policy is stored"));
        } finally {
            r.cancelHeld(mallory, policy);
        }
    }

    /**
     * (Red team, second round.) mallory impersonated olive (an ordinary user: not held). The chain's only record was
     * Keycloak's {@code IMPERSONATE} user event, which names olive as its actor and mallory by username only: that
     * record counted as the write's own, so no record named mallory by id. Now the write is recorded naming her.
     */
    @Test
    void anImpersonationIsRecordedNamingTheAdmin(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "imp", rep -> { });
        String mallory = r.userId("mallory");
        long before = r.read("/audit-chain/head").path("seq").asLong();
        HttpAdmin.Response impersonation = r.http.post(r.admin + "/users/" + r.userId("olive") + "/impersonation", r.token("mallory"), null);
        assertEquals(200, impersonation.status(), impersonation.body());
        List<JsonNode> records = r.recordsAfter(before);
        assertTrue(records.stream().anyMatch(rec -> mallory.equals(rec.at("/actor/userId").asText())
                && rec.path("target").asText().endsWith("/impersonation")), "a record names mallory: " + records);
    }

    /**
     * (Red team, second round.) A realm created with its contents ({@code POST /admin/realms}: a user with a password,
     * a confidential client, an identity provider) was recorded in the creator's realm with Keycloak's representation,
     * which leaves them out, and the new realm's chain stayed empty. Now its first record names what came into being,
     * and who made it, with no credential in it.
     */
    @Test
    void aRealmCreatedWithContentsNamesThemInItsOwnChain(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "created", rep -> {
            ObjectNode idp = ((com.fasterxml.jackson.databind.node.ArrayNode) rep.withArray("identityProviders")).addObject();
            idp.put("alias", "upstream");
            idp.put("providerId", "oidc");
            idp.putObject("config").put("clientId", "kc").put("clientSecret", "upstream-client-secret-value")
                    .put("authorizationUrl", "https://idp.example/auth").put("tokenUrl", "https://idp.example/token");
        });
        List<JsonNode> records = r.recordsAfter(0);
        JsonNode contents = records.stream().filter(rec -> "REALM_CONTENTS".equals(rec.path("type").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no REALM_CONTENTS record: " + records));
        String text = contents.toString();
        assertAll(
                () -> assertFalse(contents.at("/actor/userId").asText().isEmpty(), "the creator is named: " + text),
                () -> assertTrue(contents.at("/representation/users/listed").toString().contains("ann"), text),
                () -> assertTrue(contents.at("/representation/clients/listed").toString().contains("sa-target"), text),
                () -> assertTrue(contents.at("/representation/identityProviders/listed").toString().contains("upstream"), text),
                () -> assertFalse(text.contains("upstream-client-secret-value") || text.contains("sa-target-secret")
                        || text.contains("ann-pass"), "no credential in it: " + text));
    }

    /**
     * (Red team, second round.) A role held before a policy names it makes approvers the moment the policy changes,
     * with no grant to review: the policy change showed only the policy. Now it shows who then approves (the approver
     * role's direct holders), and one added between approval and apply is a changed target.
     */
    @Test
    void aPolicyNamingAnotherApproverRoleShowsItsHoldersAndPinsThem(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "eleventh", "staged", rep -> { });
        String admin = r.master();
        assertEquals(201, r.http.post(r.admin + "/roles", admin, "{\"name\":\"staged\"}").status());
        JsonNode staged = r.realmRole("staged");
        assertEquals(204, r.http.post(r.admin + "/users/" + r.userId("olive") + "/role-mappings/realm", admin, "[" + staged + "]")
                .status(), "fixture: olive holds a role no policy names");
        HttpAdmin.Response held = r.http.put(r.guard + "/policy", r.token("ann"),
                "{\"approverRole\":\"staged\",\"cooldownSeconds\":{\"credential\":0,\"recovery\":0}}");
        AttackRealm.assertHeld(held, "ann's policy change");
        String id = held.json().path("id").asText();
        String shown = r.changeRequest(id).toString();
        assertAll(
                () -> assertTrue(shown.contains("approver-role-holders"), shown),
                () -> assertTrue(shown.contains("olive"), "the request shows who then approves: " + shown));
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());
        assertEquals(201, r.http.post(r.admin + "/users", admin, "{\"username\":\"oscar\",\"enabled\":true}").status());
        assertEquals(204, r.http.post(r.admin + "/users/" + r.userId("oscar") + "/role-mappings/realm", admin, "[" + staged + "]")
                .status(), "fixture: oscar is given the role after the approval");
        HttpAdmin.Response applied = r.apply(id, r.token("ann"));
        assertAll(
                () -> assertEquals(409, applied.status(), "the apply: " + applied.body()),
                () -> assertTrue(applied.body().contains("target_changed"), applied.body()),
                () -> assertFalse(r.realm().path("attributes").path("nhi.guard.policy").asText("").contains("staged"),
                        "the policy is unchanged"));
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
