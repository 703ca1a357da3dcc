package dev.nhiguard.agent.registry;

import java.util.ArrayList;
import java.util.List;

import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * An agent's owners (the owner and the optional second owner, each a user or a group) and the
 * owner latch: when no owner is active any more, the agent is suspended and the latch is set;
 * only an owner reassignment (an agent update, itself a guarded change) lifts it, whatever
 * happens to the old owner afterwards.
 */
public final class AgentOwners {

    public static final String OWNER2_TYPE = "nhi.agent.owner2.type";
    public static final String OWNER2_ID = "nhi.agent.owner2.id";
    /** Set (to why) while the agent is latched after losing its owner. */
    public static final String LATCH = "nhi.agent.owner.latched";
    /**
     * Set while the latch is the only reason the agent is suspended (the latch suspended an active agent, nothing has
     * suspended it since): only then does reassigning an owner resume it. An agent suspended for a leaked key, a risk
     * or by an admin stays suspended when it gets a new owner.
     */
    public static final String LATCH_SUSPENDED = "nhi.agent.owner.latch-suspended";

    /** State of one owner. */
    public enum State { ACTIVE, DISABLED, MISSING }

    /** An owner reference as stored. */
    public record Ref(String type, String id) {
    }

    private AgentOwners() {
    }

    /** The owner and, if set, the second owner. */
    public static List<Ref> of(ClientModel client) {
        List<Ref> out = new ArrayList<>();
        out.add(new Ref(client.getAttribute(AgentRecord.OWNER_TYPE), client.getAttribute(AgentRecord.OWNER_ID)));
        if (client.getAttribute(OWNER2_ID) != null) {
            out.add(new Ref(client.getAttribute(OWNER2_TYPE), client.getAttribute(OWNER2_ID)));
        }
        return out;
    }

    public static String latch(ClientModel client) {
        return client.getAttribute(LATCH);
    }

    /** Whether the agent is suspended for having lost its owner and for nothing else. */
    public static boolean suspendedOnlyByLatch(ClientModel client) {
        return latch(client) != null && client.getAttribute(LATCH_SUSPENDED) != null;
    }

    public static State state(KeycloakSession session, RealmModel realm, Ref ref) {
        if (ref.id() == null) {
            return State.MISSING;
        }
        if (AgentRecord.OWNER_USER.equals(ref.type())) {
            UserModel user = session.users().getUserById(realm, ref.id());
            if (user == null) {
                return State.MISSING;
            }
            return user.isEnabled() ? State.ACTIVE : State.DISABLED;
        }
        if (AgentRecord.OWNER_GROUP.equals(ref.type())) {
            // A group owns through its people: one with no enabled person in it or below it owns nothing.
            GroupModel group = session.groups().getGroupById(realm, ref.id());
            return group == null ? State.MISSING : hasActiveMember(session, realm, group) ? State.ACTIVE : State.DISABLED;
        }
        return State.MISSING;
    }

    /** ACTIVE if any owner is active; otherwise the primary owner's state. */
    public static State best(KeycloakSession session, RealmModel realm, ClientModel client) {
        List<Ref> refs = of(client);
        State first = null;
        for (Ref r : refs) {
            State s = state(session, realm, r);
            if (s == State.ACTIVE) {
                return s;
            }
            if (first == null) {
                first = s;
            }
        }
        return first;
    }

    /** Whether the user is an owner: an owner user, or a member of an owner group (or of its subgroups). */
    public static boolean isOwner(KeycloakSession session, RealmModel realm, ClientModel client, UserModel user) {
        for (Ref r : of(client)) {
            if (r.id() == null) {
                continue;
            }
            if (AgentRecord.OWNER_USER.equals(r.type()) && r.id().equals(user.getId())) {
                return true;
            }
            if (AgentRecord.OWNER_GROUP.equals(r.type())) {
                GroupModel g = session.groups().getGroupById(realm, r.id());
                if (g != null && user.isMemberOf(g)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether an enabled person (not a service account) is a member of the group or of one of its subgroups: one query
     * over the stored memberships of the whole subtree (the token endpoint asks it for every token of a group-owned
     * agent), then, in a realm with user federation, the members Keycloak lists for each group (an LDAP group mapper's
     * members are not stored).
     */
    public static boolean hasActiveMember(KeycloakSession session, RealmModel realm, GroupModel group) {
        List<GroupModel> subtree = new ArrayList<>();
        collect(group, subtree);
        List<String> ids = subtree.stream().map(GroupModel::getId).toList();
        boolean stored = !session.getProvider(org.keycloak.connections.jpa.JpaConnectionProvider.class).getEntityManager()
                .createQuery("select m.user.id from UserGroupMembershipEntity m where m.groupId in :groups"
                        + " and m.user.enabled = true and m.user.serviceAccountClientLink is null", String.class)
                .setParameter("groups", ids).setFlushMode(jakarta.persistence.FlushModeType.COMMIT).setMaxResults(1)
                .getResultList().isEmpty();
        if (stored) {
            return true;
        }
        boolean federated = realm.getComponentsStream(realm.getId(), org.keycloak.storage.UserStorageProvider.class.getName())
                .findAny().isPresent();
        return federated && subtree.stream().anyMatch(g -> session.users().getGroupMembersStream(realm, g)
                .anyMatch(u -> u.isEnabled() && u.getServiceAccountClientLink() == null));
    }

    private static void collect(GroupModel group, List<GroupModel> into) {
        into.add(group);
        group.getSubGroupsStream().forEach(g -> collect(g, into));
    }
}
