package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Bad input to every endpoint: 4xx with Keycloak's error JSON, nothing changed, no 5xx. */
@ExtendWith(KeycloakExtension.class)
class GuardApiInputIT {

    static final String G = GuardTestRealm.GUARD;

    record Call(String method, String path, String contentType, String body, int status) {
    }

    @Test
    void badInputIsRefusedWithErrorJsonAndChangesNothing(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        String uuid = realm.clientUuid("sa-bad", ann);
        String before = realm.http.get(G + "/change-requests?max=500", ann).body();
        String secretBefore = ApprovalRulesIT.secretOf(realm, "sa-bad");
        String big = "{\"digest\":\"" + "a".repeat(1_100_000) + "\"}";
        String unknown = "00000000-0000-0000-0000-000000000000";
        List<Call> calls = List.of(
                new Call("POST", G + "/change-requests/" + unknown + "/approve", "application/json", "{\"digest\":\"x\"}", 404),
                new Call("POST", G + "/change-requests/" + unknown + "/reject", "application/json", "{\"reason\":\"x\"}", 404),
                new Call("POST", G + "/change-requests/" + unknown + "/cancel", "application/json", null, 404),
                new Call("POST", G + "/change-requests/" + unknown + "/apply", "application/json", null, 404),
                new Call("GET", G + "/change-requests/" + unknown, null, null, 404),
                new Call("GET", G + "/change-requests/" + "x".repeat(80), null, null, 404),
                new Call("POST", G + "/change-requests/" + unknown + "/approve", "application/json", "{not json", 400),
                new Call("POST", G + "/change-requests/" + unknown + "/approve", "application/json", "{\"digest\":5}", 400),
                new Call("POST", G + "/change-requests/" + unknown + "/approve", "application/json", "[]", 400),
                new Call("POST", G + "/change-requests/" + unknown + "/approve", "application/json", big, 413),
                new Call("POST", G + "/change-requests/" + unknown + "/reject", "application/json", "{\"reason\":7}", 400),
                new Call("GET", G + "/change-requests?state=BOGUS", null, null, 400),
                new Call("GET", G + "/change-requests?max=abc", null, null, 400),
                new Call("GET", G + "/change-requests?max=100000", null, null, 400),
                new Call("GET", G + "/change-requests?first=-1", null, null, 400),
                new Call("POST", G + "/change-requests", "application/json", "{", 400),
                new Call("POST", G + "/change-requests", "application/json", "{\"method\":1,\"path\":2}", 400),
                new Call("POST", G + "/change-requests", "application/json", "{\"method\":\"GET\",\"path\":\"/admin/realms/guard-table/clients\"}", 400),
                new Call("POST", G + "/change-requests", "application/json", "{\"method\":\"POST\",\"path\":\"/admin/realms/master/clients\"}", 400),
                new Call("POST", G + "/change-requests", "application/json", "{\"method\":\"POST\",\"path\":\"/admin/realms/guard-table/client-scopes\",\"body\":{}}", 400),
                new Call("PUT", G + "/policy", "application/json", "{\"approvalsRequired\":0}", 400),
                new Call("PUT", G + "/policy", "application/json", "{\"guardedOperations\":[\"nope\"]}", 400),
                new Call("PUT", G + "/policy", "application/json", "{broken", 400),
                // the audit's prune, held by the guard: a garbage body is answered, never stored as a change request
                new Call("POST", "/admin/realms/guard-table/audit-chain/prune", "application/json", "{}", 400),
                new Call("POST", "/admin/realms/guard-table/audit-chain/prune", "application/json", "{\"below\":1}", 400),
                new Call("POST", "/admin/realms/guard-table/audit-chain/prune", "application/json", "{\"below\":2.5}", 400),
                new Call("POST", "/admin/realms/guard-table/audit-chain/prune", "application/json", "{\"below\":5,\"x\":1}", 400),
                new Call("PUT", "/admin/realms/guard-table/clients/" + uuid, "application/json", "{broken", 400),
                new Call("POST", "/admin/realms/guard-table/clients/" + uuid + "/client-secret", "application/json", "x".repeat(1_100_000), 413));
        for (Call c : calls) {
            HttpAdmin.Response r = realm.http.send(c.method(), c.path(), cara, c.contentType(), c.body());
            String what = c.method() + " " + c.path().substring(0, Math.min(120, c.path().length())) + " "
                    + (c.body() == null ? "" : c.body().substring(0, Math.min(80, c.body().length())));
            assertEquals(c.status(), r.status(), what + " -> " + r.body());
            assertTrue(r.json().has("error"), what + " -> no error field: " + r.body());
            assertFalse(r.json().path("error_description").asText().isEmpty(), what + " -> " + r.body());
        }
        assertEquals(before, realm.http.get(G + "/change-requests?max=500", ann).body(), "no change request may have been opened");
        assertEquals(secretBefore, ApprovalRulesIT.secretOf(realm, "sa-bad"));
    }

    @Test
    void askBeforeWritingOpensARequestWithoutTouchingTheTarget(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String uuid = realm.clientUuid("sa-bad", ann);
        String secret = ApprovalRulesIT.secretOf(realm, "sa-bad");
        HttpAdmin.Response r = realm.http.post(G + "/change-requests", realm.token("cara"),
                "{\"method\":\"POST\",\"path\":\"/admin/realms/guard-table/clients/" + uuid + "/client-secret\"}");
        assertEquals(201, r.status(), r.body());
        assertEquals("client-secret-regenerate", r.json().path("operation").asText());
        assertTrue(r.header("Location").endsWith("/change-requests/" + r.json().path("id").asText()), r.header("Location"));
        assertEquals(secret, ApprovalRulesIT.secretOf(realm, "sa-bad"));
    }

    @Test
    void statusSaysWhichAdmissionLayersAreActive(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        HttpAdmin.Response r = realm.http.get(G + "/status", realm.token("cara"));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.json().path("enabled").asBoolean());
        assertTrue(r.json().path("realmGuarded").asBoolean());
        assertTrue(r.json().path("admissionLayers").path("httpAdmissionFilter").path("active").asBoolean(), r.body());
        HttpAdmin.Response p = realm.http.get(G + "/policy", realm.token("cara"));
        assertEquals(200, p.status(), p.body());
        assertEquals("nhi-approver", p.json().path("effective").path("approverRole").asText());
        assertTrue(p.json().path("catalogue").size() > 30, p.body());
    }
}
