package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Follows spi-agent-binding/README.md, "Onboarding an agent, step by step", literally, in realm
 * {@code agent-readme} where the mutation guard holds agent changes (requester cara, approvers ann
 * and ben; owner olga; otto and ursula): the README's registration body, the change request
 * approved with its digest and applied, the agent read back by name, a client assertion built
 * only from the registration's {@code usage}, a token, a token exchange of the owner's token, a
 * refused exchange for a user not granted, a delegation change (held, approved, applied), and
 * an owner lost and reassigned through a change request.
 */
@ExtendWith(KeycloakExtension.class)
class AgentReadmeIT {

    static final String REALM = "agent-readme";
    static final String A = "/admin/realms/" + REALM;
    static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    final HttpAdmin http;

    AgentReadmeIT(KeycloakTarget keycloak) {
        this.http = keycloak.http();
    }

    String token(String user) {
        return http.passwordGrant(REALM, "admin-cli", user, user + "-pass", null).get("access_token").asText();
    }

    /** The README's step 2 for a guarded write: 202 + change request, approved with its digest by ann, applied by cara. */
    JsonNode approveAndApply(HttpAdmin.Response held) {
        assertEquals(202, held.status(), held.body());
        String cr = held.json().get("id").asText();
        assertEquals("PENDING", held.json().get("state").asText(), held.body());
        String digest = http.get(A + "/mutation-guard/change-requests/" + cr, token("ann")).json().get("digest").asText();
        HttpAdmin.Response approved = http.post(A + "/mutation-guard/change-requests/" + cr + "/approve", token("ann"),
                "{\"digest\":\"" + digest + "\"}");
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = http.post(A + "/mutation-guard/change-requests/" + cr + "/apply", token("cara"), null);
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().get("state").asText(), applied.body());
        return applied.json();
    }

    JsonNode agentByName(String name) {
        HttpAdmin.Response r = http.get(A + "/agents?name=" + name, token("cara"));
        assertEquals(200, r.status(), r.body());
        assertEquals(1, r.json().get("items").size(), r.body());
        return r.json().get("items").get(0);
    }

    /** Step 4: the client assertion, from nothing but the agent's usage, signed ES256 (r ‖ s). */
    static String assertion(JsonNode usage, KeyPair key) throws Exception {
        ObjectNode header = usage.at("/clientAssertion/header").deepCopy();
        ObjectNode claims = usage.at("/clientAssertion/claims").deepCopy();
        long now = System.currentTimeMillis() / 1000;
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iat", now);
        claims.put("exp", now + 60);
        String input = B64.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(s.sign());
    }

    /** Posts a usage form (clientCredentials or tokenExchange) with the placeholders filled in. */
    HttpAdmin.Response post(JsonNode usage, String formName, KeyPair key, String subjectToken) throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = usage.get(formName).fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            form.put(f.getKey(), f.getValue().asText());
        }
        form.put("client_assertion", assertion(usage, key));
        if (subjectToken != null) {
            form.put("subject_token", subjectToken);
            form.remove("scope");
        }
        String tokenEndpoint = usage.get("tokenEndpoint").asText();
        String path = tokenEndpoint.substring(tokenEndpoint.indexOf("/realms/"));
        return http.postForm(path, form);
    }

    @Test
    void fromRegistrationToATokenAndAnExchangeAsTheReadmeSays() throws Exception {
        // 1. the key pair
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = g.generateKeyPair();
        ECPublicKey pub = (ECPublicKey) key.getPublic();
        String x = B64.encodeToString(fixed(pub.getW().getAffineX().toByteArray()));
        String y = B64.encodeToString(fixed(pub.getW().getAffineY().toByteArray()));

        // 2. register with the README's body (a JWK of kty, crv, x, y only), approve and apply
        String body = "{\n  \"name\": \"invoice-bot\",\n  \"owner\": {\"type\": \"user\", \"username\": \"olga\"},\n"
                + "  \"purpose\": \"reconciles invoices\",\n  \"expiresAt\": \"2027-06-30T00:00:00Z\",\n"
                + "  \"keyBinding\": {\"type\": \"jwk\", \"jwk\": {\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"" + x + "\", \"y\": \"" + y + "\"}},\n"
                + "  \"tokenExchange\": true\n}";
        approveAndApply(http.post(A + "/agents", token("cara"), body));

        // 3. what the agent must send
        JsonNode agent = agentByName("invoice-bot");
        JsonNode usage = agent.get("usage");
        assertEquals(agent.at("/keyBinding/thumbprint").asText(), usage.at("/clientAssertion/header/kid").asText());

        // 4. a token
        HttpAdmin.Response token = post(usage, "clientCredentials", key, null);
        assertEquals(200, token.status(), token.body());
        JsonNode claims = AgentApi.claims(token.json().get("access_token").asText());
        assertEquals("invoice-bot", claims.at("/agent/name").asText(), claims.toString());
        assertEquals("olga", claims.at("/agent/owner/name").asText(), claims.toString());
        assertEquals("2027-06-30T00:00:00Z", claims.at("/agent/expiresAt").asText(), claims.toString());

        // 5. act for a user: the agent in the user's audience (an audience mapper on the client the user signs in with)
        String adminCli = http.get(A + "/clients?clientId=admin-cli", token("cara")).json().get(0).get("id").asText();
        HttpAdmin.Response mapper = http.post(A + "/clients/" + adminCli + "/protocol-mappers/models", token("cara"),
                AgentApi.json(Map.of("name", "audience invoice-bot", "protocol", "openid-connect", "protocolMapper", "oidc-audience-mapper",
                        "config", Map.of("included.custom.audience", "invoice-bot", "access.token.claim", "true", "lightweight.claim", "true"))));
        assertEquals(202, mapper.status(), "a mapper on admin-cli, an administration client, is held: " + mapper.body());
        approveAndApply(mapper);
        String olgaToken = token("olga");
        HttpAdmin.Response exchanged = post(usage, "tokenExchange", key, olgaToken);
        assertEquals(200, exchanged.status(), exchanged.body());
        JsonNode act = AgentApi.claims(exchanged.json().get("access_token").asText());
        String olga = http.get(A + "/users?exact=true&username=olga", token("cara")).json().get(0).get("id").asText();
        assertEquals(olga, act.get("sub").asText(), act.toString());
        assertEquals(agent.get("serviceAccountUserId").asText(), act.at("/act/sub").asText(), act.toString());

        // a user the delegation does not grant
        HttpAdmin.Response refused = post(usage, "tokenExchange", key, token("ursula"));
        assertEquals(403, refused.status(), refused.body());
        assertEquals("access_denied", refused.json().get("error").asText());
        assertTrue(refused.json().get("error_description").asText().startsWith("delegation_not_granted"), refused.body());

        // granting ursula is a guarded change: held until approved and applied
        String id = agent.get("id").asText();
        HttpAdmin.Response held = http.put(A + "/agents/" + id, token("cara"), "{\"delegation\":{\"owner\":true,\"users\":[\"ursula\"]}}");
        assertEquals(403, post(usage, "tokenExchange", key, token("ursula")).status(), "granted before approval");
        approveAndApply(held);
        assertEquals(200, post(usage, "tokenExchange", key, token("ursula")).status());

        // the owner leaves: the agent is suspended and latched; only an owner reassignment (a change request) lifts it
        HttpAdmin.Response disable = http.put(A + "/users/" + olga, token("cara"), "{\"enabled\":false}");
        if (disable.status() == 202) {
            approveAndApply(disable);
        } else {
            assertEquals(204, disable.status(), disable.body());
        }
        long until = System.currentTimeMillis() + 20_000;
        while (!"SUSPENDED".equals(agentByName("invoice-bot").get("status").asText()) && System.currentTimeMillis() < until) {
            Thread.sleep(200);
        }
        assertTrue(agentByName("invoice-bot").hasNonNull("ownerLatched"), agentByName("invoice-bot").toString());
        assertEquals(400, post(usage, "clientCredentials", key, null).status());
        approveAndApply(http.put(A + "/agents/" + id, token("cara"), "{\"owner\":{\"type\":\"user\",\"username\":\"otto\"}}"));
        assertEquals("ACTIVE", agentByName("invoice-bot").get("status").asText());
        assertEquals(200, post(usage, "clientCredentials", key, null).status());
    }

    static byte[] fixed(byte[] raw) {
        byte[] out = new byte[32];
        int len = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - len, out, 32 - len, len);
        return out;
    }
}
