package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Apply happens exactly once, and never on a target that changed since the request was made. */
@ExtendWith(KeycloakExtension.class)
class ApplyOnceIT {

    static final String A = GuardTestRealm.ADMIN;

    @Test
    void parallelAppliesYieldExactlyOneApply(KeycloakTarget keycloak) throws Exception {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String before = ApprovalRulesIT.secretOf(realm, "sa-parallel");
        String cara = realm.token("cara");
        JsonNode cr = ApprovalRulesIT.holdSecretRegeneration(realm, "sa-parallel", cara);
        String id = cr.path("id").asText();
        assertEquals(200, realm.approve(id, cr.path("digest").asText(), realm.token("ann")).status());

        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Callable<HttpAdmin.Response>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(() -> realm.apply(id, cara));
            }
            List<Integer> statuses = new ArrayList<>();
            List<String> secrets = new ArrayList<>();
            for (Future<HttpAdmin.Response> f : pool.invokeAll(calls)) {
                HttpAdmin.Response r = f.get();
                statuses.add(r.status());
                if (r.status() == 200) {
                    secrets.add(r.json().path("result").path("body").path("value").asText());
                } else {
                    assertEquals(409, r.status(), r.body());
                }
            }
            assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "statuses " + statuses);
            String after = ApprovalRulesIT.secretOf(realm, "sa-parallel");
            assertNotEquals(before, after);
            assertEquals(after, secrets.get(0), "the requester receives the one new secret");
        } finally {
            pool.shutdownNow();
        }
        JsonNode full = realm.changeRequest(id, realm.token("ann"));
        assertEquals("APPLIED", full.path("state").asText());
        long applied = 0;
        for (JsonNode h : full.path("history")) {
            if ("APPLIED".equals(h.path("step").asText())) {
                applied++;
            }
        }
        assertEquals(1, applied, full.path("history").toString());
    }

    @Test
    void parallelApprovalsByTwoApproversCountOnceAndApproveOnce(KeycloakTarget keycloak) throws Exception {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        JsonNode cr = ApprovalRulesIT.holdSecretRegeneration(realm, "sa-rules", realm.token("cara"));
        String id = cr.path("id").asText();
        String digest = cr.path("digest").asText();
        String ann = realm.token("ann");
        String ben = realm.token("ben");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<HttpAdmin.Response>> calls = List.of(() -> realm.approve(id, digest, ann),
                    () -> realm.approve(id, digest, ben), () -> realm.approve(id, digest, ann), () -> realm.approve(id, digest, ben));
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpAdmin.Response> f : pool.invokeAll(calls)) {
                HttpAdmin.Response r = f.get();
                statuses.add(r.status());
                if (r.status() != 200) {
                    assertEquals(409, r.status(), r.body());
                }
            }
            assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "statuses " + statuses);
        } finally {
            pool.shutdownNow();
        }
        JsonNode full = realm.changeRequest(id, realm.token("ann"));
        assertEquals("APPROVED", full.path("state").asText());
        assertEquals(1, full.path("approvals").size(), full.path("approvals").toString());
    }

    @Test
    void targetChangedAfterTheRequestAnswers409AndStaysUnapplied(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String uuid = realm.clientUuid("sa-changed", ann);
        ObjectNode rep = (ObjectNode) realm.getJson(A + "/clients/" + uuid, ann);
        rep.put("enabled", false);
        HttpAdmin.Response held = realm.http.put(A + "/clients/" + uuid, realm.token("cara"), rep.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        JsonNode full = realm.changeRequest(id, ann);
        assertTrue(full.path("diff").toString().contains("/client/enabled"), full.path("diff").toString());
        assertEquals(200, realm.approve(id, full.path("digest").asText(), ann).status());

        // An unguarded edit of the same client (its description) changes the target meanwhile.
        ObjectNode edit = (ObjectNode) realm.getJson(A + "/clients/" + uuid, ann);
        edit.put("description", "edited meanwhile");
        HttpAdmin.Response direct = realm.http.put(A + "/clients/" + uuid, ann, edit.toString());
        assertEquals(204, direct.status(), direct.body());

        HttpAdmin.Response apply = realm.apply(id, realm.token("cara"));
        assertEquals(409, apply.status(), apply.body());
        assertEquals("target_changed", apply.json().path("error").asText());
        assertEquals("APPROVED", apply.json().path("state").asText());
        // The answer says what changed: the description (Keycloak's client update may also attach the
        // service_account scope to a service-account client imported without it).
        JsonNode changes = apply.json().path("changes");
        JsonNode description = null;
        for (JsonNode c : changes) {
            String path = c.path("path").asText();
            assertTrue(List.of("/client/description", "/client/defaultClientScopes").contains(path), changes.toString());
            if (path.equals("/client/description")) {
                description = c;
            }
        }
        assertTrue(description != null, changes.toString());
        assertEquals("edited meanwhile", description.path("to").asText(), changes.toString());
        assertTrue(realm.getJson(A + "/clients/" + uuid, ann).path("enabled").asBoolean(), "must stay enabled");
        assertEquals("APPROVED", realm.changeRequest(id, ann).path("state").asText());
    }
}
