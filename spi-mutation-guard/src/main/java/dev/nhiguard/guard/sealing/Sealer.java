package dev.nhiguard.guard.sealing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.nhiguard.audit.chain.SecretRedactor;

/**
 * Seals the credentials of a change request ({@link SealedFields}): a string or number becomes
 * {@code {"sealed":"<base64 nonce|ciphertext>","fingerprint":"hmac-sha256:<hex>"}} (AES-256-GCM,
 * 12-byte nonce, the realm bound as associated data, over the value's JSON so that a number comes
 * back a number; the fingerprint an HMAC-SHA256 of the value's text under a key
 * derived from the server key and the realm). Before-images and destroyed values keep only
 * {@code {"fingerprint":…}}. The static methods read sealed JSON without any key.
 */
public final class Sealer {

    public static final String SEALED = "sealed";
    public static final String FINGERPRINT = "fingerprint";
    public static final String FINGERPRINT_PREFIX = "hmac-sha256:";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE = 12;

    private final byte[] encryptionKey;
    private final byte[] fingerprintKey;
    private final byte[] aad;

    /** @param serverKey the server key (32 bytes) */
    public Sealer(byte[] serverKey, String realmId) {
        if (serverKey == null || serverKey.length < 32) {
            throw new IllegalArgumentException("the seal key must have at least 32 bytes");
        }
        this.encryptionKey = hmac(serverKey, "nhi-guard/guard-seal/aes-256-gcm/v1");
        this.fingerprintKey = hmac(serverKey, "nhi-guard/guard-seal/fingerprint/v1\n" + realmId);
        this.aad = ("nhi-guard/guard-seal/v1\n" + realmId).getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ with the key

    /**
     * A copy of a request body with every credential sealed (ciphertext and fingerprint).
     *
     * @throws IllegalArgumentException when the body already carries something shaped like a sealed value
     */
    public JsonNode seal(JsonNode body) {
        return seal(body, false);
    }

    /**
     * As {@link #seal(JsonNode)}; {@code credentialBody}: the endpoint binds the body to a credential
     * representation ({@code reset-password}), so its {@code value} is the credential whatever else
     * the body carries (Keycloak applies {@code {"value":…}} alone).
     */
    public JsonNode seal(JsonNode body, boolean credentialBody) {
        if (body == null) {
            return null;
        }
        if (!fingerprints(body).isEmpty()) {
            throw new IllegalArgumentException("the body carries a value shaped like a sealed value at "
                    + fingerprints(body).keySet().iterator().next());
        }
        return walk(body.deepCopy(), chainView(body), credentialBody ? CREDENTIAL_ROOT : null, null, "", Mode.REQUEST);
    }

    /** The name the walk gives a body that is itself a credential representation. */
    private static final String CREDENTIAL_ROOT = "credentials";

    /** A copy of a before-image with every credential replaced by its fingerprint only. */
    public JsonNode fingerprintOnly(JsonNode image) {
        return fingerprintOnly(image, at -> { });
    }

    /**
     * As {@link #fingerprintOnly(JsonNode)}, telling {@code hiddenAt} the JSON Pointer of each value sealed outside a
     * credential's place (what the audit chain would hide there: a private key, a token, a secret inside JSON or
     * encoded text, a value too costly to read). An approver is shown nothing of such a value.
     */
    public JsonNode fingerprintOnly(JsonNode image, java.util.function.Consumer<String> hiddenAt) {
        return image == null ? null : walk(image.deepCopy(), chainView(image), null, null, "", new Mode(false, hiddenAt));
    }

    /** How the walk treats what it must hide: refuses it (a request's body) or seals it and says where (an image). */
    private record Mode(boolean forRequest, java.util.function.Consumer<String> hiddenAt) {
        static final Mode REQUEST = new Mode(true, at -> { });
    }

    /** {@code hmac-sha256:<hex>} of the value (UTF-8). */
    public String fingerprint(String value) {
        return FINGERPRINT_PREFIX + HexFormat.of().formatHex(hmac(fingerprintKey, value));
    }

    /** The clear body, for the replay only. Destroyed values cannot be unsealed (IllegalStateException). */
    public JsonNode unseal(JsonNode sealedBody) {
        if (sealedBody == null) {
            return null;
        }
        return replaceSealed(sealedBody.deepCopy(), o -> {
            JsonNode ct = o.get(SEALED);
            if (ct == null || !ct.isTextual()) {
                throw new IllegalStateException("sealed value without ciphertext (destroyed)");
            }
            try {
                return JSON.readTree(decrypt(ct.asText())); // the value's own JSON: a string stays a string, a number a number
            } catch (java.io.IOException e) {
                throw new IllegalStateException("sealed value unreadable", e);
            }
        });
    }

    /**
     * Seals, in place, the credentials of a body: the values at the places credentials are kept (members named as
     * credentials by {@link SealedFields} or the chain's {@link SecretRedactor#isBuiltInSecretName}, a credential
     * representation's value, a form upload, which the guard cannot read). Everything else the audit chain's redactor
     * would change ({@code chain}, the same node redacted by {@link SecretRedactor}: JSON Web Keys' private members, PEM
     * and DER private keys and keystores, compact JWS/JWE, JSON inside a string, encoded forms, a value too costly to
     * judge) is sealed in an image (the state as it is; the mode is told where), and refused in a request's body: a
     * change request is shown to its approvers, and a value it would have to hide outside a credential's place could be
     * anything (a claim value, a redirect URI, the guard's policy), so it cannot be approved knowingly. Only scalar
     * values are sealed in a request: an object or array under a credential's name (whole role definitions under a
     * client id that ends in "secret") is refused too. The keys of maps keyed by client id ({@link #CLIENT_ID_MAPS})
     * are ids, not member names.
     *
     * @throws IllegalArgumentException a request body with a value it would have to hide outside a credential's place
     */
    private JsonNode walk(JsonNode node, JsonNode chain, String name, String parent, String pointer, Mode mode) {
        if (node instanceof ObjectNode o) {
            if (isSealed(o)) {
                return o;
            }
            boolean credential = "credentials".equalsIgnoreCase(name) || o.has("temporary")
                    || (o.path("type").isTextual() && SealedFields.CREDENTIAL_TYPES.contains(o.get("type").asText().toLowerCase(Locale.ROOT)));
            boolean form = FORM.equals(name);
            boolean keyedByClientId = name != null && (CLIENT_ID_MAPS.contains(name)
                    || (("client".equals(name) || "application".equals(name)) && ("roles".equals(parent) || "composites".equals(parent))));
            List<String> fields = new ArrayList<>();
            o.fieldNames().forEachRemaining(fields::add);
            for (String f : fields) {
                JsonNode v = o.get(f);
                boolean credentialName = SealedFields.isSecretName(f) || SecretRedactor.isBuiltInSecretName(f);
                // Under a client id named like a credential the chain hid the value for its key: its view of the value
                // alone is what counts, the id being no member's name.
                JsonNode redacted = keyedByClientId && credentialName ? CHAIN_RULES.redact(v) : chain == null ? null : chain.get(f);
                String at = child(pointer, f);
                boolean credentialPlace = (!keyedByClientId && credentialName)
                        || (credential && SealedFields.CREDENTIAL_VALUE_NAMES.contains(f.toLowerCase(Locale.ROOT)))
                        || (form && f.equals(FORM_CONTENT));
                boolean chainHides = redacted != null && (v.isValueNode() || !redacted.isContainerNode()) && !redacted.equals(v);
                if (credentialPlace) {
                    o.set(f, sealValue(v, at, mode.forRequest()));
                } else if (chainHides) {
                    o.set(f, hidden(v, at, mode));
                } else {
                    o.set(f, walk(v, redacted, f, name, at, mode));
                }
            }
            return o;
        }
        if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode element = a.get(i);
                JsonNode redacted = chain instanceof ArrayNode c && i < c.size() ? c.get(i) : null;
                boolean chainHides = redacted != null && (element.isValueNode() || !redacted.isContainerNode()) && !redacted.equals(element);
                String at = pointer + "/" + i;
                a.set(i, chainHides ? hidden(element, at, mode) : walk(element, redacted, name, parent, at, mode));
            }
        }
        return node;
    }

    /**
     * Maps keyed by client id in Keycloak's representations (a user's or group's {@code clientRoles}, scope mappings by
     * client; and {@code client}/{@code application} under {@code roles} or {@code composites}): a key there names a
     * client, not a credential.
     */
    private static final java.util.Set<String> CLIENT_ID_MAPS = java.util.Set.of("clientRoles", "applicationRoles",
            "clientScopeMappings", "applicationScopeMappings", "clientMappings");

    /** A value the chain would hide outside a credential's place: sealed in an image, refused in a request. */
    private JsonNode hidden(JsonNode v, String at, Mode mode) {
        if (mode.forRequest()) {
            throw new IllegalArgumentException("the value at " + at + " looks like a credential (a private key, a token, "
                    + "a secret inside JSON or encoded text) or is too costly to read, outside a place where Keycloak keeps "
                    + "credentials; approvers could not be shown it. Put credentials in credential fields");
        }
        mode.hiddenAt().accept(at);
        return sealValue(v, at, false);
    }

    /** The member a form or text body is stored under ({@code {"_form":{"contentType":…,"base64":…}}}). */
    private static final String FORM = "_form";
    private static final String FORM_CONTENT = "base64";

    /** The audit chain's redaction of the body: where it differs, the guard seals. The key only shapes its marks. */
    private static JsonNode chainView(JsonNode body) {
        return CHAIN_RULES.redact(body);
    }

    private static final SecretRedactor CHAIN_RULES = new SecretRedactor(new byte[32], List.of());

    /**
     * A credential's value sealed: a string or number (with its ciphertext in a request, its fingerprint only in an
     * image), each element of an array. An object (or an object in an array) is sealed whole in an image and refused in
     * a request, where Keycloak keeps no credential as an object and the approver would be shown nothing of what it is.
     */
    private JsonNode sealValue(JsonNode v, String at, boolean forRequest) {
        if (v.isObject() && forRequest) {
            throw new IllegalArgumentException("the value at " + at + " stands under a credential's name but is an object: "
                    + "approvers could not be shown it. Keycloak keeps credentials as text");
        }
        // Any text but the empty one: Keycloak's mask and a vault reference too. Keycloak stores a client's secret and a
        // user's password as sent (the mask is no "unchanged" there, and a reference the vault cannot resolve is the
        // secret itself): shown in clear, they handed out live credentials (twenty-fourth red-team review).
        if ((v.isTextual() && !v.asText().isEmpty()) || v.isNumber() || v.isObject()) {
            ObjectNode s = JSON.createObjectNode();
            if (forRequest) {
                s.put(SEALED, encrypt(v.toString()));
            }
            s.put(FINGERPRINT, fingerprint(v.isObject() ? v.toString() : v.asText()));
            return s;
        }
        if (v instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, sealValue(a.get(i), at + "/" + i, forRequest));
            }
        }
        return v;
    }

    private String encrypt(String clear) {
        try {
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(clear.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE + ct.length).put(nonce).put(ct).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    private String decrypt(String sealed) {
        try {
            byte[] all = Base64.getDecoder().decode(sealed);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"), new GCMParameterSpec(128, all, 0, NONCE));
            c.updateAAD(aad);
            return new String(c.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("sealed value cannot be opened with this server key and realm", e);
        }
    }

    private static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    // ------------------------------------------------------------------ without the key

    /** Whether the node is a sealed value: an object of {@code fingerprint} and, until destroyed, {@code sealed}. */
    public static boolean isSealed(JsonNode n) {
        if (!(n instanceof ObjectNode o) || !o.path(FINGERPRINT).isTextual()
                || !o.get(FINGERPRINT).asText().startsWith(FINGERPRINT_PREFIX)) {
            return false;
        }
        for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!f.equals(FINGERPRINT) && !f.equals(SEALED)) {
                return false;
            }
        }
        return true;
    }

    /** The fingerprint of a sealed value, or null. */
    public static String fingerprintOf(JsonNode n) {
        return isSealed(n) ? n.get(FINGERPRINT).asText() : null;
    }

    /** What may be shown or compared: sealed values without their ciphertext, {@code {"fingerprint":…}}. */
    public static JsonNode publicForm(JsonNode sealed) {
        return sealed == null ? null : replaceSealed(sealed.deepCopy(), Sealer::fingerprintObject);
    }

    /** A stored body with its ciphertexts removed (fingerprints stay); null stays null. */
    public static String destroy(String storedJson, java.util.function.Function<JsonNode, String> canonical) {
        if (storedJson == null || !storedJson.contains("\"" + SEALED + "\"")) {
            return storedJson;
        }
        try {
            return canonical.apply(publicForm(JSON.readTree(storedJson)));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored JSON unreadable", e);
        }
    }

    /** Sealed values replaced by Keycloak's mask (rollback bodies: Keycloak keeps the current value). */
    public static JsonNode masked(JsonNode sealed) {
        return sealed == null ? null : replaceSealed(sealed.deepCopy(), o -> TextNode.valueOf(SealedFields.KEYCLOAK_MASK));
    }

    /** Every sealed value's JSON Pointer and fingerprint, in document order. */
    public static Map<String, String> fingerprints(JsonNode node) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        collect("", node, out);
        return out;
    }

    private static void collect(String path, JsonNode n, Map<String, String> out) {
        if (n == null) {
            return;
        }
        if (isSealed(n)) {
            out.put(path, n.get(FINGERPRINT).asText());
        } else if (n.isObject()) {
            n.fields().forEachRemaining(e -> collect(child(path, e.getKey()), e.getValue(), out));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                collect(path + "/" + i, n.get(i), out);
            }
        }
    }

    /** The JSON Pointer (RFC 6901) of member {@code name} of the node at {@code pointer}. */
    private static String child(String pointer, String name) {
        return pointer + "/" + name.replace("~", "~0").replace("/", "~1");
    }

    static ObjectNode fingerprintObject(ObjectNode sealed) {
        return JSON.createObjectNode().put(FINGERPRINT, sealed.get(FINGERPRINT).asText());
    }

    private static JsonNode replaceSealed(JsonNode n, java.util.function.Function<ObjectNode, JsonNode> f) {
        if (isSealed(n)) {
            return f.apply((ObjectNode) n);
        }
        if (n instanceof ObjectNode o) {
            List<String> fields = new ArrayList<>();
            o.fieldNames().forEachRemaining(fields::add);
            for (String k : fields) {
                o.set(k, replaceSealed(o.get(k), f));
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, replaceSealed(a.get(i), f));
            }
        }
        return n;
    }
}
