package dev.nhiguard.agent.inventory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;

import org.keycloak.models.AdminRoles;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * The service-account clients of a realm whose effective roles include an admin role
 * ({@code OVER_PRIVILEGED}), found in SQL from the role side: the admin roles, every role that
 * contains one through composites (upwards, one query per composite level), the groups mapped to
 * any of those and their subgroups (one query per level), and the service-account users holding
 * one of those roles directly or a membership in one of those groups. What it costs grows with
 * the roles, groups and privileged accounts involved, not with the realm's service accounts;
 * nothing is loaded through the models. Same rule as {@link Inventory}'s entries (any role of
 * {@code realm-management}; in the admin realm also the {@code *-realm} clients' roles and
 * {@code admin}), so the two agree (the index IT compares them). Fine-grained admin permissions
 * count as in {@link Inventory} ({@link FineGrainedAdministrators}): the roles their policies name
 * join the admin roles before the composites are followed upwards, the groups join the mapped
 * groups before the subgroups are followed, the users count directly; a policy that may admit
 * anyone makes every service account of the realm over-privileged.
 */
final class PrivilegedAccounts {

    /** Largest IN list per statement. */
    private static final int CHUNK = 500;

    private PrivilegedAccounts() {
    }

    /** Client UUIDs of the realm's over-privileged service accounts. */
    static Set<String> of(KeycloakSession session, EntityManager em, RealmModel realm) {
        String realmId = realm.getId();
        FineGrainedAdministrators fineGrained = FineGrainedAdministrators.of(session, realm);
        if (fineGrained.anyone()) {
            return new HashSet<>(em.createQuery("select u.serviceAccountClientLink from UserEntity u where u.realmId = :realm"
                    + " and u.serviceAccountClientLink is not null", String.class).setFlushMode(FlushModeType.COMMIT)
                    .setParameter("realm", realmId).getResultList());
        }
        boolean adminRealm = org.keycloak.Config.getAdminRealm().equals(realm.getName());

        // The admin clients by name (exact match re-checked here: a database collation may compare case-insensitively).
        List<String> adminClients = new ArrayList<>();
        for (Object[] c : em.createQuery("select c.id, c.clientId from ClientEntity c where c.realmId = :realm and (c.clientId = :rm"
                        + (adminRealm ? " or c.clientId like '%-realm'" : "") + ")", Object[].class)
                .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realmId).setParameter("rm", Constants.REALM_MANAGEMENT_CLIENT_ID)
                .getResultList()) {
            String clientId = (String) c[1];
            if (Constants.REALM_MANAGEMENT_CLIENT_ID.equals(clientId) || (adminRealm && clientId != null && clientId.endsWith("-realm"))) {
                adminClients.add((String) c[0]);
            }
        }
        Set<String> roles = new HashSet<>();
        for (List<String> ids : chunks(adminClients)) {
            roles.addAll(em.createQuery("select r.id from RoleEntity r where r.clientRole = true and r.clientId in :ids", String.class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("ids", ids).getResultList());
        }
        if (adminRealm) {
            for (Object[] r : em.createQuery("select r.id, r.name from RoleEntity r where r.clientRole = false and r.realmId = :realm"
                    + " and r.name = :admin", Object[].class).setFlushMode(FlushModeType.COMMIT).setParameter("realm", realmId).setParameter("admin", AdminRoles.ADMIN).getResultList()) {
                if (AdminRoles.ADMIN.equals(r[1])) {
                    roles.add((String) r[0]);
                }
            }
        }
        roles.addAll(fineGrained.roleIds());
        // Upwards through composites: every role whose closure contains one found so far.
        Collection<String> frontier = new ArrayList<>(roles);
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (List<String> ids : chunks(frontier)) {
                for (String parent : em.createQuery("select c.parentRole.id from CompositeRoleEntity c where c.childRole.id in :ids",
                        String.class).setFlushMode(FlushModeType.COMMIT).setParameter("ids", ids).getResultList()) {
                    if (roles.add(parent)) {
                        next.add(parent);
                    }
                }
            }
            frontier = next;
        }
        // Groups mapped to one of them, and downwards their subgroups (members inherit a parent's roles).
        Set<String> groups = new HashSet<>();
        for (List<String> ids : chunks(roles)) {
            groups.addAll(em.createQuery("select m.group.id from GroupRoleMappingEntity m where m.roleId in :ids", String.class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("ids", ids).getResultList());
        }
        groups.addAll(fineGrained.groupIds());
        frontier = new ArrayList<>(groups);
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (List<String> ids : chunks(frontier)) {
                for (String child : em.createQuery("select g.id from GroupEntity g where g.realm = :realm and g.parentId in :ids", String.class)
                        .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realmId).setParameter("ids", ids).getResultList()) {
                    if (groups.add(child)) {
                        next.add(child);
                    }
                }
            }
            frontier = next;
        }
        Set<String> accounts = new HashSet<>();
        for (List<String> ids : chunks(fineGrained.userIds())) {
            accounts.addAll(em.createQuery("select u.serviceAccountClientLink from UserEntity u where u.id in :ids"
                    + " and u.realmId = :realm and u.serviceAccountClientLink is not null", String.class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("ids", ids).setParameter("realm", realmId).getResultList());
        }
        for (List<String> ids : chunks(roles)) {
            accounts.addAll(em.createQuery("select m.user.serviceAccountClientLink from UserRoleMappingEntity m where m.roleId in :ids"
                    + " and m.user.realmId = :realm and m.user.serviceAccountClientLink is not null", String.class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("ids", ids).setParameter("realm", realmId).getResultList());
        }
        for (List<String> ids : chunks(groups)) {
            accounts.addAll(em.createQuery("select m.user.serviceAccountClientLink from UserGroupMembershipEntity m where m.groupId in :ids"
                    + " and m.user.realmId = :realm and m.user.serviceAccountClientLink is not null", String.class)
                    .setFlushMode(FlushModeType.COMMIT).setParameter("ids", ids).setParameter("realm", realmId).getResultList());
        }
        return accounts;
    }

    static List<List<String>> chunks(Collection<String> ids) {
        List<String> all = new ArrayList<>(ids);
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += CHUNK) {
            out.add(all.subList(i, Math.min(all.size(), i + CHUNK)));
        }
        return out;
    }
}
