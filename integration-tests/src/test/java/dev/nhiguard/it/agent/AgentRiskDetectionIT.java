package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Risk detected from real token requests: a burst of failed client authentications, and a token
 * request from a source network the client has not used before. The other networks are real:
 * Linux routes all of 127.0.0.0/8 to the loopback interface, so a socket bound to 127.0.1.2 or
 * 127.0.2.2 reaches the server from another /24, and Keycloak sees that address.
 */
@ExtendWith(KeycloakExtension.class)
class AgentRiskDetectionIT {

    @Test
    void aBurstOfFailedAuthenticationsSuspendsTheAgentOnceWhereThePolicySaysSoAndFlagsOtherServiceAccounts(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-burst", "rhea");
        String base = "/admin/realms/" + api.realm;
        HttpAdmin.Response policy = api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"authFailureThreshold\":3,\"authFailureWindowSeconds\":600,\"authFailureAction\":\"suspend\"}");
        assertEquals(200, policy.status(), policy.body());
        AgentKey key = new AgentKey();
        String id = api.registerOk(AgentLifecycleIT.agentOf("burst-bot", key, "rhea")).get("id").asText();

        for (int i = 1; i <= 2; i++) {
            HttpAdmin.Response wrong = api.clientCredentialsWithSecret("burst-bot", "wrong-secret-" + i);
            assertTrue(wrong.status() == 400 || wrong.status() == 401, wrong.body());
        }
        assertEquals("ACTIVE", agent(api, id).get("status").asText(), "below the threshold nothing happens");
        assertEquals(200, api.clientCredentialsWithKey("burst-bot", key, key.thumbprint(), null).status());

        HttpAdmin.Response third = api.clientCredentialsWithSecret("burst-bot", "wrong-secret-3");
        assertTrue(third.status() == 400 || third.status() == 401, third.body());
        JsonNode suspended = agent(api, id);
        assertEquals("SUSPENDED", suspended.get("status").asText(), suspended.toString());
        assertTrue(suspended.get("statusReason").asText().contains("(auth-failure-burst)"), suspended.toString());
        assertTrue(suspended.get("statusReason").asText().contains("3 failed client authentications"), suspended.toString());

        HttpAdmin.Response refused = api.clientCredentialsWithKey("burst-bot", key, key.thumbprint(), null);
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
        // more failures (and the refusals above) do not act again
        api.clientCredentialsWithSecret("burst-bot", "wrong-secret-4");
        JsonNode actions = api.http.get(base + "/nhi/actions?clientId=burst-bot", api.adminToken()).json();
        assertEquals(1, actions.size(), actions.toString());
        assertEquals("SUSPEND", actions.get(0).get("action").asText());
        assertEquals("auth-failure-burst", actions.get(0).get("trigger").asText());
        assertTrue(AgentLifecycleIT.adminEvents(api).stream().anyMatch(e -> "AGENT".equals(e.path("resourceType").asText())
                && ("agents/" + id).equals(e.path("resourcePath").asText())
                && "auth-failure-burst".equals(e.path("details").path("trigger").asText())), "no AGENT admin event for the burst");
        JsonNode entry = api.http.get(base + "/nhi/inventory?search=burst-bot", api.adminToken()).json().at("/items/0");
        assertTrue(entry.at("/lastAction/reason").asText().contains("auth-failure-burst"), entry.toString());

        assertEquals(200, api.action(id, "resume", "the failures were a misconfigured deployment").status());
        assertEquals(200, api.clientCredentialsWithKey("burst-bot", key, key.thumbprint(), null).status());

        // a service account that is not an agent is flagged for review, not changed
        HttpAdmin.Response legacy = api.http.post(base + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "burst-sync", "publicClient", false, "secret", "burst-sync-secret", "serviceAccountsEnabled", true,
                "standardFlowEnabled", false)));
        assertEquals(201, legacy.status(), legacy.body());
        for (int i = 1; i <= 3; i++) {
            api.clientCredentialsWithSecret("burst-sync", "nope-" + i);
        }
        JsonNode review = api.http.get(base + "/nhi/actions?clientId=burst-sync", api.adminToken()).json();
        assertEquals(1, review.size(), review.toString());
        assertEquals("REVIEW", review.get(0).get("action").asText());
        assertEquals("auth-failure-burst", review.get(0).get("trigger").asText());
        // recorded where Keycloak records that client: a CLIENT event on clients/<id> (it is no agent, agents/<id> is none)
        String legacyId = api.http.get(base + "/clients?clientId=burst-sync", api.adminToken()).json().get(0).get("id").asText();
        assertTrue(AgentLifecycleIT.adminEvents(api).stream().anyMatch(e -> "CLIENT".equals(e.path("resourceType").asText())
                && ("clients/" + legacyId).equals(e.path("resourcePath").asText())
                && "auth-failure-burst".equals(e.path("details").path("trigger").asText())), "no CLIENT admin event for the review");
        assertTrue(AgentLifecycleIT.adminEvents(api).stream().noneMatch(e -> ("agents/" + legacyId).equals(e.path("resourcePath").asText())),
                "a plain service account recorded as an agent");
        assertEquals(200, api.clientCredentialsWithSecret("burst-sync", "burst-sync-secret").status());
    }

    /**
     * A burst needs no credential, only a client id: by default it flags an agent for review and leaves it running, and
     * the actions such requests set off have an hourly budget of their own, so they cannot use up the one a reviewer's
     * signal needs (sixteenth review: wrong secrets suspended any agent, and fifty bursts made a leaked-secret signal
     * answer 429, leaving the leaked agent running).
     */
    @Test
    void aBurstThatNeedsNoCredentialNeitherStopsTheAgentNorUsesUpTheBudgetOfSignals(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-anon", "rhea");
        String base = "/admin/realms/" + api.realm;
        HttpAdmin.Response policy = api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"authFailureThreshold\":2,\"authFailureWindowSeconds\":600,\"maxActionsPerHour\":1}");
        assertEquals(200, policy.status(), policy.body());
        AgentKey firstKey = new AgentKey();
        AgentKey secondKey = new AgentKey();
        String first = api.registerOk(AgentLifecycleIT.agentOf("anon-bot-1", firstKey, "rhea")).get("id").asText();
        String second = api.registerOk(AgentLifecycleIT.agentOf("anon-bot-2", secondKey, "rhea")).get("id").asText();

        for (String clientId : new String[] {"anon-bot-1", "anon-bot-2"}) {
            for (int i = 1; i <= 2; i++) {
                HttpAdmin.Response wrong = api.clientCredentialsWithSecret(clientId, "guess-" + i);
                assertTrue(wrong.status() == 400 || wrong.status() == 401, wrong.body());
            }
        }
        assertEquals("ACTIVE", agent(api, first).get("status").asText(), "a burst flags, it does not suspend by default");
        assertEquals(200, api.clientCredentialsWithKey("anon-bot-1", firstKey, firstKey.thumbprint(), null).status());
        JsonNode flagged = api.http.get(base + "/nhi/actions?clientId=anon-bot-1", api.adminToken()).json();
        assertEquals(1, flagged.size(), flagged.toString());
        assertEquals("REVIEW", flagged.get(0).get("action").asText(), flagged.toString());
        assertEquals("auth-failure-burst", flagged.get(0).get("trigger").asText(), flagged.toString());
        assertEquals(0, api.http.get(base + "/nhi/actions?clientId=anon-bot-2", api.adminToken()).json().size(),
                "the second burst found the hourly budget of unauthenticated triggers used up");

        HttpAdmin.Response leak = api.http.post(base + "/nhi/signals", api.adminToken(),
                "{\"type\":\"leaked-secret\",\"clientId\":\"anon-bot-2\",\"detail\":\"key posted in a chat\"}");
        assertEquals(200, leak.status(), leak.body());
        assertEquals("DONE", leak.json().path("outcome").asText(), leak.body());
        assertEquals("SUSPENDED", agent(api, second).get("status").asText());
        assertEquals(400, api.clientCredentialsWithKey("anon-bot-2", secondKey, secondKey.thumbprint(), null).status());
    }

    @Test
    void aTokenRequestFromANewNetworkAfterTheLearningPeriodSuspendsTheAgent(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-network", "nora");
        String base = "/admin/realms/" + api.realm;
        HttpAdmin.Response policy = api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"networkLearningDays\":1,\"newNetworkAction\":\"suspend\"}");
        assertEquals(200, policy.status(), policy.body());
        AgentKey key = new AgentKey();
        String id = api.registerOk(AgentLifecycleIT.agentOf("roaming-bot", key, "nora")).get("id").asText();
        try {
            assertEquals(200, api.clientCredentialsWithKey("roaming-bot", key, key.thumbprint(), null).status());
            assertEquals(200, tokenFrom("127.0.1.2", api, "roaming-bot", key).status(), "learning period: learnt silently");
            Thread.sleep(1000); // the sighting is written after the token request committed
            assertEquals("ACTIVE", agent(api, id).get("status").asText());
            assertEquals(0, api.http.get(base + "/nhi/actions?clientId=roaming-bot", api.adminToken()).json().size());

            api.setClockOffset(2L * 86400);
            assertEquals(200, tokenFrom("127.0.1.7", api, "roaming-bot", key).status(), "a learnt network stays known");
            HttpAdmin.Response fromNew = tokenFrom("127.0.2.2", api, "roaming-bot", key);
            assertEquals(200, fromNew.status(), fromNew.body());
            JsonNode suspended = awaitStatus(api, id, "SUSPENDED");
            assertTrue(suspended.get("statusReason").asText().contains("(new-source-network)"), suspended.toString());
            assertTrue(suspended.get("statusReason").asText().contains("127.0.2.0/24"), suspended.toString());

            HttpAdmin.Response refused = api.clientCredentialsWithKey("roaming-bot", key, key.thumbprint(), null);
            assertEquals(400, refused.status(), refused.body());
            assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
            JsonNode actions = api.http.get(base + "/nhi/actions?clientId=roaming-bot", api.adminToken()).json();
            assertEquals(1, actions.size(), actions.toString());
            assertEquals("new-source-network", actions.get(0).get("trigger").asText());
            assertTrue(AgentLifecycleIT.adminEvents(api).stream().anyMatch(e -> "AGENT".equals(e.path("resourceType").asText())
                    && "new-source-network".equals(e.path("details").path("trigger").asText())), "no AGENT admin event");

            assertEquals(200, api.action(id, "resume", "new data centre").status());
            assertEquals(200, tokenFrom("127.0.2.9", api, "roaming-bot", key).status());
            assertEquals(200, api.clientCredentialsWithKey("roaming-bot", key, key.thumbprint(), null).status());
            Thread.sleep(1000);
            assertEquals("ACTIVE", agent(api, id).get("status").asText(), "the network is known now");
            // no new automatic action; the admin's resume is listed beside the suspension
            JsonNode after = api.http.get(base + "/nhi/actions?clientId=roaming-bot", api.adminToken()).json();
            assertEquals(2, after.size(), after.toString());
            assertEquals("RESUME", after.get(0).get("action").asText(), after.toString());
            assertTrue(after.get(0).get("trigger").asText().startsWith("admin:"), after.toString());
            assertEquals("new-source-network", after.get(1).get("trigger").asText(), after.toString());
        } finally {
            api.setClockOffset(0);
        }
    }

    /**
     * A new network whose action the hourly limit deferred is not learnt: its next token request is new again and acted
     * on once there is room (sixteenth review: the deferred network was known, and silent, from then on). A new network
     * is seen on an issued token, so its actions share the budget signals use, not the failed authentications' one.
     */
    @Test
    void aNewNetworkWhoseActionTheHourlyLimitDeferredIsNotLearnt(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-deferred", "nora");
        String base = "/admin/realms/" + api.realm;
        assertEquals(200, api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"networkLearningDays\":0,\"newNetworkAction\":\"review\",\"maxActionsPerHour\":1}").status());
        AgentKey key = new AgentKey();
        api.registerOk(AgentLifecycleIT.agentOf("deferred-bot", key, "nora"));
        assertEquals(200, api.clientCredentialsWithKey("deferred-bot", key, key.thumbprint(), null).status(), "its first network");
        Thread.sleep(1000);
        HttpAdmin.Response signal = api.http.post(base + "/nhi/signals", api.adminToken(),
                "{\"type\":\"new-source-network\",\"clientId\":\"deferred-bot\",\"detail\":\"seen by the SIEM\"}");
        assertEquals(200, signal.status(), signal.body());
        assertEquals("DONE", signal.json().path("outcome").asText(), "the hour's one action: " + signal.body());

        assertEquals(200, tokenFrom("127.0.3.2", api, "deferred-bot", key).status());
        Thread.sleep(1000); // the sighting is written after the token request committed
        assertEquals(1, api.http.get(base + "/nhi/actions?clientId=deferred-bot", api.adminToken()).json().size(),
                "the network's review was deferred");

        assertEquals(200, api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"networkLearningDays\":0,\"newNetworkAction\":\"review\",\"maxActionsPerHour\":10}").status());
        assertEquals(200, tokenFrom("127.0.3.3", api, "deferred-bot", key).status());
        Thread.sleep(1000);
        JsonNode actions = api.http.get(base + "/nhi/actions?clientId=deferred-bot", api.adminToken()).json();
        assertEquals(2, actions.size(), "the deferred network is still new: " + actions);
        assertEquals("new-source-network", actions.get(0).get("trigger").asText(), actions.toString());
        assertTrue(actions.get(0).get("reason").asText().contains("127.0.3.0/24"), actions.toString());
    }

    /** Failed authentications sent together amount to a burst as surely as ones sent one by one. */
    @Test
    void failuresSentTogetherStillAmountToABurst(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-parallel", "rhea");
        String base = "/admin/realms/" + api.realm;
        assertEquals(200, api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"authFailureThreshold\":3,\"authFailureWindowSeconds\":600}").status());
        api.registerOk(AgentLifecycleIT.agentOf("parallel-bot", new AgentKey(), "rhea"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.List<java.util.concurrent.Future<HttpAdmin.Response>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                sent.add(pool.submit(() -> api.clientCredentialsWithSecret("parallel-bot", "guess-" + n)));
            }
            for (java.util.concurrent.Future<HttpAdmin.Response> f : sent) {
                assertTrue(f.get().status() == 400 || f.get().status() == 401, f.get().body());
            }
        } finally {
            pool.shutdown();
        }
        api.clientCredentialsWithSecret("parallel-bot", "guess-last");
        JsonNode actions = api.http.get(base + "/nhi/actions?clientId=parallel-bot", api.adminToken()).json();
        assertEquals(1, actions.size(), actions.toString());
        assertEquals("REVIEW", actions.get(0).get("action").asText(), actions.toString());
        assertEquals("auth-failure-burst", actions.get(0).get("trigger").asText(), actions.toString());
    }

    /**
     * An agent's key used only for token exchange or refresh is checked for a new source network too (seventeenth
     * red-team review: an exchange from a new network left the agent active; only client credentials were checked).
     */
    @Test
    void anExchangeOrARefreshFromANewNetworkIsDetectedAsWellAsClientCredentials(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-exchange", "nora");
        String base = "/admin/realms/" + api.realm;
        assertEquals(200, api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"networkLearningDays\":1,\"newNetworkAction\":\"suspend\"}").status());
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentLifecycleIT.agentOf("proxy-bot", key, "nora");
        body.put("tokenExchange", true);
        String id = api.registerOk(body).get("id").asText();
        api.audienceOnAdminCli("proxy-bot");
        String uuid = api.http.get(base + "/clients?clientId=proxy-bot", api.adminToken()).json().get(0).get("id").asText();
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) api.client(uuid);
        rep.with("attributes").put("standard.token.exchange.enableRefreshRequestedTokenType", "SAME_SESSION");
        api.putClient(uuid, rep);
        try {
            assertEquals(200, api.clientCredentialsWithKey("proxy-bot", key, key.thumbprint(), null).status(), "its first network");
            Thread.sleep(1000);
            api.setClockOffset(2L * 86400);

            // a refresh from a new network: the refresh token came from the known one
            HttpAdmin.Response exchanged = api.exchange("proxy-bot", key, api.realmUserToken("nora"), null,
                    Map.of("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"));
            assertEquals(200, exchanged.status(), exchanged.body());
            Thread.sleep(1000);
            assertEquals("ACTIVE", agent(api, id).get("status").asText(), "an exchange from the known network is fine");
            HttpAdmin.Response refreshed = tokenRequestFrom("127.0.5.2", api, withKey("proxy-bot", key, api, Map.of(
                    "grant_type", "refresh_token", "refresh_token", exchanged.json().get("refresh_token").asText())));
            assertEquals(200, refreshed.status(), refreshed.body());
            JsonNode byRefresh = awaitStatus(api, id, "SUSPENDED");
            assertTrue(byRefresh.get("statusReason").asText().contains("(new-source-network)"), byRefresh.toString());
            assertTrue(byRefresh.get("statusReason").asText().contains("127.0.5.0/24"), byRefresh.toString());
            assertEquals(200, api.action(id, "resume", "the refresh came from the new worker pool").status());

            // a token exchange from another new network
            HttpAdmin.Response fromNew = tokenRequestFrom("127.0.4.2", api, withKey("proxy-bot", key, api, Map.of(
                    "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange",
                    "subject_token", api.realmUserToken("nora"),
                    "subject_token_type", "urn:ietf:params:oauth:token-type:access_token")));
            assertEquals(200, fromNew.status(), fromNew.body());
            JsonNode byExchange = awaitStatus(api, id, "SUSPENDED");
            assertTrue(byExchange.get("statusReason").asText().contains("127.0.4.0/24"), byExchange.toString());
            HttpAdmin.Response refused = api.exchange("proxy-bot", key, api.realmUserToken("nora"), null);
            assertEquals(400, refused.status(), refused.body());
            assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());

            JsonNode actions = api.http.get(base + "/nhi/actions?clientId=proxy-bot", api.adminToken()).json();
            assertEquals(3, actions.size(), "suspended, resumed, suspended: " + actions);
            assertEquals("new-source-network", actions.get(0).get("trigger").asText(), actions.toString());
            assertEquals("new-source-network", actions.get(2).get("trigger").asText(), actions.toString());
        } finally {
            api.setClockOffset(0);
        }
    }

    /**
     * Wrong keys tried at token exchange, refresh and introspection (a made-up key's kid, or the bound key's kid with
     * another key's signature) count towards a burst as wrong keys at client credentials do (seventeenth red-team review: only CLIENT_LOGIN_ERROR was counted, so a thief could try keys at
     * the other endpoints without limit).
     */
    @Test
    void wrongKeysAtExchangeRefreshAndIntrospectionAmountToABurst(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-risk-endpoints", "rhea");
        String base = "/admin/realms/" + api.realm;
        assertEquals(200, api.http.put(base + "/nhi/policy", api.adminToken(),
                "{\"authFailureThreshold\":3,\"authFailureWindowSeconds\":600,\"authFailureAction\":\"suspend\"}").status());
        AgentKey key = new AgentKey();
        AgentKey stolenGuess = new AgentKey();
        Map<String, Object> body = AgentLifecycleIT.agentOf("guessed-bot", key, "rhea");
        body.put("tokenExchange", true);
        String id = api.registerOk(body).get("id").asText();
        api.audienceOnAdminCli("guessed-bot");
        String userToken = api.realmUserToken("rhea");

        HttpAdmin.Response exchange = api.exchange("guessed-bot", stolenGuess, userToken, null);
        assertTrue(exchange.status() == 400 || exchange.status() == 401, exchange.body());
        HttpAdmin.Response refresh = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token",
                withKey("guessed-bot", stolenGuess, api, Map.of("grant_type", "refresh_token", "refresh_token", "not-a-refresh-token")));
        assertTrue(refresh.status() == 400 || refresh.status() == 401, refresh.body());
        assertEquals("ACTIVE", agent(api, id).get("status").asText(), "below the threshold nothing happens");
        // the bound key's kid (public: the agent's usage shows it) with another key's signature
        Map<String, String> wrongSignature = withKey("guessed-bot", stolenGuess, api, Map.of("token", userToken));
        wrongSignature.put("client_assertion", stolenGuess.clientAssertion("guessed-bot", api.issuer(), key.thumbprint()));
        HttpAdmin.Response introspect = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token/introspect",
                wrongSignature);
        assertTrue(introspect.status() == 400 || introspect.status() == 401, introspect.body());

        JsonNode suspended = agent(api, id);
        assertEquals("SUSPENDED", suspended.get("status").asText(), suspended.toString());
        assertTrue(suspended.get("statusReason").asText().contains("(auth-failure-burst)"), suspended.toString());
        assertTrue(suspended.get("statusReason").asText().contains("3 failed client authentications"), suspended.toString());
        HttpAdmin.Response refused = api.exchange("guessed-bot", key, userToken, null);
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().get("error_description").asText().startsWith("agent_suspended"), refused.body());
        // the executor's own refusal just now is no failed authentication: still the one action
        JsonNode actions = api.http.get(base + "/nhi/actions?clientId=guessed-bot", api.adminToken()).json();
        assertEquals(1, actions.size(), actions.toString());
        assertEquals("auth-failure-burst", actions.get(0).get("trigger").asText(), actions.toString());
    }

    static JsonNode agent(AgentApi api, String id) {
        HttpAdmin.Response r = api.http.get("/admin/realms/" + api.realm + "/agents/" + id, api.adminToken());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static JsonNode awaitStatus(AgentApi api, String id, String status) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        JsonNode a = agent(api, id);
        while (!status.equals(a.get("status").asText()) && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
            a = agent(api, id);
        }
        assertEquals(status, a.get("status").asText(), a.toString());
        return a;
    }

    /** A client-credentials request with the agent's key, sent from a socket bound to the given loopback address. */
    static HttpAdmin.Response tokenFrom(String localAddress, AgentApi api, String clientId, AgentKey key) {
        return tokenRequestFrom(localAddress, api, withKey(clientId, key, api, Map.of("grant_type", "client_credentials")));
    }

    /** A token request's form: the given parameters, then the agent's client id and an assertion signed with its key. */
    static Map<String, String> withKey(String clientId, AgentKey key, AgentApi api, Map<String, String> params) {
        Map<String, String> form = new LinkedHashMap<>(params);
        form.put("client_id", clientId);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", key.clientAssertion(clientId, api.issuer(), key.thumbprint()));
        return form;
    }

    /** A form POST to the realm's token endpoint, sent from a socket bound to the given loopback address. */
    static HttpAdmin.Response tokenRequestFrom(String localAddress, AgentApi api, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        URI base = api.keycloak.baseUri();
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(60_000);
            socket.bind(new InetSocketAddress(localAddress, 0));
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
            OutputStream out = socket.getOutputStream();
            String head = "POST /realms/" + api.realm + "/protocol/openid-connect/token HTTP/1.0\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + payload.length + "\r\n"
                    + "Connection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            in.transferTo(raw);
            String response = raw.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int split = response.indexOf("\r\n\r\n");
            return new HttpAdmin.Response(status, Map.of(), split < 0 ? "" : response.substring(split + 4));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
