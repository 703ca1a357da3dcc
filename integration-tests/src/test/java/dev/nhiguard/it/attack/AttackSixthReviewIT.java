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
            r.cancelHeld(mallory, right, wrong);
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

    /**
     * A service account turned on for a client whose scope is filled after the approval (the
     * client was no service account, so its scope was no guarded subject); and a new service
     * account named with a scope that does not exist yet, created with mappers after the approval
     * (Keycloak attaches a scope by name at creation). Code review of the sixth review's fixes.
     */
    @Test
    void scopesAServiceAccountGetsByDefaultOrByNameArePinnedToo(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String n = String.valueOf(System.nanoTime());
        // 1. An ordinary client with an empty default scope, then its service account turned on (held, approved).
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"reports-" + n + "\",\"publicClient\":false}").status());
        String client = r.clientUuid("reports-" + n);
        assertEquals(201, r.http.post(r.admin + "/client-scopes", mallory, "{\"name\":\"reports-x-" + n + "\",\"protocol\":\"openid-connect\"}").status());
        String scope = scopeId(r, "reports-x-" + n);
        assertEquals(204, r.http.put(r.admin + "/clients/" + client + "/default-client-scopes/" + scope, mallory, null).status());
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) r.read("/clients/" + client);
        rep.put("serviceAccountsEnabled", true);
        HttpAdmin.Response turnOn = r.http.put(r.admin + "/clients/" + client, mallory, AttackRealm.json(rep));
        assertEquals(202, turnOn.status(), "turning a service account on is held: " + turnOn.body());
        assertEquals(200, r.approve(turnOn.json().path("id").asText(), turnOn.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response filled = r.http.post(r.admin + "/client-scopes/" + scope + "/protocol-mappers/models", mallory, APPROVER_MAPPER);
        HttpAdmin.Response appliedTurnOn = r.apply(turnOn.json().path("id").asText(), mallory);

        // 2. A new service account naming a scope nobody has yet, which is created with mappers after the approval.
        HttpAdmin.Response create = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"svc-" + n + "\",\"publicClient\":false,"
                + "\"serviceAccountsEnabled\":true,\"defaultClientScopes\":[\"metrics-" + n + "\"]}");
        assertEquals(202, create.status(), "a new service account is held: " + create.body());
        assertEquals(200, r.approve(create.json().path("id").asText(), create.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response later = r.http.post(r.admin + "/client-scopes", mallory, "{\"name\":\"metrics-" + n + "\",\"protocol\":\"openid-connect\","
                + "\"protocolMappers\":[" + APPROVER_MAPPER + "]}");
        HttpAdmin.Response appliedCreate = r.apply(create.json().path("id").asText(), mallory);
        try {
            assertAll(
                    () -> assertEquals(201, filled.status(), "fixture: the scope of a client without service account is everyday work"),
                    () -> assertEquals(409, appliedTurnOn.status(), "turning the service account on after its scope changed: " + appliedTurnOn.body()),
                    () -> assertEquals(201, later.status(), "fixture: a new client scope is everyday work: " + later.body()),
                    () -> assertEquals(409, appliedCreate.status(), "creating the service account after its named scope appeared: " + appliedCreate.body()),
                    () -> assertEquals(null, r.clientUuidOrNull("svc-" + n), "the service account was created"));
        } finally {
            r.cancelHeld(mallory, turnOn, create);
        }
    }

    /**
     * A service account's group join approved, then (a second approval, whose own view shows a group
     * without members) a role granted to the group's parent: members inherit it. The join pins what
     * its members reach through the group and its ancestors.
     */
    @Test
    void aGroupJoinPinsWhatItsMembersReachThroughTheParentGroup(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String n = String.valueOf(System.nanoTime());
        assertEquals(201, r.http.post(r.admin + "/groups", mallory, "{\"name\":\"ops-" + n + "\"}").status());
        String ops = groupId(r, "ops-" + n);
        assertEquals(201, r.http.post(r.admin + "/groups/" + ops + "/children", mallory, "{\"name\":\"readers\"}").status());
        String readers = r.read("/groups/" + ops + "/children").get(0).path("id").asText();
        String sa = r.serviceAccountUserId("sa-target");
        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + sa + "/groups/" + readers, mallory, null);
        assertEquals(202, join.status(), "a service account joining a group is held: " + join.body());
        String id = join.json().path("id").asText();
        assertEquals(200, r.approve(id, join.json().path("digest").asText(), r.token("ann")).status());
        // The parent gets a role; held or not, approved by ann: its own view shows a group nobody is in.
        assertEquals(201, r.http.post(r.admin + "/roles", mallory, "{\"name\":\"ops-power-" + n + "\"}").status());
        HttpAdmin.Response grant = r.http.post(r.admin + "/groups/" + ops + "/role-mappings/realm", mallory,
                "[" + r.realmRole("ops-power-" + n) + "]");
        if (grant.status() == 202) {
            assertEquals(200, r.approve(grant.json().path("id").asText(), grant.json().path("digest").asText(), r.token("ann")).status());
            assertEquals(200, r.apply(grant.json().path("id").asText(), mallory).status());
        } else {
            assertEquals(204, grant.status(), grant.body());
        }
        HttpAdmin.Response applied = r.apply(id, mallory);
        try {
            assertAll(
                    () -> assertEquals(409, applied.status(), "the join after the parent's roles changed: " + applied.body()),
                    () -> assertFalse(r.effectiveRealmRoles(sa).contains("ops-power-" + n), "sa-target's service account holds the parent's role"));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", mallory, null);
        }
    }

    static final String APPROVER_MAPPER = "{\"name\":\"approver\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-role-mapper\","
            + "\"config\":{\"role\":\"nhi-approver\"}}";

    private static String scopeId(AttackRealm r, String name) {
        for (JsonNode s : r.read("/client-scopes")) {
            if (name.equals(s.path("name").asText())) {
                return s.path("id").asText();
            }
        }
        throw new AssertionError("no client scope " + name);
    }

    private static String groupId(AttackRealm r, String name) {
        for (JsonNode g : r.read("/groups?search=" + name)) {
            if (name.equals(g.path("name").asText())) {
                return g.path("id").asText();
            }
        }
        throw new AssertionError("no group " + name);
    }

    /**
     * Two approved requests applied in the order that makes the second's view wrong: a role granted
     * to sa-target's service account (the role holds nothing yet), then a composite added to that
     * role (its view shows a role nobody holds). Applied in that order, the composite reached the
     * service account (seventh review). A definition's before-image now says whether a guarded
     * subject holds it, so the second apply is refused once the first made it so.
     */
    @Test
    void aCompositeApprovedForARoleNobodyHeldIsRefusedOnceAServiceAccountHoldsIt(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String n = String.valueOf(System.nanoTime());
        assertEquals(201, r.http.post(r.admin + "/roles", mallory, "{\"name\":\"helper-" + n + "\"}").status());
        assertEquals(201, r.http.post(r.admin + "/roles", mallory, "{\"name\":\"power-" + n + "\"}").status());
        String sa = r.serviceAccountUserId("sa-target");
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + sa + "/role-mappings/realm", mallory, "[" + r.realmRole("helper-" + n) + "]");
        HttpAdmin.Response composite = r.http.post(r.admin + "/roles/helper-" + n + "/composites", mallory, "[" + r.realmRole("power-" + n) + "]");
        assertEquals(202, grant.status(), grant.body());
        assertEquals(202, composite.status(), composite.body());
        assertEquals(200, r.approve(grant.json().path("id").asText(), grant.json().path("digest").asText(), r.token("ann")).status());
        assertEquals(200, r.approve(composite.json().path("id").asText(), composite.json().path("digest").asText(), r.token("ben")).status());
        HttpAdmin.Response first = r.apply(grant.json().path("id").asText(), mallory);
        HttpAdmin.Response second = r.apply(composite.json().path("id").asText(), mallory);
        try {
            assertAll(
                    () -> assertEquals(200, first.status(), "the grant of an empty role: " + first.body()),
                    () -> assertEquals(409, second.status(), "the composite, now reaching a service account: " + second.body()),
                    () -> assertFalse(r.effectiveRealmRoles(sa).contains("power-" + n), "sa-target's service account holds power"));
        } finally {
            r.cancelHeld(mallory, composite);
        }
    }

    /**
     * An ordinary client's roles held by sa-target's service account: renaming the client moves the
     * service account's roles and audience under another clientId in its tokens (it would show up
     * at another resource server as its admin). Such a rename is held (seventh review).
     */
    @Test
    void renamingAClientWhoseRolesAServiceAccountHoldsIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String n = String.valueOf(System.nanoTime());
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"decoy-" + n + "\",\"publicClient\":false}").status());
        String decoy = r.clientUuid("decoy-" + n);
        assertEquals(201, r.http.post(r.admin + "/clients/" + decoy + "/roles", mallory, "{\"name\":\"admin\"}").status());
        String sa = r.serviceAccountUserId("sa-target");
        approvedAndApplied(r, r.http.post(r.admin + "/users/" + sa + "/role-mappings/clients/" + decoy, mallory,
                "[" + AttackRealm.json(r.read("/clients/" + decoy + "/roles/admin")) + "]"), 204);
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) r.read("/clients/" + decoy);
        rep.put("clientId", "payments-" + n);
        HttpAdmin.Response rename = r.http.put(r.admin + "/clients/" + decoy, r.token("mallory"), AttackRealm.json(rep));
        try {
            assertAll(
                    () -> assertEquals(202, rename.status(), "renaming a client whose role sa-target holds: " + rename.body()),
                    () -> assertEquals("decoy-" + n, r.read("/clients/" + decoy).path("clientId").asText(), "the client's clientId"));
        } finally {
            r.cancelHeld(r.token("mallory"), rename);
        }
    }

    /**
     * An agent registered with an allowed scope by name, the scope filled with mappers after the
     * approval (no service account used it yet): the agent's tokens carried the approver role
     * (seventh review). An agent's allowed scopes are pinned like a new client's.
     */
    @Test
    void anAgentsAllowedScopeFilledAfterApprovalIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String n = String.valueOf(System.nanoTime());
        assertEquals(201, r.http.post(r.admin + "/client-scopes", mallory, "{\"name\":\"invoices-" + n + "\",\"protocol\":\"openid-connect\"}").status());
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("name", "invoice-bot-" + n);
        body.put("owner", java.util.Map.of("type", "user", "username", "ann")); // already privileged: olive stays ordinary for the other tests
        body.put("purpose", "reconciles invoices");
        body.put("expiresAt", java.time.Instant.now().plus(java.time.Duration.ofDays(30)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        body.put("allowedScopes", List.of("invoices-" + n));
        body.put("keyBinding", java.util.Map.of("type", "jwk", "jwk", new dev.nhiguard.it.agent.AgentKey().publicJwk()));
        HttpAdmin.Response register = r.http.post(r.admin + "/agents", mallory, AttackRealm.json(body));
        assertEquals(202, register.status(), "registering an agent is held: " + register.body());
        String id = register.json().path("id").asText();
        assertEquals(200, r.approve(id, register.json().path("digest").asText(), r.token("ben")).status());
        HttpAdmin.Response mapper = r.http.post(r.admin + "/client-scopes/" + scopeId(r, "invoices-" + n) + "/protocol-mappers/models",
                mallory, APPROVER_MAPPER);
        HttpAdmin.Response applied = r.apply(id, mallory);
        try {
            assertAll(
                    () -> assertEquals(201, mapper.status(), "fixture: a scope nobody uses is everyday work: " + mapper.body()),
                    () -> assertEquals(409, applied.status(), "the registration after its scope changed: " + applied.body()),
                    () -> assertEquals(null, r.clientUuidOrNull("invoice-bot-" + n), "the agent was registered"));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", mallory, null);
        }
    }

    /**
     * A realm admin changes her own e-mail (her account's recovery) through the account API, which no
     * admin endpoint sees: the audit chain records it (the user event types of self-service
     * changes are chained by default; seventh review).
     */
    @Test
    void aPrivilegedUsersSelfServiceProfileChangeIsInTheChain(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        long before = r.read("/audit-chain/head").path("seq").asLong();
        String n = String.valueOf(System.nanoTime());
        HttpAdmin.Response changed = r.http.post("/realms/" + REALM + "/account/", r.token("mallory"),
                "{\"username\":\"mallory\",\"email\":\"mallory-" + n + "@example.org\",\"firstName\":\"Mal\",\"lastName\":\"Lory\"}");
        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertEquals(204, changed.status(), "fixture: the account API takes the change: " + changed.body()),
                () -> assertTrue(records.stream().anyMatch(x -> "UPDATE_PROFILE".equals(x.path("type").asText())
                        && r.userId("mallory").equals(x.at("/actor/userId").asText())), "the change in the chain: " + records));
    }

    /**
     * Authorization services' protection API: a resource server's own token creates a user-managed
     * policy (an access grant) that Keycloak records no event for. It is in the chain, naming the
     * resource server's service account (seventh review).
     */
    @Test
    void aProtectionApiGrantIsInTheChain(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String n = String.valueOf(System.nanoTime());
        approvedAndApplied(r, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"rs-" + n + "\",\"secret\":\"rs-secret-" + n + "\","
                + "\"serviceAccountsEnabled\":true,\"authorizationServicesEnabled\":true,\"publicClient\":false,\"standardFlowEnabled\":false}"), 201);
        String pat = r.http.clientCredentials(REALM, "rs-" + n, "rs-secret-" + n).path("access_token").asText();
        HttpAdmin.Response resource = r.http.post("/realms/" + REALM + "/authz/protection/resource_set", pat,
                "{\"name\":\"payroll\",\"uris\":[\"/payroll/*\"],\"resource_scopes\":[\"read\"],\"ownerManagedAccess\":true}");
        assertEquals(201, resource.status(), resource.body());
        long before = r.read("/audit-chain/head").path("seq").asLong();
        HttpAdmin.Response policy = r.http.post("/realms/" + REALM + "/authz/protection/uma-policy/" + resource.json().path("_id").asText(), pat,
                "{\"name\":\"mallory-can-read\",\"scopes\":[\"read\"],\"users\":[\"mallory\"]}");
        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertEquals(200, policy.status(), "fixture: the resource server grants mallory read: " + policy.body()),
                () -> assertTrue(records.stream().anyMatch(x -> x.path("target").asText().startsWith("authz/protection/uma-policy")
                        && r.serviceAccountUserId("rs-" + n).equals(x.at("/actor/userId").asText())),
                        "the grant in the chain, by the resource server's service account: " + records));
    }
}
