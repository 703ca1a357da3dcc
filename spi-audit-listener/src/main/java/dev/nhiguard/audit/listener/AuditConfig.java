package dev.nhiguard.audit.listener;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/** Server-wide settings of the audit chain listener ({@code --spi-events-listener--nhi-audit-chain--*}). */
record AuditConfig(Set<String> userEventTypes, Set<String> includedRealms, Set<String> excludedRealms,
                   boolean includeRepresentation, Set<String> redactFields, int maxRecordBytes) {

    static final List<String> DEFAULT_USER_EVENT_TYPES = List.of(
            "CLIENT_LOGIN", "CLIENT_LOGIN_ERROR",
            "TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR",
            "JWT_AUTHORIZATION_GRANT", "JWT_AUTHORIZATION_GRANT_ERROR",
            "CLIENT_REGISTER", "CLIENT_REGISTER_ERROR",
            "CLIENT_UPDATE", "CLIENT_UPDATE_ERROR",
            "CLIENT_DELETE", "CLIENT_DELETE_ERROR");
    static final List<String> DEFAULT_REDACT_FIELDS = List.of(
            "secret", "password", "privateKey", "secretData", "credentials", "client_secret", "clientSecret");
    static final int DEFAULT_MAX_RECORD_BYTES = 1_000_000;

    static AuditConfig from(Config.Scope scope) {
        int max = scope.getInt("max-record-bytes", DEFAULT_MAX_RECORD_BYTES);
        if (max < 1024 || max > DEFAULT_MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("max-record-bytes must be between 1024 and " + DEFAULT_MAX_RECORD_BYTES + ", is " + max);
        }
        return new AuditConfig(
                set(scope.getArray("user-event-types"), DEFAULT_USER_EVENT_TYPES),
                set(scope.getArray("included-realms"), List.of()),
                set(scope.getArray("excluded-realms"), List.of()),
                scope.getBoolean("include-representation", true),
                set(scope.getArray("redact-fields"), DEFAULT_REDACT_FIELDS),
                max);
    }

    /** Whether events of this realm (by id or name) are chained. */
    boolean realmIncluded(String realmId, String realmName) {
        if (excludedRealms.contains(realmId) || (realmName != null && excludedRealms.contains(realmName))) {
            return false;
        }
        return includedRealms.isEmpty() || includedRealms.contains(realmId)
                || (realmName != null && includedRealms.contains(realmName));
    }

    static List<ProviderConfigProperty> metadata() {
        return ProviderConfigurationBuilder.create()
                .property().name("user-event-types").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("User (login/token) event types chained, comma-separated. Admin events are always chained.")
                .defaultValue(String.join(",", DEFAULT_USER_EVENT_TYPES)).add()
                .property().name("included-realms").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("Realms (names or ids) whose events are chained; empty = all realms.").add()
                .property().name("excluded-realms").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("Realms (names or ids) whose events are not chained; wins over included-realms.").add()
                .property().name("include-representation").type(ProviderConfigProperty.BOOLEAN_TYPE)
                .helpText("Record the representation Keycloak attaches to admin events.").defaultValue(true).add()
                .property().name("redact-fields").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("JSON field names whose values are replaced by **redacted** in recorded representations.")
                .defaultValue(String.join(",", DEFAULT_REDACT_FIELDS)).add()
                .property().name("max-record-bytes").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Largest record (canonical JSON, bytes) appended; a change whose record is larger is refused.")
                .defaultValue(DEFAULT_MAX_RECORD_BYTES).add()
                .build();
    }

    private static Set<String> set(String[] values, List<String> defaults) {
        if (values == null) {
            return Set.copyOf(defaults);
        }
        return Arrays.stream(values).map(String::trim).filter(v -> !v.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }
}
