package dev.nhiguard.agent.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Completes a public JWK the way Keycloak's client authentication will use it: Keycloak loads a
 * client's {@code jwks.string} keys only when their {@code use} is {@code sig}, and finds the
 * key for a client assertion by {@code kid} and {@code alg}; a key without either cannot sign in.
 * The algorithm follows from the key type and curve (EC P-256 → ES256, P-384 → ES384, P-521 →
 * ES512, OKP Ed25519/Ed448 → EdDSA) or, for RSA, is RS256 unless the JWK names another RSA
 * signature algorithm.
 */
public final class JwkSignatureKeys {

    private static final Map<String, String> EC_ALG = Map.of("P-256", "ES256", "P-384", "ES384", "P-521", "ES512");
    private static final Set<String> OKP_CURVES = Set.of("Ed25519", "Ed448");
    private static final List<String> RSA_ALGS = List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512");

    private JwkSignatureKeys() {
    }

    /**
     * The JWK with {@code alg} and {@code use} set (a copy); {@code kid} is left as given.
     *
     * @throws IllegalArgumentException naming the member that cannot be used for signing
     */
    public static Map<String, Object> complete(Map<String, Object> jwk) {
        Object kty = jwk.get("kty");
        Object crv = jwk.get("crv");
        Object alg = jwk.get("alg");
        Object use = jwk.get("use");
        if (alg != null && !(alg instanceof String)) {
            throw new IllegalArgumentException("jwk.alg must be a string");
        }
        String expected;
        if ("EC".equals(kty)) {
            expected = EC_ALG.get(crv);
            if (expected == null) {
                throw new IllegalArgumentException("jwk.crv must be P-256, P-384 or P-521 for kty EC");
            }
            if (alg != null && !expected.equals(alg)) {
                throw new IllegalArgumentException("jwk.alg " + alg + " does not fit curve " + crv + " (expected " + expected + ")");
            }
        } else if ("OKP".equals(kty)) {
            if (!(crv instanceof String c) || !OKP_CURVES.contains(c)) {
                throw new IllegalArgumentException("jwk.crv must be Ed25519 or Ed448 for kty OKP (a signature key)");
            }
            expected = "EdDSA";
            if (alg != null && !expected.equals(alg)) {
                throw new IllegalArgumentException("jwk.alg must be EdDSA for an OKP key");
            }
        } else if ("RSA".equals(kty)) {
            expected = alg == null ? "RS256" : (String) alg;
            if (!RSA_ALGS.contains(expected)) {
                throw new IllegalArgumentException("jwk.alg must be one of " + String.join(", ", RSA_ALGS) + " for kty RSA");
            }
        } else {
            throw new IllegalArgumentException("jwk.kty must be RSA, EC or OKP");
        }
        if (use != null && !"sig".equals(use)) {
            throw new IllegalArgumentException("jwk.use must be sig: the key signs the agent's client assertions");
        }
        Object ops = jwk.get("key_ops");
        if (ops != null && !(ops instanceof List<?> l && l.contains("verify"))) {
            throw new IllegalArgumentException("jwk.key_ops must include verify");
        }
        Map<String, Object> out = new LinkedHashMap<>(jwk);
        out.put("alg", expected);
        out.put("use", "sig");
        return out;
    }
}
