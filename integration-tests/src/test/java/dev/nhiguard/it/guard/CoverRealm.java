package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The imported {@code guard-cover} realm: default guarded set, no cooldowns, admin events on.
 * Approvers ann, ben, fay (realm admins) and erin (approver only); requester cara (realm admin,
 * not an approver); privileged users and service-account clients one per case.
 */
final class CoverRealm {

    static final String REALM = "guard-cover";
    static final String ADMIN = "/admin/realms/" + REALM;
    static final String GUARD = ADMIN + "/mutation-guard";

    final HttpAdmin http;

    CoverRealm(KeycloakTarget keycloak) {
        this.http = keycloak.http();
    }

    /** A fresh login (fresh authentication time) through admin-cli. */
    String token(String username) {
        return http.passwordGrant(REALM, "admin-cli", username, username + "-pass", null).get("access_token").asText();
    }

    JsonNode get(String path, String token) {
        HttpAdmin.Response r = http.get(path, token);
        assertEquals(200, r.status(), path + ": " + r.body());
        return r.json();
    }

    String client(String clientId, String token) {
        return get(ADMIN + "/clients?clientId=" + clientId, token).get(0).get("id").asText();
    }

    String saUser(String clientId, String token) {
        return get(ADMIN + "/clients/" + client(clientId, token) + "/service-account-user", token).get("id").asText();
    }

    String user(String username, String token) {
        return get(ADMIN + "/users?exact=true&username=" + username, token).get(0).get("id").asText();
    }

    JsonNode changeRequest(String id, String token) {
        return get(GUARD + "/change-requests/" + id, token);
    }

    HttpAdmin.Response approve(String id, String digest, String token) {
        return http.post(GUARD + "/change-requests/" + id + "/approve", token, "{\"digest\":\"" + digest + "\"}");
    }

    HttpAdmin.Response apply(String id, String token) {
        return http.post(GUARD + "/change-requests/" + id + "/apply", token, null);
    }
}
