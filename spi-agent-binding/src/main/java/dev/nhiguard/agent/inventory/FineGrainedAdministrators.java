package dev.nhiguard.agent.inventory;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.keycloak.authorization.AuthorizationProvider;
import org.keycloak.authorization.model.Policy;
import org.keycloak.authorization.model.ResourceServer;
import org.keycloak.common.Profile;
import org.keycloak.models.ClientModel;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.representations.idm.authorization.Logic;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Whom fine-grained admin permissions make an administrator without any admin role, for
 * {@code OVER_PRIVILEGED}: the users, groups (with their subgroups) and roles that the policies of
 * the realm's {@code admin-permissions} client name (FGAP v2, when the realm uses it) and, on a
 * server running {@code admin-fine-grained-authz:v1}, those of the realm's management client.
 *
 * <p>The same reading as the mutation guard's, which counts these subjects as privileged (the
 * modules share no code), and it errs the same way, towards privileged: every policy counts
 * whether or not a permission uses it. A negative policy, or one whose subjects cannot be listed
 * (a client, regex, client-scope, time or script policy, a group policy that reads a claim of the
 * admin's token, a role policy without {@code fetchRoles}, a type of another extension) may admit
 * anyone: then every service account of the realm counts ({@link #anyone}).
 */
record FineGrainedAdministrators(boolean anyone, Set<String> userIds, Set<String> groupIds, Set<String> roleIds) {

    /** Policy types that only combine or grant on other policies and name no subject of their own. */
    private static final Set<String> NO_SUBJECTS = Set.of("aggregate", "resource", "scope", "uma");

    private static final FineGrainedAdministrators NONE = new FineGrainedAdministrators(false, Set.of(), Set.of(), Set.of());

    static FineGrainedAdministrators of(KeycloakSession session, RealmModel realm) {
        java.util.List<ClientModel> holders = new java.util.ArrayList<>(2);
        if (realm.isAdminPermissionsEnabled() && realm.getAdminPermissionsClient() != null) {
            holders.add(realm.getAdminPermissionsClient());
        }
        if (Profile.isFeatureEnabled(Profile.Feature.ADMIN_FINE_GRAINED_AUTHZ)) {
            String adminRealm = org.keycloak.Config.getAdminRealm();
            ClientModel management = realm.getClientByClientId(adminRealm.equals(realm.getName())
                    ? adminRealm + "-realm" : Constants.REALM_MANAGEMENT_CLIENT_ID);
            if (management != null) {
                holders.add(management);
            }
        }
        AuthorizationProvider authz = holders.isEmpty() ? null : session.getProvider(AuthorizationProvider.class);
        if (authz == null) {
            return NONE;
        }
        boolean anyone = false;
        Set<String> users = new HashSet<>();
        Set<String> groups = new HashSet<>();
        Set<String> roles = new HashSet<>();
        for (ClientModel holder : holders) {
            ResourceServer server = authz.getStoreFactory().getResourceServerStore().findByClient(holder);
            if (server == null) {
                continue; // no permission is evaluated there
            }
            for (Policy p : authz.getStoreFactory().getPolicyStore().findByResourceServer(server)) {
                String type = p.getType() == null ? "" : p.getType();
                Map<String, String> config = p.getConfig() == null ? Map.of() : p.getConfig();
                if (p.getLogic() == Logic.NEGATIVE) {
                    anyone = true;
                    continue;
                }
                switch (type) {
                    case "user" -> ids(config.get("users"), null, users);
                    case "group" -> {
                        anyone |= config.get("groupsClaim") != null && !config.get("groupsClaim").isBlank();
                        ids(config.get("groups"), "id", groups);
                    }
                    case "role" -> {
                        anyone |= !"true".equalsIgnoreCase(config.get("fetchRoles"));
                        ids(config.get("roles"), "id", roles);
                    }
                    default -> anyone |= !NO_SUBJECTS.contains(type);
                }
            }
        }
        return new FineGrainedAdministrators(anyone, Set.copyOf(users), Set.copyOf(groups), Set.copyOf(roles));
    }

    /** Whether a policy names this user, one of these groups (a group's ancestors included) or one of these roles. */
    boolean reach(String userId, Collection<String> groupsAndAncestors, Collection<String> effectiveRoles) {
        return anyone || userIds.contains(userId) || groupsAndAncestors.stream().anyMatch(groupIds::contains)
                || effectiveRoles.stream().anyMatch(roleIds::contains);
    }

    /** The ids a policy's JSON array names (strings, or objects with {@code field}); Keycloak wrote it, unreadable names none. */
    private static void ids(String json, String field, Set<String> into) {
        if (json == null || json.isBlank()) {
            return;
        }
        try {
            for (JsonNode n : JsonSerialization.mapper.readTree(json)) {
                JsonNode id = field == null ? n : n.get(field);
                if (id != null && id.isTextual()) {
                    into.add(id.textValue());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // a configuration Keycloak cannot read grants nothing either
        }
    }
}
