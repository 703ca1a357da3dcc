package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ways around agent binding found in the fifth red-team review (a stolen agent key, an admin of a
 * realm that does not guard agents), each judged by the tokens Keycloak issues. Each test makes a
 * realm of its own that the mutation guard leaves alone, so what is tested is agent binding's
 * token-time enforcement, not admission.
 *
 * <ul>
 * <li><b>Delegation decided on a claim Keycloak does not use:</b> a protocol mapper on an ordinary
 * client set the subject token's {@code sub} to the agent's owner; Keycloak's exchange acts for the
 * user of the token's session ({@code sid}), the executor read {@code sub}: the agent acted for a
 * user its delegation does not grant.</li>
 * <li><b>Grants the executor did not see:</b> the password grant (and authorization code, device,
 * CIBA) gave a suspended agent's client a token for any user, skipping the delegation.</li>
 * <li><b>Tokens minted from a bearer token:</b> the UMA grant renewed a suspended agent's token
 * without any client policy event; suspension now makes every earlier token of the agent stale.</li>
 * <li><b>A forged actor chain:</b> an {@code act} claim a mapper of an ordinary client writes was
 * copied into the agent's token as the prior actor.</li>
 * </ul>
 */
@ExtendWith(KeycloakExtension.class)
class AgentFifthReviewIT {

    private static final String PORTAL_SCOPE = "openid";

    @Test
    void delegationIsDecidedForTheUserKeycloakActsFor(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, AgentApi.unique("agent-sub"), "olga", "ursula");
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("sub-bot", key, List.of());
        body.put("tokenExchange", true);
        api.registerOk(body);
        // An ordinary client whose tokens name the agent as audience and carry the owner's id as sub.
        String portal = portalClaiming(api, "sub-bot", "sub", api.userId("olga"), "String");
        String ursula = api.http.passwordGrant(api.realm, portal, "ursula", "ursula-pass", null).path("access_token").asText();
        assertEquals(api.userId("olga"), AgentApi.claims(ursula).path("sub").asText(), "fixture: ursula's token says sub = olga");

        HttpAdmin.Response exchanged = api.exchange("sub-bot", key, ursula, null);
        assertAll(
                () -> assertEquals(403, exchanged.status(), "the agent acted for ursula: " + exchanged.body()),
                () -> assertTrue(exchanged.body().contains("delegation_not_granted"), exchanged.body()));
    }

    @Test
    void anAgentGetsUserTokensOnlyThroughTokenExchange(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, AgentApi.unique("agent-grants"), "olga", "ursula");
        AgentKey key = new AgentKey();
        JsonNode agent = api.registerOk(AgentApi.registration("grant-bot", key, List.of()));
        String uuid = agent.path("id").asText();
        // The guard leaves this realm alone: an admin turns the password grant and the device grant on for the agent.
        JsonNode rep = api.client(uuid);
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep).put("directAccessGrantsEnabled", true);
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep.path("attributes")).put("oauth2.device.authorization.grant.enabled", "true");
        api.putClient(uuid, rep);

        HttpAdmin.Response password = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token",
                withAssertion(api, key, "grant-bot", Map.of("grant_type", "password", "username", "olga", "password", "olga-pass")));
        HttpAdmin.Response device = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/auth/device",
                withAssertion(api, key, "grant-bot", Map.of()));
        HttpAdmin.Response own = api.clientCredentialsWithKey("grant-bot", key, key.thumbprint(), null);
        assertAll(
                () -> assertNotEquals(200, password.status(), "a password grant for the owner through the agent: " + password.body()),
                () -> assertTrue(password.body().contains("grant_not_allowed") || password.body().contains("token exchange"),
                        password.body()),
                () -> assertNotEquals(200, device.status(), "a device authorization through the agent: " + device.body()),
                () -> assertEquals(200, own.status(), "the agent's own client-credentials token: " + own.body()));
    }

    /**
     * A suspended agent renewed its earlier token through the UMA grant. Suspension makes the agent's earlier tokens
     * stale (its client's not-before); since the ninth review no agent gets UMA tokens at all ({@code AgentUmaIT}),
     * so the grant refuses the active agent's token too, and the suspended agent's for both reasons.
     */
    @Test
    void suspensionMakesTheAgentsEarlierTokensStaleForTheUmaGrant(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, AgentApi.unique("agent-uma"), "olga");
        AgentKey key = new AgentKey();
        JsonNode agent = api.registerOk(AgentApi.registration("uma-bot", key, List.of()));
        String admin = "/admin/realms/" + api.realm;
        String token = api.adminToken();
        assertEquals(201, api.http.post(admin + "/clients", token, AgentApi.json(Map.of("clientId", "rs", "publicClient", false,
                "secret", "rs-secret", "serviceAccountsEnabled", true, "authorizationServicesEnabled", true,
                "standardFlowEnabled", false))).status());
        String rs = api.http.get(admin + "/clients?clientId=rs", token).json().get(0).path("id").asText();
        String authz = admin + "/clients/" + rs + "/authz/resource-server";
        assertEquals(201, api.http.post(authz + "/resource", token, "{\"name\":\"reports\",\"uris\":[\"/reports/*\"]}").status());
        assertEquals(201, api.http.post(authz + "/policy/client", token, "{\"name\":\"agents-may\",\"clients\":[\"uma-bot\"]}").status());
        assertEquals(201, api.http.post(authz + "/permission/resource", token,
                "{\"name\":\"agents-perm\",\"resources\":[\"reports\"],\"policies\":[\"agents-may\"]}").status());
        HttpAdmin.Response issued = api.clientCredentialsWithKey("uma-bot", key, key.thumbprint(), null);
        assertEquals(200, issued.status(), issued.body());
        String before = issued.json().path("access_token").asText();
        HttpAdmin.Response active = api.uma(before, "rs", Map.of());

        assertEquals(200, api.action(agent.path("id").asText(), "suspend", "stolen key").status());
        HttpAdmin.Response renewed = api.uma(before, "rs", Map.of());
        HttpAdmin.Response own = api.clientCredentialsWithKey("uma-bot", key, key.thumbprint(), null);
        long notBefore = api.client(agent.path("id").asText()).path("notBefore").asLong();
        assertAll(
                () -> assertEquals(400, active.status(), "the active agent's token gets no UMA token: " + active.body()),
                () -> assertNotEquals(200, renewed.status(), "a suspended agent's token renewed by the UMA grant: " + renewed.body()),
                () -> assertNotEquals(200, own.status(), "a suspended agent's client-credentials token: " + own.body()),
                () -> assertTrue(notBefore > AgentApi.claims(before).path("iat").asLong(), "the earlier token is stale: " + notBefore));
    }

    @Test
    void anActClaimAnOrdinaryClientWritesIsNoActorChain(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, AgentApi.unique("agent-act"), "olga");
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("act-bot", key, List.of());
        body.put("tokenExchange", true);
        api.registerOk(body);
        String portal = portalClaiming(api, "act-bot", "act", "{\"sub\":\"trusted-payments-agent\",\"client_id\":\"payments-agent\"}",
                "JSON");
        String olga = api.http.passwordGrant(api.realm, portal, "olga", "olga-pass", null).path("access_token").asText();
        assertEquals("payments-agent", AgentApi.claims(olga).at("/act/client_id").asText(), "fixture: the forged act claim");

        HttpAdmin.Response exchanged = api.exchange("act-bot", key, olga, null);
        assertEquals(200, exchanged.status(), exchanged.body());
        JsonNode act = AgentApi.claims(exchanged.json().path("access_token").asText()).path("act");
        assertAll(
                () -> assertEquals("act-bot", act.path("client_id").asText(), act.toString()),
                () -> assertFalse(act.has("act"), "the forged actor is nested as the prior actor: " + act));
    }

    @Test
    void theAgentEndpointsReadBodiesStrictlyInARealmTheGuardLeavesAlone(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, AgentApi.unique("agent-bodies"), "olga");
        JsonNode agent = api.registerOk(AgentApi.registration("body-bot", new AgentKey(), List.of()));
        String base = "/admin/realms/" + api.realm;
        HttpAdmin.Response plain = api.http.send("POST", base + "/agents/" + agent.path("id").asText() + "/suspend",
                api.adminToken(), "text/plain", "{\"reason\":\"typed as text\"}");
        HttpAdmin.Response run = api.http.send("POST", base + "/nhi/lifecycle/run", api.adminToken(), "application/json", "[1]");
        HttpAdmin.Response campaign = api.http.send("POST", base + "/nhi/reviews/campaigns", api.adminToken(), "text/plain", "go");
        assertAll(
                () -> assertEquals(415, plain.status(), plain.body()),
                () -> assertEquals("ACTIVE", api.agent(agent.path("id").asText()).path("status").asText(), "the agent's status"),
                () -> assertEquals(400, run.status(), run.body()),
                () -> assertEquals(400, campaign.status(), campaign.body()),
                () -> assertEquals("invalid_request", campaign.json().path("error").asText(), campaign.body()));
    }

    /**
     * An ordinary public client (password grant) whose access tokens name the agent as audience and
     * carry a claim its hardcoded mapper writes: what any realm admin can set up unheld.
     */
    private static String portalClaiming(AgentApi api, String agent, String claim, String value, String jsonType) {
        String portal = "portal-" + System.nanoTime();
        HttpAdmin.Response client = api.http.post("/admin/realms/" + api.realm + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", portal, "publicClient", true, "directAccessGrantsEnabled", true, "standardFlowEnabled", false,
                "protocolMappers", List.of(
                        Map.of("name", "aud", "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper",
                                "config", Map.of("included.custom.audience", agent, "access.token.claim", "true")),
                        Map.of("name", claim, "protocol", "openid-connect", "protocolMapper", "oidc-hardcoded-claim-mapper",
                                "config", Map.of("claim.name", claim, "claim.value", value, "jsonType.label", jsonType,
                                        "access.token.claim", "true"))))));
        assertEquals(201, client.status(), client.body());
        return portal;
    }

    private static Map<String, String> withAssertion(AgentApi api, AgentKey key, String clientId, Map<String, String> form) {
        Map<String, String> out = new LinkedHashMap<>(form);
        out.put("client_id", clientId);
        out.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        out.put("client_assertion", key.clientAssertion(clientId, api.issuer(), key.thumbprint()));
        if (!out.containsKey("scope")) {
            out.put("scope", PORTAL_SCOPE);
        }
        return out;
    }

    /** The UMA grant (RFC 8693 style, {@code uma-ticket}) with a bearer token, for resource server {@code rs}. */
}
