package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * {@code "dpop": true} binds the agent's tokens to a key it proves at every request (RFC 9449,
 * Keycloak's {@code dpop.bound.access.tokens}): a token request without a DPoP proof, or with a
 * proof that is not valid for the request, is refused; a valid one gets a DPoP-bound token
 * ({@code cnf.jkt}).
 */
@ExtendWith(KeycloakExtension.class)
class AgentDpopIT {

    record Answer(int status, JsonNode json) {
    }

    static Answer token(AgentApi api, String clientId, AgentKey key, String dpop) throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", key.clientAssertion(clientId, api.issuer(), key.thumbprint()));
        String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(api.issuer() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
        if (dpop != null) {
            rb.header("DPoP", dpop);
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(rb.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), AgentApi.JSON.readTree(r.body()));
    }

    /** A DPoP proof for the token endpoint: header jwk = the proof key's public JWK, signed by {@code signer}. */
    static String proof(AgentKey jwkOf, AgentKey signer, String htm, String htu) {
        Map<String, Object> jwk = new LinkedHashMap<>(jwkOf.publicJwk());
        jwk.remove("alg");
        jwk.remove("use");
        return signer.sign(Map.of("typ", "dpop+jwt", "alg", "ES256", "jwk", jwk),
                Map.of("jti", UUID.randomUUID().toString(), "htm", htm, "htu", htu, "iat", System.currentTimeMillis() / 1000));
    }

    @Test
    void aDpopAgentNeedsAValidProofAndGetsABoundToken(KeycloakTarget keycloak) throws Exception {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        String name = AgentApi.unique("dpop");
        Map<String, Object> body = AgentApi.registration(name, key, List.of());
        body.put("dpop", true);
        JsonNode agent = api.registerOk(body);
        assertEquals(true, agent.get("dpop").asBoolean(), agent.toString());
        assertEquals("true", api.client(agent.get("id").asText()).at("/attributes/dpop.bound.access.tokens").asText());
        assertTrue(agent.get("usage").has("dpop"), agent.toString());
        String endpoint = api.issuer() + "/protocol/openid-connect/token";

        Answer missing = token(api, name, key, null);
        assertEquals(400, missing.status(), missing.json().toString());
        assertTrue(missing.json().get("error_description").asText().contains("DPoP proof is missing"), missing.json().toString());

        AgentKey other = new AgentKey();
        Answer badSignature = token(api, name, key, proof(key, other, "POST", endpoint));
        assertEquals(400, badSignature.status(), badSignature.json().toString());
        Answer wrongUri = token(api, name, key, proof(key, key, "POST", api.issuer() + "/protocol/openid-connect/userinfo"));
        assertEquals(400, wrongUri.status(), wrongUri.json().toString());
        Answer wrongMethod = token(api, name, key, proof(key, key, "GET", endpoint));
        assertEquals(400, wrongMethod.status(), wrongMethod.json().toString());

        AgentKey proofKey = new AgentKey();
        Answer ok = token(api, name, key, proof(proofKey, proofKey, "POST", endpoint));
        assertEquals(200, ok.status(), ok.json().toString());
        assertEquals("DPoP", ok.json().get("token_type").asText(), ok.json().toString());
        JsonNode claims = AgentApi.claims(ok.json().get("access_token").asText());
        assertEquals(proofKey.thumbprint(), claims.at("/cnf/jkt").asText(), claims.toString());
        assertEquals(name, claims.at("/agent/name").asText());

        // switched off through an agent update: bearer tokens again
        assertEquals(200, api.updateAgent(agent.get("id").asText(), Map.of("dpop", false)).status());
        Answer bearer = token(api, name, key, null);
        assertEquals(200, bearer.status(), bearer.json().toString());
        assertEquals("Bearer", bearer.json().get("token_type").asText());
    }
}
