package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Bootstrap without deadlock: realm {@code guard-short} starts with one approver (ann) while
 * its policy needs one approver besides the requester, so ann's own requests could never be
 * approved. Appointing approvers passes (recorded) until the realm has enough; then it is held.
 */
@ExtendWith(KeycloakExtension.class)
class ApproverBootstrapIT {

    static final String A = "/admin/realms/guard-short";

    @Test
    void approversCanBeAppointedUntilTheRealmHasEnoughThenTheGrantIsHeld(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String ann = StepUpAndExpiryIT.token(http, "guard-short", "ann");
        JsonNode role = http.get(A + "/roles/nhi-approver", ann).json();
        String eve = http.get(A + "/users?exact=true&username=eve", ann).json().get(0).get("id").asText();
        String finn = http.get(A + "/users?exact=true&username=finn", ann).json().get(0).get("id").asText();

        // ann's own request warns that nobody else can approve it yet.
        String sa = StepUpAndExpiryIT.clientUuid(http, "guard-short", ann, "sa-y");
        HttpAdmin.Response held = http.post(A + "/clients/" + sa + "/client-secret",
                StepUpAndExpiryIT.token(http, "guard-short", "ann"), null);
        assertEquals(202, held.status(), held.body());
        assertTrue(held.json().path("needs").path("warning").asText().contains("appoint approvers"), held.body());
        http.post(A + "/mutation-guard/change-requests/" + held.json().path("id").asText() + "/cancel", ann, null);

        HttpAdmin.Response appoint = http.post(A + "/users/" + eve + "/role-mappings/realm", ann, "[" + role + "]");
        assertEquals(204, appoint.status(), "bootstrap appointment must pass: " + appoint.body());
        assertTrue(http.get(A + "/users/" + eve + "/role-mappings/realm", ann).body().contains("nhi-approver"));

        HttpAdmin.Response events = http.get(A + "/admin-events?max=200", ann);
        boolean recorded = false;
        for (JsonNode e : events.json()) {
            recorded |= "GUARD_BOOTSTRAP".equals(e.path("resourceType").asText()) && e.path("representation").asText().contains(eve);
        }
        assertTrue(recorded, "the bootstrap appointment is recorded as an admin event: " + events.body());

        HttpAdmin.Response second = http.post(A + "/users/" + finn + "/role-mappings/realm",
                StepUpAndExpiryIT.token(http, "guard-short", "ann"), "[" + role + "]");
        assertEquals(202, second.status(), "with two approvers the grant is held: " + second.body());
        assertEquals("approver-role-grant", second.json().path("operation").asText());
        assertTrue(second.json().path("needs").path("warning").isMissingNode(), second.body());
    }
}
