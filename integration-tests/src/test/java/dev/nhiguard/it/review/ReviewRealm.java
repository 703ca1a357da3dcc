package dev.nhiguard.it.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/** A realm for the access-review tests, created through the admin API, and the calls the tests make. */
final class ReviewRealm {

    static final ObjectMapper JSON = new ObjectMapper();

    final KeycloakTarget keycloak;
    final HttpAdmin http;
    final String realm;
    final String admin;

    /**
     * Creates the realm with people (password {@code name-pass}, email {@code name@realm.example}),
     * the given review and guard policies, optional SMTP settings and admin events on.
     */
    ReviewRealm(KeycloakTarget keycloak, String realm, String reviewPolicy, String guardPolicy, Map<String, String> smtp) {
        this.keycloak = keycloak;
        this.http = keycloak.http();
        this.realm = realm;
        this.admin = "/admin/realms/" + realm;
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("realm", realm);
        rep.put("enabled", true);
        rep.put("eventsEnabled", true);
        rep.put("adminEventsEnabled", true);
        rep.put("adminEventsDetailsEnabled", true);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("nhi.guard.policy", guardPolicy);
        attributes.put("nhi.review.policy", reviewPolicy);
        rep.put("attributes", attributes);
        if (smtp != null) {
            rep.put("smtpServer", smtp);
            // mail links are built on the realm's frontend URL (the test server has no configured hostname)
            attributes.put("frontendUrl", keycloak.baseUri().toString().replaceAll("/+$", ""));
        }
        HttpAdmin.Response r = http.post("/admin/realms", masterToken(), json(rep));
        assertEquals(201, r.status(), r.body());
    }

    String masterToken() {
        return http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
    }

    /** A fresh login of a realm user (fresh authentication time, as approvals need). */
    String token(String username) {
        return http.passwordGrant(realm, "admin-cli", username, username + "-pass", null).get("access_token").asText();
    }

    String user(String username, List<String> realmRoles, Map<String, List<String>> clientRoles) {
        HttpAdmin.Response created = http.post(admin + "/users", masterToken(), json(Map.of(
                "username", username, "enabled", true, "email", username + "@" + realm + ".example", "emailVerified", true,
                "firstName", username, "lastName", "Test",
                "credentials", List.of(Map.of("type", "password", "value", username + "-pass", "temporary", false)))));
        assertEquals(201, created.status(), created.body());
        String id = ok(http.get(admin + "/users?exact=true&username=" + username, masterToken())).get(0).get("id").asText();
        for (String role : realmRoles) {
            grantRealmRole(id, role);
        }
        clientRoles.forEach((client, roles) -> roles.forEach(role -> grantClientRole(id, client, role)));
        return id;
    }

    void realmRole(String name) {
        HttpAdmin.Response r = http.post(admin + "/roles", masterToken(), json(Map.of("name", name)));
        assertEquals(201, r.status(), r.body());
    }

    void grantRealmRole(String userId, String role) {
        JsonNode rep = ok(http.get(admin + "/roles/" + role, masterToken()));
        HttpAdmin.Response r = http.post(admin + "/users/" + userId + "/role-mappings/realm", masterToken(), "[" + rep + "]");
        assertEquals(204, r.status(), r.body());
    }

    void grantClientRole(String userId, String clientId, String role) {
        String uuid = clientUuid(clientId);
        JsonNode rep = ok(http.get(admin + "/clients/" + uuid + "/roles/" + role, masterToken()));
        HttpAdmin.Response r = http.post(admin + "/users/" + userId + "/role-mappings/clients/" + uuid, masterToken(), "[" + rep + "]");
        assertEquals(204, r.status(), r.body());
    }

    /** A client scope that appears in the token's scope and maps the given realm roles. */
    String clientScope(String name, List<String> mappedRealmRoles) {
        HttpAdmin.Response r = http.post(admin + "/client-scopes", masterToken(), json(Map.of("name", name, "protocol", "openid-connect",
                "attributes", Map.of("include.in.token.scope", "true", "display.on.consent.screen", "false"))));
        assertEquals(201, r.status(), r.body());
        String id = r.header("Location").replaceAll(".*/", "");
        List<JsonNode> reps = new ArrayList<>();
        for (String role : mappedRealmRoles) {
            reps.add(ok(http.get(admin + "/roles/" + role, masterToken())));
        }
        if (!reps.isEmpty()) {
            HttpAdmin.Response m = http.post(admin + "/client-scopes/" + id + "/scope-mappings/realm", masterToken(), reps.toString());
            assertEquals(204, m.status(), m.body());
        }
        return id;
    }

    /** A confidential client with a service account (secret {@code clientId-secret}), owned by the user id given (or nobody). */
    String serviceAccount(String clientId, String ownerUserId, List<String> optionalScopeIds) {
        return serviceAccount(clientId, "user", ownerUserId, optionalScopeIds);
    }

    /** A service account owned by a user or a group ({@code ownerType} {@code user} or {@code group}). */
    String serviceAccount(String clientId, String ownerType, String ownerId, List<String> optionalScopeIds) {
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("clientId", clientId);
        rep.put("secret", clientId + "-secret");
        rep.put("publicClient", false);
        rep.put("serviceAccountsEnabled", true);
        rep.put("standardFlowEnabled", false);
        rep.put("description", "integration test service account " + clientId);
        if (ownerId != null) {
            rep.put("attributes", Map.of("nhi.owner.type", ownerType, "nhi.owner.id", ownerId, "nhi.purpose", "tests " + clientId));
        }
        HttpAdmin.Response r = http.post(admin + "/clients", masterToken(), json(rep));
        assertEquals(201, r.status(), r.body());
        String uuid = clientUuid(clientId);
        for (String scope : optionalScopeIds) {
            HttpAdmin.Response s = http.put(admin + "/clients/" + uuid + "/optional-client-scopes/" + scope, masterToken(), null);
            assertEquals(204, s.status(), s.body());
        }
        return uuid;
    }

    String clientUuid(String clientId) {
        return ok(http.get(admin + "/clients?clientId=" + clientId, masterToken())).get(0).get("id").asText();
    }

    String serviceAccountUser(String clientId) {
        return ok(http.get(admin + "/clients/" + clientUuid(clientId) + "/service-account-user", masterToken())).get("id").asText();
    }

    /** The service account's direct realm roles and client roles ({@code clientId/role}). */
    TreeSet<String> directRoles(String clientId) {
        JsonNode m = ok(http.get(admin + "/users/" + serviceAccountUser(clientId) + "/role-mappings", masterToken()));
        TreeSet<String> out = new TreeSet<>();
        m.path("realmMappings").forEach(r -> out.add(r.get("name").asText()));
        m.path("clientMappings").fields().forEachRemaining(e -> e.getValue().path("mappings").forEach(r -> out.add(e.getKey() + "/" + r.get("name").asText())));
        return out;
    }

    TreeSet<String> groups(String clientId) {
        TreeSet<String> out = new TreeSet<>();
        ok(http.get(admin + "/users/" + serviceAccountUser(clientId) + "/groups", masterToken())).forEach(g -> out.add(g.get("path").asText()));
        return out;
    }

    TreeSet<String> optionalScopes(String clientId) {
        TreeSet<String> out = new TreeSet<>();
        ok(http.get(admin + "/clients/" + clientUuid(clientId) + "/optional-client-scopes", masterToken())).forEach(s -> out.add(s.get("name").asText()));
        return out;
    }

    JsonNode tokenWithScope(String clientId, String scope) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        form.put("client_secret", clientId + "-secret");
        if (scope != null) {
            form.put("scope", scope);
        }
        return http.token(realm, form);
    }

    /** Waits until the inventory shows a last use for the client (usage rows are written after the token request commits). */
    void awaitUsed(String clientId) {
        await(() -> ok(http.get(admin + "/nhi/inventory?search=" + clientId, masterToken())).path("items").get(0).has("lastUsedAt"),
                "last use of " + clientId);
        sleep(500);
    }

    JsonNode startCampaign(String token) {
        HttpAdmin.Response r = http.post(admin + "/nhi/reviews/campaigns", token, null);
        assertEquals(201, r.status(), r.body());
        return r.json();
    }

    Map<String, JsonNode> items(String campaignId, String token) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        ok(http.get(admin + "/nhi/reviews/campaigns/" + campaignId + "/items", token)).forEach(i -> out.put(i.get("clientId").asText(), i));
        return out;
    }

    HttpAdmin.Response decide(JsonNode item, String decision, String token, Map<String, Object> body) {
        return http.post(admin + "/nhi/reviews/campaigns/" + item.get("campaignId").asText() + "/items/" + item.get("id").asText()
                + "/" + decision, token, json(body));
    }

    /** Chained records of the realm of a type and target, once the sequencer has placed at least {@code atLeast}. */
    List<JsonNode> chain(String type, String target, int atLeast) {
        List<JsonNode> out = new ArrayList<>();
        await(() -> {
            out.clear();
            ok(http.get(admin + "/audit-chain/records?type=" + type + (target == null ? "" : "&target=" + target), masterToken()))
                    .get("records").forEach(out::add);
            return out.size() >= atLeast;
        }, atLeast + " chained " + type + " records for " + target);
        return out;
    }

    void assertChainVerifies() {
        JsonNode verify = ok(http.get(admin + "/audit-chain/verify", masterToken()));
        assertTrue(verify.get("ok").asBoolean(), verify.toString());
    }

    static JsonNode ok(HttpAdmin.Response r) {
        assertTrue(r.status() == 200 || r.status() == 201, r.status() + " " + r.body());
        return r.json();
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void await(Check check, String what) {
        long end = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (true) {
            try {
                if (check.holds()) {
                    return;
                }
            } catch (Exception | AssertionError e) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("waiting for " + what + ": " + e, e);
                }
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            sleep(300);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static <T> boolean any(Iterable<T> items, Predicate<T> p) {
        for (T t : items) {
            if (p.test(t)) {
                return true;
            }
        }
        return false;
    }
}
