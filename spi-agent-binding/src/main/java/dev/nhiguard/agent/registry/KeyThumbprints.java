package dev.nhiguard.agent.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** RFC 7638 JWK thumbprints and RFC 8705 certificate thumbprints (SHA-256, base64url). */
public final class KeyThumbprints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, List<String>> REQUIRED = Map.of(
            "RSA", List.of("e", "n"),
            "EC", List.of("crv", "x", "y"),
            "OKP", List.of("crv", "x"));

    private KeyThumbprints() {
    }

    /**
     * The RFC 7638 SHA-256 thumbprint of a public JWK given as a JSON object.
     *
     * @throws IllegalArgumentException if the key type is not RSA, EC or OKP, a required member
     *                                  is missing, or the JWK carries private key material
     */
    public static String jwkThumbprint(Map<String, Object> jwk) {
        Object kty = jwk.get("kty");
        List<String> members = kty instanceof String s ? REQUIRED.get(s) : null;
        if (members == null) {
            throw new IllegalArgumentException("jwk.kty must be RSA, EC or OKP");
        }
        if (jwk.containsKey("d") || jwk.containsKey("p") || jwk.containsKey("q")) {
            throw new IllegalArgumentException("jwk must be a public key (it carries private key material)");
        }
        Map<String, String> canonical = new TreeMap<>();
        canonical.put("kty", (String) kty);
        for (String m : members) {
            Object v = jwk.get(m);
            if (!(v instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("jwk." + m + " is required for kty " + kty);
            }
            canonical.put(m, s);
        }
        try {
            return sha256(JSON.writeValueAsString(canonical).getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The RFC 8705 {@code x5t#S256} thumbprint of a DER-encoded certificate. */
    public static String certificateThumbprint(byte[] der) {
        return sha256(der);
    }

    /** Whether a string has the shape of a base64url SHA-256 thumbprint (43 characters, no padding). */
    public static boolean isThumbprint(String value) {
        return value != null && value.matches("[A-Za-z0-9_-]{43}");
    }

    private static String sha256(byte[] bytes) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
