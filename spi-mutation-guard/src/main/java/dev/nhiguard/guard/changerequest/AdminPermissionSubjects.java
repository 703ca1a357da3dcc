package dev.nhiguard.guard.changerequest;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.keycloak.Config;
import org.keycloak.authorization.AuthorizationProvider;
import org.keycloak.authorization.model.Policy;
import org.keycloak.authorization.model.ResourceServer;
import org.keycloak.common.Profile;
import org.keycloak.models.ClientModel;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Who fine-grained admin permissions may make an administrator of a realm: the subjects the policies
 * of the realm's {@code admin-permissions} client name (FGAP v2), and on a server running
 * {@code admin-fine-grained-authz:v1}, those of the realm's management client (FGAP v1). A user such a
 * policy names, a member of a group it names, a holder of a role it names, is an administrator without
 * any realm-management role, so the guard counts them as privileged users (their recovery, groups and
 * roles are held like an admin's).
 *
 * <p>Read as an over-approximation, which fails closed: every policy of the resource server counts,
 * whether or not a permission uses it and whatever its logic (a negative policy too), and a group
 * counts with its subgroups. A policy whose subjects cannot be listed (regex, client scope, time,
 * script, a client: whoever gets a token from it), or that reads its subjects from the admin's token
 * (a group policy with {@code groupsClaim}, a role policy without {@code fetchRoles}: a protocol mapper
 * of any ordinary client can put a group or role name into a token) may make anyone an
 * administrator: then every user of the realm counts as privileged ({@link #everyone()}).
 */
final class AdminPermissionSubjects {

    /** Policy types that only combine or grant on other policies, and name no subject themselves. */
    private static final Set<String> NO_SUBJECTS = Set.of("aggregate", "resource", "scope", "uma");

    private static final AdminPermissionSubjects NONE = new AdminPermissionSubjects(false, Set.of(), Set.of(), Set.of());

    private final boolean everyone;
    private final Set<String> userIds;
    private final Set<String> groupIds;
    private final Set<String> roleIds;

    private AdminPermissionSubjects(boolean everyone, Set<String> userIds, Set<String> groupIds, Set<String> roleIds) {
        this.everyone = everyone;
        this.userIds = userIds;
        this.groupIds = groupIds;
        this.roleIds = roleIds;
    }

    /**
     * The subjects of the realm's admin permissions: those of FGAP v2 (the realm's {@code admin-permissions} client)
     * when the realm uses it, and those of FGAP v1 (the resource server of the realm's management client,
     * {@code realm-management}, or {@code master-realm} in the administration realm) when the server runs
     * {@code admin-fine-grained-authz:v1}; none otherwise.
     */
    static AdminPermissionSubjects of(KeycloakSession session, RealmModel realm) {
        java.util.List<ClientModel> holders = new java.util.ArrayList<>(2);
        if (realm.isAdminPermissionsEnabled() && realm.getAdminPermissionsClient() != null) {
            holders.add(realm.getAdminPermissionsClient());
        }
        if (Profile.isFeatureEnabled(Profile.Feature.ADMIN_FINE_GRAINED_AUTHZ)) {
            ClientModel management = realm.getClientByClientId(Config.getAdminRealm().equals(realm.getName())
                    ? Config.getAdminRealm() + "-realm" : Constants.REALM_MANAGEMENT_CLIENT_ID);
            if (management != null) {
                holders.add(management);
            }
        }
        AuthorizationProvider authz = holders.isEmpty() ? null : session.getProvider(AuthorizationProvider.class);
        if (authz == null) {
            return NONE;
        }
        boolean everyone = false;
        boolean any = false;
        Set<String> users = new HashSet<>();
        Set<String> groups = new HashSet<>();
        Set<String> roles = new HashSet<>();
        for (ClientModel holder : holders) {
            ResourceServer server = authz.getStoreFactory().getResourceServerStore().findByClient(holder);
            if (server == null) {
                continue; // no permission can be evaluated there: Keycloak grants nothing through it
            }
            any = true;
            for (Policy p : authz.getStoreFactory().getPolicyStore().findByResourceServer(server)) {
                String type = p.getType() == null ? "" : p.getType();
                java.util.Map<String, String> config = p.getConfig() == null ? java.util.Map.of() : p.getConfig();
                everyone |= admitsAnyone(type, p.getLogic() == null ? null : p.getLogic().name(), config.get("fetchRoles"),
                        config.get("groupsClaim"));
                switch (type) {
                    case "user" -> ids(config.get("users"), null, users);
                    case "group" -> ids(config.get("groups"), "id", groups);
                    case "role" -> ids(config.get("roles"), "id", roles);
                    default -> { } // no subjects of its own, or admitsAnyone
                }
            }
        }
        return any ? new AdminPermissionSubjects(everyone, users, groups, roles) : NONE;
    }

    /**
     * Whether a policy (or permission) of this type, logic and configuration may admit a user whatever their id,
     * groups or roles: negative logic admits everyone it does not name (a negative aggregate or permission inverts
     * what it combines); a group policy with {@code groupsClaim} reads the groups from a claim of the admin's token,
     * and a role policy without {@code fetchRoles} the roles, which a mapper of any ordinary client can write; a
     * client, regex, client-scope, time or script policy, or a type of another extension, names no listable subjects
     * (a client policy admits whoever gets a token from the client, whose login is an ordinary client's setting).
     */
    static boolean admitsAnyone(String type, String logic, String fetchRoles, String groupsClaim) {
        if ("NEGATIVE".equalsIgnoreCase(logic)) {
            return true;
        }
        String t = type == null ? "" : type;
        return switch (t) {
            case "user" -> false;
            case "group" -> groupsClaim != null && !groupsClaim.isBlank();
            case "role" -> !"true".equalsIgnoreCase(fetchRoles);
            default -> !NO_SUBJECTS.contains(t);
        };
    }

    /** Adds the ids a policy's JSON array names (strings, or objects with {@code field}); unreadable: nothing. */
    private static void ids(String json, String field, java.util.Collection<String> into) {
        if (json == null || json.isBlank()) {
            return;
        }
        try {
            JsonNode array = JsonSerialization.mapper.readTree(json);
            for (JsonNode n : array) {
                JsonNode id = field == null ? n : n.get(field);
                if (id != null && id.isTextual()) {
                    into.add(id.textValue());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Keycloak wrote the config; one it cannot read grants nothing either
        }
    }

    /** Whether a policy may admit any user, whatever their id, groups or roles. */
    boolean everyone() {
        return everyone;
    }

    /** The ids of the users, groups and roles the policies name (the users by id as stored). */
    Set<String> userIds() {
        return userIds;
    }

    Set<String> groupIds() {
        return groupIds;
    }

    Set<String> roleIds() {
        return roleIds;
    }

    boolean namesUser(String userId) {
        return userIds.contains(userId);
    }

    boolean namesGroup(String groupId) {
        return groupIds.contains(groupId);
    }

    /** The roles policies name that exist in the realm, resolved once. */
    List<org.keycloak.models.RoleModel> roles(RealmModel realm) {
        if (resolvedRoles == null) {
            resolvedRoles = roleIds.stream().map(realm::getRoleById).filter(java.util.Objects::nonNull).toList();
        }
        return resolvedRoles;
    }

    private List<org.keycloak.models.RoleModel> resolvedRoles;

    boolean isEmpty() {
        return !everyone && userIds.isEmpty() && groupIds.isEmpty() && roleIds.isEmpty();
    }
}
