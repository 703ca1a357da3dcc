package dev.nhiguard.agent.inventory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceException;
import jakarta.persistence.TypedQuery;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.lifecycle.LifecyclePolicy;
import dev.nhiguard.agent.store.InventoryRealmEntity;
import dev.nhiguard.agent.store.InventoryRowEntity;

/**
 * The inventory's index: one row per service-account client ({@code NHI_INVENTORY_ROW}) holding
 * what the inventory filters and sorts on, so that a page costs a filtered, ordered, limited
 * query plus the full entries of the rows on the page.
 *
 * <p>Kept current in the changing transaction where it can: {@link #touch} marks one row (agent
 * registry writes, secret rotation, narrowing, admin changes of a client or its service-account
 * user), {@link #realmChanged} marks the realm (role composites, group roles, imports: anything
 * that can change many rows' privilege closure), {@link #removed} drops a row. Before a page is
 * read, marked rows are recomputed from the models, a marked realm gets one full pass, and rows
 * of service accounts created without an event (realm import, partial import) are added.
 * Owner state, narrowing and last use are not copied: the query reads them live from their own
 * tables. Time-relative flags are predicates on stored timestamps against now and the policy.
 *
 * <p>Never a source of security decisions: token refusal and the lifecycle read the models.
 */
public final class InventoryIndex {

    private static final Logger LOG = Logger.getLogger(InventoryIndex.class);
    private static final String ROW = "InventoryRowEntity";

    private final KeycloakSession session;
    private final RealmModel realm;

    public InventoryIndex(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /** One page of matching entries, built from the models, and how many entries match. */
    public record Page(long total, List<InventoryEntry> items) {
    }

    /**
     * Marks one client's row for recomputation. The marks of a transaction are collected and
     * written once, just before it commits (see {@link Marks}), so an import raising thousands of
     * events does not run thousands of statements (each would flush the persistence context).
     */
    public static void touch(KeycloakSession session, String realmId, String clientUuid) {
        Marks.of(session).touch(realmId, clientUuid);
    }

    /** Marks the realm for one full pass before its next page (many rows may have changed). */
    public static void realmChanged(KeycloakSession session, String realmId) {
        Marks.of(session).realmChanged(realmId);
    }

    /** Drops a deleted client's row. */
    public static void removed(KeycloakSession session, String realmId, String clientUuid) {
        Marks.of(session).removed(realmId, clientUuid);
    }

    /**
     * The index marks of one session's transaction, written in its prepare phase (same database
     * transaction, before the commit). Every writer of the index takes the realm's state row
     * first (a no-op update), here and in a refresh, so writers never wait on each other in
     * opposite orders. A realm without an index yet needs no marks: its first page builds it.
     */
    static final class Marks extends org.keycloak.models.AbstractKeycloakTransaction {
        private static final String ATTRIBUTE = Marks.class.getName();
        private final KeycloakSession session;
        private final Map<String, java.util.Set<String>> touched = new LinkedHashMap<>();
        private final Map<String, java.util.Set<String>> gone = new LinkedHashMap<>();
        private final java.util.Set<String> stale = new java.util.LinkedHashSet<>();

        private Marks(KeycloakSession session) {
            this.session = session;
        }

        static Marks of(KeycloakSession session) {
            Marks m = session.getAttribute(ATTRIBUTE, Marks.class);
            if (m == null) {
                m = new Marks(session);
                session.setAttribute(ATTRIBUTE, m);
                session.getTransactionManager().enlistPrepare(m);
            }
            return m;
        }

        void touch(String realmId, String clientUuid) {
            touched.computeIfAbsent(realmId, k -> new java.util.TreeSet<>()).add(clientUuid);
        }

        void realmChanged(String realmId) {
            stale.add(realmId);
        }

        void removed(String realmId, String clientUuid) {
            gone.computeIfAbsent(realmId, k -> new java.util.TreeSet<>()).add(clientUuid);
        }

        @Override
        protected void commitImpl() {
            session.removeAttribute(ATTRIBUTE);
            java.util.Set<String> realms = new java.util.TreeSet<>(touched.keySet());
            realms.addAll(gone.keySet());
            realms.addAll(stale);
            EntityManager em = em(session);
            for (String realmId : realms) {
                if (em.createQuery("update InventoryRealmEntity s set s.stale = s.stale" + (stale.contains(realmId) ? " + 1" : "")
                        + " where s.realmId = :realm").setParameter("realm", realmId).executeUpdate() == 0) {
                    continue;
                }
                for (List<String> ids : chunks(gone.getOrDefault(realmId, java.util.Set.of()))) {
                    em.createQuery("delete from " + ROW + " r where r.clientUuid in :ids").setParameter("ids", ids).executeUpdate();
                }
                for (List<String> ids : chunks(touched.getOrDefault(realmId, java.util.Set.of()))) {
                    em.createQuery("update " + ROW + " r set r.pending = r.pending + 1 where r.clientUuid in :ids")
                            .setParameter("ids", ids).executeUpdate();
                }
            }
        }

        @Override
        protected void rollbackImpl() {
            session.removeAttribute(ATTRIBUTE);
        }

        private static List<List<String>> chunks(java.util.Set<String> ids) {
            List<String> all = new ArrayList<>(ids);
            List<List<String>> out = new ArrayList<>();
            for (int i = 0; i < all.size(); i += 500) {
                out.add(all.subList(i, Math.min(all.size(), i + 500)));
            }
            return out;
        }
    }

    /** Drops a deleted realm's rows and state. */
    public static void realmRemoved(KeycloakSession session, String realmId) {
        em(session).createQuery("delete from " + ROW + " r where r.realmId = :realm").setParameter("realm", realmId).executeUpdate();
        em(session).createQuery("delete from InventoryRealmEntity s where s.realmId = :realm").setParameter("realm", realmId).executeUpdate();
    }

    /**
     * The page, or null when the realm's index is being built by another request right now (the
     * caller then evaluates the models directly).
     */
    public Page page(InventoryFilter filter, int first, int max) {
        if (!ready()) {
            return null;
        }
        Instant now = dev.nhiguard.agent.registry.AgentClock.now(session, realm);
        Page page = query(filter, now, first, max, true);
        return page != null ? page : query(filter, now, first, max, false);
    }

    /**
     * The page from the index, its entries from the models. If a row on the page disagrees with
     * its model, the row is fixed and (when {@code retry}) null is answered so the query runs
     * again; without retry, entries that do not match by their model are left out.
     */
    private Page query(InventoryFilter filter, Instant now, int first, int max, boolean retry) {
        EntityManager em = em(session);
        Map<String, Object> params = new HashMap<>();
        String where = where(filter, now, params);
        TypedQuery<Long> count = em.createQuery("select count(r) from " + ROW + " r where " + where, Long.class);
        TypedQuery<InventoryRowEntity> rows = em.createQuery("select r from " + ROW + " r where " + where + " order by r.sortKey",
                InventoryRowEntity.class);
        params.forEach((k, v) -> {
            count.setParameter(k, v);
            rows.setParameter(k, v);
        });
        long total = count.getSingleResult();
        List<InventoryRowEntity> pageRows = rows.setFirstResult(first).setMaxResults(max).getResultList();

        Map<String, InventoryEntry> byId = new HashMap<>();
        for (InventoryEntry e : new Inventory(session, realm).entries(pageRows.stream().map(InventoryRowEntity::getClientUuid).toList())) {
            byId.put(e.id(), e);
        }
        List<InventoryEntry> items = new ArrayList<>(pageRows.size());
        boolean fixed = false;
        for (InventoryRowEntity r : pageRows) {
            InventoryEntry e = byId.get(r.getClientUuid());
            if (e == null) {
                em.remove(r);
                fixed = true;
                continue;
            }
            IndexRow truth = IndexRow.of(realm.getId(), e);
            if (!truth.equals(IndexRow.of(r))) {
                LOG.infof("realm %s: inventory index row of %s disagreed with the model; fixed", realm.getName(), e.clientId());
                truth.applyTo(r);
                fixed = true;
            }
            if (filter.test(e)) {
                items.add(e);
            }
        }
        if (fixed) {
            em.flush();
            if (retry) {
                return null;
            }
        }
        return new Page(total, items);
    }

    /** JPQL condition of the filter on row {@code r}; fills {@code params}. */
    private String where(InventoryFilter f, Instant now, Map<String, Object> params) {
        StringBuilder w = new StringBuilder("r.realmId = :realm");
        params.put("realm", realm.getId());
        if (f.agent() != null) {
            w.append(" and r.agent = :agent");
            params.put("agent", f.agent());
        }
        if (f.search() != null) {
            w.append(" and r.searchKey like :search escape '!'");
            params.put("search", "%" + f.search().toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
        }
        if (f.owner() != null) {
            w.append(" and r.ownerType is not null and r.ownerId = :owner");
            params.put("owner", f.owner());
        }
        if (f.horizon() != null) {
            w.append(" and r.expiresAt is not null and r.expiresAt <= :horizon");
            params.put("horizon", f.horizon().toEpochMilli());
        }
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        for (String flag : f.flags()) {
            switch (flag) {
                case Inventory.FLAG_NO_OWNER -> w.append(" and (r.ownerType is null or r.ownerId is null)");
                case Inventory.FLAG_ORPHANED -> w.append(" and r.ownerType is not null and r.ownerId is not null and not (")
                        .append(active("r.ownerType", "r.ownerId", "o1")).append(") and not (r.agent = true and r.owner2Id is not null and (")
                        .append(active("r.owner2Type", "r.owner2Id", "o2")).append("))");
                case Inventory.FLAG_DORMANT -> {
                    w.append(" and (exists (select cu.clientId from ClientUsageEntity cu where cu.clientId = r.clientUuid"
                            + " and cu.lastUsed <= :dormant) or (not exists (select cn.clientId from ClientUsageEntity cn"
                            + " where cn.clientId = r.clientUuid) and (r.createdAt is null or r.createdAt <= :dormant)))");
                    params.put("dormant", now.minus(Duration.ofDays(policy.dormantDays())).toEpochMilli());
                }
                case Inventory.FLAG_ROTATION_OVERDUE -> {
                    w.append(" and r.secretAuth = true and (r.secretAt is null or r.secretAt <= :rotation)");
                    params.put("rotation", now.minus(Duration.ofDays(policy.rotationDays())).toEpochMilli());
                }
                case Inventory.FLAG_OVER_PRIVILEGED -> w.append(" and r.overPrivileged = true");
                case Inventory.FLAG_EXPIRED -> {
                    w.append(" and r.agent = true and (r.expiresAt is null or r.expiresAt <= :now)");
                    params.put("now", now.toEpochMilli());
                }
                case Inventory.FLAG_SUSPENDED -> w.append(" and r.suspended = true");
                case Inventory.FLAG_NARROWED -> {
                    w.append(" and exists (select n.id from NarrowingEntity n where n.clientId = r.clientUuid"
                            + " and n.realmId = :realm and n.state = :narrowed)");
                    params.put("narrowed", "ACTIVE");
                }
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        return w.toString();
    }

    /** An owner is active: an enabled user, or a group, of this realm (as {@link Inventory} decides it). */
    private static String active(String type, String id, String alias) {
        return "(" + type + " = 'user' and exists (select " + alias + "u.id from UserEntity " + alias + "u where " + alias + "u.id = " + id
                + " and " + alias + "u.realmId = :realm and " + alias + "u.enabled = true)) or (" + type + " = 'group' and exists (select "
                + alias + "g.id from GroupEntity " + alias + "g where " + alias + "g.id = " + id + " and " + alias + "g.realm = :realm))";
    }

    /**
     * Brings the realm's rows up to date: built on first use (once across the cluster: the state
     * row's primary key), then marked rows recomputed, a marked realm passed over in full, and
     * service accounts without a row added. False when another request is building the index.
     */
    boolean ready() {
        EntityManager em = em(session);
        InventoryRealmEntity state = em.find(InventoryRealmEntity.class, realm.getId());
        if (state == null) {
            build();
            state = em.find(InventoryRealmEntity.class, realm.getId());
            if (state == null) {
                return false;
            }
        }
        long accounts = em.createQuery("select count(u) from UserEntity u where u.realmId = :realm and u.serviceAccountClientLink is not null",
                Long.class).setParameter("realm", realm.getId()).getSingleResult();
        long indexed = em.createQuery("select count(r) from " + ROW + " r where r.realmId = :realm", Long.class)
                .setParameter("realm", realm.getId()).getSingleResult();
        boolean pending = !em.createQuery("select r.clientUuid from " + ROW + " r where r.realmId = :realm and r.pending > 0", String.class)
                .setParameter("realm", realm.getId()).setMaxResults(1).getResultList().isEmpty();
        if (state.getStale() == 0 && accounts == indexed && !pending) {
            return true;
        }
        // One refresher at a time per realm; changes committed meanwhile stay marked for the next one.
        em.refresh(state, LockModeType.PESSIMISTIC_WRITE);
        if (state.getStale() > 0) {
            fullPass();
            state.setStale(0);
        } else {
            if (accounts != indexed) {
                reconcile();
            }
            refreshPending();
        }
        em.flush();
        return true;
    }

    /** First use in this realm: insert the state row (the guard), then every row, in a transaction of its own. */
    private void build() {
        String realmId = realm.getId();
        long start = System.nanoTime();
        try {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                RealmModel r = s.realms().getRealm(realmId);
                if (r == null) {
                    return;
                }
                s.getContext().setRealm(r);
                EntityManager em = em(s);
                InventoryRealmEntity state = new InventoryRealmEntity();
                state.setRealmId(realmId);
                state.setBuiltAt(System.currentTimeMillis());
                em.persist(state);
                em.flush();
                int n = 0;
                for (InventoryEntry e : new Inventory(s, r).all()) {
                    insert(em, IndexRow.of(realmId, e));
                    if (++n % 500 == 0) {
                        em.flush();
                        em.clear();
                    }
                }
            });
            LOG.infof("realm %s: inventory index built in %d ms", realm.getName(), (System.nanoTime() - start) / 1_000_000);
        } catch (PersistenceException e) {
            // Another request or node built it (or is building it): its state row won.
            LOG.debugf(e, "realm %s: inventory index built concurrently", realm.getName());
        } catch (RuntimeException e) {
            LOG.warnf(e, "realm %s: could not build the inventory index", realm.getName());
        }
    }

    /** Recomputes every row of the realm from the models; writes only the rows that differ. */
    private void fullPass() {
        EntityManager em = em(session);
        Map<String, Integer> seen = pendingCounts(em);
        // Entries first: model loads run queries, and each query would dirty-check every managed row.
        List<InventoryEntry> entries = new Inventory(session, realm).all();
        Map<String, InventoryRowEntity> rows = new LinkedHashMap<>();
        for (InventoryRowEntity r : em.createQuery("select r from " + ROW + " r where r.realmId = :realm", InventoryRowEntity.class)
                .setParameter("realm", realm.getId()).getResultList()) {
            rows.put(r.getClientUuid(), r);
        }
        int changed = 0;
        for (InventoryEntry e : entries) {
            IndexRow truth = IndexRow.of(realm.getId(), e);
            InventoryRowEntity r = rows.remove(e.id());
            if (r == null) {
                insert(em, truth);
                changed++;
            } else if (!truth.equals(IndexRow.of(r))) {
                truth.applyTo(r);
                changed++;
            }
        }
        rows.values().forEach(em::remove);
        em.flush();
        settle(em, seen);
        LOG.debugf("realm %s: inventory full pass, %d rows changed, %d removed", realm.getName(), changed, rows.size());
    }

    /** Adds rows for service accounts that have none (created without an event) and drops rows whose service account is gone. */
    private void reconcile() {
        EntityManager em = em(session);
        List<String> missing = em.createQuery("select u.serviceAccountClientLink from UserEntity u where u.realmId = :realm"
                + " and u.serviceAccountClientLink is not null and not exists (select r.clientUuid from " + ROW
                + " r where r.clientUuid = u.serviceAccountClientLink)", String.class).setParameter("realm", realm.getId()).getResultList();
        for (InventoryEntry e : new Inventory(session, realm).entries(missing)) {
            insert(em, IndexRow.of(realm.getId(), e));
        }
        em.createQuery("delete from " + ROW + " r where r.realmId = :realm and not exists (select u.id from UserEntity u"
                + " where u.realmId = :realm and u.serviceAccountClientLink = r.clientUuid)").setParameter("realm", realm.getId()).executeUpdate();
        em.flush();
    }

    /** Recomputes the marked rows. */
    private void refreshPending() {
        EntityManager em = em(session);
        Map<String, Integer> seen = pendingCounts(em);
        if (seen.isEmpty()) {
            return;
        }
        Map<String, InventoryEntry> truth = new HashMap<>();
        new Inventory(session, realm).entries(seen.keySet()).forEach(e -> truth.put(e.id(), e));
        for (InventoryRowEntity r : em.createQuery("select r from " + ROW + " r where r.realmId = :realm and r.pending > 0",
                InventoryRowEntity.class).setParameter("realm", realm.getId()).getResultList()) {
            InventoryEntry e = truth.get(r.getClientUuid());
            if (e == null) {
                if (seen.containsKey(r.getClientUuid())) {
                    em.remove(r);
                }
                continue;
            }
            IndexRow.of(realm.getId(), e).applyTo(r);
        }
        em.flush();
        settle(em, seen);
    }

    private Map<String, Integer> pendingCounts(EntityManager em) {
        Map<String, Integer> seen = new HashMap<>();
        for (Object[] p : em.createQuery("select r.clientUuid, r.pending from " + ROW + " r where r.realmId = :realm and r.pending > 0",
                Object[].class).setParameter("realm", realm.getId()).getResultList()) {
            seen.put((String) p[0], (Integer) p[1]);
        }
        return seen;
    }

    /** Takes back the marks that were folded in; marks added meanwhile stay. */
    private static void settle(EntityManager em, Map<String, Integer> seen) {
        seen.forEach((id, n) -> em.createQuery("update " + ROW + " r set r.pending = r.pending - :n where r.clientUuid = :id and r.pending >= :n")
                .setParameter("n", n).setParameter("id", id).executeUpdate());
    }

    private static void insert(EntityManager em, IndexRow row) {
        InventoryRowEntity r = new InventoryRowEntity();
        row.applyTo(r);
        em.persist(r);
    }

    private static EntityManager em(KeycloakSession session) {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
