package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The imported {@code guard-dry} realm (approvers ann, ben, fay; requester cara; all realm admins;
 * service-account clients sa-dry, sa-roll, sa-regen with known secrets; realm attributes
 * dry.keep and dry.drop; no cooldowns).
 */
final class DryRealm {
    static final String REALM = "guard-dry";
    static final String A = "/admin/realms/" + REALM;
    static final String GUARD = A + "/mutation-guard";

    final HttpAdmin http;
    final KeycloakTarget keycloak;

    DryRealm(KeycloakTarget keycloak) {
        this.keycloak = keycloak;
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
        return get(A + "/clients?clientId=" + clientId, token).get(0).get("id").asText();
    }

    JsonNode changeRequest(String id, String token) {
        return get(GUARD + "/change-requests/" + id, token);
    }

    /** Approves (ann, or ben when ann requested) and applies as the requester cara; answers the apply. */
    HttpAdmin.Response approveAndApply(String id, String approver) {
        JsonNode cr = changeRequest(id, token(approver));
        HttpAdmin.Response approved = http.post(GUARD + "/change-requests/" + id + "/approve", token(approver),
                "{\"digest\":\"" + cr.path("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = SecretSealingIT.applyPatiently(keycloak, GUARD, id, token("cara"));
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
        return applied;
    }

    /** Status of a client-credentials grant with this secret (200 when the secret is the client's). */
    int clientCredentials(String clientId, String secret) {
        return http.postForm("/realms/" + REALM + "/protocol/openid-connect/token", java.util.Map.of(
                "grant_type", "client_credentials", "client_id", clientId, "client_secret", secret)).status();
    }

    static List<String> paths(JsonNode diff) {
        List<String> out = new ArrayList<>();
        diff.forEach(d -> out.add(d.path("path").asText()));
        return out;
    }

    /** The paths of the entries Keycloak's dry run produced (not those naming a credential the request supplies). */
    static List<String> imagePaths(JsonNode diff) {
        List<String> out = new ArrayList<>();
        diff.forEach(d -> {
            if (!"request".equals(d.path("source").asText())) {
                out.add(d.path("path").asText());
            }
        });
        return out;
    }
}
