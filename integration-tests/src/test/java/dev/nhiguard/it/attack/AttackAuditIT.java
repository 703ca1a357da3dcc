package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeld;
import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Audit and policy, in realms {@code guard-attack-audit} and {@code guard-attack-policy} (which
 * has a guard policy attribute): mallory tries to erase or shorten the record, prune the audit
 * chain, drop the policy by leaving it out of a realm update, or slip a lockout change in with a
 * policy change. Judged by effect: the admin and user events are still listed, the chain still
 * starts at record 1 and verifies, the realm's attributes and settings are unchanged.
 */
@ExtendWith(KeycloakExtension.class)
class AttackAuditIT {

    static final String REALM = "guard-attack-audit";
    static final String POLICY_REALM = "guard-attack-policy";
    static final String POLICY = "nhi.guard.policy";

    static Set<String> ids(JsonNode events) {
        Set<String> ids = new TreeSet<>();
        events.forEach(e -> ids.add(e.has("id") ? e.path("id").asText() : e.path("time").asText() + e.path("resourcePath").asText()
                + e.path("type").asText()));
        return ids;
    }

    static long firstSeq(AttackRealm r) {
        return r.read("/audit-chain/head").path("firstSeq").asLong();
    }

    /** The chain still starts where it started before the attack (record {@code firstSeq} is there) and verifies. */
    static void assertChainIntact(AttackRealm r, long firstSeqBefore) {
        JsonNode head = r.read("/audit-chain/head");
        JsonNode first = r.read("/audit-chain/records?after=0&limit=1").path("records");
        JsonNode verify = r.read("/audit-chain/verify");
        assertAll(
                () -> assertEquals(firstSeqBefore, head.path("firstSeq").asLong(), "the chain was pruned: " + head),
                () -> assertEquals(firstSeqBefore, first.path(0).path("seq").asLong(), "the chain's first record: " + first),
                () -> assertTrue(verify.path("ok").asBoolean(), "the chain verifies: " + verify));
    }

    @Test
    void eventsCannotBeDeleted(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/groups", mallory, "{\"name\":\"audit-marker\"}").status(), "an admin event to keep");
        r.token("ann"); // a LOGIN user event to keep
        Set<String> adminEvents = ids(r.read("/admin-events?first=0&max=10000"));
        Set<String> userEvents = ids(r.read("/events?first=0&max=10000"));
        long chainStart = firstSeq(r);
        assertTrue(!adminEvents.isEmpty() && !userEvents.isEmpty(), "fixture: events recorded " + adminEvents.size() + "/" + userEvents.size());

        HttpAdmin.Response deleteAdminEvents = r.http.delete(r.admin + "/admin-events", mallory);
        HttpAdmin.Response deleteEvents = r.http.delete(r.admin + "/events", mallory);
        Set<String> adminAfter = ids(r.read("/admin-events?first=0&max=10000"));
        Set<String> userAfter = ids(r.read("/events?first=0&max=10000"));
        assertAll(
                () -> assertHeldOrRefused(deleteAdminEvents, "DELETE /admin-events"),
                () -> assertHeldOrRefused(deleteEvents, "DELETE /events"),
                () -> assertTrue(adminAfter.containsAll(adminEvents), "admin events deleted"),
                () -> assertTrue(userAfter.containsAll(userEvents), "user events deleted"),
                () -> assertChainIntact(r, chainStart));
    }

    @Test
    void eventRetentionCannotBeShortened(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        JsonNode before = r.realm();
        // Keycloak keeps the admin events' expiration as the realm attribute adminEventsExpiration
        // (seconds), which the admin console sends with the realm's other attributes.
        ObjectNode body = AttackRealm.JSON.createObjectNode();
        ObjectNode attributes = body.putObject("attributes");
        before.path("attributes").fields().forEachRemaining(e -> attributes.set(e.getKey(), e.getValue()));
        attributes.put("adminEventsExpiration", "60");
        HttpAdmin.Response adminExpiration = r.http.put(r.admin, mallory, AttackRealm.json(body));
        HttpAdmin.Response userExpiration = r.http.put(r.admin, mallory, "{\"eventsExpiration\":1}");
        JsonNode after = r.realm();
        assertAll(
                () -> assertHeldOrRefused(adminExpiration, "adminEventsExpiration=60"),
                () -> assertHeldOrRefused(userExpiration, "eventsExpiration=1"),
                () -> assertEquals(before.path("attributes").path("adminEventsExpiration"), after.path("attributes").path("adminEventsExpiration"),
                        "attribute adminEventsExpiration"),
                () -> assertEquals(before.path("eventsExpiration"), after.path("eventsExpiration"), "eventsExpiration"),
                () -> assertTrue(after.path("adminEventsEnabled").asBoolean() && after.path("eventsEnabled").asBoolean()));
    }

    @Test
    void theAuditChainCannotBePruned(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        long chainStart = firstSeq(r);
        for (int i = 0; i < 6; i++) { // enough records for a signed checkpoint (the test server signs every 5)
            r.http.post(r.admin + "/roles", mallory, "{\"name\":\"prune-filler-" + i + "\"}");
        }
        // The audit chain refuses a prune itself (409) until a signed checkpoint covers it and every
        // sink has delivered it; those refusals are preconditions, not the defence under test, so
        // the attack is repeated until the audit chain would let it through.
        HttpAdmin.Response prune = null;
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            HttpAdmin.Response latest = r.get("/audit-chain/checkpoints/latest");
            long below = latest.status() == 200 ? Long.parseLong(latest.body().split("\n")[1].trim()) : 0;
            if (below >= 2) {
                prune = r.http.post(r.admin + "/audit-chain/prune", r.token("mallory"), "{\"below\":" + below + "}");
                if (!auditChainsOwnRefusal(prune)) {
                    break;
                }
            }
            Thread.sleep(1000);
        }
        assertNotNull(prune, "no signed checkpoint to prune below within a minute");
        HttpAdmin.Response answer = prune;
        assertFalse(auditChainsOwnRefusal(answer), "the audit chain's own precondition still refuses the prune: " + answer.body());
        assertAll(
                () -> assertHeldOrRefused(answer, "POST /audit-chain/prune"),
                () -> assertChainIntact(r, chainStart));
    }

    @Test
    void leavingThePolicyOutOfARealmUpdateDoesNotDropIt(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, POLICY_REALM);
        String policy = r.realm().path("attributes").path(POLICY).asText(null);
        assertNotNull(policy, "fixture: the realm has a policy attribute");
        HttpAdmin.Response put = r.http.put(r.admin, r.token("mallory"), "{\"attributes\":{\"nhi.attack.marker\":\"x\"}}");
        JsonNode after = r.realm();
        assertAll(
                () -> assertHeldOrRefused(put, "a realm update whose attributes leave out " + POLICY),
                () -> assertEquals(policy, after.path("attributes").path(POLICY).asText(null), "the policy attribute"),
                () -> assertTrue(after.path("attributes").path("nhi.attack.marker").isMissingNode(), "the update was applied"));
    }

    @Test
    void aPolicyChangeAndALockoutChangeTogetherAreOneRequestNamingBoth(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, POLICY_REALM);
        JsonNode before = r.realm();
        String policy = before.path("attributes").path(POLICY).asText(null);
        assertNotNull(policy, "fixture: the realm has a policy attribute");
        assertTrue(before.path("bruteForceProtected").asBoolean(), "fixture: brute-force protection on");
        int requestsBefore = r.changeRequestCount();
        ObjectNode body = AttackRealm.JSON.createObjectNode();
        body.put("bruteForceProtected", false);
        ObjectNode attributes = body.putObject("attributes");
        before.path("attributes").fields().forEachRemaining(e -> attributes.set(e.getKey(), e.getValue()));
        attributes.put(POLICY, "{\"approvalsRequired\":1,\"expirySeconds\":3600,\"stepUpMaxAgeSeconds\":600}");
        HttpAdmin.Response put = r.http.put(r.admin, r.token("mallory"), AttackRealm.json(body));
        assertHeld(put, "a realm update changing the policy and bruteForceProtected");
        String id = put.json().path("id").asText();
        JsonNode request = r.changeRequest(id);
        String diff = request.path("diff").toString();
        JsonNode after = r.realm();
        r.http.post(r.guard + "/change-requests/" + id + "/cancel", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(requestsBefore + 1, r.changeRequestCount(), "one change request for one write"),
                () -> assertTrue(diff.contains(POLICY), "the diff names the policy: " + diff),
                () -> assertTrue(diff.contains("bruteForceProtected"), "the diff names bruteForceProtected: " + diff),
                () -> assertEquals(policy, after.path("attributes").path(POLICY).asText(null), "the policy attribute"),
                () -> assertTrue(after.path("bruteForceProtected").asBoolean(), "brute-force protection switched off"));
    }

    /** A 409 of the audit chain's own prune preconditions (see the audit chain's README, Retention). */
    private static boolean auditChainsOwnRefusal(HttpAdmin.Response r) {
        if (r.status() != 409) {
            return false;
        }
        String error = r.json().path("error").asText();
        return Set.of("no_signed_checkpoint", "sink_not_delivered", "conflict", "already_pruned", "nothing_to_prune").contains(error);
    }
}
