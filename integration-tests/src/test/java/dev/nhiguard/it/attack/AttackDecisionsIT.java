package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The decision side, after a change is held, in realm {@code guard-attack-decisions} (policy: two
 * approvals, requests expire after 30 s, step-up at most 20 s old, a 600 s cooldown for
 * credential changes and none for privilege grants). The attacker is mallory (realm admin, the
 * requester) or one approver alone (ann). Judged by effect: the roles sa-target's token carries
 * and holds, its secret (a token with the fixture's secret), and the request's state and approvals.
 */
@ExtendWith(KeycloakExtension.class)
class AttackDecisionsIT {

    static final String REALM = "guard-attack-decisions";

    /** mallory grants the realm role x to sa-target: held, answers the change request. */
    static JsonNode heldGrantOfX(AttackRealm r) {
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-target") + "/role-mappings/realm",
                r.token("mallory"), "[" + r.realmRole("x") + "]");
        AttackRealm.assertHeld(held, "granting x to sa-target");
        return held.json();
    }

    /** ann and ben approve with fresh logins; both must be accepted. */
    static void approveByAnnAndBen(AttackRealm r, JsonNode cr) {
        for (String who : List.of("ann", "ben")) {
            HttpAdmin.Response a = r.approve(cr.path("id").asText(), cr.path("digest").asText(), r.token(who));
            assertEquals(200, a.status(), who + " approving: " + a.body());
        }
    }

    static boolean saHoldsX(AttackRealm r) {
        return r.effectiveRealmRoles(r.serviceAccountUserId("sa-target")).contains("x");
    }

    static HttpAdmin.Response rollback(AttackRealm r, String id, String token) {
        return r.http.post(r.guard + "/change-requests/" + id + "/rollback", token, null);
    }

    /** Removes x from sa-target if a case left it there (through the guard: ann asks, mallory and ben approve). */
    static void withoutX(AttackRealm r) {
        if (!saHoldsX(r)) {
            return;
        }
        HttpAdmin.Response held = r.http.send("DELETE", r.admin + "/users/" + r.serviceAccountUserId("sa-target")
                + "/role-mappings/realm", r.token("mallory"), "application/json", "[" + r.realmRole("x") + "]");
        if (held.status() == 202) {
            approveByAnnAndBen(r, held.json());
            r.apply(held.json().path("id").asText(), r.token("mallory"));
        }
        assertFalse(saHoldsX(r), "fixture: sa-target holds x");
    }

    @Test
    void twoConcurrentAppliesApplyOnceAndARollbackRunsOnce(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        withoutX(r);
        JsonNode cr = heldGrantOfX(r);
        String id = cr.path("id").asText();
        approveByAnnAndBen(r, cr);
        // mallory and ann apply at the same moment, three times each.
        String mallory = r.token("mallory");
        String ann = r.token("ann");
        List<Integer> statuses = concurrently(List.of(
                () -> r.apply(id, mallory).status(), () -> r.apply(id, ann).status(),
                () -> r.apply(id, mallory).status(), () -> r.apply(id, ann).status(),
                () -> r.apply(id, mallory).status(), () -> r.apply(id, ann).status()));
        JsonNode applied = r.changeRequest(id);
        long appliedSteps = count(applied.path("history"), "APPLIED");
        assertAll(
                () -> assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "exactly one apply succeeds: " + statuses),
                () -> assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 409), "the others answer 409: " + statuses),
                () -> assertEquals("APPLIED", applied.path("state").asText()),
                () -> assertEquals(1, appliedSteps, "history records one APPLIED: " + applied.path("history")),
                () -> assertTrue(r.tokenRealmRoles("sa-target").contains("x"), "the approved grant took effect"));

        // Two rollbacks of the same request opened side by side, both approved: only the first restores.
        HttpAdmin.Response r1 = rollback(r, id, r.token("mallory"));
        HttpAdmin.Response r2 = rollback(r, id, r.token("mallory"));
        assertEquals(201, r1.status(), r1.body());
        assertEquals(201, r2.status(), r2.body());
        approveByAnnAndBen(r, r1.json());
        approveByAnnAndBen(r, r2.json());
        HttpAdmin.Response apply1 = r.apply(r1.json().path("id").asText(), r.token("mallory"));
        assertEquals(200, apply1.status(), apply1.body());
        assertFalse(r.tokenRealmRoles("sa-target").contains("x"), "rolled back: sa-target's token carries x");
        // The original and the second rollback are spent; a third rollback is refused.
        HttpAdmin.Response reapply = r.apply(id, r.token("mallory"));
        HttpAdmin.Response apply2 = r.apply(r2.json().path("id").asText(), r.token("mallory"));
        HttpAdmin.Response r3 = rollback(r, id, r.token("mallory"));
        assertAll(
                () -> assertEquals(409, reapply.status(), "applying the rolled-back request again: " + reapply.body()),
                () -> assertNotEquals(200, apply2.status(), "the second rollback: " + apply2.body()),
                () -> assertEquals(409, r3.status(), "a rollback of a rolled-back request: " + r3.body()),
                () -> assertEquals("ROLLED_BACK", r.changeRequest(id).path("state").asText()),
                () -> assertFalse(r.tokenRealmRoles("sa-target").contains("x"), "sa-target's token carries x"),
                () -> assertFalse(saHoldsX(r), "sa-target holds x"));
    }

    /**
     * Two requests that each look harmless on review: the grant of x to sa-target (x held by
     * nobody, no privileges) and, approved after it, making x a composite of realm-management's
     * manage-users. Applied in the other order, the grant would give sa-target manage-users,
     * which nobody approved for it: the grant's apply must find its target changed.
     */
    @Test
    void aRoleThatGainedCompositesAfterApprovalIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        withoutX(r);
        JsonNode grant = heldGrantOfX(r);
        approveByAnnAndBen(r, grant);
        String rm = r.clientUuid("realm-management");
        JsonNode manageUsers = r.read("/clients/" + rm + "/roles/manage-users");
        HttpAdmin.Response composite = r.http.post(r.admin + "/roles/x/composites", r.token("mallory"), "[" + manageUsers + "]");
        if (composite.status() == 202) {
            approveByAnnAndBen(r, composite.json());
            HttpAdmin.Response c = r.apply(composite.json().path("id").asText(), r.token("mallory"));
            assertEquals(200, c.status(), "the approved composite: " + c.body());
        } else {
            assertEquals(204, composite.status(), composite.body());
        }
        HttpAdmin.Response apply = r.apply(grant.path("id").asText(), r.token("mallory"));
        String sa = r.serviceAccountUserId("sa-target");
        boolean holdsManageUsers = r.effectiveClientRoles(sa, "realm-management").contains("manage-users");
        boolean holdsX = saHoldsX(r);
        // Clean up: x loses manage-users again (privilege-reducing), sa-target loses x.
        HttpAdmin.Response back = r.http.send("DELETE", r.admin + "/roles/x/composites", r.token("mallory"), "application/json",
                "[" + manageUsers + "]");
        if (back.status() == 202) {
            approveByAnnAndBen(r, back.json());
            r.apply(back.json().path("id").asText(), r.token("mallory"));
        }
        withoutX(r);
        assertAll(
                () -> assertEquals(409, apply.status(), "apply after x changed: " + apply.body()),
                () -> assertFalse(holdsManageUsers, "sa-target holds manage-users"),
                () -> assertFalse(holdsX, "sa-target holds x"));
    }

    /**
     * Two client updates reviewed against the same state of sa-target: A sets a token lifespan,
     * B turns direct access grants around (and, as a full representation, would set the lifespan
     * back). Once A is applied, B is no longer what was reviewed.
     */
    @Test
    void twoApprovedChangesOfOneTargetApplyOnlyTheFirst(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String client = r.clientUuid("sa-target");
        JsonNode original = r.read("/clients/" + client);
        boolean grants = original.path("directAccessGrantsEnabled").asBoolean();
        String lifespan = String.valueOf(60 + (System.nanoTime() % 500));
        com.fasterxml.jackson.databind.node.ObjectNode repA = original.deepCopy();
        repA.with("attributes").put("access.token.lifespan", lifespan);
        com.fasterxml.jackson.databind.node.ObjectNode repB = original.deepCopy();
        repB.put("directAccessGrantsEnabled", !grants);
        HttpAdmin.Response a = r.http.put(r.admin + "/clients/" + client, r.token("mallory"), repA.toString());
        HttpAdmin.Response b = r.http.put(r.admin + "/clients/" + client, r.token("mallory"), repB.toString());
        AttackRealm.assertHeld(a, "client update A");
        AttackRealm.assertHeld(b, "client update B");
        approveByAnnAndBen(r, a.json());
        approveByAnnAndBen(r, b.json());
        HttpAdmin.Response applyA = r.apply(a.json().path("id").asText(), r.token("mallory"));
        HttpAdmin.Response applyB = r.apply(b.json().path("id").asText(), r.token("mallory"));
        JsonNode now = r.read("/clients/" + client);
        assertAll(
                () -> assertEquals(200, applyA.status(), applyA.body()),
                () -> assertEquals(409, applyB.status(), "B was reviewed against the target before A: " + applyB.body()),
                () -> assertEquals(grants, now.path("directAccessGrantsEnabled").asBoolean()),
                () -> assertEquals(lifespan, now.path("attributes").path("access.token.lifespan").asText()));

        // P, approved and applied after A, turns direct access grants around; then a rollback of A.
        com.fasterxml.jackson.databind.node.ObjectNode repP = now.deepCopy();
        repP.put("directAccessGrantsEnabled", !grants);
        HttpAdmin.Response p = r.http.put(r.admin + "/clients/" + client, r.token("mallory"), repP.toString());
        AttackRealm.assertHeld(p, "client update P");
        approveByAnnAndBen(r, p.json());
        assertEquals(200, r.apply(p.json().path("id").asText(), r.token("mallory")).status());
        HttpAdmin.Response rb = rollback(r, a.json().path("id").asText(), r.token("mallory"));
        assertEquals(201, rb.status(), rb.body());
        String rbId = rb.json().path("id").asText();
        String shownDiff = r.changeRequest(rbId).path("diff").toString();
        approveByAnnAndBen(r, rb.json());
        HttpAdmin.Response applyRb = r.apply(rbId, r.token("mallory"));
        JsonNode rolledBack = r.read("/clients/" + client);
        boolean pReverted = rolledBack.path("directAccessGrantsEnabled").asBoolean() == grants;
        assertAll(
                () -> assertEquals(200, applyRb.status(), applyRb.body()),
                () -> assertEquals(original.path("attributes").path("access.token.lifespan").asText(),
                        rolledBack.path("attributes").path("access.token.lifespan").asText(), "A's lifespan (" + lifespan
                        + ") rolled back; rollback request: " + r.changeRequest(rbId)),
                // Whatever the rollback does beyond A, the approvers were shown it.
                () -> assertTrue(!pReverted || shownDiff.contains("directAccessGrantsEnabled"),
                        "the rollback of A also reverted P without showing it: " + shownDiff));
    }

    @Test
    void noOnePersonMakesAQuorumOfTwo(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        withoutX(r);
        JsonNode cr = heldGrantOfX(r);
        String id = cr.path("id").asText();
        String digest = cr.path("digest").asText();
        HttpAdmin.Response own = r.approve(id, digest, r.token("mallory"));
        // A digest of another request (one mallory holds identically a moment later) approves nothing.
        JsonNode twin = heldGrantOfX(r);
        HttpAdmin.Response wrongDigest = r.approve(id, twin.path("digest").asText().equals(digest) ? "0" + digest
                : twin.path("digest").asText(), r.token("ben"));
        r.http.post(r.guard + "/change-requests/" + twin.path("id").asText() + "/cancel", r.token("mallory"), null);
        HttpAdmin.Response ann1 = r.approve(id, digest, r.token("ann"));
        HttpAdmin.Response ann2 = r.approve(id, digest, r.token("ann"));
        // ann applies and mallory applies: one approval of two is not enough.
        HttpAdmin.Response applyAnn = r.apply(id, r.token("ann"));
        HttpAdmin.Response applyMallory = r.apply(id, r.token("mallory"));
        JsonNode after = r.changeRequest(id);
        r.http.post(r.guard + "/change-requests/" + id + "/cancel", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(403, own.status(), "mallory approving her own request: " + own.body()),
                () -> assertEquals(409, wrongDigest.status(), "approving with another digest: " + wrongDigest.body()),
                () -> assertEquals(200, ann1.status(), ann1.body()),
                () -> assertEquals(409, ann2.status(), "ann approving twice: " + ann2.body()),
                () -> assertEquals(409, applyAnn.status(), applyAnn.body()),
                () -> assertEquals(409, applyMallory.status(), applyMallory.body()),
                () -> assertEquals("PENDING", after.path("state").asText(), after.toString()),
                () -> assertEquals(1, after.path("approvals").size(), after.toString()),
                () -> assertFalse(saHoldsX(r), "sa-target holds x"));
    }

    /** An approved request cancelled and asked again: the approvals stay with the first, nothing is applied. */
    @Test
    void approvalsDoNotCarryOverToARecreatedRequest(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        withoutX(r);
        JsonNode first = heldGrantOfX(r);
        approveByAnnAndBen(r, first);
        HttpAdmin.Response cancel = r.http.post(r.guard + "/change-requests/" + first.path("id").asText() + "/cancel",
                r.token("mallory"), null);
        JsonNode again = heldGrantOfX(r);
        HttpAdmin.Response applyFirst = r.apply(first.path("id").asText(), r.token("mallory"));
        HttpAdmin.Response applyAgain = r.apply(again.path("id").asText(), r.token("mallory"));
        JsonNode againAfter = r.changeRequest(again.path("id").asText());
        r.http.post(r.guard + "/change-requests/" + again.path("id").asText() + "/cancel", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(200, cancel.status(), cancel.body()),
                () -> assertEquals(409, applyFirst.status(), "applying the cancelled request: " + applyFirst.body()),
                () -> assertEquals(409, applyAgain.status(), "applying the recreated request: " + applyAgain.body()),
                () -> assertEquals(0, againAfter.path("approvals").size(), againAfter.toString()),
                () -> assertEquals("PENDING", againAfter.path("state").asText()),
                () -> assertFalse(saHoldsX(r), "sa-target holds x"));
    }

    @Test
    void aCredentialChangeWaitsForItsCooldown(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String before = r.read("/clients/" + r.clientUuid("sa-target") + "/client-secret").path("value").asText();
        JsonNode cr = r.heldSecretRegeneration(r.token("mallory"));
        approveByAnnAndBen(r, cr);
        String id = cr.path("id").asText();
        HttpAdmin.Response byMallory = r.apply(id, r.token("mallory"));
        HttpAdmin.Response byAnn = r.apply(id, r.token("ann"));
        JsonNode after = r.changeRequest(id);
        r.http.post(r.guard + "/change-requests/" + id + "/cancel", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(409, byMallory.status(), "apply during the cooldown: " + byMallory.body()),
                () -> assertEquals(409, byAnn.status(), "apply during the cooldown: " + byAnn.body()),
                () -> assertEquals("COOLING_DOWN", after.path("state").asText(), after.toString()),
                () -> assertEquals(before, r.read("/clients/" + r.clientUuid("sa-target") + "/client-secret").path("value").asText()),
                () -> assertEquals(200, r.clientCredentialsStatus("sa-target", "sa-target-secret")));
    }

    /**
     * One wait past the policy's 30 s expiry and 20 s step-up age: an approved request is not
     * applied, a half-approved one is not approved, and an approver's session older than the
     * step-up age, refreshed (same auth_time), does not approve.
     */
    @Test
    void expiredRequestsAndStaleStepUpDecideNothing(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        withoutX(r);
        JsonNode approved = heldGrantOfX(r);
        approveByAnnAndBen(r, approved);
        JsonNode half = heldGrantOfX(r);
        assertEquals(200, r.approve(half.path("id").asText(), half.path("digest").asText(), r.token("ann")).status());
        JsonNode annLogin = r.http.passwordGrant(r.name, "admin-cli", "ann", "ann-pass", null);
        Thread.sleep(32_000);
        HttpAdmin.Response applyExpired = r.apply(approved.path("id").asText(), r.token("mallory"));
        HttpAdmin.Response approveExpired = r.approve(half.path("id").asText(), half.path("digest").asText(), r.token("ben"));
        // A fresh request, approved by ann with a refreshed token of her 32 s old login.
        JsonNode fresh = heldGrantOfX(r);
        String refreshed = r.http.token(r.name, Map.of("grant_type", "refresh_token", "client_id", "admin-cli",
                "refresh_token", annLogin.path("refresh_token").asText())).path("access_token").asText();
        HttpAdmin.Response stale = r.approve(fresh.path("id").asText(), fresh.path("digest").asText(), refreshed);
        JsonNode freshAfter = r.changeRequest(fresh.path("id").asText());
        r.http.post(r.guard + "/change-requests/" + fresh.path("id").asText() + "/cancel", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(409, applyExpired.status(), "apply after expiry: " + applyExpired.body()),
                () -> assertEquals(409, approveExpired.status(), "approve after expiry: " + approveExpired.body()),
                () -> assertEquals("EXPIRED", r.changeRequest(approved.path("id").asText()).path("state").asText()),
                () -> assertEquals("EXPIRED", r.changeRequest(half.path("id").asText()).path("state").asText()),
                () -> assertEquals(401, stale.status(), "approving with a stale step-up: " + stale.body()),
                () -> assertEquals(0, freshAfter.path("approvals").size(), freshAfter.toString()),
                () -> assertFalse(saHoldsX(r), "sa-target holds x"));
    }

    static long count(JsonNode history, String action) {
        long n = 0;
        for (JsonNode h : history) {
            if (action.equals(h.path("action").asText()) || action.equals(h.path("step").asText())) {
                n++;
            }
        }
        return n;
    }

    static List<Integer> concurrently(List<Callable<Integer>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> futures = new ArrayList<>();
            for (Callable<Integer> c : calls) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return c.call();
                }));
            }
            start.countDown();
            List<Integer> out = new ArrayList<>();
            for (Future<Integer> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
