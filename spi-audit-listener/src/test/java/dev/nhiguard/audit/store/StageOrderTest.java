package dev.nhiguard.audit.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StageOrderTest {

    @Test
    void positionsGivenOneAfterAnotherSortInThatOrderWithinAMillisecond() {
        StageOrder order = new StageOrder();
        StageOrder.Position previous = order.next();
        int sameMillisecond = 0;
        for (int i = 0; i < 100_000; i++) {
            StageOrder.Position p = order.next();
            assertEquals(24, p.idPrefix().length());
            assertTrue(p.stagedAt() >= previous.stagedAt(), "the staging time never goes back");
            if (p.stagedAt() == previous.stagedAt()) {
                sameMillisecond++;
                assertTrue(p.idPrefix().compareTo(previous.idPrefix()) > 0, previous + " then " + p);
            }
            previous = p;
        }
        assertTrue(sameMillisecond > 0, "the test met positions within one millisecond");
        assertEquals(previous.stagedAt(), order.latest());
    }

    @Test
    void theIdsOfOnePositionKeepTheirIndexOrder() {
        String prefix = new StageOrder().next().idPrefix();
        // As AuditChainStore.stage writes them: the prefix, then the draft's index in 12 hex digits.
        assertTrue((prefix + StageOrder.hex12(9)).compareTo(prefix + StageOrder.hex12(10)) < 0);
        assertEquals(36, (prefix + StageOrder.hex12(0)).length());
    }

    @Test
    void hex12WritesWhatTheFormatterWrites() {
        for (long n : new long[] {0, 1, 9, 10, 15, 16, 255, 4096, 0xabcdefL, 0xffffffffffL, 0xfffffffffffL, 0x1000000000000L, Long.MAX_VALUE}) {
            assertEquals(String.format("%012x", n), StageOrder.hex12(n), "n = " + n);
        }
    }
}
