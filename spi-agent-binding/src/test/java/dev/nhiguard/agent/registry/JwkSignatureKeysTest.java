package dev.nhiguard.agent.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JwkSignatureKeysTest {

    static Map<String, Object> jwk(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void algorithmFollowsFromKeyTypeAndCurve() {
        assertEquals("ES256", JwkSignatureKeys.complete(jwk("kty", "EC", "crv", "P-256")).get("alg"));
        assertEquals("ES384", JwkSignatureKeys.complete(jwk("kty", "EC", "crv", "P-384")).get("alg"));
        assertEquals("ES512", JwkSignatureKeys.complete(jwk("kty", "EC", "crv", "P-521")).get("alg"));
        assertEquals("EdDSA", JwkSignatureKeys.complete(jwk("kty", "OKP", "crv", "Ed25519")).get("alg"));
        assertEquals("RS256", JwkSignatureKeys.complete(jwk("kty", "RSA")).get("alg"));
        assertEquals("PS384", JwkSignatureKeys.complete(jwk("kty", "RSA", "alg", "PS384")).get("alg"));
        assertEquals("sig", JwkSignatureKeys.complete(jwk("kty", "EC", "crv", "P-256")).get("use"));
        assertEquals("sig", JwkSignatureKeys.complete(jwk("kty", "EC", "crv", "P-256", "use", "sig", "alg", "ES256")).get("use"));
    }

    @Test
    void keysThatCannotSignAreRefusedNamingTheMember() {
        Object[][] bad = {
                {jwk("kty", "EC", "crv", "P-256", "alg", "ES384"), "jwk.alg"},
                {jwk("kty", "EC", "crv", "secp256k1"), "jwk.crv"},
                {jwk("kty", "OKP", "crv", "X25519"), "jwk.crv"},
                {jwk("kty", "RSA", "alg", "HS256"), "jwk.alg"},
                {jwk("kty", "EC", "crv", "P-256", "use", "enc"), "jwk.use"},
                {jwk("kty", "EC", "crv", "P-256", "key_ops", List.of("encrypt")), "jwk.key_ops"},
                {jwk("kty", "oct"), "jwk.kty"},
        };
        for (Object[] c : bad) {
            @SuppressWarnings("unchecked")
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> JwkSignatureKeys.complete((Map<String, Object>) c[0]), c[0].toString());
            assertTrue(e.getMessage().startsWith((String) c[1]), e.getMessage());
        }
    }

    @Test
    void registrationStoresTheKeyWithAlgUseAndNoForeignKid() throws Exception {
        AgentInput in = AgentInput.parse(AgentInputTest.body(""), true);
        assertEquals("ES256", in.keyBinding().jwk().get("alg"));
        assertEquals("sig", in.keyBinding().jwk().get("use"));
        String withKid = AgentInputTest.body("").replace("\"kty\":\"EC\"", "\"kid\":\"mine\",\"kty\":\"EC\"");
        AgentInput.InvalidInput e = assertThrows(AgentInput.InvalidInput.class, () -> AgentInput.parse(withKid, true));
        assertTrue(e.getMessage().contains("jwk.kid"), e.getMessage());
    }

    @Test
    void delegationDefaultsToOwnerOnlyAndUnreadableGrantsNobody() {
        assertEquals(Delegation.OWNER_ONLY, Delegation.parse(null));
        assertEquals(Delegation.NOBODY, Delegation.parse("not json"));
        assertEquals(Delegation.NOBODY, Delegation.parse("[]"));
        Delegation d = new Delegation(false, List.of("u1"), List.of("g1"), true);
        assertEquals(d, Delegation.parse(d.toJson()));
    }

    @Test
    void usageNamesTheThumbprintAsKidAndTheIssuerAsAudience() {
        Map<String, Object> u = AgentUsage.of("http://kc/realms/r", "bot", "jwk", "THUMB", "ES256", true, true);
        assertEquals("http://kc/realms/r/protocol/openid-connect/token", u.get("tokenEndpoint"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> assertion = (Map<String, Map<String, Object>>) u.get("clientAssertion");
        assertEquals("THUMB", assertion.get("header").get("kid"));
        assertEquals("ES256", assertion.get("header").get("alg"));
        assertEquals("http://kc/realms/r", assertion.get("claims").get("aud"));
        assertEquals("bot", assertion.get("claims").get("iss"));
        assertEquals("bot", assertion.get("claims").get("sub"));
        assertTrue(u.containsKey("dpop"));
        assertTrue(u.containsKey("tokenExchange"));
    }
}
