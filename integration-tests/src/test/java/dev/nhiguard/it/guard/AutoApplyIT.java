package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Realm {@code guard-auto} sets {@code autoApply} and a 3 s credential cooldown: a client update
 * is applied right after its approval; a secret regeneration once its cooldown has ended, by the
 * scheduled task (every 2 s in the tests), without anyone calling apply.
 */
@ExtendWith(KeycloakExtension.class)
class AutoApplyIT {

    static final String R = "guard-auto";
    static final String A = "/admin/realms/" + R;

    static JsonNode awaitState(HttpAdmin http, String id, String state) throws InterruptedException {
        JsonNode cr = null;
        for (int i = 0; i < 60; i++) {
            cr = http.get(A + "/mutation-guard/change-requests/" + id, StepUpAndExpiryIT.token(http, R, "ann")).json();
            if (state.equals(cr.path("state").asText())) {
                return cr;
            }
            Thread.sleep(500);
        }
        return cr;
    }

    @Test
    void approvedRequestsApplyThemselvesOnceTheCooldownEnds(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String ann = StepUpAndExpiryIT.token(http, R, "ann");
        String x = StepUpAndExpiryIT.clientUuid(http, R, ann, "sa-x");
        String y = StepUpAndExpiryIT.clientUuid(http, R, ann, "sa-y");

        ObjectNode rep = (ObjectNode) http.get(A + "/clients/" + x, ann).json();
        rep.put("enabled", false);
        HttpAdmin.Response update = http.put(A + "/clients/" + x, StepUpAndExpiryIT.token(http, R, "cara"), rep.toString());
        assertEquals(202, update.status(), update.body());
        HttpAdmin.Response approved = http.post(A + "/mutation-guard/change-requests/" + update.json().path("id").asText()
                + "/approve", ann, "{\"digest\":\"" + update.json().path("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        JsonNode applied = awaitState(http, update.json().path("id").asText(), "APPLIED");
        assertEquals("APPLIED", applied.path("state").asText(), applied.toString());
        assertEquals(false, http.get(A + "/clients/" + x, ann).json().path("enabled").asBoolean());

        String secret = http.get(A + "/clients/" + y + "/client-secret", ann).json().path("value").asText();
        HttpAdmin.Response regen = http.post(A + "/clients/" + y + "/client-secret", StepUpAndExpiryIT.token(http, R, "cara"), null);
        assertEquals(202, regen.status(), regen.body());
        String id = regen.json().path("id").asText();
        HttpAdmin.Response ok = http.post(A + "/mutation-guard/change-requests/" + id + "/approve",
                StepUpAndExpiryIT.token(http, R, "ann"), "{\"digest\":\"" + regen.json().path("digest").asText() + "\"}");
        assertEquals("COOLING_DOWN", ok.json().path("state").asText(), ok.body());
        JsonNode done = awaitState(http, id, "APPLIED");
        assertEquals("APPLIED", done.path("state").asText(), done.toString());
        assertNotEquals(secret, http.get(A + "/clients/" + y + "/client-secret", StepUpAndExpiryIT.token(http, R, "ann"))
                .json().path("value").asText());
    }
}
