package dev.nhiguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.Totp;

/** The demo realm imports as documented: its people, roles, secrets and OTP seeds work. */
@ExtendWith(KeycloakExtension.class)
class DemoRealmIT {

    static final String REALM = "nhi-demo";

    @Test
    void approversHoldTheApproverRoleAndCarolDoesNot(KeycloakTarget keycloak) {
        var realm = keycloak.adminClient().realm(REALM);
        List<String> approvers = realm.roles().get("nhi-approver").getUserMembers().stream()
                .map(UserRepresentation::getUsername).sorted().toList();
        assertEquals(List.of("alice", "bob"), approvers);
        for (String admin : List.of("alice", "bob", "carol")) {
            String id = realm.users().searchByUsername(admin, true).get(0).getId();
            List<String> roles = realm.users().get(id).roles().getAll().getClientMappings()
                    .get("realm-management").getMappings().stream().map(RoleRepresentation::getName).toList();
            assertTrue(roles.contains("realm-admin"), admin + " is not a realm admin: " + roles);
        }
    }

    @Test
    void approversLogInWithPasswordAndTheirDocumentedOtpSeed(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        Map<String, String> seeds = Map.of("alice", "nhi-demo-alice-otp", "bob", "nhi-demo-bob-otp");
        seeds.forEach((user, seed) -> {
            JsonNode token = http.passwordGrant(REALM, "admin-cli", user, user + "-demo-pass", Totp.now(seed));
            assertFalse(token.path("access_token").asText().isEmpty());
        });
        HttpAdmin.Response withoutOtp = http.postForm("/realms/" + REALM + "/protocol/openid-connect/token", Map.of(
                "grant_type", "password", "client_id", "admin-cli", "username", "alice", "password", "alice-demo-pass"));
        assertEquals(400, withoutOtp.status(), "OTP must be required for alice: " + withoutOtp.body());
        assertEquals("invalid_grant", withoutOtp.json().path("error").asText());
    }

    @Test
    void billingSyncGetsATokenWithItsDocumentedSecret(KeycloakTarget keycloak) {
        JsonNode token = keycloak.http().clientCredentials(REALM, "billing-sync", "billing-sync-demo-secret");
        assertFalse(token.path("access_token").asText().isEmpty());
        ClientRepresentation client = keycloak.adminClient().realm(REALM).clients().findByClientId("billing-sync").get(0);
        assertTrue(client.isServiceAccountsEnabled());
    }

    @Test
    void danaExistsAndCanLogIn(KeycloakTarget keycloak) {
        JsonNode token = keycloak.http().passwordGrant(REALM, "admin-cli", "dana", "dana-demo-pass", null);
        assertFalse(token.path("access_token").asText().isEmpty());
    }
}
