package dev.nhiguard.guard.sealing;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The one list of credential fields the guard seals in change requests, compared
 * case-insensitively at any depth (partial import nests client, user, identity-provider and
 * component representations). Held to the audit chain's {@code SecretRedactor} by
 * {@code SealedFieldsContractTest}: every name sealed here is redacted in the chain. The
 * {@link Sealer} also seals whatever the chain's redactor would change, by the chain's rules.
 */
public final class SealedFields {

    /** Member names whose values are credentials, lower case. */
    public static final Set<String> NAMES = Set.of(
            "secret",                   // client secret, component config secret
            "client.secret.rotated",    // client attribute
            "registrationaccesstoken",  // client representation
            "clientsecret",             // identity provider config
            "bindcredential",           // LDAP component config
            "privatekey",               // key provider component config
            "keystore",                 // java-keystore component config
            "keystorepassword",
            "keypassword",
            "password",                 // realm smtpServer.password
            "secretdata");              // credential representation (import)

    /** Name suffixes, lower case: {@code jwt.credential.private.key}, {@code authTokenClientSecret}, {@code storePassword}. */
    public static final List<String> SUFFIXES = List.of(".private.key", "secret", "password", "privatekey");

    /** Members holding the credential inside a credential representation, lower case. */
    public static final Set<String> CREDENTIAL_VALUE_NAMES = Set.of("value");

    /** {@code type} values that make an object a credential representation, lower case. */
    public static final Set<String> CREDENTIAL_TYPES = Set.of("password", "secret", "otp", "totp", "hotp",
            "recovery-authn-codes");

    /** Keycloak's own mask: "unchanged", not a secret. */
    public static final String KEYCLOAK_MASK = "**********";

    private SealedFields() {
    }

    public static boolean isSecretName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return NAMES.contains(n) || SUFFIXES.stream().anyMatch(n::endsWith);
    }

    /**
     * A value that names no credential of its own where Keycloak reads its mask as "unchanged" and resolves vault
     * references (the SMTP test's stored password or token secret): the mask, a vault reference. Under a credential's
     * name such values are sealed all the same (a client's secret and a user's password are stored as sent).
     */
    public static boolean meansStoredValue(String value) {
        return KEYCLOAK_MASK.equals(value) || value.matches("^\\$\\{vault\\.[^}]+}$");
    }
}
