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
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The declarative catalogue of guarded admin operations. Paths are relative to
 * {@code /admin/realms/{realm}}; predicates look at the body and the target's current state.
 */
public final class Catalogue {

    /**
     * Fields of a guarded client (service-account or administration client) whose change is not
     * guarded. Deny by default: every other field Keycloak would change is.
     */
    static final Set<String> CLIENT_HARMLESS_FIELDS = Set.of("name", "description", "alwaysDisplayInConsole", "baseUrl");

    /** Client attributes whose change on a guarded client is not guarded (consent-screen texts and links). */
    static final Set<String> CLIENT_HARMLESS_ATTRIBUTES = Set.of("display.on.consent.screen", "consent.screen.text",
            "logoUri", "policyUri", "tosUri");

    /** Representation fields Keycloak does not write on update (read-only views). */
    static final Set<String> CLIENT_READ_ONLY_FIELDS = Set.of("id", "access");

    /**
     * Realm fields whose change is not guarded (themes and locales). Deny by default: every other field is. The display
     * names are not among them: mails put them, as HTML, before the link of a password reset or an action.
     */
    static final Set<String> REALM_HARMLESS_FIELDS = Set.of("loginTheme",
            "accountTheme", "adminTheme", "emailTheme", "internationalizationEnabled", "supportedLocales", "defaultLocale");

    /** Realm representation fields Keycloak does not write on update. */
    static final Set<String> REALM_READ_ONLY_FIELDS = Set.of("id");

    /** Fields of a guarded user (privileged or service-account) whose change is not guarded. */
    static final Set<String> USER_HARMLESS_FIELDS = Set.of("firstName", "lastName", "attributes");

    /**
     * Fields of an owner's user (one who owns a service account or agent and is not otherwise
     * privileged) whose change is not guarded: besides the harmless ones, {@code enabled}
     * (disabling an owner latches its agents; enabling does not unlatch them).
     */
    static final Set<String> OWNER_HARMLESS_FIELDS = Set.of("firstName", "lastName", "attributes", "enabled");

    /** User representation fields Keycloak does not write on update. */
    static final Set<String> USER_READ_ONLY_FIELDS = Set.of("id", "access", "createdTimestamp", "totp",
            "disableableCredentialTypes", "userProfileMetadata", "notBefore");

    /** The realm attribute holding the guard policy. */
    public static final String POLICY_ATTRIBUTE = "nhi.guard.policy";

    /** The realm attribute in which the audit module keeps the realm's own sinks (secrets sealed as {@code secretRef}). */
    public static final String AUDIT_SINKS_ATTRIBUTE = "nhi.audit.sinks";

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

    /** Every catalogue operation this request is among those {@code considered} accepts, in catalogue order. */
    public List<Match> classifyAll(String method, String relativePath, JsonNode body, Facts facts,
            Predicate<Operation> considered) {
        List<Match> out = new ArrayList<>();
        for (Operation op : operations) {
            if (!considered.test(op)) {
                continue;
            }
            Map<String, String> vars = op.matchPath(method, relativePath);
            if (vars != null && op.applies(vars, body, facts)) {
                out.add(new Match(op, vars, op.targetType(), op.targetId(vars)));
            }
        }
        return out;
    }

    private static List<Operation> build() {
        List<Operation> ops = new ArrayList<>();
        // --- the guard's own configuration and the approver role ---
        ops.add(op("guard-policy-update", "PUT", "/mutation-guard/policy", GUARD_CONFIG, false,
                TargetType.GUARD_POLICY, null, "Change the realm's guard policy", (v, b, f) -> true));
        ops.add(op("approver-role-grant", "POST", "/users/{user}/role-mappings/realm", GUARD_CONFIG, false,
                TargetType.USER, "user", "Grant the approver role", (v, b, f) -> f.approverRoleNames().stream().anyMatch(r -> namesRole(b, r))));
        ops.add(op("approver-role-revoke", "DELETE", "/users/{user}/role-mappings/realm", GUARD_CONFIG, false,
                TargetType.USER, "user", "Revoke the approver role", (v, b, f) -> f.approverRoleNames().stream().anyMatch(r -> namesRole(b, r))));
        ops.add(op("realm-guard-policy-attribute", "PUT", "", GUARD_CONFIG, false, TargetType.GUARD_POLICY, null,
                "Change the guard policy through the realm's attributes",
                (v, b, f) -> policyAttributeChanges(b, f.currentRealm())).alsoAt("PUT", "/ui-ext"));

        // --- service-account clients ---
        ops.add(op("client-create-service-account", "POST", "/clients", CLIENT, false, TargetType.CLIENTS, null,
                "Create a client with a service account, one that exchanges others' tokens (standard token exchange: its "
                        + "tokens for a service account's token carry that identity with this client's settings), or one "
                        + "that carries the agent registry's attributes (nhi.agent*, nhi.owner*: an agent, an owner)",
                (v, b, f) -> b != null && (b.path("serviceAccountsEnabled").asBoolean(false) || turnsTokenExchangeOn(null, b)
                        || changesRegistryAttributes(null, b))));
        ops.add(op("client-flow-override", "POST", "/clients", RECOVERY, false, TargetType.CLIENTS, null,
                "Bind authentication flows to a client (authenticationFlowBindingOverrides): any client, since it "
                        + "decides how users, approvers among them, log in through it",
                (v, b, f) -> changesFlowOverrides(b, v.containsKey("client") ? f.currentClient(v.get("client")) : null))
                .alsoAt("PUT", "/clients/{client}"));
        ops.add(op("admin-client-create", "POST", "/clients", RECOVERY, false, TargetType.CLIENTS, null,
                "Create a client under the clientId of an administration client or of a client approvers decide "
                        + "through (nhi-approvals): its redirect URIs would receive approvers' authorization codes; or under a "
                        + "clientId a flow condition's role name starts with (clientId.role: Keycloak then resolves "
                        + "the name to a role of the new client, and the condition stops matching)",
                (v, b, f) -> adminClientCreateIsGuarded(f, b)
                        || (b != null && b.path("clientId").isTextual() && f.clientIdIsAGate(b.get("clientId").asText()))));
        ops.add(op("client-update", "PUT", "/clients/{client}", CLIENT, false, TargetType.CLIENT, "client",
                "Change a service-account or administration client beyond its name and description, turn a service "
                        + "account on, rename a client to an administration client's clientId, or change the clientId "
                        + "of a client whose roles a flow condition or an identity-provider mapper names or a guarded subject "
                        + "holds",
                (v, b, f) -> clientUpdateIsGuarded(f.currentClient(v.get("client")), b,
                        f.shapesServiceAccountTokens(v.get("client")) || f.isAdminClient(v.get("client")))
                        || clientIdChangeMovesAGate(f, v.get("client"), b)
                        || renamesToAnAdminClient(f, v.get("client"), b)));
        ops.add(op("client-delete", "DELETE", "/clients/{client}", CLIENT, false, TargetType.CLIENT, "client",
                "Delete a service-account or administration client, or a client whose roles gate a client scope a "
                        + "service account uses (without its gate the scope applies to everyone)",
                (v, b, f) -> f.shapesServiceAccountTokens(v.get("client")) || f.isAdminClient(v.get("client"))
                        || f.clientRolesAreGates(v.get("client"))));
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
                "Change a privileged or service-account user beyond first name, last name and attributes",
                // The body first: most user updates change only harmless fields, and that needs no role closure.
                (v, raw, f) -> {
                    JsonNode b = asKeycloakApplies(raw);
                    return (changesOutside(b, f.currentUser(v.get("user")), USER_HARMLESS_FIELDS, USER_READ_ONLY_FIELDS, false,
                                    Set.of())
                            && (f.isServiceAccountUser(v.get("user")) || f.isPrivilegedUser(v.get("user"))))
                            || (changesOutside(b, f.currentUser(v.get("user")), OWNER_HARMLESS_FIELDS, USER_READ_ONLY_FIELDS, false,
                                    Set.of()) && f.isAccountOwner(v.get("user")))
                            // Attributes are harmless unless a flow condition reads one (it may decide on the second factor).
                            || (changesGateAttributes(f, v.get("user"), b)
                                    && (f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"))))
                            // Keycloak writes the user profile's default values into attributes the user has none for,
                            // on any update (sixteenth review: a map-less update switched a condition on auth_level off)
                            || (f.profileDefaultsWritten(v.get("user")).stream().anyMatch(f::attributeIsAGate)
                                    && (f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"))))
                            // "enabled": true on a user locked out (or disabled with failures on record) makes Keycloak
                            // delete the user's login failures and lockout (UserResource#updateUser): a brute-force clear,
                            // held as DELETE …/brute-force/users/{user} is, though for an owner "enabled" is harmless and
                            // for a temporary lockout it reads unchanged.
                            || (b != null && b.path("enabled").isBoolean() && b.get("enabled").booleanValue()
                                    && f.enablingClearsLoginFailures(v.get("user"))
                                    && (f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"))));
                }));
        ops.add(op("service-account-user-attributes", "PUT", "/users/{user}", CLIENT, false, TargetType.USER, "user",
                "Change a service-account user's attributes or name (attribute and profile mappers copy them into its tokens)",
                (v, raw, f) -> {
                    JsonNode b = asKeycloakApplies(raw);
                    return b != null && f.isServiceAccountUser(v.get("user"))
                            && ((b.path("attributes").isObject()
                                    && attributesChange(b.get("attributes"), f.userAttributes(v.get("user")), true, Set.of()))
                                || namesChange(b, f.currentUser(v.get("user")))
                                // the profile's default values Keycloak writes on any update, a map or not
                                || !f.profileDefaultsWritten(v.get("user")).isEmpty());
                }));
        ops.add(op("privileged-user-delete", "DELETE", "/users/{user}", RECOVERY, false, TargetType.USER, "user",
                "Delete a privileged user", privileged()));
        ops.add(op("service-account-user-delete", "DELETE", "/users/{user}", CLIENT, false, TargetType.USER, "user",
                "Delete a service-account user", saUser()));
        ops.add(op("privileged-user-impersonation", "POST", "/users/{user}/impersonation", RECOVERY, false,
                TargetType.USER, "user", "Impersonate a privileged user (the session could change its credentials)",
                recoveryGuarded()));
        ops.add(op("brute-force-clear", "DELETE", "/attack-detection/brute-force/users/{user}", RECOVERY, false,
                TargetType.USER, "user", "Clear the brute-force lockout of a privileged user", recoveryGuarded()));
        ops.add(op("brute-force-clear-all", "DELETE", "/attack-detection/brute-force/users", RECOVERY, false,
                TargetType.OTHER, null, "Clear every brute-force lockout of the realm", (v, b, f) -> true));
        ops.add(op("privileged-user-credential-delete", "DELETE", "/users/{user}/credentials/{credential}", RECOVERY,
                false, TargetType.USER, "user", "Delete a credential of a privileged user", recoveryGuarded()));
        ops.add(op("privileged-user-credential-move-first", "POST", "/users/{user}/credentials/{credential}/moveToFirst",
                RECOVERY, false, TargetType.USER, "user", "Reorder credentials of a privileged user", recoveryGuarded()));
        ops.add(op("privileged-user-credential-move-after", "POST",
                "/users/{user}/credentials/{credential}/moveAfter/{previous}", RECOVERY, false, TargetType.USER, "user",
                "Reorder credentials of a privileged user", recoveryGuarded()));
        ops.add(op("privileged-user-disable-credential-types", "PUT", "/users/{user}/disable-credential-types", RECOVERY,
                false, TargetType.USER, "user", "Disable credential types of a privileged user", recoveryGuarded()));
        ops.add(op("privileged-user-reset-password", "PUT", "/users/{user}/reset-password", RECOVERY, false,
                TargetType.USER, "user", "Reset the password of a privileged user", recoveryGuarded()));
        ops.add(op("privileged-user-execute-actions-email", "PUT", "/users/{user}/execute-actions-email", RECOVERY,
                false, TargetType.USER, "user", "Send an execute-actions email to a privileged user", recoveryGuarded()));
        ops.add(op("privileged-user-send-verify-email", "PUT", "/users/{user}/send-verify-email", RECOVERY,
                false, TargetType.USER, "user", "Send a verification email to a privileged user (its link also runs the "
                        + "user's pending required actions for whoever holds it)", recoveryGuarded()));
        ops.add(op("privileged-user-idp-link", "POST", "/users/{user}/federated-identity/{provider}", RECOVERY, false,
                TargetType.USER, "user", "Link an identity-provider account to a privileged user, or to a service-account "
                        + "user (a broker login as it is an interactive session of the non-human identity)",
                (v, b, f) -> f.isServiceAccountUser(v.get("user")) || recoveryGuarded().test(v, b, f)));
        ops.add(op("privileged-user-idp-unlink", "DELETE", "/users/{user}/federated-identity/{provider}", RECOVERY, true,
                TargetType.USER, "user", "Unlink an identity-provider account of a privileged user", privileged()));

        // --- realm settings ---
        ops.add(op("realm-events-config", "PUT", "/events/config", REALM_SETTINGS, false, TargetType.EVENTS_CONFIG, null,
                "Change the realm's events configuration and event listeners", (v, b, f) -> true));
        ops.add(op("realm-security-settings", "PUT", "", REALM_SETTINGS, false, TargetType.REALM, null,
                "Change any realm setting besides names and themes (events, flows, policies, brute force, keys, attributes …)",
                (v, b, f) -> changesOutside(b, f.currentRealm(), REALM_HARMLESS_FIELDS, REALM_READ_ONLY_FIELDS, true,
                        Set.of())).alsoAt("PUT", "/ui-ext"));
        ops.add(op("realm-partial-import", "POST", "/partialImport", REALM_SETTINGS, false, TargetType.REALM, null,
                "Partial import of anything (clients, users, roles, groups, identity providers …)",
                (v, b, f) -> partialImportTouchesGuarded(b)));

        // --- privileges through users, groups, roles and client scopes ---
        ops.add(op("privileged-role-grant", "POST", "/users/{user}/role-mappings/realm", PRIVILEGE, false,
                TargetType.USER, "user", "Grant a role that makes its holder an administrator",
                (v, b, f) -> f.rolesArePrivileged(b, v.get("client")))
                .alsoAt("POST", "/users/{user}/role-mappings/clients/{client}"));
        // --- names Keycloak resolves at login or token time (flow conditions, client policies) ---
        ops.add(op("privileged-user-gate-role", "POST", "/users/{user}/role-mappings/realm", RECOVERY, false,
                TargetType.USER, "user", "Grant or revoke, to a privileged user or an owner of a service account, a role a "
                        + "flow condition names (it decides whether the user is asked for a second factor)",
                (v, b, f) -> f.rolesAreGates(b, v.get("client"))
                        && (f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"))))
                .alsoAt("DELETE", "/users/{user}/role-mappings/realm")
                .alsoAt("POST", "/users/{user}/role-mappings/clients/{client}")
                .alsoAt("DELETE", "/users/{user}/role-mappings/clients/{client}"));
        ops.add(op("privileged-user-gate-group", "PUT", "/users/{user}/groups/{group}", RECOVERY, false,
                TargetType.USER, "user", "Add a privileged user or an owner of a service account to, or remove one from, a "
                        + "group holding a role a flow condition names",
                (v, b, f) -> f.groupHoldsAGate(v.get("group"))
                        && (f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"))))
                .alsoAt("DELETE", "/users/{user}/groups/{group}")
                .alsoAt("DELETE", "/organizations/{org}/groups/{group}/members/{user}"));
        ops.add(op("gate-group-role-revoke", "DELETE", "/groups/{group}/role-mappings/realm", RECOVERY, false,
                TargetType.DEFINITION, null, "Remove from a group with privileged or service-account members a role a flow "
                        + "condition or a client policy names",
                (v, b, f) -> f.rolesAreGates(b, v.get("client")) && f.groupReachesGuarded(v.get("group")))
                .alsoAt("DELETE", "/groups/{group}/role-mappings/clients/{client}")
                .alsoAt("DELETE", "/organizations/{org}/groups/{group}/role-mappings/realm")
                .alsoAt("DELETE", "/organizations/{org}/groups/{group}/role-mappings/clients/{client}")
                .alsoAt("POST", "/ui-ext/role-mapping-delete/groups/{group}"));
        ops.add(op("gate-group-delete", "DELETE", "/groups/{group}", RECOVERY, false, TargetType.DEFINITION, null,
                "Delete a group with privileged or service-account members that holds, or whose parents hold, a role a "
                        + "flow condition or a client policy names, or an attribute a flow condition reads (its members lose it)",
                (v, b, f) -> f.groupHoldsAGate(v.get("group")) && f.groupReachesGuarded(v.get("group")))
                .alsoAt("DELETE", "/organizations/{org}/groups/{group}"));
        ops.add(op("gate-role-composite-remove", "DELETE", "/roles/{role}/composites", RECOVERY, false,
                TargetType.DEFINITION, null, "Remove from a role a guarded subject holds a composite a flow condition or a "
                        + "client policy names (default roles included: every user holds them)",
                (v, b, f) -> { String id = roleOf(v, f); return id != null && f.rolesAreGates(b, null) && f.roleReachesGuarded(id); })
                .alsoAt("DELETE", "/roles-by-id/{roleId}/composites")
                .alsoAt("DELETE", "/clients/{client}/roles/{role}/composites")
                .alsoAt("POST", "/ui-ext/role-mapping-delete/roles/{roleId}"));
        ops.add(op("gate-role-create", "POST", "/roles", RECOVERY, false, TargetType.DEFINITION, null,
                "Create a role a flow condition or a client policy names (a negated condition, or one whose role did "
                        + "not exist, then matches differently)",
                (v, b, f) -> b != null && b.hasNonNull("name") && f.roleNameIsAGate(b.get("name").asText(), v.get("client")))
                .alsoAt("POST", "/clients/{client}/roles"));
        ops.add(op("client-scope-policy-gate", "PUT", "/clients/{client}/default-client-scopes/{scope}", CLIENT, false,
                TargetType.CLIENT, "client", "Add a client scope a client policy's condition names to a client, or remove it "
                        + "(the policies that apply to the client change)",
                (v, b, f) -> f.scopeIsAGate(v.get("scope")))
                .alsoAt("DELETE", "/clients/{client}/default-client-scopes/{scope}")
                .alsoAt("PUT", "/clients/{client}/optional-client-scopes/{scope}")
                .alsoAt("DELETE", "/clients/{client}/optional-client-scopes/{scope}"));
        ops.add(op("privileged-group-join", "PUT", "/users/{user}/groups/{group}", PRIVILEGE, false, TargetType.USER,
                "user", "Add a user to a group whose roles or fine-grained admin permissions make its members administrators, "
                        + "or that owns a service account or agent (its members are its owners and reviewers)",
                (v, b, f) -> f.groupIsPrivileged(v.get("group"))));
        ops.add(op("directory-membership-write", "POST", "/users/{user}/role-mappings/realm", PRIVILEGE, false,
                TargetType.USER, "user", "Grant a role to, or add to a group, a user whose memberships a user-storage "
                        + "provider keeps (an LDAP directory written by a role or group mapper in LDAP_ONLY mode): the "
                        + "provider's mappers read the directory back, as roles and groups the request does not name",
                (v, b, f) -> f.membershipsReachADirectory(v.get("user")))
                .alsoAt("POST", "/users/{user}/role-mappings/clients/{client}")
                .alsoAt("PUT", "/users/{user}/groups/{group}"));
        ops.add(op("directory-membership-remove", "DELETE", "/users/{user}/role-mappings/realm", RECOVERY, false,
                TargetType.USER, "user", "Revoke a role of, or remove from a group, a privileged user or an owner of a service "
                        + "account whose memberships a directory keeps: the directory membership it deletes may be another "
                        + "mapper's group or role, one a flow condition names",
                (v, b, f) -> f.membershipsReachADirectory(v.get("user"))
                        && (f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"))))
                .alsoAt("DELETE", "/users/{user}/role-mappings/clients/{client}")
                .alsoAt("DELETE", "/users/{user}/groups/{group}"));
        ops.add(op("directory-user-create-in-groups", "POST", "/users", PRIVILEGE, false, TargetType.OTHER, null,
                "Create a user in groups while an LDAP provider synchronizes new users into a directory that keeps "
                        + "memberships (the joins are written there and read back by its mappers)",
                (v, b, f) -> b != null && b.path("groups").isArray() && !b.path("groups").isEmpty()
                        && f.newUsersReachADirectory()));
        ops.add(op("user-create-privileged", "POST", "/users", PRIVILEGE, false, TargetType.OTHER, null,
                "Create a user in groups whose roles or permissions make it an administrator, or that own a service account",
                (v, b, f) -> b != null && b.path("groups").isArray() && !b.path("groups").isEmpty()
                        && f.groupsArePrivileged(b.get("groups"))));
        ops.add(op("user-create-bootstrap-approver", "POST", "/users", PRIVILEGE, false, TargetType.OTHER, null,
                "Create a user under a username the operator names a bootstrap approver of the realm (option "
                        + "bootstrap-approvers): the guard makes that user an approver while the realm is short of approvers",
                (v, b, f) -> b != null && b.path("username").isTextual() && f.isBootstrapApproverName(b.get("username").asText())));
        ops.add(op("user-rename-bootstrap-approver", "PUT", "/users/{user}", PRIVILEGE, false, TargetType.USER, "user",
                "Rename a user to a username the operator names a bootstrap approver of the realm (option bootstrap-approvers)",
                (v, b, f) -> b != null && b.path("username").isTextual() && f.isBootstrapApproverName(b.get("username").asText())
                        && !b.get("username").asText().equalsIgnoreCase(usernameOf(f.currentUser(v.get("user"))))));
        ops.add(op("group-move", "POST", "/groups", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Move a group holding guarded members (service accounts, privileged users) under another parent, a "
                        + "privileged group (identity-provider and LDAP group mappers find groups by path), a group an "
                        + "identity-provider mapper names (Keycloak rewrites the mapper to the new path), or any group under "
                        + "a privileged parent (its members would inherit the parent's admin roles or permissions)",
                (v, b, f) -> b != null && b.hasNonNull("id") && (f.groupReachesGuarded(b.get("id").asText())
                        || f.groupTreeIsPrivileged(b.get("id").asText())
                        || f.identityProviderMappersNameGroup(b.get("id").asText())
                        || (v.containsKey("group") && f.groupIsPrivileged(v.get("group")))))
                .alsoAt("POST", "/groups/{group}/children")
                .alsoAt("POST", "/organizations/{org}/groups"));
        ops.add(op("group-update", "PUT", "/groups/{group}", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Rename a group holding guarded members, a privileged group or one an identity-provider mapper names "
                        + "(Keycloak rewrites the mapper to the new path), or change its attributes (tokens carry "
                        + "group paths and, through user-attribute mappers, group attributes; identity-provider and LDAP group "
                        + "mappers find groups by path at each login)",
                (v, b, f) -> groupUpdateIsGuarded(f, v.get("group"), b))
                .alsoAt("PUT", "/organizations/{org}/groups/{group}"));
        ops.add(op("role-update", "PUT", "/roles/{role}", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Change the approver role, rename a role to the approver role's name, rename a role a guarded "
                        + "subject holds (tokens carry role names) or an identity-provider mapper names (Keycloak rewrites "
                        + "the mapper to the new name), or rename a role a flow condition or a client policy names by its old "
                        + "or new name",
                (v, b, f) -> roleUpdateIsGuarded(f, roleOf(v, f), b))
                .alsoAt("PUT", "/roles-by-id/{roleId}")
                .alsoAt("PUT", "/clients/{client}/roles/{role}"));
        ops.add(op("role-delete", "DELETE", "/roles/{role}", GUARD_CONFIG, false, TargetType.DEFINITION, null,
                "Delete the approver role, or a role that gates a client scope a service account uses (a client scope "
                        + "with role scope mappings applies only to their holders, without any to everyone) or a "
                        + "condition of an authentication flow (a missing role fails the condition)",
                (v, b, f) -> { String id = roleOf(v, f); return id != null && (f.isApproverRole(id) || f.roleIsAGate(id)); })
                .alsoAt("DELETE", "/roles-by-id/{roleId}")
                .alsoAt("DELETE", "/clients/{client}/roles/{role}"));
        ops.add(op("client-scope-config", "PUT", "/client-scopes/{scope}", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Change a client scope, its protocol mappers or its scope mappings while a service account uses it "
                        + "or the realm gives it to new clients; create, rename or delete a client scope a flow condition or "
                        + "a client policy names (conditional-client-scope then finds another scope, a client of that "
                        + "clientId, or nothing)",
                (v, b, f) -> (v.containsKey("scope") && f.clientScopeReachesServiceAccounts(v.get("scope")))
                        || (isClientScopeItself(v, b) && ((v.containsKey("scope") && f.scopeIsAGate(v.get("scope")))
                                || (b != null && b.path("name").isTextual() && f.scopeNameIsAGate(b.get("name").asText())))))
                .alsoAt("POST", "/client-scopes")
                .alsoAt("POST", "/client-templates")
                .alsoAt("DELETE", "/client-scopes/{scope}")
                .alsoAt("POST", "/client-scopes/{scope}/protocol-mappers/models")
                .alsoAt("POST", "/client-scopes/{scope}/protocol-mappers/add-models")
                .alsoAt("PUT", "/client-scopes/{scope}/protocol-mappers/models/{mapper}")
                .alsoAt("DELETE", "/client-scopes/{scope}/protocol-mappers/models/{mapper}")
                .alsoAt("POST", "/client-scopes/{scope}/scope-mappings/realm")
                .alsoAt("POST", "/client-scopes/{scope}/scope-mappings/clients/{other}")
                // Removing role scope mappings is not privilege-reducing on a client scope: the last one
                // removed opens the scope (its mappers, its roles) to every user and service account.
                .alsoAt("DELETE", "/client-scopes/{scope}/scope-mappings/realm")
                .alsoAt("DELETE", "/client-scopes/{scope}/scope-mappings/clients/{other}")
                .alsoAt("POST", "/ui-ext/role-mapping-delete/clientScopes/{scope}")
                // /client-templates is Keycloak's older name of the same resource
                .alsoAt("PUT", "/client-templates/{scope}")
                .alsoAt("DELETE", "/client-templates/{scope}")
                .alsoAt("POST", "/client-templates/{scope}/protocol-mappers/models")
                .alsoAt("POST", "/client-templates/{scope}/protocol-mappers/add-models")
                .alsoAt("PUT", "/client-templates/{scope}/protocol-mappers/models/{mapper}")
                .alsoAt("DELETE", "/client-templates/{scope}/protocol-mappers/models/{mapper}")
                .alsoAt("POST", "/client-templates/{scope}/scope-mappings/realm")
                .alsoAt("POST", "/client-templates/{scope}/scope-mappings/clients/{other}")
                .alsoAt("DELETE", "/client-templates/{scope}/scope-mappings/realm")
                .alsoAt("DELETE", "/client-templates/{scope}/scope-mappings/clients/{other}"));

        ops.add(op("identity-claim-mapper", "POST", "/clients/{client}/protocol-mappers/models", RECOVERY, false, TargetType.OTHER,
                null, "Add or change a protocol mapper, on any client or client scope, that writes a claim saying who a token is "
                        + "for, through which client, how its user signed in or who acts (" + String.join(", ", new java.util.TreeSet<>(IdentityClaims.NAMES))
                        + "), or a client's map of authentication levels to acr values (acr.loa.map): an ordinary client's "
                        + "tokens would pass for an approver's console token, a service account's or an agent's, or for a stronger sign-in",
                // A client's update sends its mappers back: only one that is new or changed writes anything.
                (v, b, f) -> (v.containsKey("client") && b != null && b.has("protocolMappers")
                        ? IdentityClaims.writtenAnew(b, f.currentClient(v.get("client"))) : IdentityClaims.written(b))
                        || IdentityClaims.mapsAcr(b, v.containsKey("client") ? f.currentClient(v.get("client")) : null))
                .alsoAt("POST", "/clients/{client}/protocol-mappers/add-models")
                .alsoAt("PUT", "/clients/{client}/protocol-mappers/models/{mapper}")
                .alsoAt("POST", "/client-scopes/{scope}/protocol-mappers/models")
                .alsoAt("POST", "/client-scopes/{scope}/protocol-mappers/add-models")
                .alsoAt("PUT", "/client-scopes/{scope}/protocol-mappers/models/{mapper}")
                .alsoAt("POST", "/client-templates/{scope}/protocol-mappers/models")
                .alsoAt("POST", "/client-templates/{scope}/protocol-mappers/add-models")
                .alsoAt("PUT", "/client-templates/{scope}/protocol-mappers/models/{mapper}")
                // a client or client scope created or updated with its protocolMappers
                .alsoAt("POST", "/clients")
                .alsoAt("PUT", "/clients/{client}")
                .alsoAt("POST", "/client-scopes")
                .alsoAt("POST", "/client-templates"));

        ops.add(op("realm-localization-texts", "POST", "/localization/{locale}", REALM_SETTINGS, false, TargetType.OTHER, null,
                "Override texts of the realm's pages and mails: a mail's text can wrap the link of a password reset or an "
                        + "action in an address its author chooses, a login page's text can send an approver elsewhere",
                (v, b, f) -> true)
                .alsoAt("PUT", "/localization/{locale}/{key}"));

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
        ops.add(op("authentication-config", "POST", "/authentication/flows", RECOVERY, false, TargetType.DEFINITION, null,
                "Any write under /authentication: flows, executions, authenticator configs, required actions", (v, b, f) -> true)
                // the routes a rollback restores through (admission holds every /authentication write by coverage)
                .alsoAt("PUT", "/authentication/flows/{flow}/executions")
                .alsoAt("PUT", "/authentication/config/{config}")
                .alsoAt("PUT", "/authentication/required-actions/{action}"));
        ops.add(op("identity-provider-config", "POST", "/identity-provider/instances", RECOVERY, false, TargetType.DEFINITION, null,
                "Any write under /identity-provider: instances, mappers, management permissions (import-config and upload-certificate store nothing and pass)", (v, b, f) -> true)
                .alsoAt("PUT", "/identity-provider/instances/{alias}")
                .alsoAt("POST", "/identity-provider/instances/{alias}/mappers")
                .alsoAt("PUT", "/identity-provider/instances/{alias}/mappers/{mapper}")
                .alsoAt("DELETE", "/identity-provider/instances/{alias}/mappers/{mapper}"));
        ops.add(op("component-config", "POST", "/components", RECOVERY, false, TargetType.DEFINITION, null,
                "Any write under /components: keys, user storage, LDAP mappers, client-registration policies", (v, b, f) -> true)
                .alsoAt("PUT", "/components/{component}"));
        ops.add(op("user-federation-action", "POST", "/user-storage/{component}/sync", RECOVERY, false, TargetType.OTHER, null,
                "User-storage sync, unlink-users, remove-imported-users and mapper sync", (v, b, f) -> true));
        ops.add(op("client-policies-config", "PUT", "/client-policies/policies", REALM_SETTINGS, false, TargetType.DEFINITION, null,
                "Change client policies or client profiles (and client types)", (v, b, f) -> true)
                .alsoAt("PUT", "/client-policies/profiles"));
        ops.add(op("realm-default-client-scope", "PUT", "/default-default-client-scopes/{scope}", PRIVILEGE, false,
                TargetType.DEFINITION, null, "Add a realm default or optional client scope (new clients get it)", (v, b, f) -> true));
        ops.add(op("realm-default-group", "PUT", "/default-groups/{group}", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Add a default group (new users join it)", (v, b, f) -> true));
        ops.add(op("role-composite-add", "POST", "/roles/{role}/composites", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Add composites to a realm or client role, by name or by id, or create a role with composites (a name "
                        + "Keycloak resolves at login, an identity-provider mapper's, may then stand for it)",
                (v, b, f) -> v.containsKey("role") || v.containsKey("roleId") || createsComposites(b))
                .alsoAt("POST", "/roles")
                .alsoAt("POST", "/clients/{client}/roles"));
        ops.add(op("group-role-grant", "POST", "/groups/{group}/role-mappings/realm", PRIVILEGE, false, TargetType.DEFINITION, null,
                "Add realm or client role mappings to a group", (v, b, f) -> true)
                .alsoAt("POST", "/groups/{group}/role-mappings/clients/{client}")
                .alsoAt("POST", "/organizations/{org}/groups/{group}/role-mappings/realm")
                .alsoAt("POST", "/organizations/{org}/groups/{group}/role-mappings/clients/{client}"));
        ops.add(op("admin-permissions", "PUT", "/users-management-permissions", GUARD_CONFIG, false, TargetType.OTHER, null,
                "FGAP v1 management permissions of users, clients, groups, roles, identity providers", (v, b, f) -> true));
        ops.add(op("events-delete", "DELETE", "/events", GUARD_CONFIG, false, TargetType.OTHER, null,
                "Delete the realm's login events or admin events", (v, b, f) -> true));
        ops.add(op("workflow-config", "POST", "/workflows", PRIVILEGE, false, TargetType.OTHER, null,
                "Any write under /workflows", (v, b, f) -> true));
        ops.add(op("organization-identity-provider", "POST", "/organizations/{org}/identity-providers", RECOVERY, false,
                TargetType.OTHER, null, "Link or unlink identity providers of an organization", (v, b, f) -> true));
        ops.add(op("user-profile-config", "PUT", "/users/profile", REALM_SETTINGS, false, TargetType.DEFINITION, null,
                "Change the user profile configuration", (v, b, f) -> true));
        ops.add(op("client-registration-access-token", "POST", "/clients/{client}/registration-access-token", CREDENTIAL,
                false, TargetType.OTHER, null, "Issue a client-registration credential (registration or initial access token)",
                (v, b, f) -> true));
        ops.add(op("audit-realm-sinks-update", "PUT", "/audit-chain/realm-sinks", GUARD_CONFIG, false, TargetType.AUDIT_SINKS, null,
                "Change where the realm's audit records and checkpoints are sent (the realm's own sinks)", (v, b, f) -> true));
        ops.add(op("audit-chain-prune", "POST", "/audit-chain/prune", GUARD_CONFIG, false, TargetType.OTHER, null,
                "Prune the start of the audit chain", (v, b, f) -> true));
        // --- privilege-reducing inverses: the requests a rollback restores through (never guarded at admission) ---
        ops.add(op("role-composite-remove", "DELETE", "/roles/{role}/composites", PRIVILEGE, true, TargetType.DEFINITION,
                null, "Remove composites of a realm or client role (the rollback of a composite add)", (v, b, f) -> true)
                .alsoAt("DELETE", "/roles-by-id/{roleId}/composites")
                .alsoAt("DELETE", "/clients/{client}/roles/{role}/composites"));
        ops.add(op("group-role-revoke", "DELETE", "/groups/{group}/role-mappings/realm", PRIVILEGE, true,
                TargetType.DEFINITION, null, "Remove realm or client role mappings of a group (the rollback of a grant)",
                (v, b, f) -> true).alsoAt("DELETE", "/groups/{group}/role-mappings/clients/{client}")
                .alsoAt("DELETE", "/organizations/{org}/groups/{group}/role-mappings/realm")
                .alsoAt("DELETE", "/organizations/{org}/groups/{group}/role-mappings/clients/{client}"));
        ops.add(op("client-scope-mapping-remove", "DELETE", "/client-scopes/{scope}/scope-mappings/realm", PRIVILEGE, true,
                TargetType.DEFINITION, null, "Remove scope mappings of a client scope (the rollback of an add)",
                (v, b, f) -> true).alsoAt("DELETE", "/client-scopes/{scope}/scope-mappings/clients/{other}"));
        ops.add(op("realm-default-remove", "DELETE", "/default-default-client-scopes/{scope}", PRIVILEGE, true,
                TargetType.DEFINITION, null, "Remove a realm default client scope or default group (the rollback of an add)",
                (v, b, f) -> true)
                .alsoAt("DELETE", "/default-optional-client-scopes/{scope}")
                .alsoAt("DELETE", "/default-groups/{group}"));
        ops.add(op("agent-suspend", "POST", "/agents/{agent}/suspend", AGENT, true, TargetType.AGENT, "agent",
                "Suspend an agent (the rollback of a resume)", (v, b, f) -> true));
        ops.add(op("unclassified-write", "*", "/**", GUARD_CONFIG, false, TargetType.OTHER, null,
                "A write whose Keycloak method nobody classified, or that cannot be resolved", (v, b, f) -> true));
        return ops;
    }

    private static Operation op(String id, String method, String template, OperationKind kind, boolean reducing,
            TargetType targetType, String targetVar, String description, Operation.Predicate predicate) {
        return new Operation(id, method, template, kind, reducing, targetType, targetVar, description, predicate);
    }

    /** A service-account client or a client Keycloak's administration depends on. */
    private static Operation.Predicate saClient() {
        return (v, b, f) -> f.shapesServiceAccountTokens(v.get("client")) || f.isAdminClient(v.get("client"));
    }

    private static Operation.Predicate saUser() {
        return (v, b, f) -> f.isServiceAccountUser(v.get("user"));
    }

    private static Operation.Predicate privileged() {
        return (v, b, f) -> f.isPrivilegedUser(v.get("user"));
    }

    /** A user whose recovery and authentication are guarded: a privileged user or an owner of a service account or agent. */
    private static Operation.Predicate recoveryGuarded() {
        return (v, b, f) -> f.isPrivilegedUser(v.get("user")) || f.isAccountOwner(v.get("user"));
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

    /**
     * @param guardedClient the client is a non-human identity (service account on, or an agent) or an
     *                      administration client
     */
    static boolean clientUpdateIsGuarded(JsonNode current, JsonNode body, boolean guardedClient) {
        if (current == null) {
            return false; // Keycloak answers 404 itself
        }
        boolean sa = current.path("serviceAccountsEnabled").asBoolean(false);
        boolean turningOn = body != null && body.path("serviceAccountsEnabled").asBoolean(false) && !sa;
        if (turningOn || turnsTokenExchangeOn(current, body) || changesRegistryAttributes(current, body)) {
            return true;
        }
        if (!guardedClient) {
            return false;
        }
        return changesOutside(body, current, CLIENT_HARMLESS_FIELDS, CLIENT_READ_ONLY_FIELDS, false, CLIENT_HARMLESS_ATTRIBUTES);
    }

    /** The client attribute that turns Keycloak's standard token exchange (RFC 8693) on ({@code OIDCConfigAttributes}). */
    public static final String STANDARD_TOKEN_EXCHANGE = "standard.token.exchange.enabled";

    /**
     * Whether the body turns standard token exchange on for a client that has it off (or for a new client, {@code current}
     * null), read as Keycloak reads the attribute ({@code Boolean.parseBoolean}; a client update sets the attributes a
     * body carries and keeps the others). A client that exchanges tokens shapes the tokens of every service account whose
     * tokens name it in their audience (dev.nhiguard.guard.changerequest.OwnerAttributes#exchangesTokens).
     */
    public static boolean turnsTokenExchangeOn(JsonNode current, JsonNode body) {
        JsonNode proposed = body == null ? null : body.path("attributes").get(STANDARD_TOKEN_EXCHANGE);
        if (proposed == null || !proposed.isValueNode() || !Boolean.parseBoolean(proposed.asText())) {
            return false;
        }
        JsonNode now = current == null ? null : current.path("attributes").get(STANDARD_TOKEN_EXCHANGE);
        return now == null || !Boolean.parseBoolean(now.asText());
    }

    /**
     * Whether the body sets, changes or removes an attribute the agent registry or the inventory
     * owns ({@code nhi.agent*}, {@code nhi.owner*}) on any client: they make a client an agent, name
     * its owner, key binding, expiry and delegation, so only the registry's own (guarded) endpoints
     * write them. Keycloak's client update sets the attributes a body carries (a null value removes
     * one) and keeps the others.
     */
    public static boolean changesRegistryAttributes(JsonNode current, JsonNode body) {
        JsonNode proposed = body == null ? null : body.get("attributes");
        if (proposed == null || !proposed.isObject()) {
            return false;
        }
        JsonNode now = current == null ? null : current.get("attributes");
        for (java.util.Iterator<String> it = proposed.fieldNames(); it.hasNext();) {
            String name = it.next();
            if (REGISTRY_ATTRIBUTE_PREFIXES.stream().noneMatch(name::startsWith)) {
                continue;
            }
            JsonNode before = now == null ? null : now.get(name);
            JsonNode after = proposed.get(name);
            boolean absentBefore = before == null || before.isNull();
            boolean absentAfter = after == null || after.isNull();
            if (absentBefore != absentAfter || (!absentBefore && !before.asText().equals(after.asText()))) {
                return true;
            }
        }
        return false;
    }

    /** Attribute prefixes the agent registry and the inventory own (OwnerAttributes names the ones the guard reads). */
    static final List<String> REGISTRY_ATTRIBUTE_PREFIXES = List.of("nhi.agent", "nhi.owner");

    /**
     * Whether the body changes the client's clientId while a flow condition names one of its roles
     * ({@code clientId.role}) by the old clientId or by the new one: Keycloak resolves the name at
     * login, so the rename makes the condition miss its role or find one.
     */
    static boolean clientIdChangeMovesAGate(Facts facts, String clientUuid, JsonNode body) {
        if (body == null || !body.hasNonNull("clientId")) {
            return false;
        }
        JsonNode current = facts.currentClient(clientUuid);
        String now = current == null ? null : current.path("clientId").asText(null);
        String proposed = body.get("clientId").asText();
        if (now == null || now.equals(proposed)) {
            return false;
        }
        // Tokens name a client's roles and audience by its clientId: renaming a client whose roles a guarded subject
        // holds makes that subject another client's role holder (resource_access, aud).
        return facts.clientIdIsAGate(now) || facts.clientIdIsAGate(proposed) || facts.clientRolesReachGuarded(clientUuid)
                || facts.identityProviderMappersNameClientRoles(clientUuid); // Keycloak rewrites those mappers
    }

    /**
     * Whether the body renames the client to an administration client's clientId (one approvers
     * decide through included): the renamed client would then be taken for it. A body that keeps
     * the clientId (the console sends it with every edit) renames nothing.
     */
    static boolean renamesToAnAdminClient(Facts facts, String clientUuid, JsonNode body) {
        if (body == null || !body.hasNonNull("clientId") || !facts.isAdminClientName(body.get("clientId").asText())) {
            return false;
        }
        JsonNode current = facts.currentClient(clientUuid);
        return current == null || !body.get("clientId").asText().equals(current.path("clientId").asText(null));
    }

    /**
     * Whether creating this client is held: its clientId is an administration client's or one
     * approvers decide through. One exception, so that an operator can create the approvals page's
     * client as documented: {@code nhi-approvals} whose redirect URIs all lie below Keycloak's own
     * {@code /resources/} (relative, with root URL {@code ${authBaseUrl}}), where an authorization
     * code can only reach Keycloak's static theme files. A wider one ({@code /*}) would reach pages
     * that redirect on, and a fragment carries the code along.
     */
    /**
     * Whether the write is to a client scope itself (its create, update or delete), not to its protocol mappers or scope
     * mappings: no path variable beyond the scope's, and no body or a scope's (a mapper's names its
     * {@code protocolMapper}; mappings are arrays).
     */
    static boolean isClientScopeItself(Map<String, String> vars, JsonNode body) {
        return vars.size() <= 1 && (vars.isEmpty() || vars.containsKey("scope"))
                && (body == null || (body.isObject() && !body.has("protocolMapper")));
    }

    /**
     * Whether a role create's body gives the new role composites (Keycloak's {@code createRole} adds them when
     * {@code composite} is true; sixteenth review: a new client role {@code ops.viewer} composed of realm-admin was what
     * an approved identity-provider mapper's {@code ops.viewer}, a realm role until client {@code ops} existed, then gave).
     */
    static boolean createsComposites(JsonNode body) {
        if (body == null || !body.path("composite").asBoolean(false)) {
            return false;
        }
        JsonNode c = body.path("composites");
        if (!c.isObject()) {
            return false;
        }
        if (c.path("realm").isArray() && !c.path("realm").isEmpty()) {
            return true;
        }
        for (JsonNode roles : c.path("client")) {
            if (roles.isArray() && !roles.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    static boolean adminClientCreateIsGuarded(Facts facts, JsonNode body) {
        if (body == null || !body.hasNonNull("clientId") || !facts.isAdminClientName(body.get("clientId").asText())) {
            return false;
        }
        if (!body.get("clientId").asText().equals("nhi-approvals") || !"${authBaseUrl}".equals(body.path("rootUrl").asText(null))) {
            return true;
        }
        JsonNode uris = body.path("redirectUris");
        if (!uris.isArray() || uris.isEmpty()) {
            return true;
        }
        for (JsonNode uri : uris) {
            if (!uri.isTextual() || !isThemeResourcePath(uri.asText(), true)) {
                return true;
            }
        }
        return !isDocumentedApprovalsClient(body);
    }

    private static String usernameOf(JsonNode user) {
        return user == null ? null : user.path("username").asText(null);
    }

    /**
     * A path below Keycloak's {@code /resources/} as a browser resolves it: plain segments only. A browser decodes
     * {@code %2e%2e} to a parent segment that Keycloak's exact redirect-URI match does not see (fifteenth review: a code
     * sent to {@code /resources/%2e%2e/realms/…/auth?…} went on to a redirect of the attacker's choosing), so percent
     * escapes, queries, fragments, backslashes, empty and dot segments are refused; a redirect URI may end in {@code *}.
     */
    public static boolean isThemeResourcePath(String path, boolean wildcardEnd) {
        if (!path.startsWith("/resources/")) {
            return false;
        }
        String[] segments = path.substring("/resources/".length()).split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            boolean last = i == segments.length - 1;
            if (last && wildcardEnd && segment.equals("*")) {
                continue;
            }
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || !PLAIN_SEGMENT.matcher(segment).matches()) {
                return false;
            }
        }
        return true;
    }

    /** A path segment without escapes or separators: RFC 3986's unreserved characters. */
    private static final java.util.regex.Pattern PLAIN_SEGMENT = java.util.regex.Pattern.compile("[A-Za-z0-9._~-]+");

    /** Members a body creating {@code nhi-approvals} may have, beyond those checked by value below. */
    private static final Set<String> APPROVALS_CLIENT_FIELDS = Set.of("clientId", "name", "description", "rootUrl",
            "baseUrl", "redirectUris", "webOrigins", "publicClient", "standardFlowEnabled", "enabled", "protocol",
            "frontchannelLogout", "alwaysDisplayInConsole", "implicitFlowEnabled", "directAccessGrantsEnabled",
            "serviceAccountsEnabled", "consentRequired", "fullScopeAllowed", "attributes");

    /**
     * Client attributes that let someone other than the signing-in user hold the tokens of a sign-in: standard token
     * exchange (a token of the user's from another client, exchanged into one of this client's), the device and CIBA
     * grants (they sign the user in for whoever started them), a verifiable-credential offer's pre-authorized code
     * (OID4VCI: a token of the client the offer was made through). A decision client has none of them on.
     */
    public static final List<String> TOKEN_MINTING_FLAGS = List.of("standard.token.exchange.enabled",
            "oauth2.device.authorization.grant.enabled", "oidc.ciba.grant.enabled", "oid4vci.enabled",
            // RFC 7523's JWT authorization grant: a token of the user an identity provider's assertion names, without
            // the realm's login or post-broker flows (its second factor)
            "oauth2.jwt.authorization.grant.enabled");

    /**
     * Attributes the approvals client may have besides {@link #TOKEN_MINTING_FLAGS}, which it may send only off.
     * Lightweight access tokens (as Keycloak's own {@code admin-cli} and console have them) keep a master admin's token
     * small: with full ones it lists every realm's administration roles, and past about ninety realms Keycloak refuses
     * the request that carries it (431).
     */
    private static final Set<String> APPROVALS_CLIENT_ATTRIBUTES = Set.of("pkce.code.challenge.method",
            "post.logout.redirect.uris", "client.use.lightweight.access.token.enabled");

    /**
     * Whether the body is the approvals page's client as the README creates it: a public client that signs users in
     * through the browser and nothing else. A confidential one could exchange an approver's token from any other client
     * into one of its own, and {@link #TOKEN_MINTING_FLAGS} give tokens of a sign-in to someone else: such tokens would
     * carry decisions.
     */
    static boolean isDocumentedApprovalsClient(JsonNode body) {
        for (java.util.Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            if (!APPROVALS_CLIENT_FIELDS.contains(names.next())) {
                return false;
            }
        }
        if (!body.path("publicClient").isBoolean() || !body.get("publicClient").asBoolean()) {
            return false;
        }
        for (String off : List.of("implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled")) {
            if (body.has(off) && !(body.get(off).isBoolean() && !body.get(off).asBoolean())) {
                return false;
            }
        }
        if (body.has("protocol") && !"openid-connect".equals(body.get("protocol").asText(null))) {
            return false;
        }
        // Where else the page sends a browser or answers from: Keycloak's own origin and pages only.
        if (body.has("webOrigins") && !(body.get("webOrigins").isArray() && body.get("webOrigins").size() <= 1
                && (body.get("webOrigins").isEmpty() || "+".equals(body.get("webOrigins").get(0).asText())))) {
            return false;
        }
        // The base URL may carry the page's own fragment (#realm=…); its path is a theme resource like the redirect URIs.
        if (body.has("baseUrl") && !(body.get("baseUrl").isTextual()
                && isThemeResourcePath(body.get("baseUrl").asText().split("#", 2)[0], false))) {
            return false;
        }
        JsonNode attributes = body.path("attributes");
        if (body.has("attributes") && !attributes.isObject()) {
            return false;
        }
        for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> a = attributes.fields(); a.hasNext(); ) {
            java.util.Map.Entry<String, JsonNode> e = a.next();
            if (TOKEN_MINTING_FLAGS.contains(e.getKey())) {
                if (!"false".equals(e.getValue().asText())) {
                    return false;
                }
                continue;
            }
            if (!APPROVALS_CLIENT_ATTRIBUTES.contains(e.getKey())) {
                return false;
            }
            if (e.getKey().equals("post.logout.redirect.uris") && !"+".equals(e.getValue().asText())) {
                return false; // "+": the redirect URIs, below /resources/
            }
        }
        return true;
    }

    /** Whether the body changes the client's authentication-flow binding overrides (any client). */
    static boolean changesFlowOverrides(JsonNode body, JsonNode current) {
        if (body == null || !body.isObject() || !body.has("authenticationFlowBindingOverrides")) {
            return false;
        }
        JsonNode proposed = body.get("authenticationFlowBindingOverrides");
        JsonNode now = current == null ? null : current.get("authenticationFlowBindingOverrides");
        return !equivalent(proposed, now);
    }

    /** Whether the body sets any of the fields to a value different from the current one. */
    static boolean changesAny(JsonNode body, JsonNode current, List<String> fields) {
        if (body == null || !body.isObject()) {
            return false;
        }
        for (String field : fields) {
            if (body.has(field) && !body.get(field).isNull()
                    && !equivalent(body.get(field), current == null ? null : current.get(field))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Deny by default: whether the body (as Keycloak reads it: absent or null fields are left as
     * they are) changes any field other than the harmless and read-only ones. {@code attributes}
     * are compared key by key, harmless keys aside; with {@code omittedAttributesRemoved} a key the
     * body leaves out counts as removed (Keycloak's realm update drops such attributes).
     */
    static boolean changesOutside(JsonNode body, JsonNode current, Set<String> harmless, Set<String> readOnly,
            boolean omittedAttributesRemoved, Set<String> harmlessAttributes) {
        if (body == null || !body.isObject()) {
            return body != null && !body.isNull();
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext();) {
            String field = it.next();
            JsonNode proposed = body.get(field);
            if (harmless.contains(field) || readOnly.contains(field) || proposed == null || proposed.isNull()) {
                continue;
            }
            JsonNode now = current == null ? null : current.get(field);
            if (field.equals("attributes") && proposed.isObject()) {
                if (attributesChange(proposed, now, omittedAttributesRemoved, harmlessAttributes)) {
                    return true;
                }
            } else if (!equivalent(proposed, now)) {
                return true;
            }
        }
        return false;
    }

    private static boolean attributesChange(JsonNode proposed, JsonNode now, boolean omittedRemoved, Set<String> harmless) {
        return attributesChange(proposed, now, omittedRemoved, key -> !harmless.contains(key));
    }

    /** Whether an attribute whose name {@code counts} changes: set to another value, or (when {@code omittedRemoved}) left out. */
    private static boolean attributesChange(JsonNode proposed, JsonNode now, boolean omittedRemoved,
            java.util.function.Predicate<String> counts) {
        for (Iterator<String> it = proposed.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!equivalent(proposed.get(key), now == null ? null : now.get(key)) && counts.test(key)) {
                return true;
            }
        }
        if (omittedRemoved && now != null && now.isObject()) {
            for (Iterator<String> it = now.fieldNames(); it.hasNext();) {
                String key = it.next();
                if (!proposed.has(key) && !isEmpty(now.get(key)) && counts.test(key)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether a user update changes an attribute a flow condition names (Keycloak's
     * {@code conditional-user-attribute} reads the user's attributes at login, the first and last
     * name among them). A user update with an {@code attributes} map replaces the user's
     * attributes: one it leaves out is removed.
     */
    static boolean changesGateAttributes(Facts facts, String userId, JsonNode body) {
        if (userId == null || body == null || !body.isObject()) {
            return false;
        }
        for (String field : USER_ROOT_ATTRIBUTE_FIELDS) {
            if (body.has(field) && facts.attributeIsAGate(field)) {
                JsonNode current = facts.currentUser(userId);
                if (!equivalent(body.get(field), current == null ? null : current.get(field))) {
                    return true;
                }
            }
        }
        return body.path("attributes").isObject()
                && attributesChange(body.get("attributes"), facts.userAttributes(userId), true, facts::attributeIsAGate);
    }

    /**
     * The root fields of a user that Keycloak's user profile keeps as attributes. A user update
     * that carries an {@code attributes} map replaces the user's attributes with it
     * ({@code UserResource#updateUser}: {@code profile.update(rep.getAttributes() != null)}), so one
     * of these fields the body leaves out (at the root and in the map) is removed, not kept.
     */
    static final List<String> PROFILE_ROOT_FIELDS = List.of("email", "firstName", "lastName");

    /**
     * A user update body as Keycloak applies it: with an {@code attributes} map, each profile root
     * field the body does not set is what the map says, or removed (empty). Without a map the body
     * is returned as it is (Keycloak keeps what it leaves out).
     */
    public static JsonNode asKeycloakApplies(JsonNode body) {
        if (body == null || !body.isObject() || !body.path("attributes").isObject()) {
            return body;
        }
        JsonNode attributes = body.get("attributes");
        // Keycloak also takes the username from the map when the body has none at the root (a rename where allowed).
        boolean usernameFromMap = !body.hasNonNull("username") && attributes.has("username");
        if (!usernameFromMap && PROFILE_ROOT_FIELDS.stream().allMatch(body::hasNonNull)) {
            return body;
        }
        ObjectNode out = body.deepCopy();
        for (String field : PROFILE_ROOT_FIELDS) {
            if (!body.hasNonNull(field)) {
                String value = first(attributes.get(field));
                out.put(field, value == null ? "" : value);
            }
        }
        if (usernameFromMap) {
            String value = first(attributes.get("username"));
            if (value != null) {
                out.put("username", value); // never a removal: Keycloak keeps the username a map leaves out
            }
        }
        return out;
    }

    /** The first value of a user attribute as a body gives it (a list or a single value), or null. */
    private static String first(JsonNode a) {
        JsonNode first = a != null && a.isArray() ? a.path(0) : a;
        return first == null || first.isMissingNode() || first.isNull() ? null : first.asText("");
    }

    /** Whether the body sets a user's first or last name to another value (removing one included). */
    static boolean namesChange(JsonNode body, JsonNode current) {
        for (String field : USER_ROOT_ATTRIBUTE_FIELDS) {
            JsonNode proposed = body.get(field);
            if (proposed != null && !proposed.isNull()
                    && !equivalent(proposed, current == null ? null : current.get(field))) {
                return true;
            }
        }
        return false;
    }

    /** Fields of a user that are harmless by themselves and that Keycloak also shows a flow condition as attributes. */
    private static final List<String> USER_ROOT_ATTRIBUTE_FIELDS = List.of("firstName", "lastName");

    /**
     * Whether two values are the same for Keycloak: empty and absent alike, scalars by their text,
     * arrays as multisets (Keycloak keeps set-valued fields in no fixed order), objects field by field.
     */
    static boolean equivalent(JsonNode a, JsonNode b) {
        if (isEmpty(a) && isEmpty(b)) {
            return true;
        }
        if (a == null || b == null || a.isNull() || b.isNull()) {
            return false;
        }
        if (a.isValueNode() && b.isValueNode()) {
            return Objects.equals(a.asText(), b.asText());
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            List<JsonNode> rest = new ArrayList<>();
            b.forEach(rest::add);
            for (JsonNode x : a) {
                boolean found = false;
                for (Iterator<JsonNode> it = rest.iterator(); it.hasNext();) {
                    if (equivalent(x, it.next())) {
                        it.remove();
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            Set<String> names = new HashSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                if (!equivalent(a.get(n), b.get(n))) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean isEmpty(JsonNode n) {
        return n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty()) || (n.isContainerNode() && n.isEmpty());
    }


    /** Whether the body changes or removes the policy attribute (a realm update drops attributes its map omits). */
    static boolean policyAttributeChanges(JsonNode body, JsonNode currentRealm) {
        if (body == null || !body.path("attributes").isObject()) {
            return false;
        }
        JsonNode proposed = body.get("attributes").get(POLICY_ATTRIBUTE);
        JsonNode current = currentRealm == null ? null : currentRealm.path("attributes").get(POLICY_ATTRIBUTE);
        return !equivalent(proposed, current);
    }

    /** Deny by default: any partial import that carries something besides its options. */
    static boolean partialImportTouchesGuarded(JsonNode body) {
        if (body == null || !body.isObject()) {
            return body != null && !body.isNull();
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext();) {
            String field = it.next();
            if (!field.equals("ifResourceExists") && !field.equals("policy") && !isEmpty(body.get(field))) {
                return true;
            }
        }
        return false;
    }

    /** The role a role path names: by id, or by name in the realm or in a client. */
    static String roleOf(Map<String, String> vars, Facts facts) {
        if (vars.containsKey("roleId")) {
            return vars.get("roleId");
        }
        return facts.roleId(vars.get("client"), vars.get("role"));
    }

    /**
     * A group update that renames the group or changes its attributes (Keycloak removes the
     * attributes an {@code attributes} map omits) while a guarded subject is a member of it or of
     * a subgroup; its description is harmless.
     */
    static boolean groupUpdateIsGuarded(Facts facts, String groupId, JsonNode body) {
        JsonNode current = groupId == null || body == null || !body.isObject() ? null : facts.currentGroup(groupId);
        if (current == null) {
            return false; // Keycloak answers 404 (or 400) itself
        }
        boolean renames = body.hasNonNull("name") && !body.get("name").asText().equals(current.path("name").asText());
        boolean attributes = body.path("attributes").isObject()
                && attributesChange(body.get("attributes"), current.get("attributes"), true, Set.of());
        return (renames && (facts.groupTreeIsPrivileged(groupId) || facts.identityProviderMappersNameGroup(groupId)))
                || ((renames || attributes) && facts.groupReachesGuarded(groupId));
    }

    static boolean roleUpdateIsGuarded(Facts facts, String roleId, JsonNode body) {
        if (roleId == null) {
            return false; // Keycloak answers 404 itself
        }
        if (facts.isApproverRole(roleId)) {
            return true;
        }
        JsonNode current = facts.currentRole(roleId);
        boolean renames = body != null && body.hasNonNull("name") && current != null
                && !body.get("name").asText().equals(current.path("name").asText());
        if (renames && facts.approverRoleNames().contains(body.get("name").asText())) {
            // Renamed to the approver role's name (in a realm that has none yet, or for a client role):
            // its holders would hold the approver role directly. Who holds it now does not matter.
            return true;
        }
        if (renames && (facts.roleIsAGate(roleId) || facts.roleNameIsAGate(body.get("name").asText(),
                current.path("clientRole").asBoolean(false) ? current.path("containerId").asText(null) : null))) {
            // A flow condition or a client policy names the role by its old or its new name.
            return true;
        }
        return renames && (facts.roleReachesGuarded(roleId) || facts.identityProviderMappersNameRole(roleId));
    }
}
