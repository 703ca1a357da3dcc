package dev.nhiguard.audit.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class AuditMetricsTest {

    @Test
    void sinkLagIsTheHeadMinusTheSinkCursorAndTheWholeChainBeforeAnyDelivery() {
        AuditMetrics.Reading r = AuditMetrics.reading(
                List.of(new Object[] {"r1", 40L}, new Object[] {"r2", 7L}),
                List.<Object[]>of(new Object[] {"r1", 3L, 1000L}),
                List.of(new Object[] {"file", "r1", 35L}, new Object[] {"webhook", "r1", 40L}));
        assertEquals(5, r.lag("file", "r1"));
        assertEquals(0, r.lag("webhook", "r1"));
        assertEquals(7, r.lag("file", "r2"), "no cursor yet: nothing delivered");
        assertEquals(7, r.lag("syslog", "r2"));
        assertEquals(40L, r.heads().get("r1"));
        assertEquals(new AuditMetrics.Staged(3, 1000), r.staged().get("r1"));
    }
}
