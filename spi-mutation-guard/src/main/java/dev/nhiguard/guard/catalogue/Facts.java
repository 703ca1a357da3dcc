package dev.nhiguard.guard.catalogue;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the catalogue's predicates may know about the target realm's current state. Implemented
 * over Keycloak's models at admission time, and by plain maps in unit tests.
 */
public interface Facts {

    /**
     * Whether the client (internal id) exists and its settings shape a non-human identity's tokens: it has a service
     * account or is an agent, or it exchanges others' tokens (standard token exchange on: a token it gets for a service
     * account's token carries the service account's identity and roles with this client's mappers, scope and lifetime).
     */
    boolean shapesServiceAccountTokens(String clientId);

    /** Whether the user (id) is the service-account user of a client. */
    boolean isServiceAccountUser(String userId);

    /** Whether the user is privileged: holds any realm-management role, or the approver role. */
    boolean isPrivilegedUser(String userId);

    /**
     * Whether the user owns a service account or agent: a client's owner attributes name the user,
     * or a group the user is in (or below). Owners are privileged for their recovery and
     * authentication (password, credentials, email, required actions, IdP links, impersonation,
     * lockout); disabling or deleting an owner only takes standing away (the agent is latched).
     * Conservatively true in the default implementation.
     */
    default boolean isAccountOwner(String userId) {
        return true;
    }

    /**
     * Whether an update whose body says {@code "enabled": true} makes Keycloak clear the user's brute-force state
     * ({@code UserResource#updateUser}): the user is disabled with login failures on record, locked out for now, or
     * locked out for good. That update is a brute-force clear. Conservatively true in the default implementation.
     */
    default boolean enablingClearsLoginFailures(String userId) {
        return true;
    }

    /** The client's current representation, or null when it does not exist. */
    JsonNode currentClient(String clientId);

    /**
     * The user's current representation as far as a write can change it (Keycloak's fields without
     * the read-only ones and without attributes), or null when it does not exist.
     */
    JsonNode currentUser(String userId);

    /** The realm's current representation (without secrets). */
    JsonNode currentRealm();

    /** Name of the approver realm role under the realm's policy. */
    String approverRole();

    /**
     * Names of the realm roles whose direct holders approve through this realm: its policy's approver role, and in the
     * administration realm also the approver role of every realm whose policy takes its approvers from there
     * ({@code approverRealm}).
     */
    default java.util.Set<String> approverRoleNames() {
        return java.util.Set.of(approverRole());
    }

    /**
     * Whether the client is one Keycloak's administration depends on (the admin console, admin-cli,
     * realm-management, broker, account clients, the fine-grained admin-permissions client, and in
     * the master realm the {@code <realm>-realm} clients) or one approvers decide through (the
     * approvals page's {@code nhi-approvals}): changing it changes how admins and approvers log in
     * or what they may do. Conservatively true in the default implementation.
     */
    default boolean isAdminClient(String clientId) {
        return true;
    }

    /**
     * Whether a client by this clientId would be such a client (the names of
     * {@link #isAdminClient(String)}, and the clients approvers decide through, e.g.
     * {@code nhi-approvals}): creating a client under the name, or renaming one to it, makes it one.
     */
    default boolean isAdminClientName(String clientId) {
        return true;
    }

    /** The id of the role named in a path ({@code clientId} null for realm roles, else the client's internal id), or null. */
    default String roleId(String clientId, String roleName) {
        return null;
    }

    /** The role's current representation by id, or null. */
    default JsonNode currentRole(String roleId) {
        return null;
    }

    /** The group's current name and attributes ({@code {"name", "attributes"}}) by id, or null. */
    default JsonNode currentGroup(String groupId) {
        return null;
    }

    /**
     * The user's attributes as Keycloak's user representation carries them (without the root
     * attributes username, email, first and last name), or null when the user does not exist.
     */
    default JsonNode userAttributes(String userId) {
        return null;
    }

    /** Whether the role (by id) is the realm's approver role. Conservatively true by default. */
    default boolean isApproverRole(String roleId) {
        return true;
    }

    /**
     * Whether a guarded subject (a service-account user or a privileged user) holds the role
     * effectively: directly, through a composite, through a group or subgroup, or as part of the
     * realm's default role. True when that cannot be decided within the guard's limits.
     */
    default boolean roleReachesGuarded(String roleId) {
        return true;
    }

    /** Whether any role in the role-mapping body (an array of roles) makes its holder privileged. */
    default boolean rolesArePrivileged(JsonNode roles, String clientId) {
        return true;
    }

    /** Whether a guarded subject is a member of the group or of one of its subgroups. */
    default boolean groupReachesGuarded(String groupId) {
        return true;
    }

    /** Whether the group or one of its parents makes its members privileged (admin roles, FGAP policies) or owners. */
    default boolean groupIsPrivileged(String groupId) {
        return true;
    }

    /**
     * Whether the group, one of its parents or one of its subgroups makes its members privileged or owners: renaming or
     * moving it changes the path of a privileged group, and identity-provider and LDAP group mappers find groups by path
     * at each login.
     */
    default boolean groupTreeIsPrivileged(String groupId) {
        return true;
    }

    /**
     * Whether the operator names {@code username} a bootstrap approver of this realm (server option
     * {@code bootstrap-approvers}): the guard makes a user of that name approver while the realm is short of approvers.
     */
    default boolean isBootstrapApproverName(String username) {
        return true;
    }

    /**
     * Whether a role grant or group join of the user is written into a user-storage provider (an LDAP directory that
     * takes memberships, or a provider the guard does not know) instead of Keycloak's database: what the provider's
     * mappers read back from it is out of the guard's sight.
     */
    default boolean membershipsReachADirectory(String userId) {
        return true;
    }

    /** Whether a new user's groups are joined in such a directory (an LDAP provider synchronizing registrations). */
    default boolean newUsersReachADirectory() {
        return true;
    }

    /** Whether any of the groups (paths, as Keycloak's user create reads them) is privileged. */
    default boolean groupsArePrivileged(JsonNode groups) {
        return true;
    }

    /**
     * Whether the client scope shapes a service account's tokens: a service-account client uses it
     * (default or optional) or the realm gives it to new clients.
     */
    default boolean clientScopeReachesServiceAccounts(String scopeId) {
        return true;
    }

    /**
     * Whether deleting the role (by id) opens something it gates: a client scope that shapes a
     * service account's tokens has it as a role scope mapping (Keycloak applies such a scope only to
     * holders of one of its roles, one without any to everyone), or an authenticator config names it
     * (a flow condition on the role; Keycloak reads a missing role as "condition not met").
     * True when that cannot be decided within the guard's limits.
     */
    default boolean roleIsAGate(String roleId) {
        return true;
    }

    /** Whether a guarded subject holds a role of the client (internal id), directly, through groups or composites. */
    default boolean clientRolesReachGuarded(String clientId) {
        return true;
    }

    /** As {@link #roleIsAGate(String)} for any role of the client (internal id): deleting the client deletes them. */
    default boolean clientRolesAreGates(String clientId) {
        return true;
    }

    /**
     * Whether a name Keycloak resolves at login or token time (a flow condition's role, a client
     * policy's client role) names a role of this name: a realm role when {@code clientId} (internal
     * id) is null, else a role of that client. Creating or renaming such a role changes whom the
     * condition matches (a negated condition, or one on a role that did not resolve before).
     */
    default boolean roleNameIsAGate(String name, String clientId) {
        return true;
    }

    /**
     * Whether granting or revoking the roles (role representations, of the client with this
     * internal id or of the realm) grants or revokes a role a gate names, directly or through
     * their composites: a flow condition on it decides how the user logs in.
     */
    default boolean rolesAreGates(JsonNode roles, String clientId) {
        return true;
    }

    /** Whether the group, or a parent, holds a role a gate names (directly or through composites): joining or leaving it grants or revokes it. */
    default boolean groupHoldsAGate(String groupId) {
        return true;
    }

    /** Whether a client policy's condition names the client scope: adding it to a client or removing it decides which policies apply. */
    default boolean scopeIsAGate(String scopeId) {
        return true;
    }

    /**
     * Whether a flow condition names a user attribute of this name (Keycloak's user-attribute
     * condition reads it at login): changing it on a privileged user decides whether the user is
     * asked for a second factor.
     */
    default boolean attributeIsAGate(String attributeName) {
        return true;
    }

    /** Whether a flow condition names a role of a client by this clientId ({@code clientId.role}): renaming a client to it resolves the name. */
    default boolean clientIdIsAGate(String clientId) {
        return true;
    }

    /**
     * Whether an identity-provider mapper names the group by its path, or a group below it: Keycloak rewrites those
     * mappers when the group's path changes (a rename or a move; {@code GroupConfigPropertyByPathSynchronizer}).
     */
    default boolean identityProviderMappersNameGroup(String groupId) {
        return true;
    }

    /**
     * Whether an identity-provider mapper names the role ({@code role} or {@code clientId.role}): Keycloak rewrites
     * those mappers when the role is renamed ({@code RoleConfigPropertyByRoleNameSynchronizer}).
     */
    default boolean identityProviderMappersNameRole(String roleId) {
        return true;
    }

    /**
     * Whether an identity-provider mapper names a role of the client (internal id) by its clientId: Keycloak rewrites
     * those mappers when the clientId changes ({@code RoleConfigPropertyByClientIdSynchronizer}).
     */
    default boolean identityProviderMappersNameClientRoles(String clientUuid) {
        return true;
    }

    /**
     * Whether a flow condition or a client policy names a client scope of this name (one created, or renamed to it, is
     * what the condition then finds).
     */
    default boolean scopeNameIsAGate(String scopeName) {
        return true;
    }

    /**
     * The user-profile attributes Keycloak writes into the user on any update: those with a default value the user has
     * no value for ({@code DefaultAttributes} fills them in even when the update has no attributes map).
     */
    default java.util.Set<String> profileDefaultsWritten(String userId) {
        return java.util.Set.of();
    }
}
