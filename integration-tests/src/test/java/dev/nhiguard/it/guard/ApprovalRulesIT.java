package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Who may approve, reject, cancel and apply, and what every refusal answers. */
@ExtendWith(KeycloakExtension.class)
class ApprovalRulesIT {

    static final String A = GuardTestRealm.ADMIN;

    /** Holds a secret regeneration of the client as the given token's user. */
    static JsonNode holdSecretRegeneration(GuardTestRealm realm, String clientId, String requesterToken) {
        String uuid = realm.clientUuid(clientId, realm.token("ann"));
        HttpAdmin.Response held = realm.http.post(A + "/clients/" + uuid + "/client-secret", requesterToken, null);
        assertEquals(202, held.status(), held.body());
        return held.json();
    }

    static String secretOf(GuardTestRealm realm, String clientId) {
        String ann = realm.token("ann");
        return realm.getJson(A + "/clients/" + realm.clientUuid(clientId, ann) + "/client-secret", ann).path("value").asText();
    }

    @Test
    void approvalIsRefusedToRequesterServiceAccountsNonApproversOwnersAndAlteredDigests(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        JsonNode cr = holdSecretRegeneration(realm, "sa-rules", realm.token("ann"));
        String id = cr.path("id").asText();
        String digest = cr.path("digest").asText();

        HttpAdmin.Response self = realm.approve(id, digest, realm.token("ann"));
        assertEquals(403, self.status(), self.body());
        assertEquals("access_denied", self.json().path("error").asText());
        assertTrue(self.json().path("error_description").asText().contains("requester"), self.body());

        HttpAdmin.Response robot = realm.approve(id, digest, realm.serviceAccountToken("robot-admin"));
        assertEquals(403, robot.status(), robot.body());
        assertTrue(robot.json().path("error_description").asText().contains("Service accounts"), robot.body());

        HttpAdmin.Response nonApprover = realm.approve(id, digest, realm.token("cara"));
        assertEquals(403, nonApprover.status(), nonApprover.body());
        assertTrue(nonApprover.json().path("error_description").asText().contains("nhi-approver"), nonApprover.body());

        HttpAdmin.Response altered = realm.approve(id, "0".repeat(64), realm.token("ben"));
        assertEquals(409, altered.status(), altered.body());
        assertTrue(altered.json().path("error_description").asText().contains("digest"), altered.body());
        assertEquals("PENDING", altered.json().path("state").asText());

        JsonNode stillPending = realm.changeRequest(id, realm.token("ben"));
        assertEquals("PENDING", stillPending.path("state").asText());
        assertEquals(0, stillPending.path("approvals").size(), "refused approvals must not count");

        HttpAdmin.Response ok = realm.approve(id, digest, realm.token("ben"));
        assertEquals(200, ok.status(), ok.body());
        assertEquals("APPROVED", ok.json().path("state").asText());

        HttpAdmin.Response twice = realm.approve(id, digest, realm.token("ben"));
        assertEquals(409, twice.status(), twice.body());
        assertEquals("APPROVED", twice.json().path("state").asText());

        JsonNode full = realm.changeRequest(id, realm.token("ben"));
        assertEquals(1, full.path("approvals").size());
        assertEquals("ben", full.path("approvals").get(0).path("username").asText());
        assertEquals(digest, full.path("approvals").get(0).path("digest").asText());
        assertTrue(full.path("history").size() >= 3, full.toString());
    }

    @Test
    void serviceAccountsMayRequestButTheirOwnerMayNotApprove(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        JsonNode cr = holdSecretRegeneration(realm, "sa-reject", realm.serviceAccountToken("robot-admin"));
        assertTrue(cr.path("requester").path("serviceAccount").asBoolean(), cr.toString());
        HttpAdmin.Response owner = realm.approve(cr.path("id").asText(), cr.path("digest").asText(), realm.token("ben"));
        assertEquals(403, owner.status(), owner.body());
        assertTrue(owner.json().path("error_description").asText().contains("owner"), owner.body());
        HttpAdmin.Response other = realm.approve(cr.path("id").asText(), cr.path("digest").asText(), realm.token("ann"));
        assertEquals(200, other.status(), other.body());
    }

    @Test
    void rejectAndCancelAreFinalAndIllegalTransitionsAnswer409WithTheState(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String before = secretOf(realm, "sa-cancel");
        JsonNode rejected = holdSecretRegeneration(realm, "sa-cancel", realm.token("cara"));
        String rid = rejected.path("id").asText();

        HttpAdmin.Response noReason = realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + rid + "/reject",
                realm.token("ann"), "{}");
        assertEquals(400, noReason.status(), noReason.body());
        HttpAdmin.Response byNonApprover = realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + rid + "/reject",
                realm.token("cara"), "{\"reason\":\"mine\"}");
        assertEquals(403, byNonApprover.status(), byNonApprover.body());
        HttpAdmin.Response reject = realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + rid + "/reject",
                realm.token("ann"), "{\"reason\":\"not during the freeze\"}");
        assertEquals(200, reject.status(), reject.body());
        assertEquals("REJECTED", reject.json().path("state").asText());
        assertEquals("not during the freeze", reject.json().path("reason").asText());

        HttpAdmin.Response approveRejected = realm.approve(rid, rejected.path("digest").asText(), realm.token("ben"));
        assertEquals(409, approveRejected.status(), approveRejected.body());
        assertEquals("REJECTED", approveRejected.json().path("state").asText());
        HttpAdmin.Response applyRejected = realm.apply(rid, realm.token("cara"));
        assertEquals(409, applyRejected.status(), applyRejected.body());
        assertEquals("REJECTED", applyRejected.json().path("state").asText());

        JsonNode cancelled = holdSecretRegeneration(realm, "sa-cancel", realm.token("cara"));
        String cid = cancelled.path("id").asText();
        HttpAdmin.Response notRequester = realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + cid + "/cancel",
                realm.token("ann"), null);
        assertEquals(403, notRequester.status(), notRequester.body());
        HttpAdmin.Response cancel = realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + cid + "/cancel",
                realm.token("cara"), null);
        assertEquals(200, cancel.status(), cancel.body());
        assertEquals("CANCELLED", cancel.json().path("state").asText());
        HttpAdmin.Response cancelAgain = realm.http.post(GuardTestRealm.GUARD + "/change-requests/" + cid + "/cancel",
                realm.token("cara"), null);
        assertEquals(409, cancelAgain.status(), cancelAgain.body());
        assertEquals("CANCELLED", cancelAgain.json().path("state").asText());

        assertEquals(before, secretOf(realm, "sa-cancel"), "rejected or cancelled requests must not change anything");

        HttpAdmin.Response list = realm.http.get(GuardTestRealm.GUARD + "/change-requests?state=CANCELLED&target=client:"
                + realm.clientUuid("sa-cancel", realm.token("ann")), realm.token("ann"));
        assertEquals(200, list.status(), list.body());
        assertEquals(1, list.json().size(), list.body());
        assertEquals(cid, list.json().get(0).path("id").asText());
    }

    @Test
    void pendingRequestCannotBeApplied(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        JsonNode cr = holdSecretRegeneration(realm, "sa-bad", realm.token("cara"));
        HttpAdmin.Response apply = realm.apply(cr.path("id").asText(), realm.token("cara"));
        assertEquals(409, apply.status(), apply.body());
        assertEquals("PENDING", apply.json().path("state").asText());
        HttpAdmin.Response byStranger = realm.apply(cr.path("id").asText(), realm.serviceAccountToken("robot-admin"));
        assertEquals(403, byStranger.status(), byStranger.body());
    }
}
