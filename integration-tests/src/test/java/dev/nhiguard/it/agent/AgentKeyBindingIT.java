package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Registration binds a key the way Keycloak's client authentication uses it: {@code alg} and
 * {@code use} follow from the key (the README's bare EC JWK works the first time), keys Keycloak
 * cannot load are refused with 400, and the answer says what the agent must send.
 */
@ExtendWith(KeycloakExtension.class)
class AgentKeyBindingIT {

    static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    @Test
    void aBareEcJwkGetsItsAlgorithmAndTheAnswerSaysWhatToSend(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        AgentKey key = new AgentKey();
        Map<String, Object> jwk = new LinkedHashMap<>(key.publicJwk());
        jwk.remove("alg");
        jwk.remove("use");
        Map<String, Object> body = AgentApi.registration(AgentApi.unique("bare"), key, List.of());
        body.put("keyBinding", Map.of("type", "jwk", "jwk", jwk));
        JsonNode agent = api.registerOk(body);
        String name = agent.get("name").asText();
        assertEquals("ES256", agent.at("/keyBinding/alg").asText(), agent.toString());
        assertEquals(key.thumbprint(), agent.at("/keyBinding/thumbprint").asText());

        JsonNode stored = AgentApi.JSON.valueToTree(api.client(agent.get("id").asText()).at("/attributes/jwks.string").asText());
        JsonNode storedKey = readTree(stored.asText()).at("/keys/0");
        assertEquals("ES256", storedKey.get("alg").asText(), storedKey.toString());
        assertEquals("sig", storedKey.get("use").asText());
        assertEquals(key.thumbprint(), storedKey.get("kid").asText());

        JsonNode usage = agent.get("usage");
        assertEquals(api.issuer(), usage.get("issuer").asText(), usage.toString());
        assertEquals(api.issuer() + "/protocol/openid-connect/token", usage.get("tokenEndpoint").asText());
        assertEquals(key.thumbprint(), usage.at("/clientAssertion/header/kid").asText());
        assertEquals("ES256", usage.at("/clientAssertion/header/alg").asText());
        assertEquals(api.issuer(), usage.at("/clientAssertion/claims/aud").asText());
        assertEquals(name, usage.at("/clientAssertion/claims/iss").asText());
        assertEquals(name, usage.at("/clientAssertion/claims/sub").asText());
        assertEquals("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", usage.at("/clientCredentials/client_assertion_type").asText());

        HttpAdmin.Response token = api.clientCredentialsWithKey(name, key, usage.at("/clientAssertion/header/kid").asText(), null);
        assertEquals(200, token.status(), token.body());
    }

    @Test
    void anRsaKeyWithoutAlgIsBoundAsRs256AndSignsIn(KeycloakTarget keycloak) throws Exception {
        AgentApi api = new AgentApi(keycloak);
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair pair = g.generateKeyPair();
        RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
        Map<String, Object> jwk = Map.of("kty", "RSA", "n", B64.encodeToString(unsigned(pub.getModulus())),
                "e", B64.encodeToString(unsigned(pub.getPublicExponent())));
        Map<String, Object> body = AgentApi.registration(AgentApi.unique("rsa"), new AgentKey(), List.of());
        body.put("keyBinding", Map.of("type", "jwk", "jwk", jwk));
        JsonNode agent = api.registerOk(body);
        assertEquals("RS256", agent.at("/keyBinding/alg").asText(), agent.toString());
        String name = agent.get("name").asText();
        String kid = agent.at("/keyBinding/thumbprint").asText();

        long now = System.currentTimeMillis() / 1000;
        String input = b64json(Map.of("alg", "RS256", "typ", "JWT", "kid", kid)) + "." + b64json(Map.of("iss", name, "sub", name,
                "aud", api.issuer(), "jti", UUID.randomUUID().toString(), "iat", now, "exp", now + 60));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(pair.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        String assertion = input + "." + B64.encodeToString(s.sign());
        HttpAdmin.Response token = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", name,
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", assertion));
        assertEquals(200, token.status(), token.body());
    }

    @Test
    void anEd25519KeyIsBoundAsEdDsaAndSignsIn(KeycloakTarget keycloak) throws Exception {
        AgentApi api = new AgentApi(keycloak);
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = pair.getPublic().getEncoded();
        byte[] raw = java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        Map<String, Object> body = AgentApi.registration(AgentApi.unique("ed"), new AgentKey(), List.of());
        body.put("keyBinding", Map.of("type", "jwk", "jwk", Map.of("kty", "OKP", "crv", "Ed25519", "x", B64.encodeToString(raw))));
        JsonNode agent = api.registerOk(body);
        assertEquals("EdDSA", agent.at("/keyBinding/alg").asText(), agent.toString());
        String name = agent.get("name").asText();
        long now = System.currentTimeMillis() / 1000;
        String input = b64json(Map.of("alg", "EdDSA", "typ", "JWT", "kid", agent.at("/keyBinding/thumbprint").asText())) + "."
                + b64json(Map.of("iss", name, "sub", name, "aud", api.issuer(), "jti", UUID.randomUUID().toString(), "iat", now, "exp", now + 60));
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(pair.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        HttpAdmin.Response token = api.http.postForm("/realms/" + api.realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", name,
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion", input + "." + B64.encodeToString(s.sign())));
        assertEquals(200, token.status(), token.body());
    }

    @Test
    void keysKeycloakCannotUseAreRefusedAndNothingIsCreated(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak);
        String x = B64.encodeToString(new byte[32]);
        List<Object[]> bad = List.of(
                new Object[] {Map.of("kty", "EC", "crv", "P-256", "x", x, "y", x), "Keycloak cannot load"},
                new Object[] {Map.of("kty", "EC", "crv", "P-256", "x", "AQAB", "y", "AQAB"), "Keycloak cannot load"},
                new Object[] {Map.of("kty", "RSA", "n", "***", "e", "AQAB"), "Keycloak cannot load"},
                new Object[] {withAlg(new AgentKey().publicJwk(), "ES384"), "jwk.alg"},
                new Object[] {withUse(new AgentKey().publicJwk(), "enc"), "jwk.use"},
                new Object[] {Map.of("kty", "OKP", "crv", "X25519", "x", x), "jwk.crv"});
        for (Object[] c : bad) {
            String name = AgentApi.unique("badkey");
            Map<String, Object> body = AgentApi.registration(name, new AgentKey(), List.of());
            body.put("keyBinding", Map.of("type", "jwk", "jwk", c[0]));
            HttpAdmin.Response r = api.register(body, api.adminToken());
            assertEquals(400, r.status(), c[0] + " -> " + r.body());
            assertEquals("invalid_request", r.json().get("error").asText(), r.body());
            assertTrue(r.json().get("error_description").asText().contains((String) c[1]), c[0] + " -> " + r.body());
            assertEquals(0, api.http.get("/admin/realms/" + api.realm + "/clients?clientId=" + name, api.adminToken()).json().size());
        }
    }

    static Map<String, Object> withAlg(Map<String, Object> jwk, String alg) {
        Map<String, Object> m = new LinkedHashMap<>(jwk);
        m.put("alg", alg);
        return m;
    }

    static Map<String, Object> withUse(Map<String, Object> jwk, String use) {
        Map<String, Object> m = new LinkedHashMap<>(jwk);
        m.put("use", use);
        return m;
    }

    static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
    }

    static String b64json(Object o) {
        return B64.encodeToString(AgentApi.json(o).getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode readTree(String s) {
        try {
            return AgentApi.JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
