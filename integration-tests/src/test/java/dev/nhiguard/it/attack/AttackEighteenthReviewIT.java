package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Eighteenth red-team review (2026-12-07): Keycloak's standard token exchange lets a confidential client named in a
 * token's audience exchange that token. For a service account's token the new token names the service account as its
 * subject and carries its roles, but with the exchanging client's mappers, scope, audience and lifetime. So mallory,
 * unheld, put a hardcoded {@code nhi-approver} role mapper and a lifetime of a year on {@code rs1} (a resource server
 * with the exchange on, named in sa-target's audience by an approved mapper), created {@code reports-api} with the
 * exchange on under a name sa-target's tokens carry, and turned the exchange on for an ordinary client: each exchange
 * gave a token of sa-target's identity that nobody approved. A client that exchanges tokens now shapes service
 * accounts' tokens as their own clients do: turning the exchange on, and the settings of a client that has it on, are
 * held. Judged by the exchanged token. Each test runs in a copy of {@code guard-attack-fifth}.
 */
@ExtendWith(KeycloakExtension.class)
class AttackEighteenthReviewIT {

    private static AttackRealm realmWithAResourceServer(KeycloakTarget keycloak, String suffix) {
        return AttackRealm.copyOfFifth(keycloak, "eighteenth", suffix, rep -> {
            ObjectNode rs1 = rep.withArray("clients").addObject().put("clientId", "rs1").put("publicClient", false)
                    .put("secret", "rs1-secret").put("standardFlowEnabled", false).put("directAccessGrantsEnabled", false);
            rs1.with("attributes").put("standard.token.exchange.enabled", "true");
            rep.withArray("clients").addObject().put("clientId", "plain-rs").put("publicClient", false)
                    .put("secret", "plain-rs-secret").put("standardFlowEnabled", false);
            // approved state: sa-target's tokens name rs1 and reports-api in their audience
            for (JsonNode c : rep.withArray("clients")) {
                if ("sa-target".equals(c.path("clientId").asText())) {
                    ObjectNode a = ((ObjectNode) c).withArray("protocolMappers").addObject().put("name", "aud-rs1")
                            .put("protocol", "openid-connect").put("protocolMapper", "oidc-audience-mapper");
                    a.with("config").put("included.client.audience", "rs1").put("access.token.claim", "true");
                    ObjectNode b = ((ObjectNode) c).withArray("protocolMappers").addObject().put("name", "aud-reports")
                            .put("protocol", "openid-connect").put("protocolMapper", "oidc-audience-mapper");
                    b.with("config").put("included.custom.audience", "reports-api").put("access.token.claim", "true");
                }
            }
        });
    }

    private static HttpAdmin.Response exchange(AttackRealm r, String clientId, String secret, String subjectToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
        form.put("client_id", clientId);
        form.put("client_secret", secret);
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
        return r.http.postForm("/realms/" + r.name + "/protocol/openid-connect/token", form);
    }

    @Test
    void aClientThatExchangesAServiceAccountsTokensIsShapedOnlyWithApproval(KeycloakTarget keycloak) {
        AttackRealm r = realmWithAResourceServer(keycloak, "exchange");
        String mallory = r.token("mallory");
        String rs1 = r.clientUuid("rs1");

        HttpAdmin.Response mapper = r.http.post(r.admin + "/clients/" + rs1 + "/protocol-mappers/models", mallory,
                "{\"name\":\"hr\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-role-mapper\","
                        + "\"config\":{\"role\":\"nhi-approver\"}}");
        HttpAdmin.Response lifetime = r.http.put(r.admin + "/clients/" + rs1, mallory,
                "{\"clientId\":\"rs1\",\"attributes\":{\"standard.token.exchange.enabled\":\"true\",\"access.token.lifespan\":\"31536000\"}}");
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"reports-api\",\"publicClient\":false,"
                + "\"secret\":\"mallorys\",\"attributes\":{\"standard.token.exchange.enabled\":\"True\"}}");
        String plain = r.clientUuid("plain-rs");
        HttpAdmin.Response turnedOn = r.http.put(r.admin + "/clients/" + plain, mallory,
                "{\"clientId\":\"plain-rs\",\"attributes\":{\"standard.token.exchange.enabled\":\"true\"}}");

        // the effect: rs1's exchange of sa-target's token carries what was approved, nothing of mallory's
        String subject = r.serviceAccountToken("sa-target");
        HttpAdmin.Response exchanged = exchange(r, "rs1", "rs1-secret", subject);
        assertEquals(200, exchanged.status(), "rs1 exchanges as approved: " + exchanged.body());
        JsonNode claims = AttackRealm.claims(exchanged.json().get("access_token").asText());
        assertAll(
                () -> AttackRealm.assertHeld(mapper, "a role mapper on a client that exchanges a service account's tokens"),
                () -> AttackRealm.assertHeld(lifetime, "the lifetime of a client that exchanges a service account's tokens"),
                () -> AttackRealm.assertHeld(created, "a client created with the exchange on"),
                () -> AttackRealm.assertHeld(turnedOn, "the exchange turned on for an ordinary client"),
                () -> assertEquals(r.serviceAccountUserId("sa-target"), claims.path("sub").asText(), claims.toString()),
                () -> assertFalse(claims.path("realm_access").path("roles").toString().contains("nhi-approver"),
                        "the exchanged token carries mallory's role: " + claims),
                () -> assertTrue(claims.path("exp").asLong() - claims.path("iat").asLong() <= 3600,
                        "the exchanged token lives mallory's year: " + claims),
                () -> assertNull(r.clientUuidOrNull("reports-api"), "reports-api exists"),
                () -> assertFalse(Boolean.parseBoolean(r.read("/clients/" + plain).path("attributes")
                        .path("standard.token.exchange.enabled").asText()), "plain-rs exchanges tokens"),
                () -> assertEquals(400, exchange(r, "plain-rs", "plain-rs-secret", subject).status(),
                        "plain-rs exchanged sa-target's token"));
    }

    /** The same through the client admin API v2 and client registration: a client that exchanges tokens is refused. */
    @Test
    void theExchangeIsNotTurnedOnAroundTheAdminApi(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = realmWithAResourceServer(keycloak, "registration");
        HttpAdmin.Response v2 = r.http.post("/admin/api/" + r.name + "/clients/v2", r.token("mallory"),
                "{\"clientId\":\"reports-api\",\"protocol\":\"openid-connect\",\"enabled\":true,\"loginFlows\":[\"TOKEN_EXCHANGE\"],"
                        + "\"auth\":{\"method\":\"client-secret\",\"secret\":\"mallorys-secret\"}}");
        // an initial access token of mallory's (its creation is held: ann approves it, as she would for a team's automation)
        String initial = r.approvedInitialAccessToken("mallory", "ann");
        HttpAdmin.Response registered = r.http.post("/realms/" + r.name + "/clients-registrations/default", initial,
                "{\"clientId\":\"reports-api\",\"publicClient\":false,\"attributes\":{\"standard.token.exchange.enabled\":\"true\"}}");
        HttpAdmin.Response oidc = r.http.post("/realms/" + r.name + "/clients-registrations/openid-connect", initial,
                "{\"client_name\":\"reports-api-2\",\"grant_types\":[\"urn:ietf:params:oauth:grant-type:token-exchange\"],"
                        + "\"token_endpoint_auth_method\":\"client_secret_basic\"}");
        assertAll(
                () -> AttackRealm.assertHeldOrRefused(v2, "a v2 client with the token-exchange flow"),
                () -> AttackRealm.assertHeldOrRefused(registered, "client registration of a client with the exchange on"),
                () -> AttackRealm.assertHeldOrRefused(oidc, "OIDC registration of a client with the token-exchange grant"),
                () -> assertNull(r.clientUuidOrNull("reports-api"), "reports-api was registered"),
                () -> assertTrue(noClientButRs1Exchanges(r), "a registered client exchanges tokens"));
    }

    /** Whether, read back as the master admin, no client of the realm but the approved rs1 has the exchange on. */
    private static boolean noClientButRs1Exchanges(AttackRealm r) {
        for (JsonNode c : r.read("/clients?max=1000")) {
            if (!"rs1".equals(c.path("clientId").asText())
                    && Boolean.parseBoolean(c.path("attributes").path("standard.token.exchange.enabled").asText())) {
                return false;
            }
        }
        return true;
    }
}
