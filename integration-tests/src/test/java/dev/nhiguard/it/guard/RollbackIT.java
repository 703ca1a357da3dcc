package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

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
    void rollingBackASecretRegenerationRestoresTheOldSecret(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        // Read by the master admin: an approver who read it may not approve the rollback that brings it back.
        String old = secretReadByMaster(keycloak, realm, "sa-console");
        JsonNode cr = ApprovalRulesIT.holdSecretRegeneration(realm, "sa-console", realm.token("cara"));
        String id = cr.path("id").asText();
        JsonNode full = realm.changeRequest(id, realm.token("ann"));
        assertEquals("keycloak-dry-run", full.at("/afterImage/source").asText(), full.path("afterImage").toString());
        assertTrue(full.path("diff").toString().contains("generated by Keycloak at apply"),
                "the dry run's secret is neither stored nor shown: " + full.path("diff"));
        assertEquals("APPLIED", approveAndApply(realm, id));
        String regenerated = secretReadByMaster(keycloak, realm, "sa-console");
        assertFalse(regenerated.equals(old));
        assertFalse(full.toString().contains(regenerated) || full.toString().contains(old), full.toString());

        HttpAdmin.Response rb = realm.http.post(G + "/change-requests/" + id + "/rollback", realm.token("cara"), null);
        assertEquals(201, rb.status(), rb.body());
        assertEquals("client-update", rb.json().path("operation").asText(), rb.body());
        assertFalse(rb.body().contains(old) || rb.body().contains(regenerated), rb.body());
        // ann listed the clients (a recorded read of sa-console's secret) before the regeneration: she may not approve the
        // rollback that brings that secret back; ben, who never read it, may.
        String rollbackId = rb.json().path("id").asText();
        String rollbackDigest = realm.changeRequest(rollbackId, realm.token("ben")).path("digest").asText();
        HttpAdmin.Response byReader = realm.approve(rollbackId, rollbackDigest, realm.token("ann"));
        assertEquals(403, byReader.status(), byReader.body());
        assertEquals(200, realm.approve(rollbackId, rollbackDigest, realm.token("ben")).status());
        HttpAdmin.Response rolledBack = realm.apply(rollbackId, realm.token("cara"));
        assertEquals(200, rolledBack.status(), rolledBack.body());
        assertEquals("APPLIED", rolledBack.json().path("state").asText());
        assertEquals(old, secretReadByMaster(keycloak, realm, "sa-console"), "the old secret is back");
        JsonNode original = realm.changeRequest(id, realm.token("ann"));
        assertEquals("ROLLED_BACK", original.path("state").asText());
        assertFalse(original.path("rollbackRestoresSecret").asBoolean(true), "the kept secret is destroyed: " + original);
    }

    @Test
    void rollingBackAClientSecretChangeRestoresTheOldSecretAndNeverShowsIt(KeycloakTarget keycloak) {
        DryRealm realm = new DryRealm(keycloak);
        String oldSecret = "sa-roll-OLD-secret-5be0c7";
        String newSecret = "sa-roll-NEW-secret-77c2d9";
        String cara = realm.token("cara");
        String client = realm.client("sa-roll", cara);
        ObjectNode rep = (ObjectNode) realm.get(DryRealm.A + "/clients/" + client, cara);
        rep.put("secret", newSecret);
        HttpAdmin.Response held = realm.http.put(DryRealm.A + "/clients/" + client, cara, rep.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        assertTrue(realm.changeRequest(id, realm.token("ann")).path("rollbackRestoresSecret").asBoolean(), "old secret kept");
        realm.approveAndApply(id, "ann");
        assertEquals(200, realm.clientCredentials("sa-roll", newSecret), "new works");
        assertEquals(401, realm.clientCredentials("sa-roll", oldSecret), "old fails");

        // cara read the old secret (her GET of the client) before she replaced it: the rollback would hand it back to her.
        HttpAdmin.Response byReader = realm.http.post(DryRealm.GUARD + "/change-requests/" + id + "/rollback", realm.token("cara"), null);
        assertEquals(403, byReader.status(), byReader.body());
        HttpAdmin.Response rb = realm.http.post(DryRealm.GUARD + "/change-requests/" + id + "/rollback", realm.token("ann"), null);
        assertEquals(201, rb.status(), rb.body());
        String rollbackId = rb.json().path("id").asText();
        JsonNode rollback = realm.changeRequest(rollbackId, realm.token("ben"));
        assertEquals("supplied", rollback.at("/body/secret/sealed").asText(), rollback.path("body").toString());
        boolean secretInDiff = false;
        for (JsonNode d : rollback.path("diff")) {
            secretInDiff |= "supplied".equals(d.path("sealed").asText()) && d.path("path").asText().endsWith("/secret");
        }
        assertTrue(secretInDiff, "the restored secret is in the diff: " + rollback.path("diff"));
        assertEquals("PENDING", rollback.path("state").asText());
        assertEquals(200, realm.clientCredentials("sa-roll", newSecret),
                "nothing restored before approval");
        JsonNode shownToBen = realm.changeRequest(rollbackId, realm.token("ben"));
        assertEquals(200, realm.http.post(DryRealm.GUARD + "/change-requests/" + rollbackId + "/approve", realm.token("ben"),
                "{\"digest\":\"" + shownToBen.path("digest").asText() + "\"}").status(), "ben approves");
        HttpAdmin.Response rolledBack = SecretSealingIT.applyPatiently(keycloak, DryRealm.GUARD, rollbackId, realm.token("ann"));
        assertEquals(200, rolledBack.status(), rolledBack.body());

        assertEquals(200, realm.clientCredentials("sa-roll", oldSecret), "old works again");
        assertEquals(401, realm.clientCredentials("sa-roll", newSecret), "new fails");
        assertEquals("ROLLED_BACK", realm.changeRequest(id, realm.token("ann")).path("state").asText());

        // The old secret never in clear: change-request API (list and both requests, three admins), admin events, chain.
        for (String user : List.of("cara", "ann", "fay")) {
            String token = realm.token(user);
            for (String path : List.of(DryRealm.GUARD + "/change-requests?max=500", DryRealm.GUARD + "/change-requests/" + id,
                    DryRealm.GUARD + "/change-requests/" + rollbackId)) {
                HttpAdmin.Response r = realm.http.get(path, token);
                assertEquals(200, r.status(), r.body());
                assertFalse(r.body().contains(oldSecret) || r.body().contains(newSecret), path + " as " + user + ": " + r.body());
            }
        }
        String ann = realm.token("ann");
        HttpAdmin.Response events = realm.http.get(DryRealm.A + "/admin-events?max=5000", ann);
        assertEquals(200, events.status(), events.body());
        assertTrue(events.body().contains(rollbackId), "the guard's events are there");
        assertFalse(events.body().contains(oldSecret) || events.body().contains(newSecret), "admin events: " + events.body());
        HttpAdmin.Response export = realm.http.get(DryRealm.A + "/audit-chain/export", ann);
        assertEquals(200, export.status(), export.body());
        assertTrue(export.body().contains(id) && export.body().contains(rollbackId), "the chain records both requests");
        assertFalse(export.body().contains(oldSecret) || export.body().contains(newSecret), "audit chain export");
    }

    /** The client's secret, read by the master admin (not one of the realm's approvers). */
    private static String secretReadByMaster(KeycloakTarget keycloak, GuardTestRealm realm, String clientId) {
        String master = keycloak.http().adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        return realm.getJson(A + "/clients/" + realm.clientUuid(clientId, master) + "/client-secret", master).path("value").asText();
    }
}
