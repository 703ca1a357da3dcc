package dev.nhiguard.it.agent;

import static dev.nhiguard.it.agent.AgentApi.REALM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The agent registry REST API: one new client per agent, metadata in its attributes, AGENT admin events. */
@ExtendWith(KeycloakExtension.class)
class AgentRegistryIT {

    @Test
    void registerCreatesADedicatedConfidentialClientWithAServiceAccount(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("reg");
        HttpAdmin.Response created = api.register(AgentApi.registration(name, key, List.of("agent.read")), api.adminToken());
        assertEquals(201, created.status(), created.body());
        JsonNode agent = created.json();
        String id = agent.get("id").asText();
        assertTrue(created.header("Location").endsWith("/admin/realms/" + REALM + "/agents/" + id), created.header("Location"));
        assertEquals(name, agent.get("clientId").asText());
        assertEquals("ACTIVE", agent.get("status").asText());
        assertEquals("user", agent.at("/owner/type").asText());
        assertEquals("olga", agent.at("/owner/name").asText());
        assertEquals(api.userId("olga"), agent.at("/owner/id").asText());
        assertEquals("jwk", agent.at("/keyBinding/type").asText());
        assertEquals(key.thumbprint(), agent.at("/keyBinding/thumbprint").asText());
        assertEquals(List.of("agent.read"), texts(agent.get("allowedScopes")));

        JsonNode client = api.client(id);
        assertFalse(client.get("publicClient").asBoolean());
        assertTrue(client.get("serviceAccountsEnabled").asBoolean());
        assertFalse(client.get("standardFlowEnabled").asBoolean());
        assertFalse(client.get("directAccessGrantsEnabled").asBoolean());
        assertEquals("client-jwt", client.get("clientAuthenticatorType").asText());
        JsonNode attrs = client.get("attributes");
        assertEquals("true", attrs.get("nhi.agent").asText());
        assertEquals(key.thumbprint(), attrs.get("nhi.agent.binding.value").asText());
        assertEquals("ACTIVE", attrs.get("nhi.agent.status").asText());
        assertEquals("true", attrs.get("use.jwks.string").asText());
        assertTrue(attrs.get("jwks.string").asText().contains("\"kid\":\"" + key.thumbprint() + "\""), attrs.toString());
        assertTrue(StreamSupport.stream(client.get("protocolMappers").spliterator(), false)
                .anyMatch(m -> "nhi-agent-claim-mapper".equals(m.get("protocolMapper").asText())), client.toString());

        HttpAdmin.Response sa = api.http.get("/admin/realms/" + REALM + "/clients/" + id + "/service-account-user", api.adminToken());
        assertEquals(200, sa.status(), sa.body());
        assertEquals(agent.get("serviceAccountUserId").asText(), sa.json().get("id").asText());

        HttpAdmin.Response optional = api.http.get("/admin/realms/" + REALM + "/clients/" + id + "/optional-client-scopes", api.adminToken());
        assertEquals(List.of("agent.read"), StreamSupport.stream(optional.json().spliterator(), false).map(s -> s.get("name").asText()).toList());

        HttpAdmin.Response one = api.http.get("/admin/realms/" + REALM + "/agents/" + id, api.adminToken());
        assertEquals(200, one.status(), one.body());
        assertEquals(agent, one.json());
        HttpAdmin.Response list = api.http.get("/admin/realms/" + REALM + "/agents?max=1000", api.adminToken());
        assertEquals(200, list.status(), list.body());
        assertTrue(StreamSupport.stream(list.json().get("items").spliterator(), false).anyMatch(a -> id.equals(a.get("id").asText())));

        JsonNode event = agentEvent(api, id, "CREATE");
        assertNotNull(event, "no AGENT CREATE admin event for " + id);
        assertTrue(event.get("representation").asText().contains(key.thumbprint()));
    }

    @Test
    void mtlsBindingSetsUpCertificateClientAuthentication(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        Map<String, Object> body = AgentApi.registration(AgentApi.unique("mtls"), new AgentKey(), List.of());
        String thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        body.put("keyBinding", Map.of("type", "mtls", "thumbprint", thumbprint, "subjectDn", "CN=invoice-bot,O=Example"));
        JsonNode agent = api.registerOk(body);
        assertEquals("mtls", agent.at("/keyBinding/type").asText());
        assertEquals(thumbprint, agent.at("/keyBinding/thumbprint").asText());
        JsonNode client = api.client(agent.get("id").asText());
        assertEquals("client-x509", client.get("clientAuthenticatorType").asText());
        assertEquals("CN=invoice-bot,O=Example", client.at("/attributes/x509.subjectdn").asText());
        assertEquals("false", client.at("/attributes/x509.allow.regex.pattern.comparison").asText());
        assertFalse(client.get("attributes").has("jwks.string"));
    }

    @Test
    void bindingAnExistingClientIsRefusedAndChangesNothing(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        JsonNode before = api.http.get("/admin/realms/" + REALM + "/clients?clientId=legacy-sync", api.adminToken()).json().get(0);

        Map<String, Object> byClientId = AgentApi.registration(AgentApi.unique("bind"), new AgentKey(), List.of());
        byClientId.put("clientId", "legacy-sync");
        HttpAdmin.Response r1 = api.register(byClientId, api.adminToken());
        assertEquals(409, r1.status(), r1.body());
        assertTrue(r1.json().get("error_description").asText().contains("cannot be bound"), r1.body());

        HttpAdmin.Response r2 = api.register(AgentApi.registration("legacy-sync", new AgentKey(), List.of()), api.adminToken());
        assertEquals(409, r2.status(), r2.body());
        assertEquals("conflict", r2.json().get("error").asText());

        JsonNode after = api.client(before.get("id").asText());
        assertEquals(before, after);
        assertFalse(after.get("attributes").has("nhi.agent"));
    }

    @Test
    void badRegistrationsAre400WithErrorJsonAndCreateNothing(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        String token = api.adminToken();
        int clientsBefore = api.http.get("/admin/realms/" + REALM + "/clients?max=10000", token).json().size();
        AgentKey key = new AgentKey();

        List<Map<String, Object>> bad = new ArrayList<>();
        bad.add(without(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "owner"));
        bad.add(without(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "expiresAt"));
        bad.add(without(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "keyBinding"));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "owner", Map.of("type", "user", "username", "nobody")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "owner", Map.of("type", "group", "path", "/no-such-group")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "owner", Map.of("type", "robot", "id", "x")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "owner", Map.of("type", "user", "username", "service-account-legacy-sync")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "expiresAt", "2020-01-01T00:00:00Z"));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "expiresAt", "next tuesday"));
        bad.add(AgentApi.registration(AgentApi.unique("bad"), key, List.of("no-such-scope")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "name", "Bad Name!"));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "purpose", ""));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "colour", "blue"));
        Map<String, Object> privateJwk = new LinkedHashMap<>(key.publicJwk());
        privateJwk.put("d", "c2VjcmV0");
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "keyBinding", Map.of("type", "jwk", "jwk", privateJwk)));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "keyBinding", Map.of("type", "jwk", "jwk", key.publicJwk(), "thumbprint", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "keyBinding", Map.of("type", "password")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "keyBinding", Map.of("type", "mtls", "thumbprint", "short")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "keyBinding", Map.of("type", "spiffe", "spiffeId", "spiffe://example.org/agent", "identityProvider", "no-such-idp")));
        bad.add(with(AgentApi.registration(AgentApi.unique("bad"), key, List.of()), "tokenExchange", "yes"));

        for (Map<String, Object> body : bad) {
            HttpAdmin.Response r = api.register(body, token);
            assertEquals(400, r.status(), AgentApi.json(body) + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText(), r.body());
            assertFalse(r.json().get("error_description").asText().isBlank(), r.body());
        }
        for (String raw : new String[] {"", "not json", "[1,2]", "{\"name\":42}"}) {
            HttpAdmin.Response r = api.http.send("POST", "/admin/realms/" + REALM + "/agents", token, "application/json", raw);
            assertEquals(400, r.status(), raw + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText(), r.body());
        }
        int clientsAfter = api.http.get("/admin/realms/" + REALM + "/clients?max=10000", token).json().size();
        assertEquals(clientsBefore, clientsAfter);
    }

    @Test
    void suspendResumeRetireAreRecordedAndGuardedByState(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        JsonNode agent = api.registerOk(AgentApi.registration(AgentApi.unique("life"), new AgentKey(), List.of()));
        String id = agent.get("id").asText();

        HttpAdmin.Response resumeActive = api.action(id, "resume", null);
        assertEquals(409, resumeActive.status(), resumeActive.body());

        HttpAdmin.Response suspended = api.action(id, "suspend", "key may have leaked");
        assertEquals(200, suspended.status(), suspended.body());
        assertEquals("SUSPENDED", suspended.json().get("status").asText());
        assertTrue(suspended.json().get("statusReason").asText().contains("key may have leaked"));
        assertEquals(409, api.action(id, "suspend", null).status());

        HttpAdmin.Response resumed = api.action(id, "resume", "rotated");
        assertEquals(200, resumed.status(), resumed.body());
        assertEquals("ACTIVE", resumed.json().get("status").asText());

        HttpAdmin.Response retired = api.action(id, "retire", "project ended");
        assertEquals(200, retired.status(), retired.body());
        assertEquals("RETIRED", retired.json().get("status").asText());
        assertFalse(retired.json().get("enabled").asBoolean());
        assertFalse(api.client(id).get("enabled").asBoolean());
        assertEquals(409, api.action(id, "resume", null).status());
        HttpAdmin.Response update = api.http.put("/admin/realms/" + REALM + "/agents/" + id, api.adminToken(), "{\"purpose\":\"again\"}");
        assertEquals(409, update.status(), update.body());

        for (String op : List.of("suspended", "resumed", "retired")) {
            assertNotNull(agentEvent(api, id, "ACTION", op), "no AGENT ACTION event for " + op);
        }
        assertEquals(404, api.action("no-such-agent", "suspend", null).status());
        HttpAdmin.Response badReason = api.http.post("/admin/realms/" + REALM + "/agents/" + id + "/suspend", api.adminToken(), "{\"why\":1}");
        assertEquals(400, badReason.status(), badReason.body());
    }

    @Test
    void updateChangesOnlyWhatWasSentAndRefusesBadInput(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        JsonNode agent = api.registerOk(AgentApi.registration(AgentApi.unique("upd"), new AgentKey(), List.of("agent.read")));
        String id = agent.get("id").asText();
        String path = "/admin/realms/" + REALM + "/agents/" + id;
        String expires = Instant.now().plusSeconds(86400 * 30).toString();

        HttpAdmin.Response ok = api.http.put(path, api.adminToken(), AgentApi.json(Map.of(
                "purpose", "new purpose", "allowedScopes", List.of("agent.read", "agent.write"), "expiresAt", expires,
                "owner", Map.of("type", "group", "path", "/agent-owners"))));
        assertEquals(200, ok.status(), ok.body());
        assertEquals("new purpose", ok.json().get("purpose").asText());
        assertEquals(List.of("agent.read", "agent.write"), texts(ok.json().get("allowedScopes")));
        assertEquals("group", ok.json().at("/owner/type").asText());
        assertEquals("/agent-owners", ok.json().at("/owner/name").asText());
        assertEquals(agent.get("keyBinding"), ok.json().get("keyBinding"));
        assertNotNull(agentEvent(api, id, "UPDATE"));

        JsonNode before = api.http.get(path, api.adminToken()).json();
        for (String body : List.of("{\"name\":\"renamed\"}", "{\"clientId\":\"legacy-sync\"}", "{\"expiresAt\":\"2001-01-01T00:00:00Z\"}",
                "{\"allowedScopes\":[\"nope\"]}", "{\"owner\":{\"type\":\"user\",\"username\":\"nobody\"}}", "oops")) {
            HttpAdmin.Response r = api.http.put(path, api.adminToken(), body);
            assertEquals(400, r.status(), body + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText());
        }
        assertEquals(before, api.http.get(path, api.adminToken()).json());
    }

    @Test
    void viewClientsMayReadButNotWriteManageClientsMayRegister(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        String vic = api.realmUserToken("vic");
        assertEquals(200, api.http.get("/admin/realms/" + REALM + "/agents", vic).status());
        String name = AgentApi.unique("perm");
        HttpAdmin.Response refused = api.register(AgentApi.registration(name, new AgentKey(), List.of()), vic);
        assertEquals(403, refused.status(), refused.body());
        assertTrue(api.http.get("/admin/realms/" + REALM + "/clients?clientId=" + name, api.adminToken()).json().isEmpty());

        String mia = api.realmUserToken("mia");
        HttpAdmin.Response created = api.register(AgentApi.registration(name, new AgentKey(), List.of()), mia);
        assertEquals(201, created.status(), created.body());
        assertEquals(403, api.http.post("/admin/realms/" + REALM + "/agents/" + created.json().get("id").asText() + "/suspend", vic, null).status());
        assertEquals(401, api.http.get("/admin/realms/" + REALM + "/agents", null).status());
    }

    static JsonNode agentEvent(AgentApi api, String id, String operation) {
        return agentEvent(api, id, operation, null);
    }

    static JsonNode agentEvent(AgentApi api, String id, String operation, String action) {
        for (JsonNode e : api.adminEvents()) {
            if ("AGENT".equals(e.path("resourceType").asText()) && operation.equals(e.path("operationType").asText())
                    && ("agents/" + id).equals(e.path("resourcePath").asText())
                    && (action == null || action.equals(e.path("details").path("action").asText()))) {
                return e;
            }
        }
        return null;
    }

    static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private static Map<String, Object> without(Map<String, Object> body, String field) {
        body.remove(field);
        return body;
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        body.put(field, value);
        return body;
    }
}
