package dev.nhiguard.guard.changerequest;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;

/**
 * Who effectively holds a role or belongs to a group, as far as the guard needs to know: whether
 * a guarded subject (service-account user or privileged user) is among them. Follows Keycloak's
 * own routes to a role: direct mappings, composites, group mappings inherited by subgroups, and
 * the realm's default role and default groups (every user created gets them). When more than
 * {@link TargetState#INSPECTION_LIMIT} users or groups would have to be inspected, the answer is
 * "yes": the guard holds rather than guesses.
 */
final class Reach {

    private final KeycloakSession session;
    private final RealmModel realm;
    private final TargetState state;
    private int inspected;
    private Set<String> defaultGroups;

    Reach(KeycloakSession session, RealmModel realm, TargetState state) {
        this.session = session;
        this.realm = realm;
        this.state = state;
    }

    boolean roleReachesGuarded(RoleModel role) {
        List<RoleModel> holdersOf = Stream.concat(realm.getRolesStream(),
                realm.getClientsStream().flatMap(ClientModel::getRolesStream))
                .filter(r -> r.getId().equals(role.getId()) || r.hasRole(role))
                .toList();
        RoleModel defaultRole = realm.getDefaultRole();
        for (RoleModel r : holdersOf) {
            if (defaultRole != null && r.getId().equals(defaultRole.getId())) {
                return true;
            }
            if (usersReachGuarded(session.users().getRoleMembersStream(realm, r, 0, TargetState.INSPECTION_LIMIT + 1))) {
                return true;
            }
        }
        Set<String> ids = new HashSet<>();
        holdersOf.forEach(r -> ids.add(r.getId()));
        return session.groups().getGroupsStream(realm)
                .filter(g -> g.getRoleMappingsStream().anyMatch(r -> ids.contains(r.getId())))
                .anyMatch(this::groupReachesGuarded);
    }

    /**
     * Whether a guarded subject is a member of the group or of a subgroup. A group that is, or has below it, a default
     * group counts as reaching one: Keycloak puts every user it creates in the default groups, service accounts' and
     * agents' too.
     */
    boolean groupReachesGuarded(GroupModel group) {
        if (defaultGroups == null) {
            defaultGroups = new HashSet<>();
            realm.getDefaultGroupsStream().forEach(g -> defaultGroups.add(g.getId()));
        }
        Deque<GroupModel> todo = new ArrayDeque<>();
        todo.add(group);
        while (!todo.isEmpty()) {
            GroupModel g = todo.poll();
            if (++inspected > TargetState.INSPECTION_LIMIT || defaultGroups.contains(g.getId())) {
                return true;
            }
            if (usersReachGuarded(session.users().getGroupMembersStream(realm, g, 0, TargetState.INSPECTION_LIMIT + 1))) {
                return true;
            }
            g.getSubGroupsStream().forEach(todo::add);
        }
        return false;
    }

    private boolean usersReachGuarded(Stream<UserModel> users) {
        return users.anyMatch(u -> ++inspected > TargetState.INSPECTION_LIMIT || state.isGuardedUser(u));
    }
}
