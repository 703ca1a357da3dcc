package dev.nhiguard.agent.inventory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.AdminRoles;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientSecretConstants;
import org.keycloak.models.Constants;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.lifecycle.LifecyclePolicy;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.registry.Delegation;
import dev.nhiguard.agent.review.RiskNarrowing;

/**
 * Builds the inventory of a realm's service-account clients with a fixed number of queries
 * (service-account users, their role and group mappings, usage rows), whatever the size.
 */
public final class Inventory {

    public static final String FLAG_NO_OWNER = "NO_OWNER";
    public static final String FLAG_ORPHANED = "ORPHANED";
    public static final String FLAG_DORMANT = "DORMANT";
    public static final String FLAG_ROTATION_OVERDUE = "ROTATION_OVERDUE";
    public static final String FLAG_OVER_PRIVILEGED = "OVER_PRIVILEGED";
    public static final String FLAG_EXPIRED = "EXPIRED";
    public static final String FLAG_SUSPENDED = "SUSPENDED";
    /** A risk narrowing took roles and groups away until the owner revalidates (see the review package). */
    public static final String FLAG_NARROWED = "NARROWED";
    public static final Set<String> FLAGS = Set.of(FLAG_NO_OWNER, FLAG_ORPHANED, FLAG_DORMANT, FLAG_ROTATION_OVERDUE,
            FLAG_OVER_PRIVILEGED, FLAG_EXPIRED, FLAG_SUSPENDED, FLAG_NARROWED);

    /** Generic owner/purpose attributes for service accounts that are not agents. */
    public static final String OWNER_TYPE = "nhi.owner.type";
    public static final String OWNER_ID = "nhi.owner.id";
    public static final String PURPOSE = "nhi.purpose";
    /** When the registry last set an agent's key binding. */
    public static final String BINDING_AT = "nhi.agent.binding.at";

    /** Above this many ids, {@link #entries} reads the whole realm once instead of an IN list. */
    static final int IN_LIST = 1000;

    private final KeycloakSession session;
    private final RealmModel realm;
    private final Map<String, Set<RoleModel>> expanded = new HashMap<>();
    private final Map<String, InventoryEntry.Owner> owners = new HashMap<>();
    private final Map<String, String> serviceAccountUserIds = new HashMap<>();
    private Set<String> narrowed = Set.of();
    private FineGrainedAdministrators fineGrained;

    public Inventory(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /** Every service-account client of the realm, ordered by clientId. */
    public List<InventoryEntry> all() {
        return entries((Map<String, String>) null);
    }

    /**
     * The entries of the given service-account clients (ids; null = every one of the realm),
     * ordered by clientId; clients that are gone or have no service account are left out.
     */
    public List<InventoryEntry> entries(java.util.Collection<String> clientUuids) {
        if (clientUuids == null) {
            return entries((Map<String, String>) null);
        }
        Map<String, String> unknown = new HashMap<>();
        clientUuids.forEach(id -> unknown.put(id, null));
        return entries(unknown);
    }

    /**
     * The entries of the given service-account clients (null = every one of the realm), each
     * mapped to its service-account user's id where the caller knows it (the index keeps it), else
     * to null; ordered by clientId; clients that are gone or have no service account are left out.
     *
     * <p>Up to {@value #IN_LIST} clients cost a fixed number of queries, each an IN list on a
     * leading index column (user ids on {@code USER_ENTITY}'s key and on the user index of the role
     * and group mapping tables, client ids on {@code NHI_CLIENT_USAGE}'s key), plus one indexed
     * lookup per client whose user id is unknown or no longer its service account. (An IN list on
     * the service-account link would filter the realm's users row by row: H2 uses an index for an
     * IN list on its first column only, and {@code IDX_USER_SERVICE_ACCOUNT} starts with the realm.)
     * Above that, one realm-wide pass.
     */
    public List<InventoryEntry> entries(Map<String, String> userIdByClient) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        if (userIdByClient != null && userIdByClient.isEmpty()) {
            return List.of();
        }
        boolean some = userIdByClient != null && userIdByClient.size() <= IN_LIST;
        List<Object[]> users;
        Map<String, List<String>> directRoleIds;
        Map<String, List<String>> groupIds;
        Map<String, Object[]> usage = new HashMap<>();
        if (some) {
            users = serviceAccountUsers(em, userIdByClient);
            List<String> userIds = users.stream().map(u -> (String) u[0]).toList();
            List<String> clientIds = users.stream().map(u -> (String) u[1]).toList();
            directRoleIds = userIds.isEmpty() ? Map.of() : pairs(em.createQuery("select m.user.id, m.roleId from UserRoleMappingEntity m"
                    + " where m.user.id in :ids", Object[].class).setFlushMode(FlushModeType.COMMIT).setParameter("ids", userIds).getResultList());
            groupIds = userIds.isEmpty() ? Map.of() : pairs(em.createQuery("select m.user.id, m.groupId from UserGroupMembershipEntity m"
                    + " where m.user.id in :ids", Object[].class).setFlushMode(FlushModeType.COMMIT).setParameter("ids", userIds).getResultList());
            if (!clientIds.isEmpty()) {
                for (Object[] row : em.createQuery("select u.clientId, u.lastUsed, u.lastEvent from ClientUsageEntity u where u.clientId in :ids"
                        + " and u.realmId = :realm", Object[].class).setFlushMode(FlushModeType.COMMIT).setParameter("ids", clientIds)
                        .setParameter("realm", realm.getId()).getResultList()) {
                    usage.put((String) row[0], row);
                }
            }
        } else {
            users = em.createQuery("select u.id, u.serviceAccountClientLink, u.createdTimestamp from UserEntity u"
                    + " where u.realmId = :realm and u.serviceAccountClientLink is not null", Object[].class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).getResultList();
            directRoleIds = pairs(em.createQuery("select m.user.id, m.roleId from UserRoleMappingEntity m"
                    + " where m.user.realmId = :realm and m.user.serviceAccountClientLink is not null", Object[].class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).getResultList());
            groupIds = pairs(em.createQuery("select m.user.id, m.groupId from UserGroupMembershipEntity m"
                    + " where m.user.realmId = :realm and m.user.serviceAccountClientLink is not null", Object[].class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).getResultList());
            for (Object[] row : em.createQuery("select u.clientId, u.lastUsed, u.lastEvent from ClientUsageEntity u where u.realmId = :realm",
                    Object[].class).setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).getResultList()) {
                usage.put((String) row[0], row);
            }
        }
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        Instant now = AgentClock.now(session, realm);
        narrowed = RiskNarrowing.narrowedClients(session, realm);

        Set<String> wanted = userIdByClient == null || some ? null : userIdByClient.keySet();
        List<InventoryEntry> out = new ArrayList<>(users.size());
        for (Object[] u : users) {
            if (wanted != null && !wanted.contains((String) u[1])) {
                continue;
            }
            ClientModel client = realm.getClientById((String) u[1]);
            if (client == null) {
                continue;
            }
            String userId = (String) u[0];
            serviceAccountUserIds.put(client.getId(), userId);
            Long saCreated = (Long) u[2];
            out.add(entry(client, saCreated, directRoleIds.getOrDefault(userId, List.of()),
                    groupIds.getOrDefault(userId, List.of()), usage.get(client.getId()), policy, now));
        }
        out.sort(Comparator.comparing(InventoryEntry::clientId));
        return out;
    }

    /**
     * (user id, client id, created) of the clients' service-account users: by the known user ids in
     * one query, then one lookup by (realm, client) for each client not found that way.
     */
    private List<Object[]> serviceAccountUsers(EntityManager em, Map<String, String> userIdByClient) {
        List<Object[]> found = new ArrayList<>();
        List<String> known = userIdByClient.values().stream().filter(java.util.Objects::nonNull).distinct().toList();
        Set<String> resolved = new HashSet<>();
        if (!known.isEmpty()) {
            for (Object[] u : em.createQuery("select u.id, u.serviceAccountClientLink, u.createdTimestamp from UserEntity u"
                    + " where u.id in :ids and u.realmId = :realm", Object[].class).setFlushMode(FlushModeType.COMMIT)
                    .setParameter("ids", known).setParameter("realm", realm.getId()).getResultList()) {
                String client = (String) u[1];
                if (client != null && u[0].equals(userIdByClient.get(client)) && resolved.add(client)) {
                    found.add(u);
                }
            }
        }
        for (String client : userIdByClient.keySet()) {
            if (!resolved.contains(client)) {
                found.addAll(em.createQuery("select u.id, u.serviceAccountClientLink, u.createdTimestamp from UserEntity u"
                        + " where u.realmId = :realm and u.serviceAccountClientLink = :client", Object[].class)
                        .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).setParameter("client", client)
                        .setMaxResults(1).getResultList());
            }
        }
        return found;
    }

    /** The service-account user id of an entry the last {@link #entries} call built. */
    String serviceAccountUserId(String clientUuid) {
        return serviceAccountUserIds.get(clientUuid);
    }

    private InventoryEntry entry(ClientModel client, Long saCreated, List<String> roleIds, List<String> groups,
                                 Object[] usage, LifecyclePolicy policy, Instant now) {
        AgentRecord agent = AgentRecord.of(client);
        Set<String> flags = new TreeSet<>();

        InventoryEntry.Owner owner;
        String purpose;
        Instant created;
        if (agent != null) {
            owner = owner(agent.ownerType(), agent.ownerId());
            purpose = agent.purpose();
            created = agent.createdAt();
            if (agent.status() == AgentRecord.Status.SUSPENDED) {
                flags.add(FLAG_SUSPENDED);
            }
            if (agent.expiresAt() == null || !now.isBefore(agent.expiresAt())) {
                flags.add(FLAG_EXPIRED);
            }
        } else {
            owner = owner(client.getAttribute(OWNER_TYPE), client.getAttribute(OWNER_ID));
            purpose = client.getAttribute(PURPOSE) != null ? client.getAttribute(PURPOSE) : client.getDescription();
            created = saCreated == null ? null : Instant.ofEpochMilli(saCreated);
        }
        if (narrowed.contains(client.getId())) {
            flags.add(FLAG_NARROWED);
        }
        if (owner == null) {
            flags.add(FLAG_NO_OWNER);
        } else if (!"active".equals(owner.state()) && !(agent != null && client.getAttribute(AgentOwners.OWNER2_ID) != null
                && "active".equals(owner(client.getAttribute(AgentOwners.OWNER2_TYPE), client.getAttribute(AgentOwners.OWNER2_ID)).state()))) {
            // orphaned: no owner active (an agent's second owner counts)
            flags.add(FLAG_ORPHANED);
        }

        Instant lastUsed = usage == null ? null : Instant.ofEpochMilli((Long) usage[1]);
        Instant activity = lastUsed != null ? lastUsed : created;
        if (activity == null || Duration.between(activity, now).toDays() >= policy.dormantDays()) {
            flags.add(FLAG_DORMANT);
        }

        InventoryEntry.Credential credential = credential(client, agent, now);
        if ("client-secret".equals(credential.type()) || "client-secret-jwt".equals(credential.type())) {
            if (credential.ageDays() == null || credential.ageDays() >= policy.rotationDays()) {
                flags.add(FLAG_ROTATION_OVERDUE);
            }
        }

        Set<RoleModel> direct = new LinkedHashSet<>();
        for (String id : roleIds) {
            RoleModel r = session.roles().getRoleById(realm, id);
            if (r != null) {
                direct.add(r);
            }
        }
        Set<RoleModel> effective = new LinkedHashSet<>();
        for (RoleModel r : direct) {
            effective.addAll(expand(r));
        }
        Set<String> groupsAndAncestors = new HashSet<>();
        for (String gid : groups) {
            for (GroupModel g = session.groups().getGroupById(realm, gid); g != null && groupsAndAncestors.add(g.getId()); g = g.getParent()) {
                g.getRoleMappingsStream().forEach(r -> effective.addAll(expand(r)));
            }
        }
        if (effective.stream().anyMatch(this::isAdminRole) || fineGrained().reach(serviceAccountUserIds.get(client.getId()),
                groupsAndAncestors, effective.stream().map(RoleModel::getId).toList())) {
            flags.add(FLAG_OVER_PRIVILEGED);
        }

        InventoryEntry.LastAction last = agent == null || agent.statusChangedAt() == null ? null
                : new InventoryEntry.LastAction(agent.status() == null ? null : agent.status().name(), agent.statusReason(),
                agent.statusChangedAt().toString());
        return new InventoryEntry(client.getId(), client.getClientId(), client.isEnabled(), agent != null,
                agent == null || agent.status() == null ? null : agent.status().name(), owner, purpose,
                created == null ? null : created.toString(), lastUsed == null ? null : lastUsed.toString(),
                usage == null ? null : (String) usage[2], credential,
                new InventoryEntry.Roles(names(direct), names(effective)), List.copyOf(flags), last,
                agent == null || agent.expiresAt() == null ? null : agent.expiresAt().toString(),
                agent == null || client.getAttribute(AgentOwners.OWNER2_ID) == null ? null
                        : owner(client.getAttribute(AgentOwners.OWNER2_TYPE), client.getAttribute(AgentOwners.OWNER2_ID)),
                agent == null ? null : AgentOwners.latch(client), agent == null ? null : mayActFor(client));
    }

    private InventoryEntry.MayActFor mayActFor(ClientModel client) {
        Delegation d = Delegation.of(client);
        List<String> users = new ArrayList<>();
        for (String id : d.userIds()) {
            UserModel u = session.users().getUserById(realm, id);
            users.add(u == null ? id : u.getUsername());
        }
        List<String> groups = new ArrayList<>();
        for (String id : d.groupIds()) {
            GroupModel g = session.groups().getGroupById(realm, id);
            groups.add(g == null ? id : KeycloakModelUtils.buildGroupPath(g));
        }
        return new InventoryEntry.MayActFor(d.owner(), users, groups, d.consented());
    }

    private InventoryEntry.Credential credential(ClientModel client, AgentRecord agent, Instant now) {
        String type = client.getClientAuthenticatorType();
        Instant set = null;
        if ("client-secret".equals(type) || "client-secret-jwt".equals(type)) {
            set = epochSeconds(client.getAttribute(ClientSecretConstants.CLIENT_SECRET_CREATION_TIME));
        } else if (agent != null) {
            set = iso(client.getAttribute(BINDING_AT));
            if (set == null) {
                set = agent.createdAt();
            }
        }
        Long age = set == null ? null : Math.max(0, Duration.between(set, now).toDays());
        return new InventoryEntry.Credential(type, set == null ? null : set.toString(), age);
    }

    private InventoryEntry.Owner owner(String type, String id) {
        if (type == null || id == null) {
            return null;
        }
        return owners.computeIfAbsent(type + ":" + id, k -> {
            if ("user".equals(type)) {
                UserModel u = session.users().getUserById(realm, id);
                return new InventoryEntry.Owner(type, id, u == null ? null : u.getUsername(),
                        u == null ? "missing" : u.isEnabled() ? "active" : "disabled");
            }
            if ("group".equals(type)) {
                GroupModel g = session.groups().getGroupById(realm, id);
                return new InventoryEntry.Owner(type, id, g == null ? null : KeycloakModelUtils.buildGroupPath(g),
                        g == null ? "missing" : AgentOwners.hasActiveMember(session, realm, g) ? "active" : "disabled");
            }
            return new InventoryEntry.Owner(type, id, null, "missing");
        });
    }

    /** Whom the realm's fine-grained admin permissions make an administrator, read once per inventory. */
    private FineGrainedAdministrators fineGrained() {
        if (fineGrained == null) {
            fineGrained = FineGrainedAdministrators.of(session, realm);
        }
        return fineGrained;
    }

    private Set<RoleModel> expand(RoleModel role) {
        Set<RoleModel> cached = expanded.get(role.getId());
        if (cached != null) {
            return cached;
        }
        Set<RoleModel> out = new LinkedHashSet<>();
        Set<String> seen = new HashSet<>();
        List<RoleModel> todo = new ArrayList<>(List.of(role));
        while (!todo.isEmpty()) {
            RoleModel r = todo.remove(todo.size() - 1);
            if (seen.add(r.getId())) {
                out.add(r);
                if (r.isComposite()) {
                    r.getCompositesStream().forEach(todo::add);
                }
            }
        }
        expanded.put(role.getId(), out);
        return out;
    }

    /** Roles of Keycloak's admin API: any role of realm-management, and in master the realm-admin clients and the admin role. */
    private boolean isAdminRole(RoleModel role) {
        if (!role.isClientRole()) {
            return AdminRoles.ADMIN.equals(role.getName()) && org.keycloak.Config.getAdminRealm().equals(realm.getName());
        }
        ClientModel c = (ClientModel) role.getContainer();
        return Constants.REALM_MANAGEMENT_CLIENT_ID.equals(c.getClientId())
                || (org.keycloak.Config.getAdminRealm().equals(realm.getName()) && c.getClientId().endsWith("-realm"));
    }

    private static List<String> names(Set<RoleModel> roles) {
        TreeSet<String> out = new TreeSet<>();
        for (RoleModel r : roles) {
            out.add(r.isClientRole() ? ((ClientModel) r.getContainer()).getClientId() + "/" + r.getName() : r.getName());
        }
        return List.copyOf(out);
    }

    private static Map<String, List<String>> pairs(List<Object[]> rows) {
        Map<String, List<String>> out = new HashMap<>();
        for (Object[] row : rows) {
            out.computeIfAbsent((String) row[0], k -> new ArrayList<>()).add((String) row[1]);
        }
        return out;
    }

    private static Instant epochSeconds(String v) {
        try {
            return v == null ? null : Instant.ofEpochSecond(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Instant iso(String v) {
        try {
            return v == null ? null : Instant.parse(v);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
