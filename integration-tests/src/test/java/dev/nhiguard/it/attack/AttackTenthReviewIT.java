package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Tenth red-team review: fine-grained admin permissions (v2) tried live, and an apply interrupted after Keycloak
 * committed it. The FGAP tests work in realms of their own copied from {@code guard-attack-fgap} (ann and ben approve
 * and administer, mallory administers, frank and olive hold no role), judged by what frank and olive may then do.
 */
@ExtendWith(KeycloakExtension.class)
class AttackTenthReviewIT {

    /**
     * A negative group policy takes frank's user administration away while he is in {@code suspended}; his joining it
     * was held and approved. mallory then took him out of the group alone (204, no request), and frank administered
     * users again (he reset olive's password). Leaving a group a permission's policy names changes who administers,
     * as joining it does: held.
     */
    @Test
    void leavingAGroupANegativeAdminPolicyNamesIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = fgapRealmOfItsOwn(keycloak, "negative");
        String frank = r.userId("frank");
        String olive = r.userId("olive");
        String suspended = newGroup(r, "suspended");
        String authz = authz(r);
        AttackDeciderIT.asAnnApprovedByBen(r, authz + "/policy/user", "{\"name\":\"frank-policy\",\"users\":[\"" + frank + "\"]}");
        AttackDeciderIT.asAnnApprovedByBen(r, authz + "/policy/group", "{\"name\":\"suspended-negative\",\"logic\":\"NEGATIVE\","
                + "\"groups\":[{\"id\":\"" + suspended + "\",\"extendChildren\":true}]}");
        AttackDeciderIT.asAnnApprovedByBen(r, authz + "/permission/scope", "{\"name\":\"frank-users\",\"resourceType\":\"Users\","
                + "\"scopes\":[\"view\",\"manage\"],\"policies\":[\"frank-policy\",\"suspended-negative\"],\"decisionStrategy\":\"UNANIMOUS\"}");
        assertEquals(200, r.http.get(r.admin + "/users/" + olive, r.token("frank")).status(), "fixture: frank administers users");
        HttpAdmin.Response suspension = r.http.put(r.admin + "/users/" + frank + "/groups/" + suspended, r.token("ann"), null);
        AttackRealm.assertHeld(suspension, "fixture: frank joining the suspending group");
        String joinId = suspension.json().path("id").asText();
        assertEquals(200, r.approve(joinId, suspension.json().path("digest").asText(), r.token("ben")).status());
        assertEquals(200, r.apply(joinId, r.token("ann")).status(), "fixture: the suspension applies");
        assertEquals(403, r.http.get(r.admin + "/users/" + olive, r.token("frank")).status(), "fixture: frank is suspended");

        String mallory = r.token("mallory");
        HttpAdmin.Response leave = r.http.delete(r.admin + "/users/" + frank + "/groups/" + suspended, mallory);
        HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + olive + "/reset-password", r.token("frank"),
                "{\"type\":\"password\",\"value\":\"by-frank\",\"temporary\":false}");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(leave, "mallory taking frank out of the suspending group"),
                    () -> assertTrue(r.read("/users/" + frank + "/groups").toString().contains("suspended"), "frank's groups"),
                    () -> assertEquals(403, r.http.get(r.admin + "/users/" + olive, r.token("frank")).status(),
                            "frank reading olive"),
                    () -> AttackRealm.assertHeldOrRefused(reset, "frank resetting olive's password"),
                    () -> assertEquals(200, r.passwordGrant("admin-cli", null, "olive", "olive-pass").status(),
                            "olive's own password"));
        } finally {
            r.cancelHeld(mallory, leave);
            r.cancelHeld(r.token("frank"), reset);
        }
    }

    /**
     * ann's group policy for {@code helpdesk} was approved while the group was empty. Before the apply, mallory put
     * olive (whose password she had set) into the group, which no policy named yet, so nothing held it; the apply then
     * made olive an administrator nobody had approved. A write to the admin permissions now pins who they reach: a
     * member added since the approval is a changed target.
     */
    @Test
    void anAdminPolicyApprovedForAnEmptyGroupDoesNotApplyOnceSomeoneJoined(KeycloakTarget keycloak) {
        AttackRealm r = fgapRealmOfItsOwn(keycloak, "members");
        String olive = r.userId("olive");
        String helpdesk = newGroup(r, "helpdesk");
        HttpAdmin.Response held = r.http.post(authz(r) + "/policy/group", r.token("ann"),
                "{\"name\":\"helpdesk-policy\",\"groups\":[{\"id\":\"" + helpdesk + "\",\"extendChildren\":true}]}");
        AttackRealm.assertHeld(held, "ann's group policy");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());

        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + olive + "/groups/" + helpdesk, r.token("mallory"), null);
        assertEquals(204, join.status(), "fixture: olive joins a group no policy names yet: " + join.body());
        HttpAdmin.Response applied = r.apply(id, r.token("ann"));
        JsonNode policies = r.read("/clients/" + permissionsClient(r) + "/authz/resource-server/policy?name=helpdesk-policy");
        assertAll(
                () -> assertEquals(409, applied.status(), "the apply: " + applied.body()),
                () -> assertTrue(applied.body().contains("target_changed"), applied.body()),
                () -> assertTrue(policies.isEmpty(), "the policy exists: " + policies),
                () -> assertEquals("APPROVED", r.changeRequest(id).path("state").asText()));
    }

    /**
     * A role policy naming {@code c1/foo} means client {@code c1}'s role {@code foo} to Keycloak (it splits at the
     * first slash and never looks for a realm role of that name); the guard looked up a decoy realm role
     * {@code c1/foo} mallory had created, pinned its holders (nobody) and let the apply through after mallory granted
     * the client role to frank. The role is read as Keycloak reads it: the approver sees its holders, and a grant
     * between approval and apply is a changed target.
     */
    @Test
    void aRolePolicyNamingClientSlashRoleIsReadAsKeycloakReadsIt(KeycloakTarget keycloak) {
        AttackRealm r = fgapRealmOfItsOwn(keycloak, "decoy");
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/roles", mallory, "{\"name\":\"c1/foo\"}").status(), "the decoy realm role");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"c1\",\"publicClient\":true}").status());
        String c1 = r.clientUuid("c1");
        assertEquals(201, r.http.post(r.admin + "/clients/" + c1 + "/roles", mallory, "{\"name\":\"foo\"}").status());
        JsonNode foo = r.read("/clients/" + c1 + "/roles/foo");
        assertEquals(204, r.http.post(r.admin + "/users/" + r.userId("olive") + "/role-mappings/clients/" + c1, mallory,
                "[" + foo + "]").status(), "fixture: olive holds c1's foo, which no policy names yet");

        HttpAdmin.Response held = r.http.post(authz(r) + "/policy/role", r.token("ann"),
                "{\"name\":\"foo-holders\",\"fetchRoles\":true,\"roles\":[{\"id\":\"c1/foo\"}]}");
        AttackRealm.assertHeld(held, "ann's role policy");
        String id = held.json().path("id").asText();
        JsonNode shown = r.changeRequest(id).path("beforeImage").path("effectTargets");
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + r.userId("frank") + "/role-mappings/clients/" + c1, mallory,
                "[" + foo + "]");
        HttpAdmin.Response applied = r.apply(id, r.token("ann"));
        assertAll(
                () -> assertTrue(shown.toString().contains("\"olive\""), "the approver sees who the policy reaches: " + shown),
                () -> assertEquals(204, grant.status(), "fixture: frank gets c1's foo before the apply: " + grant.body()),
                () -> assertEquals(409, applied.status(), "the apply: " + applied.body()),
                () -> assertTrue(applied.body().contains("target_changed"), applied.body()),
                () -> assertTrue(r.read("/clients/" + permissionsClient(r) + "/authz/resource-server/policy?name=foo-holders").isEmpty(),
                        "the policy exists"));
    }

    /**
     * A negative policy reaches everyone it does not name: with a negative role policy on {@code x} behind the users
     * permission, frank and olive (who do not hold {@code x}) administered users, yet the guard counted neither as
     * privileged, and olive reset frank's password unheld. Negative logic now makes every user count as privileged.
     */
    @Test
    void aNegativePolicyMakesEveryoneItDoesNotNamePrivileged(KeycloakTarget keycloak) {
        AttackRealm r = fgapRealmOfItsOwn(keycloak, "inverse");
        String x = r.realmRole("x").path("id").asText();
        AttackDeciderIT.asAnnApprovedByBen(r, authz(r) + "/policy/role", "{\"name\":\"not-x\",\"logic\":\"NEGATIVE\","
                + "\"fetchRoles\":true,\"roles\":[{\"id\":\"" + x + "\"}]}");
        AttackDeciderIT.asAnnApprovedByBen(r, authz(r) + "/permission/scope", "{\"name\":\"users-not-x\",\"resourceType\":\"Users\","
                + "\"scopes\":[\"view\",\"manage\"],\"policies\":[\"not-x\"],\"decisionStrategy\":\"UNANIMOUS\"}");
        String olive = r.token("olive");
        assertEquals(200, r.http.get(r.admin + "/users?max=3", olive).status(), "fixture: olive administers users");
        HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + r.userId("frank") + "/reset-password", olive,
                "{\"type\":\"password\",\"value\":\"by-olive\",\"temporary\":false}");
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(reset, "olive, a fine-grained admin by the negative policy, resetting frank's password"),
                    () -> assertEquals(200, r.passwordGrant("admin-cli", null, "frank", "frank-pass").status(), "frank's own password"));
        } finally {
            r.cancelHeld(olive, reset);
        }
    }

    /**
     * A group that owns a service account (or an agent) makes its members its owners: its reviewers, whose "keep"
     * attests it, the owners whose standing keeps it running and for whom an agent acts by default. mallory joined an
     * agent's owner group alone (204), then kept the agent in its review and had it act for her. Joining such a group
     * is held like joining an administrators' group.
     */
    @Test
    void joiningAnOwnerGroupIsHeld(KeycloakTarget keycloak) {
        String owners = java.util.UUID.randomUUID().toString();
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "guard-attack-tenth", "owners", rep -> {
            rep.withArray("groups").addObject().put("id", owners).put("name", "bot-owners").put("path", "/bot-owners")
                    .putArray("subGroups").addObject().put("name", "night-shift").put("path", "/bot-owners/night-shift");
            for (com.fasterxml.jackson.databind.JsonNode c : rep.withArray("clients")) {
                if ("sa-target".equals(c.path("clientId").asText())) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) c).with("attributes").put("nhi.owner.type", "group")
                            .put("nhi.owner.id", owners);
                }
            }
        });
        String mallory = r.token("mallory");
        String malloryId = r.userId("mallory");
        String nightShift = r.read("/groups/" + owners + "/children").get(0).path("id").asText();
        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + malloryId + "/groups/" + owners, mallory, null);
        HttpAdmin.Response sub = r.http.put(r.admin + "/users/" + malloryId + "/groups/" + nightShift, mallory, null);
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(join, "mallory joining sa-target's owner group"),
                    () -> AttackRealm.assertHeld(sub, "mallory joining a subgroup of sa-target's owner group"),
                    () -> assertTrue(!r.read("/users/" + malloryId + "/groups").toString().contains("bot-owners"),
                            "mallory's groups: " + r.read("/users/" + malloryId + "/groups")));
        } finally {
            r.cancelHeld(mallory, join, sub);
        }
    }

    /**
     * Writes through the account API that Keycloak records no event for, or one the chain did not take: a credential's
     * label, a consent (offline_access among its scopes). They left no record. They are chained now: the label as a
     * write {@code via: account} naming the user, the consent as Keycloak's GRANT_CONSENT event.
     */
    @Test
    void accountApiWritesAreChained(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "guard-attack-tenth", "account", rep -> {
            // the copy's users hold its own default roles (the account API's roles among them), not the original's
            for (JsonNode u : rep.withArray("users")) {
                if (u.path("realmRoles") instanceof com.fasterxml.jackson.databind.node.ArrayNode roles) {
                    for (int i = 0; i < roles.size(); i++) {
                        if (roles.get(i).asText().startsWith("default-roles-")) {
                            roles.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf("default-roles-" + rep.path("realm").asText()));
                        }
                    }
                }
            }
        });
        long head = r.read("/audit-chain/head").path("seq").asLong();
        String olive = r.token("olive");
        String oliveId = r.userId("olive");
        String account = "/realms/" + r.name + "/account";
        String[] asOlive = {"Authorization", "Bearer " + olive, "Accept", "application/json", "Content-Type", "application/json"};
        JsonNode credentials = r.http.sendWithHeaders("GET", account + "/credentials", null, asOlive).json();
        String credential = null;
        for (JsonNode type : credentials) {
            for (JsonNode metadata : type.path("userCredentialMetadatas")) {
                credential = metadata.path("credential").path("id").asText(); // olive's password
            }
        }
        assertTrue(credential != null, "olive's credentials: " + credentials);
        HttpAdmin.Response label = r.http.sendWithHeaders("PUT", account + "/credentials/" + credential + "/label",
                "\"changed-by-olive\"", asOlive);
        assertEquals(204, label.status(), label.body());
        String offline = null;
        for (JsonNode scope : r.read("/client-scopes")) {
            offline = "offline_access".equals(scope.path("name").asText()) ? scope.path("id").asText() : offline;
        }
        HttpAdmin.Response consent = r.http.sendWithHeaders("POST", account + "/applications/plain-app/consent",
                "{\"grantedScopes\":[{\"id\":\"" + offline + "\",\"name\":\"offline_access\"}]}", asOlive);
        assertEquals(200, consent.status(), consent.body());

        List<JsonNode> records = r.recordsAfter(head);
        assertAll(
                () -> assertTrue(records.stream().anyMatch(rec -> "ADMIN_WRITE_UNRECORDED".equals(rec.path("type").asText())
                        && rec.path("target").asText().endsWith("/label") && "account".equals(rec.path("details").path("via").asText())
                        && oliveId.equals(rec.path("actor").path("userId").asText())), "the label change: " + records),
                () -> assertTrue(records.stream().anyMatch(rec -> "GRANT_CONSENT".equals(rec.path("type").asText())
                        && oliveId.equals(rec.path("actor").path("userId").asText())), "the consent: " + records));
    }

    /**
     * Keycloak's user update commits its transaction itself, and the guard wrote the request's APPLIED record in a
     * transaction after it: a crash in between left an APPLIED request the chain never said was applied. The record
     * is now written in the change's own transaction, before Keycloak's record of the change.
     */
    @Test
    void theAppliedRecordOfAUserUpdateIsWrittenWithTheChange(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "guard-attack-tenth", "applied", rep -> { });
        String sa = r.serviceAccountUserId("sa-target");
        long head = r.read("/audit-chain/head").path("seq").asLong();
        HttpAdmin.Response held = r.http.put(r.admin + "/users/" + sa, r.token("mallory"), "{\"firstName\":\"Renamed\"}");
        AttackRealm.assertHeld(held, "renaming sa-target's service-account user");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response applied = r.apply(id, r.token("mallory"));
        assertEquals(200, applied.status(), applied.body());
        assertEquals("Renamed", r.read("/users/" + sa).path("firstName").asText());

        List<JsonNode> records = r.recordsAfter(head);
        long appliedAt = -1;
        long changeAt = -1;
        for (JsonNode rec : records) {
            JsonNode details = rec.path("details");
            if (!id.equals(details.path("changeRequestId").asText())) {
                continue;
            }
            if ("APPLIED".equals(details.path("transition").asText())) {
                appliedAt = rec.path("seq").asLong();
            } else if (!details.has("transition")) {
                changeAt = rec.path("seq").asLong();
            }
        }
        long appliedSeq = appliedAt;
        long changeSeq = changeAt;
        assertAll(
                () -> assertTrue(appliedSeq > 0, "the chain's APPLIED record: " + records),
                () -> assertTrue(changeSeq > 0, "Keycloak's record of the change: " + records),
                () -> assertTrue(appliedSeq < changeSeq, "APPLIED (" + appliedSeq + ") is written with the change ("
                        + changeSeq + "), in its transaction"));
    }

    /**
     * The agent module's records of a realm (here an access-review campaign; narrowings, lifecycle actions and owner
     * notices alike) stayed when the realm was deleted, and a realm created again from its export with the same id
     * found them: an old campaign's deadline would act on the new realm's clients, an old narrowing could be
     * revalidated there. They go with the realm.
     */
    @Test
    void aRealmCreatedAgainWithItsIdStartsWithoutTheOldReviewCampaigns(KeycloakTarget keycloak) {
        String id = java.util.UUID.randomUUID().toString();
        com.fasterxml.jackson.databind.node.ObjectNode[] exported = new com.fasterxml.jackson.databind.node.ObjectNode[1];
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "guard-attack-tenth", "reborn", rep -> {
            rep.put("id", id);
            exported[0] = rep.deepCopy();
        });
        HttpAdmin.Response campaign = r.http.post(r.admin + "/nhi/reviews/campaigns", r.master(), "{}");
        assertEquals(201, campaign.status(), "fixture: a review campaign: " + campaign.body());
        assertEquals(1, r.read("/nhi/reviews/campaigns").size(), "fixture: the campaign is listed");

        HttpAdmin.Response deletion = r.http.delete(r.admin, r.master());
        AttackRealm.assertHeld(deletion, "deleting the realm");
        String deletionId = deletion.json().path("id").asText();
        assertEquals(200, r.approve(deletionId, deletion.json().path("digest").asText(), r.token("ann")).status());
        assertEquals(200, r.apply(deletionId, r.master()).status(), "the approved deletion applies");
        assertEquals(201, r.http.post("/admin/realms", r.master(), exported[0].toString()).status(), "created again, same id");
        JsonNode campaigns = r.read("/nhi/reviews/campaigns");
        assertTrue(campaigns.isEmpty(), "the deleted realm's campaigns: " + campaigns);
    }

    /**
     * The replay refuses a request whose requester (user or client) is gone or disabled before it reaches Keycloak,
     * and that refusal did not roll the apply's transaction back: mallory deleted the client she had made the request
     * through, ann's apply answered 403, and the request stayed APPLIED, with nothing applied (code review of this
     * review's fixes, which now also write the APPLIED record before the replay).
     */
    @Test
    void aRefusedReplayLeavesTheRequestUnapplied(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "guard-attack-tenth", "gone", rep -> { });
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"x-cli\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true}").status(), "an ordinary client of mallory's");
        String throughX = r.passwordGrant("x-cli", null, "mallory", "mallory-pass").json().path("access_token").asText();
        String sa = r.serviceAccountUserId("sa-target");
        HttpAdmin.Response held = r.http.put(r.admin + "/users/" + sa, throughX, "{\"firstName\":\"Gone\"}");
        AttackRealm.assertHeld(held, "renaming sa-target's service-account user through x-cli");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());
        assertEquals(204, r.http.delete(r.admin + "/clients/" + r.clientUuid("x-cli"), mallory).status(), "x-cli deleted");

        HttpAdmin.Response applied = r.apply(id, r.token("ann"));
        JsonNode after = r.changeRequest(id);
        assertAll(
                () -> assertTrue(applied.status() >= 400, "the apply: " + applied.status() + " " + applied.body()),
                () -> assertTrue(!"APPLIED".equals(after.path("state").asText()), "the request: " + after),
                () -> assertTrue(!"Gone".equals(r.read("/users/" + sa).path("firstName").asText()), "sa-target's user"));
    }

    /**
     * Without a configured hostname Keycloak builds its URLs from the request's {@code Host}, and so did the guard's
     * mail: mallory sent her held write with {@code Host: evil.example}, the approvers' mail linked the approvals page
     * on that host, and a copy of it there took an approver's password, one-time code and token. Mail links are built
     * on the realm's frontend URL or Keycloak's configured hostname only; with neither, the mail has no link.
     */
    @Test
    void theHostOfAHeldWriteDoesNotMoveTheApproversMailLink(KeycloakTarget keycloak) {
        try (dev.nhiguard.testing.SmtpReceiver smtp = new dev.nhiguard.testing.SmtpReceiver()) {
            String base = keycloak.baseUri().toString().replaceAll("/+$", "");
            AttackRealm plain = mailRealm(keycloak, smtp, "host", null);
            AttackRealm fronted = mailRealm(keycloak, smtp, "fronted", base);
            String evil = "evil.example:" + keycloak.baseUri().getPort();
            String plainId = heldThroughHost(plain, evil);
            String frontedId = heldThroughHost(fronted, evil);
            dev.nhiguard.testing.SmtpReceiver.Message toAnn = smtp.await(m -> m.recipients().contains("ann@guard-attack-fifth.test")
                    && m.text().contains(plainId), java.time.Duration.ofSeconds(30));
            dev.nhiguard.testing.SmtpReceiver.Message toBen = smtp.await(m -> m.recipients().contains("ben@guard-attack-fifth.test")
                    && m.text().contains(frontedId), java.time.Duration.ofSeconds(30));
            assertAll(
                    () -> assertTrue(!toAnn.text().contains("evil.example"), "a link to the requester's host: " + toAnn.text()),
                    () -> assertTrue(!toAnn.text().contains("/approvals/index.html"), "no trusted base, no link: " + toAnn.text()),
                    () -> assertTrue(!toBen.text().contains("evil.example"), "a link to the requester's host: " + toBen.text()),
                    () -> assertTrue(toBen.text().contains(base + "/resources/") && toBen.text().contains("#realm=" + fronted.name
                            + "&id=" + frontedId), "the link on the realm's frontend URL: " + toBen.text()));
        }
    }

    /**
     * The replay of an approved request ran on the base URI of the apply request (of the held one for auto-apply):
     * mallory applied ben's approval of "mail ann an UPDATE_PASSWORD link" under {@code Host: evil.example}, and
     * Keycloak's mail carried ann's action token to that host; mallory set ann's password and approved her own grant
     * as ann. The replay now runs on the realm's frontend URL or the configured hostname, and a request whose replay
     * mails a link is not applied without one.
     */
    @Test
    void anApprovedActionsMailIsNotSentToTheAppliersHost(KeycloakTarget keycloak) {
        try (dev.nhiguard.testing.SmtpReceiver smtp = new dev.nhiguard.testing.SmtpReceiver()) {
            String base = keycloak.baseUri().toString().replaceAll("/+$", "");
            AttackRealm plain = mailRealm(keycloak, smtp, "mail", null);
            AttackRealm fronted = mailRealm(keycloak, smtp, "mailfront", base);
            String evil = "evil.example:" + keycloak.baseUri().getPort();
            HttpAdmin.Response refused = actionsMailAppliedThroughHost(plain, evil);
            HttpAdmin.Response applied = actionsMailAppliedThroughHost(fronted, evil);
            dev.nhiguard.testing.SmtpReceiver.Message reset = smtp.await(m -> m.recipients().contains("ann@guard-attack-fifth.test")
                    && m.text().contains("action-token") && m.text().contains(fronted.name), java.time.Duration.ofSeconds(30));
            assertAll(
                    () -> assertEquals(409, refused.status(), "no trusted base: " + refused.body()),
                    () -> assertTrue(refused.body().contains("no_trusted_hostname"), refused.body()),
                    () -> assertTrue(smtp.messages().stream().noneMatch(m -> m.text().contains("action-token")
                            && m.text().contains(plain.name)), "a reset mail went out without a trusted base"),
                    () -> assertEquals(200, applied.status(), "with the realm's frontend URL: " + applied.body()),
                    () -> assertTrue(!reset.text().contains("evil.example"), "the action link on the applier's host: " + reset.text()),
                    () -> assertTrue(reset.text().contains(base + "/realms/" + fronted.name + "/login-actions/action-token"),
                            "the action link on the realm's frontend URL: " + reset.text()));
        }
    }

    /** A copy of the fifth realm that mails through {@code smtp}, with the frontend URL given (null: none). */
    private static AttackRealm mailRealm(KeycloakTarget keycloak, dev.nhiguard.testing.SmtpReceiver smtp, String suffix,
            String frontendUrl) {
        return AttackRealm.copyOfFifth(keycloak, "guard-attack-tenth", suffix, rep -> {
            rep.set("smtpServer", AttackRealm.JSON.valueToTree(smtp.smtpServerConfig()));
            if (frontendUrl != null) {
                rep.with("attributes").put("frontendUrl", frontendUrl);
            }
        });
    }

    /** mallory holds "mail ann an UPDATE_PASSWORD link", ben approves, mallory applies under {@code host}: the apply's answer. */
    private static HttpAdmin.Response actionsMailAppliedThroughHost(AttackRealm r, String host) {
        java.net.URI server = r.keycloak.baseUri();
        String token = tokenThroughHost(r, host);
        HttpAdmin.Response held = RawHttp.send(server, "PUT", r.admin + "/users/" + r.userId("ann") + "/execute-actions-email",
                java.util.Map.of("Host", host, "Authorization", "Bearer " + token, "Prefer", "respond-async",
                        "Content-Type", "application/json"), "[\"UPDATE_PASSWORD\"]".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        AttackRealm.assertHeld(held, "mallory's actions mail to ann under Host " + host);
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());
        return RawHttp.send(server, "POST", r.guard + "/change-requests/" + id + "/apply",
                java.util.Map.of("Host", host, "Authorization", "Bearer " + token), null);
    }

    private static String tokenThroughHost(AttackRealm r, String host) {
        byte[] form = ("grant_type=password&client_id=admin-cli&username=mallory&password=mallory-pass")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpAdmin.Response token = RawHttp.send(r.keycloak.baseUri(), "POST", "/realms/" + r.name + "/protocol/openid-connect/token",
                java.util.Map.of("Host", host, "Content-Type", "application/x-www-form-urlencoded"), form);
        assertEquals(200, token.status(), token.body());
        return token.json().path("access_token").asText();
    }

    /** mallory, talking to Keycloak under another {@code Host}, regenerates sa-target's secret: held; the request's id. */
    private static String heldThroughHost(AttackRealm r, String host) {
        java.net.URI server = r.keycloak.baseUri();
        HttpAdmin.Response held = RawHttp.send(server, "POST", r.admin + "/clients/" + r.clientUuid("sa-target") + "/client-secret",
                java.util.Map.of("Host", host, "Authorization", "Bearer " + tokenThroughHost(r, host), "Prefer", "respond-async"), null);
        AttackRealm.assertHeld(held, "mallory's secret regeneration under Host " + host);
        return held.json().path("id").asText();
    }

    private static AttackRealm fgapRealmOfItsOwn(KeycloakTarget keycloak, String suffix) {
        return AttackRealm.copyOf(keycloak, "guard-attack-fgap-realm.json", "guard-attack-tenth", suffix, rep -> { });
    }

    private static String permissionsClient(AttackRealm r) {
        return r.realm().path("adminPermissionsClient").path("id").asText(r.clientUuid("admin-permissions"));
    }

    static String authz(AttackRealm r) {
        return r.admin + "/clients/" + permissionsClient(r) + "/authz/resource-server";
    }

    /** A new top-level group, created by mallory (an ordinary write). */
    private static String newGroup(AttackRealm r, String name) {
        HttpAdmin.Response created = r.http.post(r.admin + "/groups", r.token("mallory"), "{\"name\":\"" + name + "\"}");
        assertEquals(201, created.status(), "group " + name + ": " + created.body());
        return r.groupIdOrNull(name);
    }
}
