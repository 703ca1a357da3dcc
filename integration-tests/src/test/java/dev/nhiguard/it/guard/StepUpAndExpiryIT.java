package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Step-up (RFC 9470 challenge from the server-side session's auth time and level) and expiry,
 * in realms whose policies make them observable: {@code guard-short} (max age 3 s, expiry 10 s)
 * and {@code guard-loa} (minimum level 2, acr "gold").
 */
@ExtendWith(KeycloakExtension.class)
class StepUpAndExpiryIT {

    static String token(HttpAdmin http, String realm, String user) {
        return http.passwordGrant(realm, "admin-cli", user, user + "-pass", null).get("access_token").asText();
    }

    static String clientUuid(HttpAdmin http, String realm, String token, String clientId) {
        return http.get("/admin/realms/" + realm + "/clients?clientId=" + clientId, token).json().get(0).get("id").asText();
    }

    @Test
    void levelBelowThePolicyMinimumIsChallengedPerRfc9470(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String cara = token(http, "guard-loa", "cara");
        String uuid = clientUuid(http, "guard-loa", cara, "sa-x");
        HttpAdmin.Response r = http.post("/admin/realms/guard-loa/clients/" + uuid + "/client-secret", cara, null);
        assertEquals(401, r.status(), r.body());
        String challenge = r.header("WWW-Authenticate");
        assertNotNull(challenge, r.headers().toString());
        assertTrue(challenge.startsWith("Bearer error=\"insufficient_user_authentication\""), challenge);
        assertTrue(challenge.contains("acr_values=\"gold\""), challenge);
        assertTrue(challenge.contains("max_age=300"), challenge);
        JsonNode body = r.json();
        assertEquals("insufficient_user_authentication", body.path("error").asText());
        assertEquals("gold", body.path("acr_values").asText());
        assertEquals(300, body.path("max_age").asInt());
        HttpAdmin.Response list = http.get("/admin/realms/guard-loa/mutation-guard/change-requests", cara);
        assertEquals(0, list.json().size(), "a challenged write must not open a change request: " + list.body());
    }

    @Test
    void staleApproverIsChallengedAndExpiredRequestsCanBeNeitherApprovedNorApplied(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String realm = "guard-short";
        String cara = token(http, realm, "cara");
        String uuid = clientUuid(http, realm, cara, "sa-x");
        HttpAdmin.Response held = http.post("/admin/realms/" + realm + "/clients/" + uuid + "/client-secret", cara, null);
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        String digest = held.json().path("digest").asText();
        String untouchedId = http.post("/admin/realms/" + realm + "/clients/" + clientUuid(http, realm, cara, "sa-y")
                + "/client-secret", cara, null).json().path("id").asText();
        String staleAnn = token(http, realm, "ann");

        Thread.sleep(4_000); // past the policy's 3 s step-up max age, not yet past its 10 s expiry
        HttpAdmin.Response stale = http.post("/admin/realms/" + realm + "/mutation-guard/change-requests/" + id + "/approve",
                staleAnn, "{\"digest\":\"" + digest + "\"}");
        assertEquals(401, stale.status(), stale.body());
        assertTrue(stale.header("WWW-Authenticate").contains("insufficient_user_authentication"), stale.headers().toString());
        assertTrue(stale.header("WWW-Authenticate").contains("max_age=3"), stale.header("WWW-Authenticate"));
        assertEquals(3, stale.json().path("max_age").asInt());

        Thread.sleep(7_000); // past the 10 s expiry
        HttpAdmin.Response expired = http.post("/admin/realms/" + realm + "/mutation-guard/change-requests/" + id + "/approve",
                token(http, realm, "ann"), "{\"digest\":\"" + digest + "\"}");
        assertEquals(409, expired.status(), expired.body());
        assertEquals("EXPIRED", expired.json().path("state").asText());
        HttpAdmin.Response apply = http.post("/admin/realms/" + realm + "/mutation-guard/change-requests/" + id + "/apply",
                token(http, realm, "cara"), null);
        assertEquals(409, apply.status(), apply.body());
        assertEquals("EXPIRED", apply.json().path("state").asText());

        // Nobody touched the second request: the scheduled expiry task (every 2 s in the tests) marked it.
        Thread.sleep(4_000);
        JsonNode untouched = http.get("/admin/realms/" + realm + "/mutation-guard/change-requests/" + untouchedId,
                token(http, realm, "ann")).json();
        assertEquals("EXPIRED", untouched.path("state").asText(), untouched.toString());
        assertEquals(null, untouched.path("history").get(untouched.path("history").size() - 1).path("actorUserId").textValue());

        // Every transition was an admin event of resource type CHANGE_REQUEST (the realm stores admin events).
        HttpAdmin.Response events = http.get("/admin/realms/" + realm + "/admin-events?max=200", token(http, realm, "ann"));
        assertEquals(200, events.status(), events.body());
        java.util.Set<String> transitions = new java.util.TreeSet<>();
        for (JsonNode e : events.json()) {
            if ("CHANGE_REQUEST".equals(e.path("resourceType").asText()) && e.path("resourcePath").asText().endsWith(id)) {
                transitions.add(e.path("details").path("transition").asText());
                assertTrue(e.path("representation").asText().contains("\"diff\""), e.toString());
            }
        }
        assertEquals(java.util.Set.of("CREATED", "EXPIRED"), transitions, events.body());
    }
}
