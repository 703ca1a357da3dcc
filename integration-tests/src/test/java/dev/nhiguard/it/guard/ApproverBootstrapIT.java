package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Approvers come from the operator, never from an admin request: realm {@code guard-short}
 * starts with one approver (ann) while its policy needs one besides the requester. The test
 * server's option {@code bootstrap-approvers=guard-short:eve} appoints eve (directly, recorded as
 * a {@code GUARD_BOOTSTRAP} admin event); ann's own grant of the approver role to finn is held
 * like any other change, whatever the number of approvers.
 */
@ExtendWith(KeycloakExtension.class)
class ApproverBootstrapIT {

    static final String A = "/admin/realms/guard-short";

    @Test
    void theOperatorAppointsApproversAndAnAdminGrantIsAlwaysHeld(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String ann = StepUpAndExpiryIT.token(http, "guard-short", "ann");
        String eve = http.get(A + "/users?exact=true&username=eve", ann).json().get(0).get("id").asText();
        String finn = http.get(A + "/users?exact=true&username=finn", ann).json().get(0).get("id").asText();

        // The bootstrap task runs with the expiry interval (2 s in tests): eve holds the role directly.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!http.get(A + "/users/" + eve + "/role-mappings/realm", ann).body().contains("nhi-approver")
                && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertTrue(http.get(A + "/users/" + eve + "/role-mappings/realm", ann).body().contains("nhi-approver"),
                "the operator's bootstrap appoints eve");
        boolean recorded = false;
        for (JsonNode e : http.get(A + "/admin-events?max=500", ann).json()) {
            recorded |= "GUARD_BOOTSTRAP".equals(e.path("resourceType").asText()) && e.path("representation").asText().contains(eve);
        }
        assertTrue(recorded, "the appointment is an admin event (and so chained)");

        JsonNode role = http.get(A + "/roles/nhi-approver", ann).json();
        HttpAdmin.Response grant = http.post(A + "/users/" + finn + "/role-mappings/realm",
                StepUpAndExpiryIT.token(http, "guard-short", "ann"), "[" + role + "]");
        assertEquals(202, grant.status(), "an admin's grant of the approver role is held: " + grant.body());
        assertEquals("approver-role-grant", grant.json().path("operation").asText());
        assertFalse(http.get(A + "/users/" + finn + "/role-mappings/realm", ann).body().contains("nhi-approver"),
                "finn is not an approver while the grant is held");
        http.post(A + "/mutation-guard/change-requests/" + grant.json().path("id").asText() + "/cancel", ann, null);
    }

    /**
     * Fifteenth review: the operator also names gwen, who does not exist. A realm admin who created gwen, with a password
     * of her own, had her appointed approver by the bootstrap. Creating a user under that name is held.
     */
    @Test
    void aUserTheOperatorNamesIsNotCreatedByAnAdminRequest(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String ann = StepUpAndExpiryIT.token(http, "guard-short", "ann");
        HttpAdmin.Response created = http.post(A + "/users", ann, "{\"username\":\"gwen\",\"enabled\":true,"
                + "\"credentials\":[{\"type\":\"password\",\"value\":\"chosen-by-the-creator\",\"temporary\":false}]}");
        try {
            assertEquals(202, created.status(), "creating gwen is held: " + created.body());
            assertEquals("user-create-bootstrap-approver", created.json().path("operation").asText(), created.body());
            assertEquals(0, http.get(A + "/users?exact=true&username=gwen", ann).json().size(), "gwen exists");
        } finally {
            if (created.status() == 202) {
                http.post(A + "/mutation-guard/change-requests/" + created.json().path("id").asText() + "/cancel", ann, null);
            }
        }
    }
}
