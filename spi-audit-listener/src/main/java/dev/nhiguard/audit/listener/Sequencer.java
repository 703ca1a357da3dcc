package dev.nhiguard.audit.listener;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.audit.store.AuditChainStore;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.RecordSealing;
import dev.nhiguard.audit.store.StageOrder;

/**
 * Moves staged records (admin events, and user events) into their realms' chains, in batches of at most
 * {@code batchSize} rows per transaction (one head-row lock per batch). Runs are coalesced:
 * on this node at most one run per realm is under way, and a trigger arriving during a run
 * makes that run go round once more instead of starting another. A run starts
 * {@code gatherMillis} after the trigger that wakes it, so the commits of that moment are
 * sequenced as one batch: under load the lock, the head update and the records' JDBC batch are paid once per
 * batch instead of once per token (the staged rows are committed already; only the chain's lag
 * grows by that delay). Across nodes the head-row lock serialises the runs. Owned by the
 * listener factory; one instance per server.
 */
final class Sequencer {

    private static final Logger LOG = Logger.getLogger(Sequencer.class);
    private static final int IDLE = 0;
    /** A run is scheduled and has not started: what commits now is in its batch. */
    private static final int GATHERING = 1;
    private static final int RUNNING = 2;
    /** A trigger arrived while the run was moving rows: gather and run once more. */
    private static final int AGAIN = 3;

    /** Moves up to {@code batchSize} rows of a realm staged at or before {@code stagedUpTo} into its chain in one transaction; returns how many. */
    @FunctionalInterface
    interface BatchMover {
        int move(String realmId, int batchSize, long stagedUpTo);
    }

    /** How long reads leave a realm's sequencing to the background after it failed for one of them. */
    static final long READ_BACKOFF_MILLIS = 2000;
    /**
     * How far ahead of this node's clock a read still takes staged rows: rows another node staged
     * before the read began carry that node's clock, which may run ahead of this one.
     */
    static final long CLOCK_SKEW_ALLOWANCE_MILLIS = 1000;

    private final BatchMover mover;
    private final Checkpoints checkpoints;
    private final int batchSize;
    private final long gatherMillis;
    private final ScheduledExecutorService executor;
    private final ConcurrentMap<String, AtomicInteger> states = new ConcurrentHashMap<>();
    /** Realms whose sequencing failed for a read, and until when (ms) reads do not try again. */
    private final ConcurrentMap<String, Long> readBackoff = new ConcurrentHashMap<>();
    private final StageOrder stageOrder = new StageOrder();

    Sequencer(KeycloakSessionFactory factory, Checkpoints checkpoints, RecordSealing sealing, int batchSize, long gatherMillis,
              int threads) {
        this((realmId, max, upTo) -> KeycloakModelUtils.runJobInTransactionWithResult(factory,
                s -> new AuditChainStore(s, checkpoints, sealing).sequenceStaged(realmId, max, upTo)), checkpoints, batchSize, gatherMillis,
                threads);
    }

    Sequencer(BatchMover mover, Checkpoints checkpoints, int batchSize, long gatherMillis, int threads) {
        this.mover = mover;
        this.checkpoints = checkpoints;
        this.batchSize = batchSize;
        this.gatherMillis = gatherMillis;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, "nhi-audit-sequencer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Asks for the staged rows of these realms to be sequenced soon; returns at once. */
    void trigger(Collection<String> realmIds) {
        realmIds.forEach(this::trigger);
    }

    void trigger(String realmId) {
        AtomicInteger state = states.computeIfAbsent(realmId, k -> new AtomicInteger(IDLE));
        while (true) {
            int s = state.get();
            if (s == IDLE) {
                if (state.compareAndSet(IDLE, GATHERING)) {
                    schedule(realmId, state);
                    return;
                }
            } else if (s == GATHERING) {
                return;
            } else if (s == RUNNING) {
                if (state.compareAndSet(RUNNING, AGAIN)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /** Periodic sweep (cluster-aware task): triggers every realm with staged rows, e.g. rows a stopped node left. */
    void sweep(KeycloakSession session) {
        trigger(new AuditChainStore(session, checkpoints).stagedRealms());
    }

    private void schedule(String realmId, AtomicInteger state) {
        try {
            executor.schedule(() -> run(realmId, state), gatherMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            state.set(IDLE); // shutting down: the periodic sweep of another node (or the next start) picks the rows up
        }
    }

    private void run(String realmId, AtomicInteger state) {
        state.set(RUNNING);
        try {
            drain(realmId, Long.MAX_VALUE);
        } catch (RuntimeException e) {
            // The rows stay staged; the next trigger or the periodic sweep retries.
            LOG.warnf(e, "sequencing staged audit records of realm %s failed; they stay staged and are retried", realmId);
        }
        if (!state.compareAndSet(RUNNING, IDLE)) {
            state.set(GATHERING); // a trigger arrived during the run: go round once more, after gathering again
            schedule(realmId, state);
        }
    }

    /** Where this node's staged rows go in the order this sequencer moves them. */
    StageOrder stageOrder() {
        return stageOrder;
    }

    /**
     * Moves, in the calling thread, the realm's rows staged up to now, give or take
     * {@link #CLOCK_SKEW_ALLOWANCE_MILLIS} (a read that must show every change committed before it;
     * rows staged later are left to the background, so a read ends under any load). Returns false
     * when that failed, or failed for another read less than {@link #READ_BACKOFF_MILLIS} ago (then
     * it is not tried again: reads do not queue for a head row that cannot move).
     */
    boolean drainNow(String realmId) {
        long now = System.currentTimeMillis();
        Long until = readBackoff.get(realmId);
        if (until != null && now < until) {
            return false;
        }
        try {
            drain(realmId, Math.max(now, stageOrder.latest()) + CLOCK_SKEW_ALLOWANCE_MILLIS);
            readBackoff.remove(realmId);
            return true;
        } catch (RuntimeException e) {
            readBackoff.put(realmId, now + READ_BACKOFF_MILLIS);
            LOG.warnf("sequencing the staged audit records of realm %s for a read failed (reads leave it to the background for %d ms): %s",
                    realmId, READ_BACKOFF_MILLIS, e);
            LOG.debug("sequencing failure", e);
            return false;
        }
    }

    private void drain(String realmId, long stagedUpTo) {
        int moved;
        do {
            moved = mover.move(realmId, batchSize, stagedUpTo);
        } while (moved == batchSize);
    }

    void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
