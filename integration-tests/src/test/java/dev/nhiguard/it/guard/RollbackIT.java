package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** A rollback is a new change request restoring the before-image, through the same approvals. */
@ExtendWith(KeycloakExtension.class)
class RollbackIT {

    static final String A = GuardTestRealm.ADMIN;
    static final String G = GuardTestRealm.GUARD;

    static String approveAndApply(GuardTestRealm realm, String id) {
        JsonNode cr = realm.changeRequest(id, realm.token("ann"));
        HttpAdmin.Response approved = realm.approve(id, cr.path("digest").asText(), realm.token("ann"));
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = realm.apply(id, realm.token("cara"));
        assertEquals(200, applied.status(), applied.body());
        return applied.json().path("state").asText();
    }

    @Test
    void rollingBackAClientUpdateRestoresTheBeforeImage(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String uuid = realm.clientUuid("sa-stale", ann);
        ObjectNode rep = (ObjectNode) realm.getJson(A + "/clients/" + uuid, ann);
        rep.put("enabled", false);
        rep.put("fullScopeAllowed", false);
        HttpAdmin.Response held = realm.http.put(A + "/clients/" + uuid, realm.token("cara"), rep.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();

        HttpAdmin.Response tooEarly = realm.http.post(G + "/change-requests/" + id + "/rollback", realm.token("cara"), null);
        assertEquals(409, tooEarly.status(), tooEarly.body());
        assertEquals("PENDING", tooEarly.json().path("state").asText());

        assertEquals("APPLIED", approveAndApply(realm, id));
        JsonNode changed = realm.getJson(A + "/clients/" + uuid, ann);
        assertFalse(changed.path("enabled").asBoolean());
        assertFalse(changed.path("fullScopeAllowed").asBoolean());

        HttpAdmin.Response rb = realm.http.post(G + "/change-requests/" + id + "/rollback", realm.token("cara"), null);
        assertEquals(201, rb.status(), rb.body());
        String rollbackId = rb.json().path("id").asText();
        assertEquals(id, rb.json().path("rollbackOf").asText());
        assertEquals("PENDING", rb.json().path("state").asText());
        assertTrue(rb.header("Location").endsWith(G + "/change-requests/" + rollbackId), rb.header("Location"));
        assertFalse(realm.getJson(A + "/clients/" + uuid, ann).path("enabled").asBoolean(), "not restored before approval");

        assertEquals("APPLIED", approveAndApply(realm, rollbackId));
        JsonNode restored = realm.getJson(A + "/clients/" + uuid, ann);
        assertTrue(restored.path("enabled").asBoolean(), restored.toString());
        assertTrue(restored.path("fullScopeAllowed").asBoolean(), restored.toString());
        assertEquals("ROLLED_BACK", realm.changeRequest(id, ann).path("state").asText());
        // the secret was never stored in clear, and rolling back kept it
        assertEquals("sa-stale-secret", realm.getJson(A + "/clients/" + uuid + "/client-secret", ann).path("value").asText());
    }

    @Test
    void rollingBackARoleGrantRevokesOnlyWhatWasAdded(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String user = realm.serviceAccountUserId("sa-loa", ann);
        String mappings = A + "/users/" + user + "/role-mappings/realm";
        String before = realm.http.get(mappings, ann).body();
        HttpAdmin.Response held = realm.http.post(mappings, realm.token("cara"), "[" + realm.realmRole("reporting", ann) + "]");
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        assertEquals("APPLIED", approveAndApply(realm, id));
        assertTrue(realm.http.get(mappings, ann).body().contains("\"reporting\""));

        HttpAdmin.Response rb = realm.http.post(G + "/change-requests/" + id + "/rollback", realm.token("cara"), null);
        assertEquals(201, rb.status(), rb.body());
        assertEquals("service-account-realm-role-revoke", rb.json().path("operation").asText());
        assertEquals("APPLIED", approveAndApply(realm, rb.json().path("id").asText()));
        assertEquals(before, realm.http.get(mappings, ann).body());
        assertEquals("ROLLED_BACK", realm.changeRequest(id, ann).path("state").asText());
    }

    @Test
    void secretRegenerationCannotBeRolledBack(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        JsonNode cr = ApprovalRulesIT.holdSecretRegeneration(realm, "sa-console", realm.token("cara"));
        String id = cr.path("id").asText();
        assertEquals("APPLIED", approveAndApply(realm, id));
        HttpAdmin.Response rb = realm.http.post(G + "/change-requests/" + id + "/rollback", realm.token("cara"), null);
        assertEquals(422, rb.status(), rb.body());
        assertEquals("unsupported_request", rb.json().path("error").asText());
        assertEquals("APPLIED", realm.changeRequest(id, realm.token("ann")).path("state").asText());
    }
}
