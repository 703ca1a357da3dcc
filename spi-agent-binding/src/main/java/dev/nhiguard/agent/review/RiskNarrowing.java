package dev.nhiguard.agent.review;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import com.fasterxml.jackson.core.JsonProcessingException;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.resources.admin.AdminEventBuilder;

import dev.nhiguard.agent.inventory.Inventory;
import dev.nhiguard.agent.inventory.InventoryEntry;
import dev.nhiguard.agent.lifecycle.LifecycleActions;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.review.store.NarrowingEntity;

/**
 * Narrowing as a risk response: a signal the review policy names ({@code narrowOnSignals}) takes
 * from the service account every direct role outside the policy's {@code narrowKeepRoles} and
 * every group membership, and records exactly what it took (ids and names). The identity shows
 * as {@code NARROWED} until its owner (or, without an active owner, an approver) revalidates it:
 * the revalidation — a write the mutation guard holds for a second person's approval — puts
 * back exactly what was taken. Both steps go through {@link LifecycleActions} (recorded, rate
 * limited, {@code AGENT} admin event, chained).
 */
public final class RiskNarrowing {

    public static final String NARROW = "NARROW";
    public static final String RESTORE = "RESTORE";
    static final String ACTIVE = "ACTIVE";
    static final String RESTORED = "RESTORED";

    /**
     * A role or group taken away, by id and name (realm role, {@code clientId/role}, or group path), with the digest of
     * what it gave ({@link NarrowingPins}).
     */
    public record Ref(String id, String name, String pin) {
    }

    /** Exactly what a narrowing took. */
    public record Removed(List<Ref> roles, List<Ref> groups) {
    }

    /** A narrowing as the API shows it. */
    public record View(String id, String clientUuid, String clientId, String state, String trigger, String reason, Removed removed,
                       String createdAt, String restoredAt, String restoredBy, List<String> notRestored) {
    }

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminEventBuilder events;

    public RiskNarrowing(KeycloakSession session, RealmModel realm, AdminEventBuilder events) {
        this.session = session;
        this.realm = realm;
        this.events = events;
    }

    /** Whether the realm's review policy answers this signal type with a narrowing. */
    public static boolean appliesTo(RealmModel realm, String signalType) {
        return ReviewPolicy.stored(realm.getAttribute(ReviewPolicy.ATTRIBUTE)).narrowOnSignals().contains(signalType);
    }

    /** The client ids of the realm's active narrowings (for the inventory's {@code NARROWED} flag). */
    public static Set<String> narrowedClients(KeycloakSession session, RealmModel realm) {
        return Set.copyOf(em(session).createQuery("select n.clientId from NarrowingEntity n where n.realmId = :realm and n.state = :s",
                String.class).setParameter("realm", realm.getId()).setParameter("s", ACTIVE).getResultList());
    }

    /** Narrows a service account; NOT_APPLICABLE when it is already narrowed or holds nothing to take. */
    public LifecycleActions.Outcome narrow(ClientModel client, String trigger, String reason) {
        UserModel sa = session.users().getServiceAccount(client);
        if (sa == null || active(client.getId(), false) != null) {
            return LifecycleActions.Outcome.NOT_APPLICABLE;
        }
        Set<String> keep = Set.copyOf(ReviewPolicy.stored(realm.getAttribute(ReviewPolicy.ATTRIBUTE)).narrowKeepRoles());
        List<RoleModel> roles = sa.getRoleMappingsStream().filter(r -> !keep.contains(Snapshots.name(r))).toList();
        List<GroupModel> groups = sa.getGroupsStream().toList();
        if (roles.isEmpty() && groups.isEmpty()) {
            return LifecycleActions.Outcome.NOT_APPLICABLE;
        }
        String recorded = "narrowed automatically (" + trigger + "): " + reason;
        return new LifecycleActions(session, realm, events).act(client, NARROW, "narrowed", trigger, recorded, () -> {
            List<Ref> takenRoles = new ArrayList<>();
            for (RoleModel r : roles) {
                sa.deleteRoleMapping(r);
                takenRoles.add(new Ref(r.getId(), Snapshots.name(r), NarrowingPins.of(r)));
            }
            List<Ref> takenGroups = new ArrayList<>();
            for (GroupModel g : groups) {
                sa.leaveGroup(g);
                takenGroups.add(new Ref(g.getId(), KeycloakModelUtils.buildGroupPath(g), NarrowingPins.of(g)));
            }
            NarrowingEntity n = new NarrowingEntity();
            n.setId(UUID.randomUUID().toString());
            n.setRealmId(realm.getId());
            n.setClientId(client.getId());
            n.setState(ACTIVE);
            n.setActiveKey(client.getId());
            n.setTrigger(trigger.length() > 64 ? trigger.substring(0, 64) : trigger);
            n.setReason(recorded.length() > 1024 ? recorded.substring(0, 1024) : recorded);
            n.setRemoved(Snapshots.json(new Removed(takenRoles, takenGroups)));
            n.setCreatedAt(AgentClock.now(session, realm).toEpochMilli());
            em(session).persist(n);
            em(session).flush();
        });
    }

    /** How {@code notRestored} names a role or group that no longer gives what it gave when it was taken. */
    static final String CHANGED = " (changed since the narrowing)";

    /**
     * Restores exactly what the client's active narrowing took, as one of the client's reviewers
     * (its owner; without an active owner, an approver). Roles or groups deleted since, and those
     * that give something else now (renamed, moved, given other roles: {@link NarrowingPins}), are
     * listed as not restored; the account asks for them again as for any grant.
     */
    public View revalidate(ClientModel client, UserModel caller, String comment) {
        NarrowingEntity n = active(client.getId(), true);
        if (n == null) {
            throw ReviewException.notFound("client " + client.getClientId() + " is not narrowed");
        }
        InventoryEntry entry = new Inventory(session, realm).entries(List.of(client.getId())).stream().findFirst().orElse(null);
        Reviewers.Resolved who = new Reviewers(session, realm).of(entry == null ? null : entry.owner());
        if (caller == null || !who.userIds().contains(caller.getId())) {
            throw ReviewException.forbidden("only the owner of " + client.getClientId() + " (or, without an active owner, an approver)"
                    + " may revalidate it");
        }
        UserModel sa = session.users().getServiceAccount(client);
        Removed removed = removed(n);
        List<String> notRestored = new ArrayList<>();
        String reason = "revalidated by " + caller.getUsername() + (comment == null || comment.isBlank() ? "" : ": " + comment);
        LifecycleActions.Outcome o = new LifecycleActions(session, realm, events).act(client, RESTORE, "restored",
                "revalidated:" + n.getId(), reason, () -> {
                    for (Ref r : removed.roles()) {
                        RoleModel role = session.roles().getRoleById(realm, r.id());
                        if (role == null || sa == null) {
                            notRestored.add(r.name());
                        } else if (!NarrowingPins.of(role).equals(r.pin())) {
                            notRestored.add(r.name() + CHANGED);
                        } else if (!sa.hasDirectRole(role)) {
                            sa.grantRole(role);
                        }
                    }
                    for (Ref g : removed.groups()) {
                        GroupModel group = session.groups().getGroupById(realm, g.id());
                        if (group == null || sa == null) {
                            notRestored.add(g.name());
                        } else if (!NarrowingPins.of(group).equals(g.pin())) {
                            notRestored.add(g.name() + CHANGED);
                        } else if (!sa.isMemberOf(group)) {
                            sa.joinGroup(group);
                        }
                    }
                    n.setState(RESTORED);
                    n.setActiveKey(null);
                    n.setRestoredAt(AgentClock.now(session, realm).toEpochMilli());
                    n.setRestoredBy(caller.getId());
                });
        if (o == LifecycleActions.Outcome.RATE_LIMITED) {
            throw new ReviewException(ReviewException.Kind.RATE_LIMITED, "rate_limited", "automatic actions of realm " + realm.getName()
                    + " reached the lifecycle policy's hourly limit; try again later");
        }
        return view(n, client, notRestored);
    }

    /** Narrowings of the realm (or of one client), newest first. */
    public List<View> list(String clientUuid, int max) {
        var q = em(session).createQuery("select n from NarrowingEntity n where n.realmId = :realm"
                + (clientUuid == null ? "" : " and n.clientId = :client") + " order by n.createdAt desc", NarrowingEntity.class)
                .setParameter("realm", realm.getId()).setMaxResults(max);
        if (clientUuid != null) {
            q.setParameter("client", clientUuid);
        }
        List<View> out = new ArrayList<>();
        for (NarrowingEntity n : q.getResultList()) {
            out.add(view(n, realm.getClientById(n.getClientId()), List.of()));
        }
        return out;
    }

    private View view(NarrowingEntity n, ClientModel client, List<String> notRestored) {
        return new View(n.getId(), n.getClientId(), client == null ? null : client.getClientId(), n.getState(), n.getTrigger(), n.getReason(),
                removed(n), Instant.ofEpochMilli(n.getCreatedAt()).toString(),
                n.getRestoredAt() == null ? null : Instant.ofEpochMilli(n.getRestoredAt()).toString(), n.getRestoredBy(),
                List.copyOf(notRestored));
    }

    private NarrowingEntity active(String clientUuid, boolean lock) {
        List<NarrowingEntity> found = em(session).createQuery("select n from NarrowingEntity n where n.realmId = :realm"
                        + " and n.clientId = :client and n.state = :s", NarrowingEntity.class)
                .setParameter("realm", realm.getId()).setParameter("client", clientUuid).setParameter("s", ACTIVE)
                .setLockMode(lock ? LockModeType.PESSIMISTIC_WRITE : LockModeType.NONE).getResultList();
        return found.isEmpty() ? null : found.get(0);
    }

    private static Removed removed(NarrowingEntity n) {
        try {
            return Snapshots.JSON.readValue(n.getRemoved(), Removed.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable narrowing record " + n.getId(), e);
        }
    }

    private static EntityManager em(KeycloakSession session) {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
