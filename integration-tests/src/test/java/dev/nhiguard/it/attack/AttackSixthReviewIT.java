package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Between approval and apply (sixth red-team review): what a request attaches by its id changes
 * after the approvers saw it, and the apply would give the target what nobody approved. Realm
 * {@code guard-attack-fifth} (ann and ben approve, mallory administers, olive is ordinary).
 * Judged by effect: sa-target's token, the approver set, the request's state.
 */
@ExtendWith(KeycloakExtension.class)
class AttackSixthReviewIT {

    static final String REALM = AttackFifthReviewIT.REALM;

    /**
     * A default client scope approved for sa-target by its id, filled with mappers after the
     * approval (a scope no service account uses yet is no guarded subject): the apply put the
     * approver role and an admin's {@code resource_access} into sa-target's token. The scope is now
     * pinned in the before-image (approvers see its mappers) and a change of it refuses the apply.
     */
    @Test
    void aClientScopeFilledAfterApprovalIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String target = r.clientUuid("sa-target");
        String name = "reporting-" + System.nanoTime();
        assertEquals(201, r.http.post(r.admin + "/client-scopes", mallory,
                "{\"name\":\"" + name + "\",\"protocol\":\"openid-connect\"}").status(), "an empty scope");
        String scope = null;
        for (JsonNode s : r.read("/client-scopes")) {
            scope = name.equals(s.path("name").asText()) ? s.path("id").asText() : scope;
        }
        HttpAdmin.Response held = r.http.put(r.admin + "/clients/" + target + "/default-client-scopes/" + scope, mallory, null);
        assertEquals(202, held.status(), "adding a default scope to sa-target is held: " + held.body());
        String id = held.json().path("id").asText();
        JsonNode shown = r.changeRequest(id);
        assertTrue(shown.at("/beforeImage/effectTargets").toString().contains(name),
                "the approvers see the scope they attach: " + shown.path("beforeImage"));
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status(), "ann approves");

        HttpAdmin.Response mapper = r.http.post(r.admin + "/client-scopes/" + scope + "/protocol-mappers/models", mallory,
                "{\"name\":\"approver\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-role-mapper\","
                        + "\"config\":{\"role\":\"nhi-approver\"}}");
        HttpAdmin.Response applied = r.apply(id, mallory);
        assertAll(
                () -> assertEquals(201, mapper.status(), "fixture: a mapper on a scope nobody uses is everyday work: " + mapper.body()),
                () -> assertEquals(409, applied.status(), "the apply of a scope changed since approval: " + applied.body()),
                () -> assertTrue(applied.body().contains("target_changed"), applied.body()),
                () -> assertNotEquals("APPLIED", r.changeRequest(id).path("state").asText()),
                () -> assertFalse(r.tokenRealmRoles("sa-target").contains("nhi-approver"), "sa-target's token carries nhi-approver"));
    }

    /**
     * The approver role approved for olive, then her password reset by mallory (olive is no
     * privileged user yet, so the reset passes): the apply made olive an approver whose password
     * mallory chose. The reset changes her credential's creation time, which the before-image holds.
     */
    @Test
    void aPasswordResetBetweenApprovalAndApplyIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String olive = r.userId("olive");
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + olive + "/role-mappings/realm", mallory,
                "[" + r.realmRole("nhi-approver") + "]");
        assertEquals(202, held.status(), "making olive an approver is held: " + held.body());
        String id = held.json().path("id").asText();
        String digest = held.json().path("digest").asText();
        assertEquals(200, r.approve(id, digest, r.token("ben")).status(), "ben approves");
        if ("PENDING".equals(r.changeRequest(id).path("state").asText())) {
            assertEquals(200, r.approve(id, digest, r.token("ann")).status(), "ann approves");
        }

        HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + olive + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"mallory-knows-" + System.nanoTime() + "\",\"temporary\":false}");
        HttpAdmin.Response applied = r.apply(id, mallory);
        try {
            assertAll(
                    () -> assertEquals(204, reset.status(), "fixture: olive is an ordinary user: " + reset.body()),
                    () -> assertEquals(409, applied.status(), "the apply after olive's password changed: " + applied.body()),
                    () -> assertFalse(r.directHolders("nhi-approver").contains("olive"), "olive is an approver"));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", mallory, null);
        }
    }

    /**
     * A flow approved by its id as an administration client's binding, changed by a second approved
     * request before the first is applied (approvers of "remove a step of an unbound flow" see
     * nothing that matters): the apply would have let anyone sign in to admin-cli as an approver with
     * no password. The flows a body binds are pinned in the before-image.
     */
    @Test
    void aFlowBoundByAnApprovedOverrideAndChangedAfterwardsIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String flow = "grant-copy-" + System.nanoTime();
        approvedAndApplied(r, r.http.post(r.admin + "/authentication/flows/direct%20grant/copy", mallory,
                "{\"newName\":\"" + flow + "\"}"), 201);
        String flowId = null;
        for (JsonNode f : r.read("/authentication/flows")) {
            flowId = flow.equals(f.path("alias").asText()) ? f.path("id").asText() : flowId;
        }
        String cli = r.clientUuid("admin-cli");
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) r.read("/clients/" + cli);
        rep.putObject("authenticationFlowBindingOverrides").put("direct_grant", flowId);
        HttpAdmin.Response held = r.http.put(r.admin + "/clients/" + cli, mallory, AttackRealm.json(rep));
        assertEquals(202, held.status(), "binding a flow to admin-cli is held: " + held.body());
        String id = held.json().path("id").asText();
        assertTrue(r.changeRequest(id).at("/beforeImage/effectTargets").toString().contains(flow),
                "the approvers see the flow they bind: " + r.changeRequest(id).path("beforeImage"));
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status(), "ann approves");

        // After the approval: a second request removes the copy's password check (approved: the flow is bound nowhere).
        int removed = 0;
        for (JsonNode x : r.read("/authentication/flows/" + flow + "/executions")) {
            if (x.path("providerId").asText().contains("password")) {
                approvedAndApplied(r, r.http.delete(r.admin + "/authentication/executions/" + x.path("id").asText(), r.token("mallory")), 204);
                removed++;
            }
        }
        int removedPasswordChecks = removed;
        HttpAdmin.Response applied = r.apply(id, r.token("mallory"));
        HttpAdmin.Response login = r.http.postForm("/realms/" + REALM + "/protocol/openid-connect/token", java.util.Map.of(
                "grant_type", "password", "client_id", "admin-cli", "username", "ann", "password", "not-anns-password"));
        try {
            assertAll(
                    () -> assertTrue(removedPasswordChecks > 0, "fixture: the copy's password check removed"),
                    () -> assertEquals(409, applied.status(), "the apply of a flow changed since approval: " + applied.body()),
                    () -> assertNotEquals(200, login.status(), "a token as ann without her password: " + login.body()));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", r.token("mallory"), null);
        }
    }

    /** mallory's write, held and approved by ann and applied by mallory, or answered {@code direct} at once. */
    private static void approvedAndApplied(AttackRealm r, HttpAdmin.Response write, int direct) {
        if (write.status() != 202) {
            assertEquals(direct, write.status(), write.body());
            return;
        }
        String id = write.json().path("id").asText();
        assertEquals(200, r.approve(id, write.json().path("digest").asText(), r.token("ann")).status(), "ann approves " + id);
        HttpAdmin.Response applied = r.apply(id, r.token("mallory"));
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
    }

    /**
     * The change-request endpoint is another way to send a write: a client update that sends a
     * service account's secret back is no guarded operation there either (400, "write it
     * directly"), while any other secret is held (201). That answer confirms the secret, so its
     * sender is recorded as a reader there too (code review of the guessing-oracle fix).
     */
    @Test
    void theChangeRequestEndpointRecordsTheSenderOfAConfirmedSecret(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String target = r.clientUuid("sa-target");
        long before = r.read("/audit-chain/head").path("seq").asLong();
        HttpAdmin.Response right = r.http.post(r.guard + "/change-requests", mallory,
                "{\"method\":\"PUT\",\"path\":\"/admin/realms/" + REALM + "/clients/" + target + "\","
                        + "\"body\":{\"clientId\":\"sa-target\",\"secret\":\"sa-target-secret\"}}");
        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertEquals(400, right.status(), right.body()),
                () -> assertTrue(AttackFifthReviewIT.read(records, "sa-target", r.userId("mallory"), r),
                        "the answer confirmed sa-target's secret; mallory is recorded as its reader: " + records));
    }

    /**
     * The realm's SMTP password was compared in clear with what a realm update sends: the right
     * password (with the rest of the settings as they are) passed (204), any other was held (202).
     * Now the stored password is compared as Keycloak's admin API shows it, masked: any password
     * sent is a change.
     */
    @Test
    void theSmtpPasswordSentBackIsHeldLikeAnyOther(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String password = "smtp-pass-" + System.nanoTime();
        String smtp = "{\"host\":\"localhost\",\"port\":\"2525\",\"from\":\"guard@example.org\",\"auth\":\"true\","
                + "\"user\":\"mailer\",\"password\":\"%s\"}";
        HttpAdmin.Response set = r.http.put(r.admin, r.token("ann"), "{\"smtpServer\":" + smtp.formatted(password) + "}");
        if (set.status() == 202) {
            assertEquals(200, r.approve(set.json().path("id").asText(), set.json().path("digest").asText(), r.token("ben")).status());
            assertEquals(200, r.apply(set.json().path("id").asText(), r.token("ann")).status());
        } else {
            assertEquals(204, set.status(), set.body());
        }
        String mallory = r.token("mallory");
        HttpAdmin.Response right = r.http.put(r.admin, mallory, "{\"smtpServer\":" + smtp.formatted(password) + "}");
        HttpAdmin.Response wrong = r.http.put(r.admin, mallory, "{\"smtpServer\":" + smtp.formatted(password + "-guess") + "}");
        try {
            assertAll(
                    () -> assertEquals(202, right.status(), "the stored SMTP password sent back: " + right.body()),
                    () -> assertEquals(202, wrong.status(), "another SMTP password: " + wrong.body()));
        } finally {
            for (HttpAdmin.Response held : List.of(right, wrong)) {
                if (held.status() == 202) {
                    r.http.post(r.guard + "/change-requests/" + held.json().path("id").asText() + "/cancel", mallory, null);
                }
            }
        }
    }

    /**
     * A secret-named attribute of a service account (here {@code webhook.secret}) sent back with its
     * stored value passed unrecorded while any other value was held: the same confirmation as the
     * secret's, now recorded the same way (code review).
     */
    @Test
    void aSecretNamedAttributeSentBackRecordsItsSender(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String target = r.clientUuid("sa-target");
        String value = "wh-" + System.nanoTime();
        String body = "{\"clientId\":\"sa-target\",\"attributes\":{\"webhook.secret\":\"" + value + "\"}}";
        HttpAdmin.Response set = r.http.put(r.admin + "/clients/" + target, r.token("ann"), body);
        assertEquals(202, set.status(), "setting a service account's attribute is held: " + set.body());
        assertEquals(200, r.approve(set.json().path("id").asText(), set.json().path("digest").asText(), r.token("ben")).status());
        assertEquals(200, r.apply(set.json().path("id").asText(), r.token("ann")).status());

        long before = r.read("/audit-chain/head").path("seq").asLong();
        HttpAdmin.Response right = r.http.put(r.admin + "/clients/" + target, r.token("mallory"), body);
        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertEquals(204, right.status(), "the stored value sent back changes nothing: " + right.body()),
                () -> assertTrue(AttackFifthReviewIT.read(records, "sa-target", r.userId("mallory"), r),
                        "the pass confirmed the attribute; mallory is recorded as a reader: " + records));
    }
}
