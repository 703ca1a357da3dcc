package dev.nhiguard.guard.catalogue;

import static dev.nhiguard.guard.catalogue.OperationKind.AGENT;
import static dev.nhiguard.guard.catalogue.OperationKind.CLIENT;
import static dev.nhiguard.guard.catalogue.OperationKind.CREDENTIAL;
import static dev.nhiguard.guard.catalogue.OperationKind.GUARD_CONFIG;
import static dev.nhiguard.guard.catalogue.OperationKind.PRIVILEGE;
import static dev.nhiguard.guard.catalogue.OperationKind.REALM_SETTINGS;
import static dev.nhiguard.guard.catalogue.OperationKind.RECOVERY;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The declarative catalogue of guarded admin operations. Paths are relative to
 * {@code /admin/realms/{realm}}; predicates look at the body and the target's current state.
 */
public final class Catalogue {

    /** Client fields whose change on a service-account client is security relevant. */
    static final List<String> CLIENT_SECURITY_FIELDS = List.of("enabled", "clientAuthenticatorType", "secret",
            "serviceAccountsEnabled", "fullScopeAllowed", "publicClient", "bearerOnly", "protocolMappers",
            "defaultClientScopes", "optionalClientScopes", "clientId", "protocol");

    /** Client attribute keys (exact or prefix) whose change is security relevant. */
    static final List<String> CLIENT_SECURITY_ATTRIBUTE_PREFIXES = List.of("jwks.", "use.jwks", "jwt.credential",
            "client.secret", "x509.", "tls.client.certificate", "token.endpoint.auth.signing", "use.refresh.tokens",
            "client_credentials.", "access.token.lifespan", "dpop.", "oauth2.device", "oidc.ciba", "standard.token.exchange",
            "saml.signing", "saml.encryption", "nhi.");

    /** Realm fields whose change is security relevant. */
    static final List<String> REALM_SECURITY_FIELDS = List.of("eventsEnabled", "eventsListeners", "enabledEventTypes",
            "eventsExpiration", "adminEventsEnabled", "adminEventsDetailsEnabled", "passwordPolicy", "otpPolicyType",
            "otpPolicyAlgorithm", "otpPolicyDigits", "otpPolicyPeriod", "otpPolicyInitialCounter",
            "otpPolicyLookAheadWindow", "otpPolicyCodeReusable", "resetCredentialsFlow", "directGrantFlow",
            "browserFlow", "clientAuthenticationFlow", "bruteForceProtected", "clientPolicies", "clientProfiles");

    /** Set-valued realm fields compared without order. */
    private static final Set<String> UNORDERED = Set.of("eventsListeners", "enabledEventTypes",
            "defaultClientScopes", "optionalClientScopes");

    /** User fields that reach an account's recovery: where mail goes, what it must do, whether it works. */
    static final List<String> USER_RECOVERY_FIELDS = List.of("email", "requiredActions", "enabled", "credentials",
            "federatedIdentities", "username");

    /** The realm attribute holding the guard policy. */
    public static final String POLICY_ATTRIBUTE = "nhi.guard.policy";

    private static final Catalogue DEFAULT = new Catalogue(build());

    private final List<Operation> operations;
    private final Map<String, Operation> byId;

    private Catalogue(List<Operation> operations) {
        this.operations = List.copyOf(operations);
        Map<String, Operation> ids = new LinkedHashMap<>();
        for (Operation op : operations) {
            if (ids.put(op.id(), op) != null) {
                throw new IllegalStateException("duplicate catalogue id " + op.id());
            }
        }
        this.byId = Collections.unmodifiableMap(ids);
    }

    public static Catalogue get() {
        return DEFAULT;
    }

    public List<Operation> operations() {
        return operations;
    }

    public Optional<Operation> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * The first catalogue operation this request is, among those {@code considered} accepts
     * (the policy's guarded set), or empty.
     *
     * @param relativePath path after {@code /admin/realms/{realm}}, without query, "" for the realm itself
     */
    public Optional<Match> classify(String method, String relativePath, JsonNode body, Facts facts,
            Predicate<Operation> considered) {
        String path = relativePath.endsWith("/") && relativePath.length() > 1
                ? relativePath.substring(0, relativePath.length() - 1) : relativePath;
        for (Operation op : operations) {
            if (!considered.test(op)) {
                continue;
            }
            Map<String, String> vars = op.matchPath(method, path);
            if (vars != null && op.applies(vars, body, facts)) {
                return Optional.of(new Match(op, vars, op.targetType(), op.targetId(vars)));
            }
        }
        return Optional.empty();
    }

    /** Whether any catalogue template matches the method and path, whatever the predicates say. */
    public boolean anyTemplateMatches(String method, String relativePath) {
        return operations.stream().anyMatch(op -> op.matchPath(method, relativePath) != null);
    }

    private static List<Operation> build() {
        List<Operation> ops = new ArrayList<>();
        // --- the guard's own configuration and the approver role ---
        ops.add(op("guard-policy-update", "PUT", "/mutation-guard/policy", GUARD_CONFIG, false,
                TargetType.GUARD_POLICY, null, "Change the realm's guard policy", (v, b, f) -> true));
        ops.add(op("approver-role-grant", "POST", "/users/{user}/role-mappings/realm", GUARD_CONFIG, false,
                TargetType.USER, "user", "Grant the approver role", (v, b, f) -> namesRole(b, f.approverRole())));
        ops.add(op("approver-role-revoke", "DELETE", "/users/{user}/role-mappings/realm", GUARD_CONFIG, false,
                TargetType.USER, "user", "Revoke the approver role", (v, b, f) -> namesRole(b, f.approverRole())));
        ops.add(op("realm-guard-policy-attribute", "PUT", "", GUARD_CONFIG, false, TargetType.GUARD_POLICY, null,
                "Change the guard policy through the realm's attributes",
                (v, b, f) -> policyAttributeChanges(b, f.currentRealm())));

        // --- service-account clients ---
        ops.add(op("client-create-service-account", "POST", "/clients", CLIENT, false, TargetType.CLIENTS, null,
                "Create a client with a service account", (v, b, f) -> b != null && b.path("serviceAccountsEnabled").asBoolean(false)));
        ops.add(op("client-update", "PUT", "/clients/{client}", CLIENT, false, TargetType.CLIENT, "client",
                "Change security-relevant fields of a service-account client, or turn its service account on",
                (v, b, f) -> clientUpdateIsGuarded(f.currentClient(v.get("client")), b)));
        ops.add(op("client-delete", "DELETE", "/clients/{client}", CLIENT, false, TargetType.CLIENT, "client",
                "Delete a service-account client", (v, b, f) -> f.isServiceAccountClient(v.get("client"))));
        ops.add(op("client-secret-regenerate", "POST", "/clients/{client}/client-secret", CREDENTIAL, false,
                TargetType.CLIENT, "client", "Regenerate a service-account client's secret", saClient()));
        ops.add(op("client-secret-rotated-invalidate", "DELETE", "/clients/{client}/client-secret/rotated", CREDENTIAL,
                false, TargetType.CLIENT, "client", "Invalidate the rotated secret of a service-account client", saClient()));
        for (String action : List.of("generate", "generate-and-download", "upload", "upload-certificate")) {
            ops.add(op("client-certificate-" + action, "POST", "/clients/{client}/certificates/{attr}/" + action,
                    CREDENTIAL, false, TargetType.CLIENT, "client",
                    "Certificate/JWKS " + action + " on a service-account client", saClient()));
        }
        ops.add(op("client-protocol-mapper-create", "POST", "/clients/{client}/protocol-mappers/models", CLIENT, false,
                TargetType.CLIENT, "client", "Add a protocol mapper to a service-account client", saClient()));
        ops.add(op("client-protocol-mappers-add", "POST", "/clients/{client}/protocol-mappers/add-models", CLIENT, false,
                TargetType.CLIENT, "client", "Add protocol mappers to a service-account client", saClient()));
        ops.add(op("client-protocol-mapper-update", "PUT", "/clients/{client}/protocol-mappers/models/{mapper}", CLIENT,
                false, TargetType.CLIENT, "client", "Change a protocol mapper of a service-account client", saClient()));
        ops.add(op("client-protocol-mapper-delete", "DELETE", "/clients/{client}/protocol-mappers/models/{mapper}",
                CLIENT, false, TargetType.CLIENT, "client", "Remove a protocol mapper of a service-account client", saClient()));
        ops.add(op("client-scope-mapping-realm-add", "POST", "/clients/{client}/scope-mappings/realm", PRIVILEGE, false,
                TargetType.CLIENT, "client", "Add realm-role scope mappings to a service-account client", saClient()));
        ops.add(op("client-scope-mapping-client-add", "POST", "/clients/{client}/scope-mappings/clients/{other}",
                PRIVILEGE, false, TargetType.CLIENT, "client", "Add client-role scope mappings to a service-account client", saClient()));
        ops.add(op("client-scope-mapping-realm-remove", "DELETE", "/clients/{client}/scope-mappings/realm", PRIVILEGE,
                true, TargetType.CLIENT, "client", "Remove realm-role scope mappings of a service-account client", saClient()));
        ops.add(op("client-scope-mapping-client-remove", "DELETE", "/clients/{client}/scope-mappings/clients/{other}",
                PRIVILEGE, true, TargetType.CLIENT, "client", "Remove client-role scope mappings of a service-account client", saClient()));
        ops.add(op("client-default-scope-add", "PUT", "/clients/{client}/default-client-scopes/{scope}", PRIVILEGE, false,
                TargetType.CLIENT, "client", "Add a default client scope to a service-account client", saClient()));
        ops.add(op("client-optional-scope-add", "PUT", "/clients/{client}/optional-client-scopes/{scope}", PRIVILEGE,
                false, TargetType.CLIENT, "client", "Add an optional client scope to a service-account client", saClient()));
        ops.add(op("client-default-scope-remove", "DELETE", "/clients/{client}/default-client-scopes/{scope}", PRIVILEGE,
                true, TargetType.CLIENT, "client", "Remove a default client scope of a service-account client", saClient()));
        ops.add(op("client-optional-scope-remove", "DELETE", "/clients/{client}/optional-client-scopes/{scope}",
                PRIVILEGE, true, TargetType.CLIENT, "client", "Remove an optional client scope of a service-account client", saClient()));

        // --- privileges of service-account users ---
        ops.add(op("service-account-realm-role-grant", "POST", "/users/{user}/role-mappings/realm", PRIVILEGE, false,
                TargetType.USER, "user", "Grant realm roles to a service-account user", saUser()));
        ops.add(op("service-account-client-role-grant", "POST", "/users/{user}/role-mappings/clients/{client}", PRIVILEGE,
                false, TargetType.USER, "user", "Grant client roles to a service-account user", saUser()));
        ops.add(op("service-account-group-join", "PUT", "/users/{user}/groups/{group}", PRIVILEGE, false,
                TargetType.USER, "user", "Add a service-account user to a group", saUser()));
        ops.add(op("service-account-realm-role-revoke", "DELETE", "/users/{user}/role-mappings/realm", PRIVILEGE, true,
                TargetType.USER, "user", "Revoke realm roles of a service-account user", saUser()));
        ops.add(op("service-account-client-role-revoke", "DELETE", "/users/{user}/role-mappings/clients/{client}",
                PRIVILEGE, true, TargetType.USER, "user", "Revoke client roles of a service-account user", saUser()));
        ops.add(op("service-account-group-leave", "DELETE", "/users/{user}/groups/{group}", PRIVILEGE, true,
                TargetType.USER, "user", "Remove a service-account user from a group", saUser()));

        // --- recovery settings of privileged users ---
        ops.add(op("privileged-user-update", "PUT", "/users/{user}", RECOVERY, false, TargetType.USER, "user",
                "Change email, required actions, enabled flag or credentials of a privileged user",
                (v, b, f) -> f.isPrivilegedUser(v.get("user")) && changesAny(b, f.currentUser(v.get("user")), USER_RECOVERY_FIELDS)));
        ops.add(op("privileged-user-credential-delete", "DELETE", "/users/{user}/credentials/{credential}", RECOVERY,
                false, TargetType.USER, "user", "Delete a credential of a privileged user", privileged()));
        ops.add(op("privileged-user-credential-move-first", "POST", "/users/{user}/credentials/{credential}/moveToFirst",
                RECOVERY, false, TargetType.USER, "user", "Reorder credentials of a privileged user", privileged()));
        ops.add(op("privileged-user-credential-move-after", "POST",
                "/users/{user}/credentials/{credential}/moveAfter/{previous}", RECOVERY, false, TargetType.USER, "user",
                "Reorder credentials of a privileged user", privileged()));
        ops.add(op("privileged-user-disable-credential-types", "PUT", "/users/{user}/disable-credential-types", RECOVERY,
                false, TargetType.USER, "user", "Disable credential types of a privileged user", privileged()));
        ops.add(op("privileged-user-reset-password", "PUT", "/users/{user}/reset-password", RECOVERY, false,
                TargetType.USER, "user", "Reset the password of a privileged user", privileged()));
        ops.add(op("privileged-user-execute-actions-email", "PUT", "/users/{user}/execute-actions-email", RECOVERY,
                false, TargetType.USER, "user", "Send an execute-actions email to a privileged user", privileged()));
        ops.add(op("privileged-user-idp-link", "POST", "/users/{user}/federated-identity/{provider}", RECOVERY, false,
                TargetType.USER, "user", "Link an identity-provider account to a privileged user", privileged()));
        ops.add(op("privileged-user-idp-unlink", "DELETE", "/users/{user}/federated-identity/{provider}", RECOVERY, true,
                TargetType.USER, "user", "Unlink an identity-provider account of a privileged user", privileged()));

        // --- realm settings ---
        ops.add(op("realm-events-config", "PUT", "/events/config", REALM_SETTINGS, false, TargetType.EVENTS_CONFIG, null,
                "Change the realm's events configuration and event listeners", (v, b, f) -> true));
        ops.add(op("realm-security-settings", "PUT", "", REALM_SETTINGS, false, TargetType.REALM, null,
                "Change events, listeners, password/OTP policy, flows or client policies through the realm",
                (v, b, f) -> changesAny(b, f.currentRealm(), REALM_SECURITY_FIELDS)));
        ops.add(op("realm-partial-import", "POST", "/partialImport", REALM_SETTINGS, false, TargetType.REALM, null,
                "Partial import touching clients, users, roles or groups", (v, b, f) -> partialImportTouchesGuarded(b)));

        // --- the agent registry ---
        ops.add(op("agent-register", "POST", "/agents", AGENT, false, TargetType.AGENT, null,
                "Register an agent", (v, b, f) -> true));
        ops.add(op("agent-update", "PUT", "/agents/{agent}", AGENT, false, TargetType.AGENT, "agent",
                "Change an agent", (v, b, f) -> true));
        ops.add(op("agent-resume", "POST", "/agents/{agent}/resume", AGENT, false, TargetType.AGENT, "agent",
                "Resume a suspended agent", (v, b, f) -> true));

        // --- deny-by-default coverage: operations held whenever their Keycloak method is reached ---
        ops.add(op("realm-delete", "DELETE", "", GUARD_CONFIG, false, TargetType.OTHER, null,
                "Delete the realm", (v, b, f) -> true));
        ops.add(op("authentication-config", "POST", "/authentication/flows", RECOVERY, false, TargetType.OTHER, null,
                "Any write under /authentication: flows, executions, authenticator configs, required actions", (v, b, f) -> true));
        ops.add(op("identity-provider-config", "POST", "/identity-provider/instances", RECOVERY, false, TargetType.OTHER, null,
                "Any write under /identity-provider: instances, mappers, import-config, management permissions", (v, b, f) -> true));
        ops.add(op("component-config", "POST", "/components", RECOVERY, false, TargetType.OTHER, null,
                "Any write under /components: keys, user storage, LDAP mappers, client-registration policies", (v, b, f) -> true));
        ops.add(op("user-federation-action", "POST", "/user-storage/{component}/sync", RECOVERY, false, TargetType.OTHER, null,
                "User-storage sync, unlink-users, remove-imported-users and mapper sync", (v, b, f) -> true));
        ops.add(op("client-policies-config", "PUT", "/client-policies/policies", REALM_SETTINGS, false, TargetType.OTHER, null,
                "Change client policies or client profiles (and client types)", (v, b, f) -> true));
        ops.add(op("realm-default-client-scope", "PUT", "/default-default-client-scopes/{scope}", PRIVILEGE, false,
                TargetType.OTHER, null, "Add a realm default or optional client scope (new clients get it)", (v, b, f) -> true));
        ops.add(op("realm-default-group", "PUT", "/default-groups/{group}", PRIVILEGE, false, TargetType.OTHER, null,
                "Add a default group (new users join it)", (v, b, f) -> true));
        ops.add(op("role-composite-add", "POST", "/roles/{role}/composites", PRIVILEGE, false, TargetType.OTHER, null,
                "Add composites to a realm or client role, by name or by id", (v, b, f) -> true));
        ops.add(op("group-role-grant", "POST", "/groups/{group}/role-mappings/realm", PRIVILEGE, false, TargetType.OTHER, null,
                "Add realm or client role mappings to a group", (v, b, f) -> true));
        ops.add(op("admin-permissions", "PUT", "/users-management-permissions", GUARD_CONFIG, false, TargetType.OTHER, null,
                "FGAP v1 management permissions of users, clients, groups, roles, identity providers", (v, b, f) -> true));
        ops.add(op("events-delete", "DELETE", "/events", GUARD_CONFIG, false, TargetType.OTHER, null,
                "Delete the realm's login events or admin events", (v, b, f) -> true));
        ops.add(op("workflow-config", "POST", "/workflows", PRIVILEGE, false, TargetType.OTHER, null,
                "Any write under /workflows", (v, b, f) -> true));
        ops.add(op("organization-identity-provider", "POST", "/organizations/{org}/identity-providers", RECOVERY, false,
                TargetType.OTHER, null, "Link or unlink identity providers of an organization", (v, b, f) -> true));
        ops.add(op("user-profile-config", "PUT", "/users/profile", REALM_SETTINGS, false, TargetType.OTHER, null,
                "Change the user profile configuration", (v, b, f) -> true));
        ops.add(op("client-registration-access-token", "POST", "/clients/{client}/registration-access-token", CREDENTIAL,
                false, TargetType.OTHER, null, "Issue a client-registration credential (registration or initial access token)",
                (v, b, f) -> true));
        ops.add(op("audit-chain-prune", "POST", "/audit-chain/prune", GUARD_CONFIG, false, TargetType.OTHER, null,
                "Prune the start of the audit chain", (v, b, f) -> true));
        ops.add(op("audit-chain-sinks", "PUT", "/audit-chain/sinks", GUARD_CONFIG, false, TargetType.OTHER, null,
                "Change the audit chain's sinks", (v, b, f) -> true));
        ops.add(op("unclassified-write", "*", "/**", GUARD_CONFIG, false, TargetType.OTHER, null,
                "A write whose Keycloak method nobody classified, or that cannot be resolved", (v, b, f) -> true));
        return ops;
    }

    private static Operation op(String id, String method, String template, OperationKind kind, boolean reducing,
            TargetType targetType, String targetVar, String description, Operation.Predicate predicate) {
        return new Operation(id, method, template, kind, reducing, targetType, targetVar, description, predicate);
    }

    private static Operation.Predicate saClient() {
        return (v, b, f) -> f.isServiceAccountClient(v.get("client"));
    }

    private static Operation.Predicate saUser() {
        return (v, b, f) -> f.isServiceAccountUser(v.get("user"));
    }

    private static Operation.Predicate privileged() {
        return (v, b, f) -> f.isPrivilegedUser(v.get("user"));
    }

    /** A role-mapping body (array of roles) naming the role. */
    static boolean namesRole(JsonNode body, String role) {
        if (body == null || !body.isArray() || role == null) {
            return false;
        }
        for (JsonNode r : body) {
            if (role.equals(r.path("name").asText(null))) {
                return true;
            }
        }
        return false;
    }

    static boolean clientUpdateIsGuarded(JsonNode current, JsonNode body) {
        if (current == null) {
            return false; // Keycloak answers 404 itself
        }
        boolean sa = current.path("serviceAccountsEnabled").asBoolean(false);
        boolean turningOn = body != null && body.path("serviceAccountsEnabled").asBoolean(false) && !sa;
        if (turningOn) {
            return true;
        }
        if (!sa) {
            return false;
        }
        return changesAny(body, current, CLIENT_SECURITY_FIELDS) || changesAttributes(body, current);
    }

    private static boolean changesAttributes(JsonNode body, JsonNode current) {
        if (body == null || !body.has("attributes") || !body.get("attributes").isObject()) {
            return false;
        }
        JsonNode proposed = body.get("attributes");
        JsonNode now = current.path("attributes");
        for (Iterator<String> it = proposed.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (securityAttribute(key) && !sameValue(key, proposed.get(key), now.get(key))) {
                return true;
            }
        }
        return false;
    }

    static boolean securityAttribute(String key) {
        return CLIENT_SECURITY_ATTRIBUTE_PREFIXES.stream().anyMatch(key::startsWith);
    }

    /** Whether the body sets any of the fields to a value different from the current one. */
    static boolean changesAny(JsonNode body, JsonNode current, List<String> fields) {
        if (body == null || !body.isObject()) {
            return false;
        }
        for (String field : fields) {
            if (body.has(field) && !body.get(field).isNull()
                    && !sameValue(field, body.get(field), current == null ? null : current.get(field))) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameValue(String field, JsonNode proposed, JsonNode current) {
        if (isEmpty(proposed) && isEmpty(current)) {
            return true;
        }
        if (proposed == null || current == null) {
            return false;
        }
        if (UNORDERED.contains(field) && proposed.isArray() && current.isArray()) {
            return asSet(proposed).equals(asSet(current));
        }
        if (proposed.isValueNode() && current.isValueNode()) {
            return Objects.equals(proposed.asText(), current.asText());
        }
        return proposed.equals(current);
    }

    private static boolean isEmpty(JsonNode n) {
        return n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty()) || (n.isContainerNode() && n.isEmpty());
    }

    private static Set<String> asSet(JsonNode array) {
        Set<String> out = new HashSet<>();
        array.forEach(e -> out.add(e.toString()));
        return out;
    }

    static boolean policyAttributeChanges(JsonNode body, JsonNode currentRealm) {
        if (body == null || !body.path("attributes").isObject() || !body.get("attributes").has(POLICY_ATTRIBUTE)) {
            return false;
        }
        JsonNode proposed = body.get("attributes").get(POLICY_ATTRIBUTE);
        JsonNode current = currentRealm == null ? null : currentRealm.path("attributes").get(POLICY_ATTRIBUTE);
        return !sameValue(POLICY_ATTRIBUTE, proposed, current);
    }

    static boolean partialImportTouchesGuarded(JsonNode body) {
        if (body == null || !body.isObject()) {
            return false;
        }
        for (String field : List.of("clients", "users", "groups", "roles", "identityProviders")) {
            JsonNode n = body.get(field);
            if (n != null && !isEmpty(n)) {
                return true;
            }
        }
        return false;
    }
}
