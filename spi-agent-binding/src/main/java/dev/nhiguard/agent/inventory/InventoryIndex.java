package dev.nhiguard.agent.inventory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceException;
import jakarta.persistence.TypedQuery;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.lifecycle.LifecyclePolicy;
import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.store.InventoryRealmEntity;
import dev.nhiguard.agent.store.InventoryRowEntity;

/**
 * The inventory's index: one row per service-account client ({@code NHI_INVENTORY_ROW}) holding
 * what the inventory filters and sorts on, so that a page costs a filtered, ordered, limited
 * query plus the full entries of the rows on the page.
 *
 * <p>Kept current in the changing transaction where it can: {@link #touch} marks one row (agent
 * registry writes, secret rotation, narrowing, admin changes of a client or its service-account
 * user), {@link #realmChanged} marks the realm's privilege data (role composites, group roles:
 * anything that can change many rows' privilege closure), {@link #everythingChanged} marks every
 * row (partial import), {@link #removed} drops a row. Before a page is read, in bounded steps of
 * their own ({@link #refresh}): a marked realm's {@code OVER_PRIVILEGED} flags are recomputed in
 * SQL from the role side ({@link PrivilegedAccounts}), rows are added for service accounts that have
 * none when the realm is marked for it (a client created or changed without a row, an import), and
 * marked rows are recomputed from the models. What a page checks is the realm's state row and one
 * indexed probe for marked rows: nothing on a page counts the realm. Service accounts that appear
 * without any event Keycloak publishes are found by the scheduled check ({@link #check}), which
 * compares the realm's service accounts with its rows.
 * Owner state, narrowing and last use are not copied: the query reads them live from their own
 * tables. Time-relative flags are predicates on stored timestamps against now and the policy.
 *
 * <p>Never a source of security decisions: token refusal and the lifecycle read the models.
 */
public final class InventoryIndex {

    private static final Logger LOG = Logger.getLogger(InventoryIndex.class);
    private static final String ROW = "InventoryRowEntity";
    /**
     * A service-account user {@code u} of realm {@code :realm} whose client exists and has no row (a user left
     * linked to a deleted client has no entry, so it needs none).
     */
    private static final String WITHOUT_ROW = "u.realmId = :realm and u.serviceAccountClientLink is not null"
            + " and exists (select c.id from ClientEntity c where c.id = u.serviceAccountClientLink)"
            + " and not exists (select r.clientUuid from " + ROW + " r where r.clientUuid = u.serviceAccountClientLink)";
    /** A row {@code r} of realm {@code :realm} whose activity is not its client's recorded last use. */
    private static final String ACTIVITY_BEHIND = "r.realmId = :realm and exists (select cu.clientId from ClientUsageEntity cu"
            + " where cu.clientId = r.clientUuid and cu.realmId = r.realmId and cu.lastUsed <> r.lastActivity)";
    /** A row {@code r} of realm {@code :realm} whose client has no service-account user. */
    private static final String WITHOUT_ACCOUNT = "r.realmId = :realm and not exists (select u.id from UserEntity u"
            + " where u.realmId = :realm and u.serviceAccountClientLink = r.clientUuid)";
    /** Rows per refresh step (and per IN list of entries: a fixed number of queries each). */
    static final int BATCH = 500;
    /** Upper bound on the steps of one refresh (a runaway loop guard: 500 × 1,000 rows). */
    private static final int MAX_STEPS = 1_000;

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

    /**
     * Marks the realm's privilege data (role composites, group roles, roles or groups removed): the
     * next page recomputes {@code OVER_PRIVILEGED} for the realm in SQL, from the role side.
     */
    public static void realmChanged(KeycloakSession session, String realmId) {
        Marks.of(session).realmChanged(realmId);
    }

    /**
     * Marks every row of the realm and its privilege data (a partial import: anything may have
     * changed, and imports raise no event per change). The next page recomputes the rows in
     * bounded batches.
     */
    public static void everythingChanged(KeycloakSession session, String realmId) {
        Marks.of(session).everythingChanged(realmId);
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
        private final java.util.Set<String> everything = new java.util.LinkedHashSet<>();

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

        void everythingChanged(String realmId) {
            stale.add(realmId);
            everything.add(realmId);
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
                boolean missing = everything.contains(realmId);
                if (missing) {
                    em.createQuery("update " + ROW + " r set r.pending = r.pending + 1 where r.realmId = :realm")
                            .setParameter("realm", realmId).executeUpdate();
                }
                long removed = 0;
                for (List<String> ids : chunks(gone.getOrDefault(realmId, java.util.Set.of()))) {
                    removed += em.createQuery("delete from " + ROW + " r where r.clientUuid in :ids").setParameter("ids", ids).executeUpdate();
                }
                for (List<String> ids : chunks(touched.getOrDefault(realmId, java.util.Set.of()))) {
                    int marked = em.createQuery("update " + ROW + " r set r.pending = r.pending + 1 where r.clientUuid in :ids")
                            .setParameter("ids", ids).executeUpdate();
                    if (!missing && marked < ids.size()) {
                        missing = serviceAccounts(em, realmId, ids) > marked;
                    }
                }
                if (removed > 0 || missing) {
                    em.createQuery("update InventoryRealmEntity s set s.rowCount = s.rowCount - :removed, s.missing = s.missing + :missing"
                                    + " where s.realmId = :realm").setParameter("removed", removed).setParameter("missing", missing ? 1 : 0)
                            .setParameter("realm", realmId).executeUpdate();
                }
            }
        }

        /**
         * How many of these clients have a service account. More than rows were marked: one of them has
         * none (a new service account, or one just enabled). Compared with the rows the marking
         * UPDATE found, which reads what is committed even where a query reads a snapshot.
         */
        private static long serviceAccounts(EntityManager em, String realmId, List<String> clientUuids) {
            return em.createQuery("select count(distinct u.serviceAccountClientLink) from UserEntity u where u.realmId = :realm"
                    + " and u.serviceAccountClientLink in :ids", Long.class)
                    .setParameter("realm", realmId).setParameter("ids", clientUuids).getSingleResult();
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
        // The state row first, as every writer of rows takes it first.
        em(session).createQuery("delete from InventoryRealmEntity s where s.realmId = :realm").setParameter("realm", realmId).executeUpdate();
        em(session).createQuery("delete from " + ROW + " r where r.realmId = :realm").setParameter("realm", realmId).executeUpdate();
    }

    /**
     * The page, or null when the realm's index is being built by another request right now (the
     * caller then evaluates the models directly).
     */
    public Page page(InventoryFilter filter, int first, int max) {
        State state = ready();
        if (state == null) {
            return null;
        }
        Instant now = dev.nhiguard.agent.registry.AgentClock.now(session, realm);
        Page page = query(filter, now, first, max, state, true);
        return page != null ? page : query(filter, now, first, max, state(em(session)), false);
    }

    /**
     * The page from the index, its entries from the models. If a row on the page disagrees with
     * its model, the row is fixed and (when {@code retry}) null is answered so the query runs
     * again; without retry, entries that do not match by their model are left out.
     */
    private Page query(InventoryFilter filter, Instant now, int first, int max, State state, boolean retry) {
        EntityManager em = em(session);
        long total;
        boolean counted = !(filter.matchesAll() && state != null);
        boolean walk = filter.matchesAll();
        if (!counted) {
            total = state.rows(); // the realm's rows, counted by their writers
        } else {
            Map<String, Object> params = new HashMap<>();
            TypedQuery<Long> count = em.createQuery("select count(r) from " + ROW + " r where " + where(filter, now, params, false),
                    Long.class).setFlushMode(FlushModeType.COMMIT);
            params.forEach(count::setParameter);
            total = count.getSingleResult();
            // Walk the realm's rows in page order while the matches are dense enough that the page's rows are found
            // sooner than all matches could be sorted: about (first + max) * rows / total rows walked against total sorted.
            walk |= state != null && total > 0 && total * total >= ((long) first + max) * state.rows();
        }
        // Walking, the realm leads the order: H2 then reads IDX_NHI_INVENTORY_ROW_SORT in index order and stops after the
        // page (0.1 ms at 100,000 rows) instead of sorting the matches (14 ms for an unfiltered realm in the bare table, the
        // most of a page's 95 ms in Keycloak); it does not see that an equality on the index's first column leaves the rows
        // in SORT_KEY order. The same order, as the realm is fixed. Sparse matches keep the plain order, in which H2 finds
        // them by their own index (or scan) and sorts the few: walking would look up every row (a narrow search took 121 ms
        // that way in the bare table).
        List<InventoryRowEntity> pageRows;
        if (counted && (total == 0 || first >= total)) {
            pageRows = new ArrayList<>();
        } else {
            Map<String, Object> params = new HashMap<>();
            String order = walk ? " order by r.realmId, r.sortKey" : " order by r.sortKey";
            TypedQuery<InventoryRowEntity> rows = em.createQuery("select r from " + ROW + " r where " + where(filter, now, params, walk)
                    + order, InventoryRowEntity.class).setFlushMode(FlushModeType.COMMIT);
            params.forEach(rows::setParameter);
            pageRows = rows.setFirstResult(first).setMaxResults(max).getResultList();
        }
        pageRows.forEach(em::detach); // read only: the page never writes a row, and a retry reads them anew

        Map<String, String> users = new HashMap<>();
        pageRows.forEach(r -> users.put(r.getClientUuid(), r.getServiceAccountUserId()));
        Inventory inventory = new Inventory(session, realm);
        Map<String, InventoryEntry> byId = new HashMap<>();
        for (InventoryEntry e : inventory.entries(users)) {
            byId.put(e.id(), e);
        }
        List<InventoryEntry> items = new ArrayList<>(pageRows.size());
        Set<String> disagree = new java.util.TreeSet<>();
        for (InventoryRowEntity r : pageRows) {
            InventoryEntry e = byId.get(r.getClientUuid());
            if (e == null) {
                disagree.add(r.getClientUuid());
                continue;
            }
            if (!IndexRow.of(realm.getId(), e, inventory.serviceAccountUserId(e.id())).equals(IndexRow.of(r))) {
                LOG.infof("realm %s: inventory index row of %s disagreed with the model; marked and refreshed", realm.getName(), e.clientId());
                disagree.add(r.getClientUuid());
            }
            if (filter.test(e)) {
                items.add(e);
            }
        }
        if (!disagree.isEmpty()) {
            // Fixed the way every change is: marked, then recomputed (or dropped) by a refresh step that decides under the
            // state row's lock on what is committed then. The page's own transaction writes nothing and locks nothing.
            step(session.getKeycloakSessionFactory(), realm.getId(), (s, stepEm, stepRealm, st) -> {
                stepEm.createQuery("update " + ROW + " r set r.pending = r.pending + 1 where r.clientUuid in :ids")
                        .setParameter("ids", disagree).executeUpdate();
                return false;
            });
            refresh(session.getKeycloakSessionFactory(), realm.getId(), false, false);
            if (retry) {
                return null;
            }
        }
        return new Page(total, items);
    }

    /** Ids of the realms whose index has been built. */
    public static List<String> indexedRealms(KeycloakSession session) {
        return em(session).createQuery("select s.realmId from InventoryRealmEntity s order by s.realmId", String.class)
                .setFlushMode(FlushModeType.COMMIT).getResultList();
    }

    /** What the index holds for a realm now, without refreshing it (the flag gauges read this). */
    public record Counts(Map<String, Long> flagged, boolean upToDate) {
    }

    /**
     * Per flag, the rows of the realm's index that match it now, read from the index as it stands:
     * no build, no refresh, nothing written (one COUNT per flag, the same predicates as a page).
     * {@code upToDate} is false when changes are marked and not yet folded in (the next page
     * refreshes). Null when the realm's index was never built.
     */
    public Counts counts() {
        EntityManager em = em(session);
        State state = state(em);
        if (state == null) {
            return null;
        }
        Instant now = dev.nhiguard.agent.registry.AgentClock.now(session, realm);
        Map<String, Long> flagged = new java.util.TreeMap<>();
        for (String flag : Inventory.FLAGS) {
            Map<String, Object> params = new HashMap<>();
            String where = where(new InventoryFilter(Set.of(flag), null, null, null, null), now, params, false);
            TypedQuery<Long> count = em.createQuery("select count(r) from " + ROW + " r where " + where, Long.class)
                    .setFlushMode(FlushModeType.COMMIT);
            params.forEach(count::setParameter);
            flagged.put(flag, count.getSingleResult());
        }
        return new Counts(flagged, state.upToDate(pending(em)));
    }

    /**
     * JPQL condition of the filter on row {@code r}; fills {@code params}. {@code walk}: for a query that walks the realm in
     * page order, whose range conditions must not offer H2 an index of their own (it would take it and sort every match).
     */
    private String where(InventoryFilter f, Instant now, Map<String, Object> params, boolean walk) {
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
            // The owner or, for an agent, its second owner (whose standing alone keeps the agent running).
            w.append(" and ((r.ownerType is not null and r.ownerId = :owner) or (r.agent = true and r.owner2Type is not null"
                    + " and r.owner2Id = :owner))");
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
                case Inventory.FLAG_ORPHANED -> {
                    w.append(" and r.ownerType is not null and r.ownerId is not null and not (")
                            .append(active("r.ownerType", "r.ownerId", "o1")).append(") and not (r.agent = true and r.owner2Id is not null and (")
                            .append(active("r.owner2Type", "r.owner2Id", "o2")).append("))");
                    params.put("activeGroups", activeOwnerGroups());
                }
                case Inventory.FLAG_DORMANT -> {
                    w.append(walk ? " and r.lastActivity + 0 <= :dormant" : " and r.lastActivity <= :dormant");
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
                + " and " + alias + "u.realmId = :realm and " + alias + "u.enabled = true)) or (" + type + " = 'group' and " + id
                + " in :activeGroups)";
    }

    /**
     * The owner groups of the realm's rows that have an enabled person among their members or their subgroups' members
     * ({@link AgentOwners#state}, as the token endpoint and the lifecycle pass decide): a group that exists but has none
     * owns nothing. Never empty (an id no group has stands in), for the {@code in} list.
     */
    private List<String> activeOwnerGroups() {
        EntityManager em = em(session);
        Set<String> groups = new java.util.TreeSet<>();
        for (String column : List.of("owner", "owner2")) {
            groups.addAll(em.createQuery("select distinct r." + column + "Id from " + ROW + " r where r.realmId = :realm and r."
                    + column + "Type = 'group' and r." + column + "Id is not null", String.class)
                    .setParameter("realm", realm.getId()).setFlushMode(FlushModeType.COMMIT).getResultList());
        }
        List<String> active = new ArrayList<>();
        for (String id : groups) {
            if (AgentOwners.state(session, realm, new AgentOwners.Ref(AgentRecord.OWNER_GROUP, id)) == AgentOwners.State.ACTIVE) {
                active.add(id);
            }
        }
        if (active.isEmpty()) {
            active.add("-");
        }
        return active;
    }

    /**
     * Brings the realm's rows up to date: built on first use (once across the cluster: the state
     * row's primary key), then a marked realm's privilege flags recomputed in SQL, rows added for
     * service accounts without one, and marked rows recomputed. The refresh runs in short
     * transactions of its own (see {@link #refresh}), never in the page's. Null when another request
     * is building the index.
     *
     * <p>The freshness check itself is the state row and one indexed probe, flushed never: a page's
     * transaction holds no changes of its own here, and an auto-flush would dirty-check whatever the
     * session manages.
     */
    State ready() {
        EntityManager em = em(session);
        State state = state(em);
        if (state == null) {
            build();
            state = state(em);
            if (state == null) {
                return null;
            }
        }
        if (state.upToDate(pending(em))) {
            return state;
        }
        refresh(session.getKeycloakSessionFactory(), realm.getId(), state.stale() > 0, state.missing() > 0);
        return state(em);
    }

    /** The realm's state row as it stands: realm-wide marks, "service accounts may lack a row" marks, rows. */
    record State(int stale, int missing, long rows) {
        boolean upToDate(boolean pending) {
            return stale == 0 && missing == 0 && !pending;
        }
    }

    private State state(EntityManager em) {
        List<Object[]> s = em.createQuery("select s.stale, s.missing, s.rowCount from InventoryRealmEntity s where s.realmId = :realm",
                Object[].class).setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).getResultList();
        return s.isEmpty() ? null : new State((Integer) s.get(0)[0], (Integer) s.get(0)[1], (Long) s.get(0)[2]);
    }

    /** Any row of the realm marked for recomputation (an indexed probe). */
    private boolean pending(EntityManager em) {
        return !em.createQuery("select r.clientUuid from " + ROW + " r where r.realmId = :realm and r.pending > 0", String.class)
                .setFlushMode(FlushModeType.COMMIT).setParameter("realm", realm.getId()).setMaxResults(1).getResultList().isEmpty();
    }

    /**
     * The scheduled check of one realm's index (cluster-aware, every {@code index-check-interval-seconds}):
     * looks for a service account without a row and a row without a service account, and counts the
     * rows, which no page does. A service account that appeared without an event (a write Keycloak
     * publishes nothing for, a change in the database) marks the realm and is added now; a wrong row
     * count is corrected.
     */
    public static void check(KeycloakSessionFactory factory, String realmId) {
        boolean reconcile = step(factory, realmId, (s, em, realm, state) -> {
            boolean accountWithoutRow = !em.createQuery("select u.id from UserEntity u where " + WITHOUT_ROW, String.class)
                    .setParameter("realm", realmId).setMaxResults(1).getResultList().isEmpty();
            boolean rowWithoutAccount = !em.createQuery("select r.clientUuid from " + ROW + " r where " + WITHOUT_ACCOUNT, String.class)
                    .setParameter("realm", realmId).setMaxResults(1).getResultList().isEmpty();
            long rows = em.createQuery("select count(r) from " + ROW + " r where r.realmId = :realm", Long.class)
                    .setParameter("realm", realmId).getSingleResult();
            if (accountWithoutRow || rowWithoutAccount || rows != state.getRowCount()) {
                LOG.infof("realm %s: inventory index check: service account without a row %s, row without a service account %s,"
                        + " %d rows where %d were counted; reconciling", realm.getName(), accountWithoutRow, rowWithoutAccount, rows,
                        state.getRowCount());
                state.setRowCount(rows);
                if (accountWithoutRow || rowWithoutAccount) {
                    state.setMissing(state.getMissing() + 1);
                }
            }
            return state.getMissing() > 0;
        });
        boolean behind = step(factory, realmId, (s, em, realm, state) -> {
            // A row whose activity missed a recorded use: the recorder's write of the row failed, or a refresh recomputed the
            // row from a usage row read just before that write.
            int marked = em.createQuery("update " + ROW + " r set r.pending = r.pending + 1 where " + ACTIVITY_BEHIND)
                    .setParameter("realm", realmId).executeUpdate();
            if (marked > 0) {
                LOG.infof("realm %s: inventory index check: %d rows behind their client's last use; marked", realm.getName(), marked);
            }
            return marked > 0;
        });
        if (reconcile || behind) {
            refresh(factory, realmId, false, reconcile);
        }
    }

    /**
     * The refresh, in bounded steps: each step is a transaction of its own that takes the realm's
     * state row first and commits before the next, so a writer marking the realm waits for one step
     * at most (one privilege recomputation in SQL, or {@value #BATCH} rows), never for a whole pass.
     * Changes committed while it runs stay marked for the next page.
     */
    static void refresh(KeycloakSessionFactory factory, String realmId, boolean privileges, boolean reconcile) {
        if (privileges) {
            step(factory, realmId, (s, em, realm, state) -> {
                if (state.getStale() > 0) {
                    syncPrivileges(s, em, realm);
                    state.setStale(0);
                }
                return false;
            });
        }
        if (reconcile) {
            step(factory, realmId, (s, em, realm, state) -> {
                int removed = em.createQuery("delete from " + ROW + " r where " + WITHOUT_ACCOUNT)
                        .setParameter("realm", realmId).executeUpdate();
                state.setRowCount(state.getRowCount() - removed);
                return false;
            });
            // Rows for service accounts created without an event (realm import, partial import, a new client), a batch per step.
            for (int i = 0; i < MAX_STEPS && step(factory, realmId, InventoryIndex::addMissing); i++) {
                // next batch
            }
        }
        for (int i = 0; i < MAX_STEPS && step(factory, realmId, InventoryIndex::refreshPending); i++) {
            // next batch
        }
    }

    /** One refresh step; true when there is more to do. */
    @FunctionalInterface
    interface Step {
        boolean run(KeycloakSession session, EntityManager em, RealmModel realm, InventoryRealmEntity state);
    }

    private static boolean step(KeycloakSessionFactory factory, String realmId, Step step) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, s -> {
            RealmModel realm = s.realms().getRealm(realmId);
            if (realm == null) {
                return false;
            }
            s.getContext().setRealm(realm);
            EntityManager em = em(s);
            em.setFlushMode(FlushModeType.COMMIT);
            InventoryRealmEntity state = em.find(InventoryRealmEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
            return state != null && step.run(s, em, realm, state);
        });
    }

    /**
     * First use in this realm: insert the state row (the guard), then every row, in a transaction of
     * its own. The state row starts marked "missing": a service account created while the rows were
     * read may have found no state row to mark, so the page that built the index reconciles once.
     */
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
                state.setMissing(1);
                em.persist(state);
                em.flush();
                em.setFlushMode(FlushModeType.COMMIT);
                int n = 0;
                Inventory inventory = new Inventory(s, r);
                for (InventoryEntry e : inventory.all()) {
                    insert(em, IndexRow.of(realmId, e, inventory.serviceAccountUserId(e.id())));
                    if (++n % BATCH == 0) {
                        em.flush();
                        em.clear();
                    }
                }
                em.flush();
                em.createQuery("update InventoryRealmEntity s set s.rowCount = :n where s.realmId = :realm").setParameter("n", (long) n)
                        .setParameter("realm", realmId).executeUpdate();
            });
            LOG.infof("realm %s: inventory index built in %d ms", realm.getName(), (System.nanoTime() - start) / 1_000_000);
        } catch (PersistenceException e) {
            // Another request or node built it (or is building it): its state row won.
            LOG.debugf(e, "realm %s: inventory index built concurrently", realm.getName());
        } catch (RuntimeException e) {
            LOG.warnf(e, "realm %s: could not build the inventory index", realm.getName());
        }
    }

    /**
     * Sets {@code OVER_PRIVILEGED} on the realm's rows from {@link PrivilegedAccounts}: reads and
     * writes only the rows that are or become over-privileged, not the realm's.
     */
    private static void syncPrivileges(KeycloakSession session, EntityManager em, RealmModel realm) {
        long start = System.nanoTime();
        Set<String> privileged = PrivilegedAccounts.of(session, em, realm);
        Set<String> flagged = new HashSet<>(em.createQuery("select r.clientUuid from " + ROW + " r where r.realmId = :realm"
                + " and r.overPrivileged = true", String.class).setParameter("realm", realm.getId()).getResultList());
        Set<String> raise = new HashSet<>(privileged);
        raise.removeAll(flagged);
        Set<String> lower = new HashSet<>(flagged);
        lower.removeAll(privileged);
        for (List<String> ids : PrivilegedAccounts.chunks(raise)) {
            em.createQuery("update " + ROW + " r set r.overPrivileged = true where r.realmId = :realm and r.clientUuid in :ids")
                    .setParameter("realm", realm.getId()).setParameter("ids", ids).executeUpdate();
        }
        for (List<String> ids : PrivilegedAccounts.chunks(lower)) {
            em.createQuery("update " + ROW + " r set r.overPrivileged = false where r.realmId = :realm and r.clientUuid in :ids")
                    .setParameter("realm", realm.getId()).setParameter("ids", ids).executeUpdate();
        }
        LOG.debugf("realm %s: privilege flags recomputed in %d ms (%d over-privileged, %d raised, %d lowered)", realm.getName(),
                (System.nanoTime() - start) / 1_000_000, privileged.size(), raise.size(), lower.size());
    }

    /**
     * Adds rows for up to {@value #BATCH} service accounts that have none; true when there may be more.
     * The last step takes back the realm's "missing" marks and recounts its rows (marks added later
     * wait for this step: writers take the state row first).
     */
    private static boolean addMissing(KeycloakSession s, EntityManager em, RealmModel realm, InventoryRealmEntity state) {
        Map<String, String> missing = new HashMap<>();
        for (Object[] u : em.createQuery("select u.serviceAccountClientLink, u.id from UserEntity u where " + WITHOUT_ROW, Object[].class)
                .setParameter("realm", realm.getId()).setMaxResults(BATCH).getResultList()) {
            missing.put((String) u[0], (String) u[1]);
        }
        Inventory inventory = new Inventory(s, realm);
        for (InventoryEntry e : inventory.entries(missing)) {
            insert(em, IndexRow.of(realm.getId(), e, inventory.serviceAccountUserId(e.id())));
        }
        if (missing.size() == BATCH) {
            return true;
        }
        em.flush();
        state.setRowCount(em.createQuery("select count(r) from " + ROW + " r where r.realmId = :realm", Long.class)
                .setParameter("realm", realm.getId()).getSingleResult());
        state.setMissing(0);
        return false;
    }

    /** Recomputes up to {@value #BATCH} marked rows from the models; true when there may be more. */
    private static boolean refreshPending(KeycloakSession s, EntityManager em, RealmModel realm, InventoryRealmEntity state) {
        Map<String, Integer> seen = new HashMap<>();
        Map<String, String> users = new HashMap<>();
        for (Object[] p : em.createQuery("select r.clientUuid, r.pending, r.serviceAccountUserId from " + ROW + " r where r.realmId = :realm"
                + " and r.pending > 0", Object[].class).setParameter("realm", realm.getId()).setMaxResults(BATCH).getResultList()) {
            seen.put((String) p[0], (Integer) p[1]);
            users.put((String) p[0], (String) p[2]);
        }
        if (seen.isEmpty()) {
            return false;
        }
        Map<String, InventoryEntry> truth = new HashMap<>();
        Inventory inventory = new Inventory(s, realm);
        inventory.entries(users).forEach(e -> truth.put(e.id(), e));
        for (InventoryRowEntity r : em.createQuery("select r from " + ROW + " r where r.clientUuid in :ids", InventoryRowEntity.class)
                .setParameter("ids", seen.keySet()).getResultList()) {
            InventoryEntry e = truth.get(r.getClientUuid());
            if (e == null) {
                em.remove(r);
                state.setRowCount(state.getRowCount() - 1);
            } else {
                IndexRow.of(realm.getId(), e, inventory.serviceAccountUserId(e.id())).applyTo(r);
            }
        }
        em.flush();
        // Takes back the marks that were folded in; marks added meanwhile (none: writers wait on the state row) would stay.
        seen.forEach((id, n) -> em.createQuery("update " + ROW + " r set r.pending = r.pending - :n where r.clientUuid = :id and r.pending >= :n")
                .setParameter("n", n).setParameter("id", id).executeUpdate());
        return seen.size() == BATCH;
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
