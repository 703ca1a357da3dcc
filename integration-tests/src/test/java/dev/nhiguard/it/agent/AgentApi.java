package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/** The agent registry and token endpoint of the test realm, as a client of the REST API sees them. */
final class AgentApi {

    static final String REALM = "agent-it";
    static final ObjectMapper JSON = new ObjectMapper();

    final KeycloakTarget keycloak;
    final HttpAdmin http;
    final String realm;

    AgentApi(KeycloakTarget keycloak) {
        this(keycloak, REALM);
        ensureScopes();
    }

    /** The API of another realm (created by the test, see {@link #createRealm}). */
    AgentApi(KeycloakTarget keycloak, String realm) {
        this.keycloak = keycloak;
        this.http = keycloak.http();
        this.realm = realm;
    }

    /** Creates a realm the mutation guard leaves alone, with an enabled user of the given names (password name-pass). */
    static AgentApi createRealm(KeycloakTarget keycloak, String realm, String... usernames) {
        AgentApi api = new AgentApi(keycloak, realm);
        HttpAdmin.Response r = api.http.post("/admin/realms", api.adminToken(), json(Map.of("realm", realm, "enabled", true,
                "eventsEnabled", true, "adminEventsEnabled", true, "adminEventsDetailsEnabled", true,
                "attributes", Map.of("nhi.guard.policy", "{\"guardedOperations\":[]}"))));
        assertEquals(201, r.status(), r.body());
        for (String u : usernames) {
            HttpAdmin.Response created = api.http.post("/admin/realms/" + realm + "/users", api.adminToken(), json(Map.of(
                    "username", u, "enabled", true, "email", u + "@" + realm + ".example", "emailVerified", true,
                    "firstName", u, "lastName", "Test",
                    "credentials", List.of(Map.of("type", "password", "value", u + "-pass", "temporary", false)))));
            assertEquals(201, created.status(), created.body());
        }
        return api;
    }

    /**
     * The client scopes agents may be allowed (agent.read, agent.write, agent.admin), created
     * once per server and given to the portal's users by default. The realm import does not
     * declare them because a realm JSON with client scopes replaces Keycloak's default ones.
     */
    private void ensureScopes() {
        String token = adminToken();
        JsonNode existing = http.get("/admin/realms/" + REALM + "/client-scopes", token).json();
        String portal = http.get("/admin/realms/" + REALM + "/clients?clientId=agent-portal", token).json().get(0).get("id").asText();
        for (String name : List.of("agent.read", "agent.write", "agent.admin")) {
            boolean present = false;
            for (JsonNode s : existing) {
                present |= name.equals(s.get("name").asText());
            }
            if (present) {
                continue;
            }
            HttpAdmin.Response created = http.post("/admin/realms/" + REALM + "/client-scopes", token, json(Map.of(
                    "name", name, "protocol", "openid-connect",
                    "attributes", Map.of("include.in.token.scope", "true", "display.on.consent.screen", "false"))));
            if (created.status() == 409) {
                continue;
            }
            assertEquals(201, created.status(), created.body());
            String location = created.header("Location");
            String scopeId = location.substring(location.lastIndexOf('/') + 1);
            HttpAdmin.Response linked = http.put("/admin/realms/" + REALM + "/clients/" + portal + "/default-client-scopes/" + scopeId, token, null);
            assertEquals(204, linked.status(), linked.body());
        }
    }

    String adminToken() {
        return http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
    }

    String realmUserToken(String username) {
        return http.passwordGrant(realm, "admin-cli", username, username + "-pass", null).get("access_token").asText();
    }

    String issuer() {
        return keycloak.baseUri() + "/realms/" + realm;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A registration body: owner user olga, jwk binding, one year. */
    static Map<String, Object> registration(String name, AgentKey key, List<String> scopes) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("owner", Map.of("type", "user", "username", "olga"));
        body.put("purpose", "reconciles invoices for the integration tests");
        body.put("expiresAt", Instant.now().plus(365, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString());
        body.put("allowedScopes", scopes);
        body.put("keyBinding", Map.of("type", "jwk", "jwk", key.publicJwk()));
        return body;
    }

    HttpAdmin.Response register(Map<String, Object> body, String token) {
        return http.post("/admin/realms/" + realm + "/agents", token, json(body));
    }

    /** Registers and returns the agent representation; fails unless 201. */
    JsonNode registerOk(Map<String, Object> body) {
        HttpAdmin.Response r = register(body, adminToken());
        assertEquals(201, r.status(), r.body());
        return r.json();
    }

    HttpAdmin.Response action(String agentId, String action, String reason) {
        return http.post("/admin/realms/" + realm + "/agents/" + agentId + "/" + action, adminToken(),
                reason == null ? null : json(Map.of("reason", reason)));
    }

    HttpAdmin.Response clientCredentialsWithKey(String clientId, AgentKey key, String kid, String scope) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", key.clientAssertion(clientId, issuer(), kid));
        if (scope != null) {
            form.put("scope", scope);
        }
        return http.postForm("/realms/" + realm + "/protocol/openid-connect/token", form);
    }

    /** RFC 8693 token exchange of a subject access token by an agent authenticating with its key. */
    /**
     * A UMA grant request ({@code urn:ietf:params:oauth:grant-type:uma-ticket}) for {@code audience}, with
     * {@code bearer} as its Authorization header (none when null) and the further form parameters.
     */
    HttpAdmin.Response uma(String bearer, String audience, Map<String, String> more) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "urn:ietf:params:oauth:grant-type:uma-ticket");
        form.put("audience", audience);
        form.putAll(more);
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8))
                .collect(java.util.stream.Collectors.joining("&"));
        return http.send("POST", "/realms/" + realm + "/protocol/openid-connect/token", bearer,
                "application/x-www-form-urlencoded", body);
    }

    HttpAdmin.Response exchange(String clientId, AgentKey key, String subjectToken, String scope) {
        return exchange(clientId, key, subjectToken, scope, Map.of());
    }

    /** {@link #exchange(String, AgentKey, String, String)} with further form parameters. */
    HttpAdmin.Response exchange(String clientId, AgentKey key, String subjectToken, String scope, Map<String, String> more) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
        form.put("client_id", clientId);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", key.clientAssertion(clientId, issuer(), key.thumbprint()));
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
        if (scope != null) {
            form.put("scope", scope);
        }
        form.putAll(more);
        return http.postForm("/realms/" + realm + "/protocol/openid-connect/token", form);
    }

    /** Adds the agent to the audience of the realm's admin-cli tokens (the users' subject tokens in these tests). */
    void audienceOnAdminCli(String agentClientId) {
        String adminCli = http.get("/admin/realms/" + realm + "/clients?clientId=admin-cli", adminToken()).json().get(0).get("id").asText();
        HttpAdmin.Response mapper = http.post("/admin/realms/" + realm + "/clients/" + adminCli + "/protocol-mappers/models", adminToken(),
                json(Map.of("name", "audience " + agentClientId, "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper",
                        "config", Map.of("included.custom.audience", agentClientId, "access.token.claim", "true", "lightweight.claim", "true"))));
        assertEquals(201, mapper.status(), mapper.body());
    }

    /** Creates a group (top level) and answers its id. */
    String createGroup(String name) {
        HttpAdmin.Response r = http.post("/admin/realms/" + realm + "/groups", adminToken(), json(Map.of("name", name)));
        assertEquals(201, r.status(), r.body());
        String location = r.header("Location");
        return location.substring(location.lastIndexOf('/') + 1);
    }

    void joinGroup(String userId, String groupId) {
        HttpAdmin.Response r = http.put("/admin/realms/" + realm + "/users/" + userId + "/groups/" + groupId, adminToken(), null);
        assertEquals(204, r.status(), r.body());
    }

    void leaveGroup(String userId, String groupId) {
        HttpAdmin.Response r = http.delete("/admin/realms/" + realm + "/users/" + userId + "/groups/" + groupId, adminToken());
        assertEquals(204, r.status(), r.body());
    }

    /** The agent as the registry shows it. */
    JsonNode agent(String id) {
        HttpAdmin.Response r = http.get("/admin/realms/" + realm + "/agents/" + id, adminToken());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    HttpAdmin.Response updateAgent(String id, Map<String, Object> body) {
        return http.put("/admin/realms/" + realm + "/agents/" + id, adminToken(), json(body));
    }

    HttpAdmin.Response clientCredentialsWithSecret(String clientId, String secret) {
        return http.postForm("/realms/" + realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", clientId, "client_secret", secret));
    }

    /** The client as the admin API shows it. */
    JsonNode client(String uuid) {
        HttpAdmin.Response r = http.get("/admin/realms/" + realm + "/clients/" + uuid, adminToken());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    void putClient(String uuid, JsonNode rep) {
        HttpAdmin.Response r = http.put("/admin/realms/" + realm + "/clients/" + uuid, adminToken(), rep.toString());
        assertEquals(204, r.status(), r.body());
    }

    String userId(String username) {
        HttpAdmin.Response r = http.get("/admin/realms/" + realm + "/users?exact=true&username=" + username, adminToken());
        assertEquals(200, r.status(), r.body());
        return r.json().get(0).get("id").asText();
    }

    void setUserEnabled(String userId, boolean enabled) {
        HttpAdmin.Response r = http.put("/admin/realms/" + realm + "/users/" + userId, adminToken(),
                json(Map.of("enabled", enabled)));
        assertEquals(204, r.status(), r.body());
    }

    /** Login events of the realm, newest first. */
    JsonNode events(String type) {
        HttpAdmin.Response r = http.get("/admin/realms/" + realm + "/events?type=" + type + "&max=200", adminToken());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    /** Admin events of the realm, newest first. */
    JsonNode adminEvents() {
        HttpAdmin.Response r = http.get("/admin/realms/" + realm + "/admin-events?max=1000", adminToken());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    /** Shifts the realm's agent clock (the server runs with clock offsets enabled). */
    void setClockOffset(long seconds) {
        String token = adminToken();
        HttpAdmin.Response current = http.get("/admin/realms/" + realm, token);
        assertEquals(200, current.status(), current.body());
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) current.json();
        com.fasterxml.jackson.databind.node.ObjectNode attributes = (com.fasterxml.jackson.databind.node.ObjectNode) rep.get("attributes");
        attributes.put("nhi.clock.offset-seconds", Long.toString(seconds));
        HttpAdmin.Response r = http.put("/admin/realms/" + realm, token, rep.toString());
        assertEquals(204, r.status(), r.body());
    }

    static JsonNode claims(String jwt) {
        try {
            return JSON.readTree(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
