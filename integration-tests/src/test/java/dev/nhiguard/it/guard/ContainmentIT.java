package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Containment: one admin disables an NHI at once; a second admin confirms or reverts it. */
@ExtendWith(KeycloakExtension.class)
class ContainmentIT {

    static final String A = GuardTestRealm.ADMIN;
    static final String G = GuardTestRealm.GUARD;

    static int tokenStatus(HttpAdmin http) {
        return http.postForm("/realms/" + GuardTestRealm.REALM + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", "sa-expiry", "client_secret", "sa-expiry-secret")).status();
    }

    @Test
    void oneAdminContainsAtOnceAndASecondAdminRevertsOrConfirms(KeycloakTarget keycloak) {
        GuardTestRealm realm = new GuardTestRealm(keycloak);
        String ann = realm.token("ann");
        String uuid = realm.clientUuid("sa-expiry", ann);
        assertEquals(200, tokenStatus(realm.http));

        HttpAdmin.Response bad = realm.http.post(G + "/containment", realm.token("cara"), "{\"clientId\":\"" + uuid + "\"}");
        assertEquals(400, bad.status(), bad.body());
        HttpAdmin.Response notNhi = realm.http.post(G + "/containment", realm.token("cara"),
                "{\"clientId\":\"" + realm.clientUuid("web-app", ann) + "\",\"reason\":\"x\"}");
        assertEquals(400, notNhi.status(), notNhi.body());

        HttpAdmin.Response contained = realm.http.post(G + "/containment", realm.token("cara"),
                "{\"clientId\":\"" + uuid + "\",\"reason\":\"secret found in a public repository\"}");
        assertEquals(201, contained.status(), contained.body());
        String id = contained.json().path("id").asText();
        assertEquals("CONTAINED", contained.json().path("state").asText());
        assertTrue(contained.header("Location").endsWith(G + "/change-requests/" + id), contained.header("Location"));
        assertFalse(realm.getJson(A + "/clients/" + uuid, ann).path("enabled").asBoolean(), "disabled at once");
        assertTrue(tokenStatus(realm.http) >= 400, "a disabled NHI gets no token");

        HttpAdmin.Response self = realm.http.post(G + "/change-requests/" + id + "/confirm", realm.token("cara"), null);
        assertEquals(403, self.status(), self.body());
        HttpAdmin.Response revert = realm.http.post(G + "/change-requests/" + id + "/revert", realm.token("ben"), null);
        assertEquals(200, revert.status(), revert.body());
        assertEquals("REVERTED", revert.json().path("state").asText());
        assertTrue(realm.getJson(A + "/clients/" + uuid, ann).path("enabled").asBoolean(), "enabled again");
        assertEquals(200, tokenStatus(realm.http));
        HttpAdmin.Response again = realm.http.post(G + "/change-requests/" + id + "/confirm", realm.token("ben"), null);
        assertEquals(409, again.status(), again.body());
        assertEquals("REVERTED", again.json().path("state").asText());

        HttpAdmin.Response second = realm.http.post(G + "/containment", realm.token("ann"),
                "{\"clientId\":\"" + uuid + "\",\"reason\":\"confirmed compromise\"}");
        assertEquals(201, second.status(), second.body());
        HttpAdmin.Response confirm = realm.http.post(G + "/change-requests/" + second.json().path("id").asText() + "/confirm",
                realm.token("ben"), null);
        assertEquals(200, confirm.status(), confirm.body());
        assertEquals("CONFIRMED", confirm.json().path("state").asText());
        assertFalse(realm.getJson(A + "/clients/" + uuid, ann).path("enabled").asBoolean(), "stays disabled");
    }
}
