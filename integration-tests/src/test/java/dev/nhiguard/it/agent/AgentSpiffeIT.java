package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * An agent bound to a SPIFFE ID authenticates with a JWT-SVID through Keycloak's SPIFFE
 * identity provider (preview feature {@code spiffe}, enabled on the test server). The trust
 * domain's bundle endpoint is served by the test on loopback; Keycloak fetches the signing key
 * from it and verifies the SVID itself.
 */
@ExtendWith(KeycloakExtension.class)
class AgentSpiffeIT {

    static final String TRUST_DOMAIN = "spiffe://example.org";
    static final String BOUND = TRUST_DOMAIN + "/workload/spiffe-bot";
    static final String OTHER = TRUST_DOMAIN + "/workload/intruder";
    static final String KID = "example-org-jwt-1";

    @Test
    void theBoundSpiffeIdGetsATokenAnotherIsRefused(KeycloakTarget keycloak) throws IOException {
        AgentKey trustDomainKey = new AgentKey();
        HttpServer bundle = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        bundle.createContext("/bundle", exchange -> {
            Map<String, Object> jwk = new LinkedHashMap<>(trustDomainKey.publicJwk());
            jwk.remove("alg");
            jwk.put("use", "jwt-svid");
            jwk.put("kid", KID);
            byte[] body = AgentApi.json(Map.of("keys", List.of(jwk), "spiffe_sequence", 1, "spiffe_refresh_hint", 300))
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        bundle.start();
        try {
            AgentApi api = AgentApi.createRealm(keycloak, "agent-spiffe", "sven");
            String base = "/admin/realms/" + api.realm;
            HttpAdmin.Response idp = api.http.post(base + "/identity-provider/instances", api.adminToken(), AgentApi.json(Map.of(
                    "alias", "example-org", "providerId", "spiffe", "enabled", true,
                    "config", Map.of("trustDomain", TRUST_DOMAIN,
                            "bundleEndpoint", "http://127.0.0.1:" + bundle.getAddress().getPort() + "/bundle"))));
            assertEquals(201, idp.status(), idp.body());

            Map<String, Object> body = AgentApi.registration("spiffe-bot", new AgentKey(), List.of());
            body.put("owner", Map.of("type", "user", "username", "sven"));
            body.put("keyBinding", Map.of("type", "spiffe", "spiffeId", BOUND, "identityProvider", "example-org"));
            JsonNode agent = api.registerOk(body);
            String id = agent.get("id").asText();
            assertEquals("federated-jwt", api.client(id).get("clientAuthenticatorType").asText());

            HttpAdmin.Response ok = token(api, trustDomainKey, BOUND);
            assertEquals(200, ok.status(), ok.body());
            JsonNode claims = AgentApi.claims(ok.json().get("access_token").asText());
            assertEquals(id, claims.at("/agent/id").asText(), claims.toString());
            assertEquals("spiffe-bot", claims.get("azp").asText());

            // an SVID of the trust domain for an ID no client is bound to: Keycloak finds no client
            HttpAdmin.Response unknown = token(api, trustDomainKey, OTHER);
            assertEquals(401, unknown.status(), unknown.body());
            assertEquals("invalid_client", unknown.json().get("error").asText(), unknown.body());

            // an SVID for the bound ID signed by a key the trust domain does not publish
            HttpAdmin.Response forged = token(api, new AgentKey(), BOUND);
            assertEquals(401, forged.status(), forged.body());

            // an admin points the client at another SPIFFE ID: Keycloak accepts that SVID, the binding does not
            ObjectNode client = (ObjectNode) api.client(id);
            ((ObjectNode) client.get("attributes")).put("jwt.credential.sub", OTHER);
            api.putClient(id, client);
            HttpAdmin.Response switched = token(api, trustDomainKey, OTHER);
            assertEquals(400, switched.status(), switched.body());
            assertEquals("invalid_client", switched.json().get("error").asText(), switched.body());
            assertTrue(switched.json().get("error_description").asText().startsWith("key_binding_mismatch"), switched.body());
            assertTrue(StreamSupport.stream(api.events("CLIENT_LOGIN_ERROR").spliterator(), false).anyMatch(e ->
                            "spiffe-bot".equals(e.path("clientId").asText())
                            && e.path("details").path("client_policy_error_detail").asText().startsWith("key_binding_mismatch")),
                    "a CLIENT_LOGIN_ERROR event names the refusal");
        } finally {
            bundle.stop(0);
        }
    }

    /** A client-credentials request authenticated by a JWT-SVID (draft-schwenkschuster-oauth-spiffe-client-auth). */
    static HttpAdmin.Response token(AgentApi api, AgentKey signer, String spiffeId) {
        long now = System.currentTimeMillis() / 1000;
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("kid", KID);
        header.put("typ", "JWT");
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", spiffeId);
        claims.put("aud", api.issuer());
        claims.put("iat", now);
        claims.put("exp", now + 120);
        claims.put("jti", UUID.randomUUID().toString());
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe");
        form.put("client_assertion", signer.sign(header, claims));
        return api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token", form);
    }
}
