package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/** The imported {@code guard-table} realm as the guard tests use it: people, lookups, change-request calls. */
final class GuardTestRealm {

    static final String REALM = "guard-table";
    static final String ADMIN = "/admin/realms/" + REALM;
    static final String GUARD = ADMIN + "/mutation-guard";

    final HttpAdmin http;

    GuardTestRealm(KeycloakTarget keycloak) {
        this.http = keycloak.http();
    }

    /** A fresh login (fresh authentication time) of a guard-table user through admin-cli. */
    String token(String username) {
        return http.passwordGrant(REALM, "admin-cli", username, username + "-pass", null).get("access_token").asText();
    }

    String serviceAccountToken(String clientId) {
        return http.clientCredentials(REALM, clientId, clientId + "-secret").get("access_token").asText();
    }

    JsonNode getJson(String path, String token) {
        HttpAdmin.Response r = http.get(path, token);
        assertEquals(200, r.status(), path + ": " + r.body());
        return r.json();
    }

    String clientUuid(String clientId, String token) {
        return getJson(ADMIN + "/clients?clientId=" + clientId, token).get(0).get("id").asText();
    }

    String serviceAccountUserId(String clientId, String token) {
        return getJson(ADMIN + "/clients/" + clientUuid(clientId, token) + "/service-account-user", token).get("id").asText();
    }

    String userId(String username, String token) {
        return getJson(ADMIN + "/users?exact=true&username=" + username, token).get(0).get("id").asText();
    }

    JsonNode realmRole(String name, String token) {
        return getJson(ADMIN + "/roles/" + name, token);
    }

    /** The held change request, as the REST API shows it. */
    JsonNode changeRequest(String id, String token) {
        return getJson(GUARD + "/change-requests/" + id, token);
    }

    HttpAdmin.Response approve(String id, String digest, String token) {
        return http.post(GUARD + "/change-requests/" + id + "/approve", token, "{\"digest\":\"" + digest + "\"}");
    }

    HttpAdmin.Response apply(String id, String token) {
        return http.post(GUARD + "/change-requests/" + id + "/apply", token, null);
    }
}
