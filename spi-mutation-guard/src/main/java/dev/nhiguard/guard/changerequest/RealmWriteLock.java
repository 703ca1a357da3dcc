package dev.nhiguard.guard.changerequest;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import org.keycloak.common.util.Time;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.cache.CacheRealmProvider;
import org.keycloak.models.cache.UserCache;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.guard.store.RealmWriteLockEntity;

/**
 * Orders a change request's apply against the admin writes admitted beside it, per realm, in the database (so across
 * nodes). Without it, a write classified while its target was not guarded (a password reset of a user an approved grant
 * is about to make an approver, a mapper on a client whose service account an approved change turns on) could commit
 * after the apply's re-check, and two approved requests, each refused after the other, could apply together.
 *
 * <ul>
 * <li>Every admin write to a realm takes the realm's lock row shared, in its own transaction, before it is classified,
 * and keeps it until Keycloak commits the write ({@link #shared}).</li>
 * <li>An apply takes it exclusively in a transaction that outlives the apply's own ({@link #whileApplying}): the apply
 * re-checks and replays with the lock held, and the lock is released only once the apply has committed and Keycloak
 * has dropped the cache entries it changed. The apply first drops Keycloak's realm and user caches, so its re-check
 * reads what the writes before it committed, not a cached copy their commit has yet to drop.</li>
 * <li>Keycloak loads the request's client or user while it routes the request, before any filter can take a lock: a
 * write that got the lock after an apply committed during its own life ({@code appliedAt}, noted by the apply) is
 * refused (409, AdmissionFilter); one that began just after an apply noted by another node, whose clock may differ,
 * is classified in a session of its own, which reads the applied state.</li>
 * </ul>
 *
 * <p>A shared lock is {@code FOR SHARE} where the database has one (PostgreSQL, MySQL, MariaDB): admitted writes do not
 * wait for each other, only for an apply. Where it has not (H2, Oracle), Hibernate locks for update, and a realm's admin
 * writes run one at a time. The row is created with its realm, or at the first write of a realm older than the guard.
 */
public final class RealmWriteLock {

    private RealmWriteLock() {
    }

    /**
     * Takes the lock shared in the session's transaction, held until it ends.
     *
     * @return when the realm's last change request was applied (epoch millis), or null when none was
     */
    public static Long shared(KeycloakSession s, String realmId) {
        return lock(s, realmId, LockModeType.PESSIMISTIC_READ).getAppliedAt();
    }

    /**
     * The apply's work, run in a transaction of its own while another one holds the realm's lock exclusively; that one
     * commits after it, noting the time when {@code applied} says the work changed something.
     */
    public static <T> T whileApplying(KeycloakSessionFactory factory, String realmId,
            org.keycloak.models.KeycloakSessionTaskWithResult<T> apply, java.util.function.BooleanSupplier applied) {
        java.util.concurrent.atomic.AtomicReference<T> committed = new java.util.concurrent.atomic.AtomicReference<>();
        boolean[] applyCommitted = {false};
        try {
            return KeycloakModelUtils.runJobInTransactionWithResult(factory, lockSession -> {
                RealmWriteLockEntity row = lockSession.realms().getRealm(realmId) == null ? null
                        : lock(lockSession, realmId, LockModeType.PESSIMISTIC_WRITE);
                T result = KeycloakModelUtils.runJobInTransactionWithResult(factory, apply);
                committed.set(result);
                applyCommitted[0] = true;
                if (row != null && applied.getAsBoolean()) {
                    row.setAppliedAt(Time.currentTimeMillis()); // commits with the lock's release, after the apply
                }
                return result;
            });
        } catch (RuntimeException e) {
            if (!applyCommitted[0]) {
                throw e;
            }
            // The apply committed; only the lock's transaction, which releases the lock and notes the time, failed (its
            // rollback released the lock). The time is noted afresh, so that writes routed meanwhile are still refused.
            LOG.warnf(e, "The realm write lock of realm %s failed to commit after an apply had committed", realmId);
            if (applied.getAsBoolean()) {
                try {
                    KeycloakModelUtils.runJobInTransaction(factory, s -> {
                        RealmWriteLockEntity row = em(s).find(RealmWriteLockEntity.class, realmId);
                        if (row != null) {
                            row.setAppliedAt(Time.currentTimeMillis());
                        }
                    });
                } catch (RuntimeException again) {
                    LOG.errorf(again, "The apply time of realm %s could not be noted", realmId);
                }
            }
            return committed.get();
        }
    }

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RealmWriteLock.class);

    /**
     * The answer to a write that could not take the realm's lock: {@code 503 realm_busy} when the wait ran out (an apply
     * held it), {@code 503 guard_unavailable} otherwise. Nothing was changed either way.
     */
    public static jakarta.ws.rs.core.Response refusal(RuntimeException e) {
        if (isLockTimeout(e)) {
            return GuardErrors.response(jakarta.ws.rs.core.Response.Status.SERVICE_UNAVAILABLE, "realm_busy",
                    "The realm is busy: a change request is being applied in it, or a write is holding it; nothing was "
                    + "changed, send the request again", null);
        }
        return GuardErrors.response(jakarta.ws.rs.core.Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                "The mutation guard could not decide on this write and refused it: " + e.getClass().getSimpleName(), null);
    }

    /**
     * Before an apply re-checks its target: drops Keycloak's realm and user caches, which writes committed before the
     * apply took the lock may not have dropped their entries from yet (Keycloak drops them after its commit).
     */
    public static void beforeRecheck(KeycloakSession s) {
        s.getProvider(CacheRealmProvider.class).clear();
        s.getProvider(UserCache.class).clear();
    }

    /** Whether the exception says a lock was not granted in time (the database's lock timeout, or ours). */
    public static boolean isLockTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof jakarta.persistence.PessimisticLockException || t instanceof jakarta.persistence.LockTimeoutException
                    || t instanceof org.hibernate.PessimisticLockException) {
                return true;
            }
            // H2 (HYT00) and PostgreSQL (55P03) lock timeouts, as Keycloak's ModelException may wrap them
            if (t instanceof java.sql.SQLException sql && ("HYT00".equals(sql.getSQLState()) || "55P03".equals(sql.getSQLState()))) {
                return true;
            }
            if (t.getClass().getSimpleName().equals("MVStoreException") && String.valueOf(t.getMessage()).contains("is locked by")) {
                return true;
            }
        }
        return false;
    }

    /** How long a write or an apply waits for the lock, where the database lets Hibernate say (PostgreSQL waits forever). */
    static final int LOCK_TIMEOUT_MILLIS = 30_000;

    private static RealmWriteLockEntity lock(KeycloakSession s, String realmId, LockModeType mode) {
        if (!s.getTransactionManager().isActive()) {
            throw new IllegalStateException("no transaction to hold the realm's write lock in");
        }
        RealmWriteLockEntity row = em(s).find(RealmWriteLockEntity.class, realmId, mode, TIMEOUT);
        if (row != null) {
            return row;
        }
        // A realm created before the guard was installed: its row is created and committed on its own (two first writes
        // may both try; the second insert fails on the key and finds the first one's row). Realms created since get
        // theirs with the realm (RealmRecordsCleanup): on MySQL, MariaDB and SQL Server the locking read of a missing
        // row above takes a gap lock that this creation, on another connection, waits for until the lock timeout.
        try {
            KeycloakModelUtils.runJobInTransaction(s.getKeycloakSessionFactory(),
                    t -> em(t).persist(new RealmWriteLockEntity(realmId)));
        } catch (RuntimeException concurrentlyCreated) {
            // found below, or the lock fails closed
        }
        row = em(s).find(RealmWriteLockEntity.class, realmId, mode, TIMEOUT);
        if (row == null) {
            throw new IllegalStateException("the write lock of realm " + realmId + " could not be created");
        }
        return row;
    }

    private static final java.util.Map<String, Object> TIMEOUT = java.util.Map.of("jakarta.persistence.lock.timeout",
            LOCK_TIMEOUT_MILLIS);

    /** A new realm's lock row, in the transaction creating the realm. */
    static void create(KeycloakSession s, String realmId) {
        if (em(s).find(RealmWriteLockEntity.class, realmId) == null) {
            em(s).persist(new RealmWriteLockEntity(realmId));
        }
    }

    private static EntityManager em(KeycloakSession s) {
        return s.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
