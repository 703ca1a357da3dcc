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

    /** Moves up to {@code batchSize} staged rows of a realm into its chain in one transaction; returns how many. */
    @FunctionalInterface
    interface BatchMover {
        int move(String realmId, int batchSize);
    }

    private final BatchMover mover;
    private final Checkpoints checkpoints;
    private final int batchSize;
    private final long gatherMillis;
    private final ScheduledExecutorService executor;
    private final ConcurrentMap<String, AtomicInteger> states = new ConcurrentHashMap<>();

    Sequencer(KeycloakSessionFactory factory, Checkpoints checkpoints, RecordSealing sealing, int batchSize, long gatherMillis,
              int threads) {
        this((realmId, max) -> KeycloakModelUtils.runJobInTransactionWithResult(factory,
                s -> new AuditChainStore(s, checkpoints, sealing).sequenceStaged(realmId, max)), checkpoints, batchSize, gatherMillis,
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
            drain(realmId);
        } catch (RuntimeException e) {
            // The rows stay staged; the next trigger or the periodic sweep retries.
            LOG.warnf(e, "sequencing staged audit records of realm %s failed; they stay staged and are retried", realmId);
        }
        if (!state.compareAndSet(RUNNING, IDLE)) {
            state.set(GATHERING); // a trigger arrived during the run: go round once more, after gathering again
            schedule(realmId, state);
        }
    }

    /** Drains the realm's staged rows in the calling thread (a reader that must see them); false if that failed. */
    boolean drainNow(String realmId) {
        try {
            drain(realmId);
            return true;
        } catch (RuntimeException e) {
            LOG.warnf(e, "sequencing staged audit records of realm %s before a read failed; they stay staged and are retried", realmId);
            return false;
        }
    }

    private void drain(String realmId) {
        int moved;
        do {
            moved = mover.move(realmId, batchSize);
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
