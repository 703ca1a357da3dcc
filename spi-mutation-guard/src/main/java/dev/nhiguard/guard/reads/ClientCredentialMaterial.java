package dev.nhiguard.guard.reads;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.keycloak.models.ClientModel;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Which live credential material of a client a response exposes: the secret, the rotated
 * secret (still accepted until it expires) and stored private keys (certificate attributes
 * {@code <prefix>.private.key}, e.g. {@code jwt.credential.private.key},
 * {@code saml.signing.private.key}) and a private or symmetric key in the client's key set
 * ({@code jwks.string}, meant for public keys). Names only, never values.
 */
public final class ClientCredentialMaterial {

    /** Keycloak's attribute holding the rotated secret ({@code ClientSecretConstants.CLIENT_ROTATED_SECRET}). */
    public static final String ROTATED_SECRET = "client.secret.rotated";
    /** Suffix of the attributes holding a stored private key ({@code CertificateInfoHelper.PRIVATE_KEY}). */
    public static final String PRIVATE_KEY_SUFFIX = ".private.key";
    /**
     * Keycloak's attribute holding a client's JSON Web Key Set ({@code jwks.string}), public keys by design. The guard
     * refuses a write that would store a private member there; one stored before (an import, the guard switched off) is
     * read with the client's representation and a partial export, and is recorded like a stored private key.
     */
    public static final String JWKS = "jwks.string";
    /** A client's registration access token, handed out when an admin regenerates it. */
    public static final String REGISTRATION_ACCESS_TOKEN = "registration-access-token";

    /** JWK members of private and symmetric keys (RFC 7518 section 6). */
    public static final List<String> PRIVATE_JWK_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    private ClientCredentialMaterial() {
    }

    /** What a client representation, as Keycloak is about to send it, carries: e.g. [secret, client.secret.rotated]. */
    public static List<String> of(ClientRepresentation rep) {
        List<String> out = new ArrayList<>();
        if (exposes(rep.getSecret())) {
            out.add("secret");
        }
        out.addAll(attributes(rep.getAttributes()));
        if (rep.getAttributes() != null && holdsPrivateJwk(rep.getAttributes().get(JWKS))) {
            out.add(JWKS);
        }
        return out;
    }

    /**
     * The stored keys a partial export of this client carries: Keycloak masks its secrets there, not its attributes
     * (stored private keys, a private member in its key set).
     */
    public static List<String> exportedKeys(ClientModel client) {
        List<String> out = new ArrayList<>(attributes(client.getAttributes()));
        out.removeIf(name -> !name.endsWith(PRIVATE_KEY_SUFFIX));
        if (holdsPrivateJwk(client.getAttribute(JWKS))) {
            out.add(JWKS);
        }
        return out;
    }

    /**
     * Whether a key set ({@code {"keys":[…]}}) or a single JWK carries a private or symmetric member (RFC 7518 section 6:
     * {@code d}, {@code p}, {@code q}, {@code dp}, {@code dq}, {@code qi}, {@code oth}, {@code k}). A value that is not
     * JSON carries no JWK: Keycloak cannot use it as one either.
     */
    static boolean holdsPrivateJwk(String jwks) {
        if (!exposes(jwks)) {
            return false;
        }
        JsonNode tree;
        try {
            tree = JsonSerialization.mapper.readTree(jwks);
        } catch (IOException e) {
            return false;
        }
        if (tree == null || !tree.isObject()) {
            return false;
        }
        JsonNode keys = tree.path("keys");
        if (!keys.isArray()) {
            return isPrivateJwk(tree);
        }
        for (JsonNode key : keys) {
            if (isPrivateJwk(key)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPrivateJwk(JsonNode key) {
        return key.isObject() && PRIVATE_JWK_MEMBERS.stream().anyMatch(m -> key.has(m) && !key.get(m).isNull());
    }

    /**
     * What an adapter configuration of this client can carry: the secret of a confidential
     * client, the rotated secret, stored private keys.
     */
    public static List<String> of(ClientModel client) {
        List<String> out = new ArrayList<>();
        if (!client.isPublicClient() && exposes(client.getSecret())) {
            out.add("secret");
        }
        out.addAll(attributes(client.getAttributes()));
        return out;
    }

    /**
     * Whether a client attribute holds a secret: the rotated secret, a stored private key, or a name the guard's sealing
     * or the audit chain's redaction treats as secret (a value of it is sealed, a wrong value of it is held).
     */
    public static boolean isSecretAttribute(String name) {
        return name.equals(ROTATED_SECRET) || name.endsWith(PRIVATE_KEY_SUFFIX)
                || dev.nhiguard.guard.sealing.SealedFields.isSecretName(name)
                || dev.nhiguard.audit.chain.SecretRedactor.isBuiltInSecretName(name);
    }

    /** Whether the client stores the private key of the certificate attribute prefix ({@code certificates/{attr}}). */
    public static boolean hasPrivateKey(ClientModel client, String attributePrefix) {
        return attributePrefix != null && exposes(client.getAttribute(attributePrefix + PRIVATE_KEY_SUFFIX));
    }

    private static List<String> attributes(Map<String, String> attributes) {
        List<String> out = new ArrayList<>();
        if (attributes == null) {
            return out;
        }
        attributes.forEach((name, value) -> {
            if (exposes(value) && (name.equals(ROTATED_SECRET) || name.endsWith(PRIVATE_KEY_SUFFIX))) {
                out.add(name);
            }
        });
        out.sort(null);
        return out;
    }

    /** A value that exposes something: not blank, and not Keycloak's mask (a partial export's masked secret). */
    private static boolean exposes(String s) {
        return s != null && !s.isBlank() && !dev.nhiguard.guard.sealing.SealedFields.KEYCLOAK_MASK.equals(s);
    }
}
