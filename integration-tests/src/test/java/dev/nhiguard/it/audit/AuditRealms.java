package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/** Fresh realms for audit tests (their own chains) and reading those chains over REST. */
final class AuditRealms {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SA_CLIENT = "audit-robot";
    static final String SA_SECRET = "audit-robot-secret";

    final KeycloakTarget keycloak;
    final HttpAdmin http;
    private String token;
    private long tokenAt;

    AuditRealms(KeycloakTarget keycloak) {
        this.keycloak = keycloak;
        this.http = keycloak.http();
    }

    /** The bootstrap admin's access token, renewed before its 60 s lifetime runs out. */
    synchronized String token() {
        if (token == null || System.nanoTime() - tokenAt > 40_000_000_000L) {
            token = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
            tokenAt = System.nanoTime();
        }
        return token;
    }

    /**
     * Creates a realm through {@code POST /admin/realms} with the guard policy that guards
     * nothing, a confidential client with a service account, and one user.
     */
    String createRealm(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode realm = JSON.createObjectNode();
        realm.put("realm", name);
        realm.put("enabled", true);
        realm.putObject("attributes").put("nhi.guard.policy", "{\"guardedOperations\":[]}");
        ObjectNode client = realm.putArray("clients").addObject();
        client.put("clientId", SA_CLIENT);
        client.put("secret", SA_SECRET);
        client.put("publicClient", false);
        client.put("serviceAccountsEnabled", true);
        client.put("standardFlowEnabled", false);
        ObjectNode user = realm.putArray("users").addObject();
        user.put("username", "erin");
        user.put("email", "erin@example.org");
        user.put("firstName", "Erin");
        user.put("lastName", "Example");
        user.put("enabled", true);
        HttpAdmin.Response r = http.post("/admin/realms", token(), realm.toString());
        assertEquals(201, r.status(), r.body());
        return name;
    }

    String base(String realm) {
        return "/admin/realms/" + realm;
    }

    /**
     * The head once no user event of the realm is staged any more: token events are sequenced
     * into the chain shortly after their request committed (token-events=batched). Fails when
     * staged events remain after 60 s.
     */
    JsonNode head(String realm) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            JsonNode head = rawHead(realm);
            if (head.get("staged").asLong() == 0) {
                return head;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("user events still staged after 60 s: " + head);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** {@code GET head} as it is now, staged events included. */
    JsonNode rawHead(String realm) {
        HttpAdmin.Response r = http.get(base(realm) + "/audit-chain/head", token());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    /** Waits until every staged user event of the realm is in its chain (see {@link #head}). */
    void awaitSequenced(String realm) {
        head(realm);
    }

    long headSeq(String realm) {
        return head(realm).get("seq").asLong();
    }

    /** Every record after {@code after}, following the cursor. */
    List<JsonNode> recordsAfter(String realm, long after, String query) {
        awaitSequenced(realm);
        List<JsonNode> out = new ArrayList<>();
        long cursor = after;
        while (true) {
            HttpAdmin.Response r = http.get(base(realm) + "/audit-chain/records?limit=50&after=" + cursor
                    + (query == null ? "" : "&" + query), token());
            assertEquals(200, r.status(), r.body());
            r.json().get("records").forEach(out::add);
            JsonNode next = r.json().get("next");
            if (next == null || next.isNull()) {
                return out;
            }
            cursor = next.asLong();
        }
    }

    JsonNode verify(String realm) {
        awaitSequenced(realm);
        HttpAdmin.Response r = http.get(base(realm) + "/audit-chain/verify", token());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    String clientUuid(String realm, String clientId) {
        HttpAdmin.Response r = http.get(base(realm) + "/clients?clientId=" + clientId, token());
        assertEquals(200, r.status(), r.body());
        return r.json().size() == 0 ? null : r.json().get(0).get("id").asText();
    }

    String userId(String realm, String username) {
        HttpAdmin.Response r = http.get(base(realm) + "/users?exact=true&username=" + username, token());
        assertEquals(200, r.status(), r.body());
        return r.json().get(0).get("id").asText();
    }

    String adminUserId() {
        HttpAdmin.Response r = http.get("/admin/realms/master/users?exact=true&username=" + keycloak.bootstrapAdminUsername(), token());
        return r.json().get(0).get("id").asText();
    }
}
