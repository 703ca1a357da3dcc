package dev.nhiguard.audit.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class SequencerTest {

    /** A fake staging table: rows per realm; the mover takes up to a batch and records overlaps. */
    static final class Staged implements Sequencer.BatchMover {
        final Map<String, AtomicInteger> rows = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        final AtomicInteger maxOverlap = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();
        final List<Integer> batches = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch gate = new CountDownLatch(0);

        void stage(String realm, int n) {
            rows.computeIfAbsent(realm, k -> new AtomicInteger()).addAndGet(n);
        }

        volatile RuntimeException failure;
        volatile long lastUpTo;

        @Override
        public int move(String realmId, int batchSize, long stagedUpTo) {
            lastUpTo = stagedUpTo;
            if (failure != null) {
                calls.incrementAndGet();
                throw failure;
            }
            calls.incrementAndGet();
            int now = inFlight.computeIfAbsent(realmId, k -> new AtomicInteger()).incrementAndGet();
            maxOverlap.accumulateAndGet(now, Math::max);
            try {
                gate.await(10, TimeUnit.SECONDS);
                AtomicInteger r = rows.computeIfAbsent(realmId, k -> new AtomicInteger());
                int moved;
                do {
                    int have = r.get();
                    moved = Math.min(have, batchSize);
                    if (r.compareAndSet(have, have - moved)) {
                        break;
                    }
                } while (true);
                batches.add(moved);
                return moved;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            } finally {
                inFlight.get(realmId).decrementAndGet();
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not done in time");
            Thread.sleep(5);
        }
    }

    @Test
    void drainsInBatchesUntilABatchIsNotFull() throws Exception {
        Staged staged = new Staged();
        Sequencer seq = new Sequencer(staged, null, 500, 0, 2);
        try {
            staged.stage("r", 1234);
            seq.trigger("r");
            await(() -> staged.rows.get("r").get() == 0 && staged.inFlight.get("r").get() == 0);
            await(() -> staged.batches.size() == 3);
            assertEquals(List.of(500, 500, 234), staged.batches);
        } finally {
            seq.close();
        }
    }

    @Test
    void triggersDuringARunAreCoalescedIntoOneMoreRoundAndNeverOverlap() throws Exception {
        Staged staged = new Staged();
        Sequencer seq = new Sequencer(staged, null, 10, 0, 4);
        try {
            staged.gate = new CountDownLatch(1); // the first run blocks inside its transaction
            staged.stage("r", 3);
            seq.trigger("r");
            await(() -> staged.calls.get() == 1);
            for (int i = 0; i < 100; i++) { // commits arriving while the run is under way
                staged.stage("r", 1);
                seq.trigger("r");
            }
            staged.gate.countDown();
            await(() -> staged.rows.get("r").get() == 0 && staged.inFlight.get("r").get() == 0);
            Thread.sleep(100);
            assertEquals(1, staged.maxOverlap.get(), "at most one run per realm on a node");
            // the first run moved the 3 rows (plus what was staged by then), then one more round drained the rest
            assertTrue(staged.calls.get() <= 20, "coalesced, not one run per trigger: " + staged.calls.get());
            assertEquals(0, staged.rows.get("r").get());
        } finally {
            seq.close();
        }
    }

    @Test
    void commitsArrivingWhileARunGathersAreMovedAsOneBatch() throws Exception {
        Staged staged = new Staged();
        Sequencer seq = new Sequencer(staged, null, 500, 300, 2);
        try {
            for (int i = 0; i < 50; i++) { // commits of one moment, each triggering after its commit
                staged.stage("r", 1);
                seq.trigger("r");
            }
            await(() -> staged.rows.get("r").get() == 0 && staged.inFlight.get("r").get() == 0);
            Thread.sleep(400);
            assertEquals(List.of(50), staged.batches, "one run, one batch, no empty round after it");
        } finally {
            seq.close();
        }
    }

    @Test
    void realmsAreSequencedIndependently() throws Exception {
        Staged staged = new Staged();
        Sequencer seq = new Sequencer(staged, null, 7, 0, 2);
        try {
            staged.stage("a", 20);
            staged.stage("b", 5);
            seq.trigger(List.of("a", "b"));
            await(() -> staged.rows.get("a").get() == 0 && staged.rows.get("b").get() == 0);
        } finally {
            seq.close();
        }
    }

    @Test
    void aReadMovesWhatIsStagedUpToNowAndLeavesAFailedRealmToTheBackgroundForAWhile() throws Exception {
        Staged staged = new Staged();
        staged.stage("r", 1203);
        Sequencer seq = new Sequencer(staged, null, 500, 0, 2);
        try {
            long before = System.currentTimeMillis();
            assertTrue(seq.drainNow("r"));
            assertEquals(0, staged.rows.get("r").get(), "every staged row moved, in batches");
            assertEquals(List.of(500, 500, 203), staged.batches);
            assertTrue(staged.lastUpTo >= before && staged.lastUpTo < Long.MAX_VALUE, "bounded by the read's time: " + staged.lastUpTo);

            staged.failure = new IllegalStateException("head frozen");
            int calls = staged.calls.get();
            assertFalse(seq.drainNow("r"));
            assertEquals(calls + 1, staged.calls.get());
            assertFalse(seq.drainNow("r"), "within the back-off a read does not try again");
            assertEquals(calls + 1, staged.calls.get());
            staged.failure = null;
            assertTrue(seq.drainNow("other"), "another realm is not held back");
            Thread.sleep(Sequencer.READ_BACKOFF_MILLIS + 100);
            assertTrue(seq.drainNow("r"), "after the back-off a read tries again");
        } finally {
            seq.close();
        }
    }
}
