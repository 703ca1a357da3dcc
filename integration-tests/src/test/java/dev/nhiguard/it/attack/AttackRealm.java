package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * One of the imported {@code guard-attack*} realms as the attack tests use it. Writes are made
 * with the token of the person attacking (mallory, unless a test says otherwise); everything a
 * test judges is read back through Keycloak with the master realm's bootstrap admin, so that a
 * successful attack on an approver cannot blind the check.
 *
 * <p>People (password {@code <name>-pass}): ann and ben, approvers (direct holders of
 * {@code nhi-approver}) and realm admins; mallory, realm admin and not an approver; olive, an
 * ordinary user. Clients (secret {@code <clientId>-secret}): {@code sa-target} (service account
 * holding {@code reports-reader}, member of group {@code automation}), {@code sa-automation}
 * (service account with realm-management {@code manage-clients} and {@code manage-users}),
 * {@code plain-app} (no service account).
 */
final class AttackRealm {

    /** What a write that is held or refused may answer; the effect is then asserted absent. */
    static final Set<Integer> HELD_OR_REFUSED = Set.of(202, 409, 400, 403, 413, 414, 415, 401);

    static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final String admin;
    final String guard;
    final HttpAdmin http;
    final KeycloakTarget keycloak;

    private String masterToken;
    private Instant masterTokenAt = Instant.EPOCH;

    AttackRealm(KeycloakTarget keycloak, String name) {
        this.keycloak = keycloak;
        this.name = name;
        this.admin = "/admin/realms/" + name;
        this.guard = admin + "/mutation-guard";
        this.http = keycloak.http();
    }

    /**
     * A realm of its own for one test, a copy of {@code guard-attack-fifth} (ann and ben approve, mallory administers)
     * named {@code prefix-<suffix>-<unique>}, {@code change} applied to its representation before it is created.
     */
    static AttackRealm copyOfFifth(KeycloakTarget keycloak, String prefix, String suffix,
            java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> change) {
        return copyOf(keycloak, "guard-attack-fifth-realm.json", prefix, suffix, change);
    }

    /** As {@link #copyOfFifth}, a copy of another test realm file ({@code guard-attack-fgap-realm.json}: FGAP v2 on). */
    static AttackRealm copyOf(KeycloakTarget keycloak, String file, String prefix, String suffix,
            java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> change) {
        String name = prefix + "-" + suffix + "-" + Long.toString(System.nanoTime(), 36);
        com.fasterxml.jackson.databind.node.ObjectNode rep;
        try {
            rep = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(java.nio.file.Files.readString(
                    java.nio.file.Path.of(System.getProperty("nhi.realms.dir"), file)));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        rep.put("realm", name);
        rep.remove("id");
        change.accept(rep);
        AttackRealm r = new AttackRealm(keycloak, name);
        HttpAdmin.Response created = r.http.post("/admin/realms", r.master(), rep.toString());
        assertEquals(201, created.status(), "realm " + name + ": " + created.body());
        return r;
    }

    // ------------------------------------------------------------------ who acts

    /** A fresh login (fresh authentication time, for step-up) of a person through admin-cli. */
    String token(String username) {
        return http.passwordGrant(name, "admin-cli", username, username + "-pass", null).get("access_token").asText();
    }

    /** A client-credentials token of a service-account client, with the fixture's secret. */
    String serviceAccountToken(String clientId) {
        return http.clientCredentials(name, clientId, clientId + "-secret").get("access_token").asText();
    }

    /** The master realm's bootstrap admin, for reading back what happened. */
    String master() {
        if (masterToken == null || Instant.now().isAfter(masterTokenAt.plusSeconds(30))) {
            masterToken = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
            masterTokenAt = Instant.now();
        }
        return masterToken;
    }

    // ------------------------------------------------------------------ reading back

    /** GET of a path relative to the realm's admin root, as the master admin; must answer 200. */
    JsonNode read(String relative) {
        HttpAdmin.Response r = http.get(admin + relative, master());
        assertEquals(200, r.status(), "GET " + admin + relative + ": " + r.body());
        return r.json();
    }

    HttpAdmin.Response get(String relative) {
        return http.get(admin + relative, master());
    }

    String clientUuid(String clientId) {
        JsonNode found = read("/clients?clientId=" + enc(clientId));
        assertEquals(1, found.size(), "client " + clientId + ": " + found);
        return found.get(0).get("id").asText();
    }

    /** The client's id, or null when no such client exists. */
    String clientUuidOrNull(String clientId) {
        JsonNode found = read("/clients?clientId=" + enc(clientId));
        return found.isEmpty() ? null : found.get(0).get("id").asText();
    }

    String userId(String username) {
        JsonNode found = read("/users?exact=true&username=" + enc(username));
        assertEquals(1, found.size(), "user " + username + ": " + found);
        return found.get(0).get("id").asText();
    }

    String serviceAccountUserId(String clientId) {
        return read("/clients/" + clientUuid(clientId) + "/service-account-user").get("id").asText();
    }

    JsonNode realmRole(String role) {
        return read("/roles/" + enc(role));
    }

    /** A group at the top level by name, or null. */
    String groupIdOrNull(String group) {
        for (JsonNode g : read("/groups?search=" + enc(group) + "&exact=true&briefRepresentation=true")) {
            if (group.equals(g.path("name").asText())) {
                return g.get("id").asText();
            }
        }
        return null;
    }

    /** The realm's representation. */
    JsonNode realm() {
        return read("");
    }

    /** Names of the realm roles a user holds, directly or through groups and composites. */
    Set<String> effectiveRealmRoles(String userId) {
        Set<String> names = new TreeSet<>();
        read("/users/" + userId + "/role-mappings/realm/composite").forEach(r -> names.add(r.path("name").asText()));
        return names;
    }

    /** Names of a client's roles a user holds, directly or through groups and composites. */
    Set<String> effectiveClientRoles(String userId, String clientId) {
        Set<String> names = new TreeSet<>();
        read("/users/" + userId + "/role-mappings/clients/" + clientUuid(clientId) + "/composite")
                .forEach(r -> names.add(r.path("name").asText()));
        return names;
    }

    /** Usernames of the direct holders of a realm role (Keycloak's role members: not through groups). */
    Set<String> directHolders(String role) {
        Set<String> names = new TreeSet<>();
        read("/roles/" + enc(role) + "/users?first=0&max=1000").forEach(u -> names.add(u.path("username").asText()));
        return names;
    }

    /** How many change requests the realm has, all states. */
    int changeRequestCount() {
        int count = 0;
        for (int first = 0;; first += 500) {
            HttpAdmin.Response r = http.get(guard + "/change-requests?first=" + first + "&max=500", master());
            assertEquals(200, r.status(), r.body());
            count += r.json().size();
            if (r.json().size() < 500) {
                return count;
            }
        }
    }

    JsonNode changeRequest(String id) {
        HttpAdmin.Response r = http.get(guard + "/change-requests/" + id, master());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    // ------------------------------------------------------------------ tokens as evidence

    /** The status of a client-credentials token request. */
    int clientCredentialsStatus(String clientId, String secret) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        form.put("client_secret", secret);
        return http.postForm("/realms/" + name + "/protocol/openid-connect/token", form).status();
    }

    /** The status of a password grant (direct grant) through a client. */
    HttpAdmin.Response passwordGrant(String clientId, String clientSecret, String username, String password) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", clientId);
        if (clientSecret != null) {
            form.put("client_secret", clientSecret);
        }
        form.put("username", username);
        if (password != null) {
            form.put("password", password);
        }
        return http.postForm("/realms/" + name + "/protocol/openid-connect/token", form);
    }

    /** The claims of a fresh client-credentials access token of the service-account client. */
    JsonNode serviceAccountClaims(String clientId) {
        return claims(serviceAccountToken(clientId));
    }

    /** {@code realm_access.roles} of a fresh client-credentials token. */
    Set<String> tokenRealmRoles(String clientId) {
        Set<String> roles = new TreeSet<>();
        serviceAccountClaims(clientId).path("realm_access").path("roles").forEach(r -> roles.add(r.asText()));
        return roles;
    }

    static JsonNode claims(String jwt) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        } catch (java.io.IOException e) {
            throw new AssertionError("not a JWT: " + jwt, e);
        }
    }

    // ------------------------------------------------------------------ change requests

    /** mallory (or whoever the token is) regenerates sa-target's secret: held, answers the request. */
    JsonNode heldSecretRegeneration(String requesterToken) {
        HttpAdmin.Response held = http.post(admin + "/clients/" + clientUuid("sa-target") + "/client-secret", requesterToken, null);
        assertEquals(202, held.status(), "a secret regeneration is held: " + held.body());
        return held.json();
    }

    /** The realm's audit-chain records after sequence number {@code after} (what is staged is sequenced first). */
    List<JsonNode> recordsAfter(long after) {
        read("/audit-chain/head"); // a read sequences what is staged
        List<JsonNode> out = new java.util.ArrayList<>();
        long cursor = after;
        while (true) {
            JsonNode page = read("/audit-chain/records?limit=50&after=" + cursor);
            page.path("records").forEach(out::add);
            if (page.path("next").isNull() || page.path("next").isMissingNode()) {
                return out;
            }
            cursor = page.path("next").asLong();
        }
    }

    HttpAdmin.Response approve(String id, String digest, String token) {
        return http.post(guard + "/change-requests/" + id + "/approve", token, "{\"digest\":\"" + digest + "\"}");
    }

    HttpAdmin.Response apply(String id, String token) {
        return http.post(guard + "/change-requests/" + id + "/apply", token, null);
    }

    /**
     * An initial access token for client registration, as its requester gets it: the creation is held, {@code approver}
     * approves it, the requester applies it and reads the token from the apply's answer (it is shown to no one else).
     */
    String approvedInitialAccessToken(String requester, String approver) throws java.io.IOException {
        HttpAdmin.Response minted = http.post(admin + "/clients-initial-access", token(requester), "{\"count\":2,\"expiration\":600}");
        assertHeld(minted, requester + " creating an initial access token");
        String id = minted.json().path("id").asText();
        assertEquals(200, approve(id, minted.json().path("digest").asText(), token(approver)).status());
        HttpAdmin.Response applied = apply(id, token(requester));
        assertEquals(200, applied.status(), applied.body());
        JsonNode answer = applied.json().at("/result/body");
        if (answer.isTextual()) {
            answer = JSON.readTree(answer.asText());
        }
        String initialAccess = answer.path("token").asText();
        assertFalse(initialAccess.isEmpty(), "the apply's answer hands the requester the token: " + applied.body());
        return initialAccess;
    }

    /** Cancels, as the requester, every change request these answers held (202); other answers are left alone. */
    void cancelHeld(String token, HttpAdmin.Response... answers) {
        for (HttpAdmin.Response held : answers) {
            if (held.status() == 202) {
                http.post(guard + "/change-requests/" + held.json().path("id").asText() + "/cancel", token, null);
            }
        }
    }

    // ------------------------------------------------------------------ verdicts

    /** The write was held or refused (one of {@link #HELD_OR_REFUSED}); the caller then checks the effect. */
    static void assertHeldOrRefused(HttpAdmin.Response r, String what) {
        // For the record: which defence answered (a 400 may be Keycloak's own validation).
        System.out.println("held or refused? " + what + " -> " + r.status() + " " + abbreviate(r.body()));
        assertTrue(HELD_OR_REFUSED.contains(r.status()), what + " must be held or refused, answered " + r.status() + " " + r.body());
    }

    /** Held: 202 with a Location naming the change request. */
    static void assertHeld(HttpAdmin.Response r, String what) {
        assertEquals(202, r.status(), what + " must be held: " + r.body());
        assertTrue(r.header("location") != null && r.header("location").contains("/mutation-guard/change-requests/"),
                what + ": held without a Location: " + r.headers());
    }

    static String abbreviate(String body) {
        String flat = body == null ? "" : body.replaceAll("\\s+", " ");
        return flat.length() > 160 ? flat.substring(0, 160) + "…" : flat;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
