package dev.nhiguard.it.agent;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** An agent's P-256 key pair generated in the test: its public JWK and RFC 7523 client assertions. */
public final class AgentKey {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final KeyPair pair;

    public AgentKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            pair = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public JWK, without kid (the registry sets kid to the thumbprint). */
    public Map<String, Object> publicJwk() {
        ECPublicKey pub = (ECPublicKey) pair.getPublic();
        Map<String, Object> jwk = new LinkedHashMap<>();
        jwk.put("kty", "EC");
        jwk.put("crv", "P-256");
        jwk.put("x", B64.encodeToString(fixed(pub.getW().getAffineX())));
        jwk.put("y", B64.encodeToString(fixed(pub.getW().getAffineY())));
        jwk.put("use", "sig");
        jwk.put("alg", "ES256");
        return jwk;
    }

    /** RFC 7638 thumbprint computed independently of the server. */
    String thumbprint() {
        Map<String, Object> jwk = publicJwk();
        Map<String, Object> members = new TreeMap<>();
        for (String k : new String[] {"crv", "kty", "x", "y"}) {
            members.put(k, jwk.get(k));
        }
        try {
            return B64.encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(JSON.writeValueAsString(members).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A private_key_jwt client assertion for the client, audience the realm's issuer. */
    String clientAssertion(String clientId, String issuer, String kid) {
        long now = System.currentTimeMillis() / 1000;
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("typ", "JWT");
        if (kid != null) {
            header.put("kid", kid);
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", clientId);
        claims.put("sub", clientId);
        claims.put("aud", issuer);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iat", now);
        claims.put("exp", now + 60);
        return sign(header, claims);
    }

    /** A compact JWS (ES256) of the header and claims, signed with this key. */
    public String sign(Map<String, Object> header, Map<String, Object> claims) {
        try {
            String input = B64.encodeToString(JSON.writeValueAsBytes(header)) + "." + B64.encodeToString(JSON.writeValueAsBytes(claims));
            Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initSign(pair.getPrivate());
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + B64.encodeToString(s.sign());
        } catch (GeneralSecurityException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] fixed(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return out;
    }
}
