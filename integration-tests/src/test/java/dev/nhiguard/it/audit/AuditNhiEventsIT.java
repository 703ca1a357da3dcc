package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The user events that matter for non-human identities, chained with their fields: standard
 * token exchange (v2), the RFC 7523 JWT authorization grant (default feature in Keycloak 26.7),
 * failed client logins; and the mutation guard's CHANGE_REQUEST admin events.
 */
@ExtendWith(KeycloakExtension.class)
class AuditNhiEventsIT {

    static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
    static final String EXT_ISSUER = "https://issuer.nhi-guard.test";
    static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    final KeyPair issuerKey;

    AuditNhiEventsIT() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        issuerKey = g.generateKeyPair();
    }

    /**
     * A realm with a public client {@code portal} (password grant, its tokens name
     * {@code exchanger} as audience), a confidential {@code exchanger} allowed standard token
     * exchange and the JWT authorization grant from identity provider {@code ext-issuer}, a
     * confidential {@code no-exchange}, and user erin linked to {@code ext-issuer} as {@code ext-erin}.
     */
    String createRealm(AuditRealms a) {
        String name = "audit-nhi-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode realm = AuditRealms.JSON.createObjectNode();
        realm.put("realm", name);
        realm.put("enabled", true);
        realm.putObject("attributes").put("nhi.guard.policy", "{\"guardedOperations\":[]}");
        ArrayNode clients = realm.putArray("clients");
        ObjectNode portal = clients.addObject();
        portal.put("clientId", "portal");
        portal.put("publicClient", true);
        portal.put("directAccessGrantsEnabled", true);
        portal.put("standardFlowEnabled", false);
        ObjectNode aud = portal.putArray("protocolMappers").addObject();
        aud.put("name", "audience exchanger");
        aud.put("protocol", "openid-connect");
        aud.put("protocolMapper", "oidc-audience-mapper");
        aud.putObject("config").put("included.client.audience", "exchanger").put("access.token.claim", "true");
        ObjectNode exchanger = clients.addObject();
        exchanger.put("clientId", "exchanger");
        exchanger.put("secret", "exchanger-secret");
        exchanger.put("publicClient", false);
        exchanger.put("standardFlowEnabled", false);
        exchanger.putObject("attributes").put("standard.token.exchange.enabled", "true")
                .put("oauth2.jwt.authorization.grant.enabled", "true").put("oauth2.jwt.authorization.grant.idp", "ext-issuer");
        ObjectNode noExchange = clients.addObject();
        noExchange.put("clientId", "no-exchange");
        noExchange.put("secret", "no-exchange-secret");
        noExchange.put("publicClient", false);
        noExchange.put("standardFlowEnabled", false);
        ObjectNode idp = realm.putArray("identityProviders").addObject();
        idp.put("alias", "ext-issuer");
        idp.put("providerId", "jwt-authorization-grant");
        idp.put("enabled", true);
        idp.putObject("config").put("issuer", EXT_ISSUER).put("useJwksUrl", "false")
                .put("publicKeySignatureVerifier", Base64.getEncoder().encodeToString(issuerKey.getPublic().getEncoded()))
                .put("jwtAuthorizationGrantEnabled", "true");
        ObjectNode erin = realm.putArray("users").addObject();
        erin.put("username", "erin");
        erin.put("email", "erin@example.org");
        erin.put("firstName", "Erin");
        erin.put("lastName", "Example");
        erin.put("enabled", true);
        erin.putArray("credentials").addObject().put("type", "password").put("value", "erin-pass").put("temporary", false);
        erin.putArray("federatedIdentities").addObject().put("identityProvider", "ext-issuer").put("userId", "ext-erin")
                .put("userName", "ext-erin");
        HttpAdmin.Response r = a.http.post("/admin/realms", a.token(), realm.toString());
        assertEquals(201, r.status(), r.body());
        return name;
    }

    static String userId(AuditRealms a, String realm, String username) {
        return a.http.get(a.base(realm) + "/users?exact=true&username=" + username, a.token()).json().get(0).get("id").asText();
    }

    static HttpAdmin.Response exchange(AuditRealms a, String realm, String clientId, String secret, String subjectToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", TOKEN_EXCHANGE);
        form.put("client_id", clientId);
        form.put("client_secret", secret);
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", ACCESS_TOKEN_TYPE);
        return a.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", form);
    }

    @Test
    void standardTokenExchangeAndItsRefusalAreChained(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = createRealm(a);
        String erin = userId(a, realm, "erin");
        String userToken = a.http.passwordGrant(realm, "portal", "erin", "erin-pass", null).get("access_token").asText();
        long before = a.headSeq(realm);

        HttpAdmin.Response exchanged = exchange(a, realm, "exchanger", "exchanger-secret", userToken);
        assertEquals(200, exchanged.status(), exchanged.body());
        HttpAdmin.Response refused = exchange(a, realm, "no-exchange", "no-exchange-secret", userToken);
        assertEquals(400, refused.status(), refused.body());

        List<JsonNode> records = a.recordsAfter(realm, before, null);
        assertEquals(List.of("TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR"), records.stream().map(r -> r.get("type").asText()).toList(),
                records.toString());
        JsonNode ok = records.get(0);
        assertEquals("USER", ok.get("category").asText());
        assertEquals("exchanger", ok.get("target").asText());
        assertEquals("exchanger", ok.at("/actor/clientId").asText());
        assertEquals(erin, ok.at("/actor/userId").asText(), ok.toString());
        assertEquals("portal", ok.at("/details/subject_token_client_id").asText(), ok.toString());
        assertEquals("erin", ok.at("/details/username").asText(), ok.toString());
        assertFalse(ok.has("error"), ok.toString());
        JsonNode error = records.get(1);
        assertEquals("no-exchange", error.get("target").asText());
        assertEquals("no-exchange", error.at("/actor/clientId").asText());
        assertFalse(error.get("error").asText().isEmpty(), error.toString());
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void jwtAuthorizationGrantAndABadAssertionAreChained(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = createRealm(a);
        String erin = userId(a, realm, "erin");
        String audience = keycloak.baseUri() + "/realms/" + realm;
        long before = a.headSeq(realm);

        HttpAdmin.Response granted = jwtGrant(a, realm, assertion(audience, issuerKey));
        assertEquals(200, granted.status(), granted.body());
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        HttpAdmin.Response forged = jwtGrant(a, realm, assertion(audience, g.generateKeyPair()));
        assertEquals(400, forged.status(), forged.body());

        List<JsonNode> records = a.recordsAfter(realm, before, null);
        assertEquals(List.of("JWT_AUTHORIZATION_GRANT", "JWT_AUTHORIZATION_GRANT_ERROR"),
                records.stream().map(r -> r.get("type").asText()).toList(), records.toString());
        JsonNode ok = records.get(0);
        assertEquals("USER", ok.get("category").asText());
        assertEquals("exchanger", ok.get("target").asText());
        assertEquals("exchanger", ok.at("/actor/clientId").asText());
        assertEquals(erin, ok.at("/actor/userId").asText(), ok.toString());
        assertEquals("ext-issuer", ok.at("/details/identity_provider").asText(), ok.toString());
        assertEquals("erin", ok.at("/details/username").asText(), ok.toString());
        JsonNode error = records.get(1);
        assertEquals("exchanger", error.get("target").asText());
        assertFalse(error.get("error").asText().isEmpty(), error.toString());
        assertTrue(error.at("/details/reason").asText().toLowerCase().contains("signature"), error.toString());
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void failedClientLoginsAreChainedWithClientAndError(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-login-error");
        long before = a.headSeq(realm);
        HttpAdmin.Response wrong = a.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", AuditRealms.SA_CLIENT, "client_secret", "wrong"));
        assertEquals(401, wrong.status(), wrong.body());
        HttpAdmin.Response unknown = a.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", "no-such-robot", "client_secret", "x"));
        assertEquals(401, unknown.status(), unknown.body());

        List<JsonNode> records = a.recordsAfter(realm, before, null);
        assertEquals(List.of("CLIENT_LOGIN_ERROR", "CLIENT_LOGIN_ERROR"), records.stream().map(r -> r.get("type").asText()).toList(),
                records.toString());
        JsonNode badSecret = records.get(0);
        assertEquals("USER", badSecret.get("category").asText());
        assertEquals(AuditRealms.SA_CLIENT, badSecret.get("target").asText());
        assertEquals(AuditRealms.SA_CLIENT, badSecret.at("/actor/clientId").asText());
        assertEquals("invalid_client_credentials", badSecret.get("error").asText(), badSecret.toString());
        assertFalse(badSecret.at("/actor/ipAddress").asText().isEmpty(), badSecret.toString());
        JsonNode noClient = records.get(1);
        assertEquals("no-such-robot", noClient.get("target").asText());
        assertEquals("client_not_found", noClient.get("error").asText(), noClient.toString());
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void changeRequestsOfTheGuardAreChainedWithTheirRepresentation(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String realm = "/admin/realms/nhi-demo";
        String carol = http.passwordGrant("nhi-demo", "admin-cli", "carol", "carol-demo-pass", null).get("access_token").asText();
        String carolId = http.get(realm + "/users?exact=true&username=carol", carol).json().get(0).get("id").asText();
        String client = http.get(realm + "/clients?clientId=billing-sync", carol).json().get(0).get("id").asText();
        HttpAdmin.Response held = http.post(realm + "/clients/" + client + "/client-secret", carol, null);
        assertEquals(202, held.status(), held.body());
        String id = held.json().get("id").asText();
        HttpAdmin.Response cancelled = http.post(realm + "/mutation-guard/change-requests/" + id + "/cancel", carol, null);
        assertEquals(200, cancelled.status(), cancelled.body());

        HttpAdmin.Response page = http.get(realm + "/audit-chain/records?type=CHANGE_REQUEST&target=mutation-guard/change-requests/" + id, carol);
        assertEquals(200, page.status(), page.body());
        JsonNode records = page.json().get("records");
        assertEquals(2, records.size(), page.body());
        JsonNode created = records.get(0);
        assertEquals("ADMIN", created.get("category").asText());
        assertEquals("CREATE", created.get("operation").asText());
        assertEquals("mutation-guard/change-requests/" + id, created.get("target").asText());
        assertEquals(carolId, created.at("/actor/userId").asText());
        assertEquals("CREATED", created.at("/details/transition").asText());
        assertEquals(id, created.at("/details/changeRequestId").asText());
        assertEquals("CREATED", created.at("/representation/transition").asText(), created.toString());
        assertTrue(created.at("/representation/diff").isContainerNode(), created.toString());
        assertFalse(created.at("/details/digest").asText().isEmpty());
        JsonNode cancel = records.get(1);
        assertEquals("UPDATE", cancel.get("operation").asText());
        assertEquals(carolId, cancel.at("/actor/userId").asText());
        assertEquals("CANCELLED", cancel.at("/details/transition").asText());
        assertEquals("CANCELLED", cancel.at("/representation/transition").asText());
        assertEquals(created.at("/details/digest").asText(), cancel.at("/details/digest").asText(), "the same change request");
    }

    static HttpAdmin.Response jwtGrant(AuditRealms a, String realm, String assertion) {
        return a.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", Map.of("grant_type", JWT_BEARER,
                "client_id", "exchanger", "client_secret", "exchanger-secret", "assertion", assertion));
    }

    /** An RS256 assertion from the external issuer for ext-erin, valid for a minute. */
    static String assertion(String audience, KeyPair key) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String header = B64URL.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"ext-1\"}".getBytes(StandardCharsets.UTF_8));
        ObjectNode claims = AuditRealms.JSON.createObjectNode();
        claims.put("iss", EXT_ISSUER);
        claims.put("sub", "ext-erin");
        claims.put("aud", audience);
        claims.put("iat", now);
        claims.put("exp", now + 60);
        claims.put("jti", UUID.randomUUID().toString());
        String payload = B64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key.getPrivate());
        s.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "." + B64URL.encodeToString(s.sign());
    }
}
