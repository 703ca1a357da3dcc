package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.Totp;

/**
 * The demo realm under the default policy: carol's secret regeneration of billing-sync is held,
 * alice (approver, password + OTP) approves, and the 15-minute credential cooldown keeps it
 * from being applied yet.
 */
@ExtendWith(KeycloakExtension.class)
class DemoRealmCooldownIT {

    static final String REALM = "nhi-demo";
    static final String A = "/admin/realms/" + REALM;

    /** alice's token; an OTP code is single-use, so a code another test just used means waiting for the next one. */
    static String alice(HttpAdmin http) throws InterruptedException {
        try {
            return http.passwordGrant(REALM, "admin-cli", "alice", "alice-demo-pass", Totp.now("nhi-demo-alice-otp"))
                    .get("access_token").asText();
        } catch (AssertionError e) {
            Thread.sleep(31_000 - System.currentTimeMillis() % 30_000);
            return http.passwordGrant(REALM, "admin-cli", "alice", "alice-demo-pass", Totp.now("nhi-demo-alice-otp"))
                    .get("access_token").asText();
        }
    }

    @Test
    void credentialChangeApprovedByAliceWaitsOutItsCooldown(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String carol = http.passwordGrant(REALM, "admin-cli", "carol", "carol-demo-pass", null).get("access_token").asText();
        String uuid = http.get(A + "/clients?clientId=billing-sync", carol).json().get(0).get("id").asText();
        String secret = http.get(A + "/clients/" + uuid + "/client-secret", carol).json().path("value").asText();

        HttpAdmin.Response held = http.post(A + "/clients/" + uuid + "/client-secret", carol, null);
        assertEquals(202, held.status(), held.body());
        JsonNode cr = held.json();
        assertEquals(900, cr.path("cooldownSeconds").asInt(), held.body());
        String id = cr.path("id").asText();

        HttpAdmin.Response approved = http.post(A + "/mutation-guard/change-requests/" + id + "/approve", alice(http),
                "{\"digest\":\"" + cr.path("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        assertEquals("COOLING_DOWN", approved.json().path("state").asText());
        assertTrue(approved.json().path("cooldownEndsAt").asLong() > System.currentTimeMillis(), approved.body());

        HttpAdmin.Response early = http.post(A + "/mutation-guard/change-requests/" + id + "/apply", carol, null);
        assertEquals(409, early.status(), early.body());
        assertEquals("COOLING_DOWN", early.json().path("state").asText());
        assertTrue(early.json().path("error_description").asText().contains("cooling down"), early.body());
        assertEquals(secret, http.get(A + "/clients/" + uuid + "/client-secret", carol).json().path("value").asText());
        http.post(A + "/mutation-guard/change-requests/" + id + "/cancel", carol, null);
    }
}
