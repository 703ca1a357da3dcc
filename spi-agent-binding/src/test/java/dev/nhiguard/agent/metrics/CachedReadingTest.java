package dev.nhiguard.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class CachedReadingTest {

    @Test
    void readsAtMostOncePerIntervalAndHandsFreshReadingsOn() {
        AtomicLong clock = new AtomicLong(1_000);
        AtomicInteger reads = new AtomicInteger();
        List<Integer> shown = new ArrayList<>();
        CachedReading<Integer> r = new CachedReading<>("test", reads::incrementAndGet, shown::add, 10_000, clock::get);
        assertEquals(1, r.get());
        clock.addAndGet(9_999);
        assertEquals(1, r.get());
        assertEquals(1, reads.get(), "no second reading within the interval");
        clock.addAndGet(1);
        assertEquals(2, r.get());
        assertEquals(List.of(1, 2), shown);
        assertEquals(11_000, r.succeededAt());
    }

    @Test
    void aFailedReadingKeepsTheLastValueAndIsRetriedAfterTheInterval() {
        AtomicLong clock = new AtomicLong(1_000);
        AtomicInteger calls = new AtomicInteger();
        CachedReading<Integer> r = new CachedReading<>("test", () -> {
            int n = calls.incrementAndGet();
            if (n == 2 || n == 3) {
                throw new IllegalStateException("database gone");
            }
            return n;
        }, x -> { }, 10_000, clock::get);
        assertEquals(1, r.get());
        clock.addAndGet(10_000);
        assertEquals(1, r.get(), "the last good reading");
        assertEquals(1, r.get());
        assertEquals(2, calls.get(), "a failure is not retried within the interval either");
        clock.addAndGet(10_000);
        assertEquals(1, r.get());
        clock.addAndGet(10_000);
        assertEquals(4, r.get());
        assertEquals(31_000, r.succeededAt());
    }

    @Test
    void nothingBeforeTheFirstGoodReading() {
        CachedReading<Integer> r = new CachedReading<>("test", () -> {
            throw new IllegalStateException("no tables yet");
        }, x -> { }, 10_000, () -> 5);
        assertNull(r.get());
        assertEquals(0, r.succeededAt());
    }
}
