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
 * <li>Every admin write to a realm reads, before it is classified, when the realm's last apply was noted; in its
 * transaction's prepare phase it takes the realm's lock row shared, held until the commit, and is refused (409) if an
 * apply was noted since ({@link Admitted#ordered}). Nothing is held while Keycloak runs the write: a write that waits on calls
 * out (a back-channel logout to each client's URL) holds up no other write or apply.</li>
 * <li>An apply takes the row exclusively in a transaction that outlives the apply's own ({@link #whileApplying}): the
 * apply re-checks and replays with the lock held, so no write commits in between, and the lock is released only once
 * the apply has committed and Keycloak has dropped the cache entries it changed. The apply first drops Keycloak's realm
 * and user caches, so its re-check reads what the writes before it committed, not a cached copy their commit has yet
 * to drop. It notes its time in the row, strictly later than the time noted before.</li>
 * <li>Keycloak loads the request's client or user while it routes the request, before any filter runs: a write admitted
 * after an apply committed during its own life ({@code appliedAt}) is refused (409, AdmissionFilter); one that began
 * just after an apply noted by another node, whose clock may differ, is classified in a session of its own, which reads
 * the applied state.</li>
 * </ul>
 *
 * <p>A shared lock is {@code FOR SHARE} where the database has one (PostgreSQL, MySQL, MariaDB): the commits of admitted
 * writes do not wait for each other, only for an apply. Where it has not (H2, Oracle), Hibernate locks for update, and a
 * realm's commits run one at a time. The row is created with its realm, or at the first write of a realm older than the
 * guard.
 */
public final class RealmWriteLock {

    private RealmWriteLock() {
    }

    /**
     * A write being admitted: when the realm's last apply was noted as the write was read for its classification. A write
     * that passes admission is {@link #ordered}; one that is held or refused is not (it writes nothing, and its session's
     * commit must not fail: Keycloak commits an aborted request where a failure answers 500).
     */
    public record Admitted(String realmId, Long appliedAt) {

        /**
         * Orders the write with the realm's applies: enlists {@link CommitCheck} in its transaction's prepare phase, which
         * takes the lock shared until the commit and refuses the write (409) when an apply was noted since it was read.
         * Nothing is held while Keycloak runs the write, which may wait on calls out (a back-channel logout of every
         * session of a user, to each client's URL): only the commit waits for an apply, and an apply only for commits.
         */
        public void ordered(KeycloakSession s) {
            String key = CommitCheck.class.getName() + "." + realmId;
            if (s.getAttribute(key) == null) {
                s.setAttribute(key, Boolean.TRUE);
                s.getTransactionManager().enlistPrepare(new CommitCheck(s, realmId, appliedAt));
            }
        }
    }

    /**
     * Reads, in the session's transaction and without a lock, when the realm's last change request was applied (the row
     * is created first for a realm older than the guard).
     *
     * @throws IllegalStateException without a transaction (the write is refused)
     */
    public static Admitted admitting(KeycloakSession s, String realmId) {
        if (!s.getTransactionManager().isActive()) {
            throw new IllegalStateException("no transaction to order the write in");
        }
        Object[] row = read(s, realmId);
        if (row == null) {
            create(s.getKeycloakSessionFactory(), realmId);
            row = read(s, realmId);
            if (row == null) {
                throw new IllegalStateException("the write lock of realm " + realmId + " could not be created");
            }
        }
        return new Admitted(realmId, (Long) row[1]);
    }

    /** The realm's row as {@code [realmId, appliedAt]}, read without a lock and without keeping it managed; or null. */
    private static Object[] read(KeycloakSession s, String realmId) {
        java.util.List<Object[]> found = em(s).createQuery("select r.realmId, r.appliedAt from RealmWriteLockEntity r"
                + " where r.realmId = :id", Object[].class).setParameter("id", realmId)
                .setFlushMode(jakarta.persistence.FlushModeType.COMMIT).getResultList();
        return found.isEmpty() ? null : found.get(0);
    }

    /**
     * The prepare phase of an admitted write's transaction: takes the realm's lock shared (held until the commit), and
     * refuses the write when an apply was noted since it was admitted, or when the lock is not granted in time.
     */
    static final class CommitCheck extends org.keycloak.models.AbstractKeycloakTransaction {
        private final KeycloakSession session;
        private final String realmId;
        private final Long admittedAfter;

        CommitCheck(KeycloakSession session, String realmId, Long admittedAfter) {
            this.session = session;
            this.realmId = realmId;
            this.admittedAfter = admittedAfter;
        }

        @Override
        protected void commitImpl() {
            Long appliedAt;
            try {
                appliedAt = lock(session, realmId, LockModeType.PESSIMISTIC_READ, COMMIT_WAIT_MILLIS).getAppliedAt();
            } catch (RuntimeException e) {
                if (isLockTimeout(e)) {
                    throw new org.keycloak.services.ErrorResponseException("realm_busy", BUSY,
                            jakarta.ws.rs.core.Response.Status.SERVICE_UNAVAILABLE);
                }
                throw e;
            }
            if (!java.util.Objects.equals(appliedAt, admittedAfter)) {
                // Classified on what was there before the apply, and written beside it: not committed.
                throw new org.keycloak.services.ErrorResponseException("conflict", "A change request was applied in this realm"
                        + " while this write was on its way; nothing was changed, send it again",
                        jakarta.ws.rs.core.Response.Status.CONFLICT);
            }
        }

        @Override
        protected void rollbackImpl() {
        }
    }

    /**
     * The apply's work, run in a transaction of its own while another one holds the realm's lock exclusively; that one
     * commits after it, noting the time when {@code applied} says the work changed something. Work the apply's session
     * hands to {@link #AFTER_THE_LOCK} runs after both.
     */
    public static <T> T whileApplying(KeycloakSessionFactory factory, String realmId,
            org.keycloak.models.KeycloakSessionTaskWithResult<T> apply, java.util.function.BooleanSupplier applied) {
        java.util.List<Runnable> afterTheLock = new java.util.ArrayList<>();
        try {
            return locked(factory, realmId, s -> {
                s.setAttribute(AFTER_THE_LOCK, (java.util.function.Consumer<Runnable>) afterTheLock::add);
                return apply.run(s);
            }, applied);
        } finally {
            for (Runnable task : afterTheLock) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warnf(e, "Work an apply in realm %s left for after the realm's lock failed", realmId);
                }
            }
        }
    }

    /**
     * The session attribute an apply's session carries: a {@code java.util.function.Consumer<Runnable>} that takes work
     * its after-commit phase would do while the realm's lock is still held (mails, which may wait on a mail server for
     * as long as it likes) and runs it once the lock is released. The agent binding's owner mails use it too (the key is
     * the modules' shared contract).
     */
    public static final String AFTER_THE_LOCK = "nhi.guard.after-realm-lock";

    private static <T> T locked(KeycloakSessionFactory factory, String realmId,
            org.keycloak.models.KeycloakSessionTaskWithResult<T> apply, java.util.function.BooleanSupplier applied) {
        java.util.concurrent.atomic.AtomicReference<T> committed = new java.util.concurrent.atomic.AtomicReference<>();
        boolean[] applyCommitted = {false};
        try {
            return KeycloakModelUtils.runJobInTransactionWithResult(factory, lockSession -> {
                RealmWriteLockEntity row = lockSession.realms().getRealm(realmId) == null ? null
                        : lock(lockSession, realmId, LockModeType.PESSIMISTIC_WRITE, LOCK_TIMEOUT_MILLIS);
                T result = KeycloakModelUtils.runJobInTransactionWithResult(factory, apply);
                committed.set(result);
                applyCommitted[0] = true;
                if (row != null && applied.getAsBoolean()) {
                    row.setAppliedAt(next(row.getAppliedAt())); // commits with the lock's release, after the apply
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
                            row.setAppliedAt(next(row.getAppliedAt()));
                        }
                    });
                } catch (RuntimeException again) {
                    LOG.errorf(again, "The apply time of realm %s could not be noted", realmId);
                }
            }
            return committed.get();
        }
    }

    /** The apply's time, strictly later than the one noted before it (two applies in one millisecond differ). */
    private static long next(Long previous) {
        long now = Time.currentTimeMillis();
        return previous == null || now > previous ? now : previous + 1;
    }

    private static final String BUSY = "The realm is busy: a change request is being applied in it; nothing was changed, "
            + "send the request again";

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RealmWriteLock.class);

    /**
     * The answer to a write that could not take the realm's lock: {@code 503 realm_busy} when the wait ran out (an apply
     * held it), {@code 503 guard_unavailable} otherwise. Nothing was changed either way.
     */
    public static jakarta.ws.rs.core.Response refusal(RuntimeException e) {
        if (isLockTimeout(e)) {
            return GuardErrors.response(jakarta.ws.rs.core.Response.Status.SERVICE_UNAVAILABLE, "realm_busy", BUSY, null);
        }
        return GuardErrors.response(jakarta.ws.rs.core.Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                "The mutation guard could not decide on this write and refused it: " + e.getClass().getSimpleName(), null);
    }

    /**
     * Before an apply re-checks its target: drops Keycloak's realm and user caches, which writes committed before the
     * apply took the lock may not have dropped their entries from yet (Keycloak drops them after its commit). A cache
     * Keycloak runs without has nothing to drop: the {@code stateless} feature turns the user cache off (and either cache
     * can be switched off by its SPI option), and Keycloak then reads users, or realms, from the database.
     */
    public static void beforeRecheck(KeycloakSession s) {
        CacheRealmProvider realms = s.getProvider(CacheRealmProvider.class);
        if (realms != null) {
            realms.clear();
        }
        UserCache users = s.getProvider(UserCache.class);
        if (users != null) {
            users.clear();
        }
    }

    /** Whether the exception says a lock was not granted in time (the database's lock timeout, or ours). */
    public static boolean isLockTimeout(Throwable e) {
        int causes = 0;
        for (Throwable t = e; t != null && causes < 32; t = t.getCause(), causes++) { // a cause chain may loop
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

    /**
     * How long an apply waits for the lock (for the commits of writes beside it, each brief). Hibernate applies it as the
     * database allows: on the statement (H2, Oracle), as the transaction's lock timeout (PostgreSQL, MySQL); H2's own
     * lock timeout (2 s by default) may be shorter.
     */
    static final int LOCK_TIMEOUT_MILLIS = 30_000;

    /**
     * How long a write's commit waits for an apply. Short: the write holds the rows it changed while it waits, and an
     * apply that needs one of them waits for the write in turn (two connections the database cannot see as a deadlock),
     * so the wait running out, the write refused (503 realm_busy) and its rows released is what lets the apply finish.
     */
    static final int COMMIT_WAIT_MILLIS = 5_000;

    private static RealmWriteLockEntity lock(KeycloakSession s, String realmId, LockModeType mode, int waitMillis) {
        if (!s.getTransactionManager().isActive()) {
            throw new IllegalStateException("no transaction to hold the realm's write lock in");
        }
        java.util.Map<String, Object> wait = java.util.Map.of("jakarta.persistence.lock.timeout", waitMillis);
        RealmWriteLockEntity row = em(s).find(RealmWriteLockEntity.class, realmId, mode, wait);
        if (row != null) {
            return row;
        }
        // A realm created before the guard was installed: its row is created and committed on its own (two first writes
        // may both try; the second insert fails on the key and finds the first one's row). Admission creates it before
        // any locking read (admitting); realms created since get theirs with the realm (RealmRecordsCleanup).
        create(s.getKeycloakSessionFactory(), realmId);
        row = em(s).find(RealmWriteLockEntity.class, realmId, mode, wait);
        if (row == null) {
            throw new IllegalStateException("the write lock of realm " + realmId + " could not be created");
        }
        return row;
    }

    /** The row of a realm created before the guard, committed on its own (a concurrent creation wins; found after). */
    private static void create(KeycloakSessionFactory factory, String realmId) {
        try {
            KeycloakModelUtils.runJobInTransaction(factory, t -> em(t).persist(new RealmWriteLockEntity(realmId)));
        } catch (RuntimeException concurrentlyCreated) {
            // found after, or the caller fails closed
        }
    }

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
