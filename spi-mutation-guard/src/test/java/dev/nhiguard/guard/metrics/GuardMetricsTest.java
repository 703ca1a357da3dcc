package dev.nhiguard.guard.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.nhiguard.guard.changerequest.State;

class GuardMetricsTest {

    @Test
    void everyStateOfARealmWithRequestsIsReportedZeroFilled() {
        GuardMetrics.Reading r = GuardMetrics.reading(
                List.of(new Object[] {"r1", "PENDING", 2L}, new Object[] {"r1", "APPLIED", 5L}, new Object[] {"r2", "FAILED", 1L},
                        new Object[] {"r2", "NO_SUCH_STATE", 9L}),
                List.<Object[]>of(new Object[] {"r1", 1234L}));
        Map<State, Long> r1 = r.byRealmAndState().get("r1");
        assertEquals(State.values().length, r1.size());
        assertEquals(2L, r1.get(State.PENDING));
        assertEquals(5L, r1.get(State.APPLIED));
        assertEquals(0L, r1.get(State.REJECTED));
        assertEquals(1L, r.byRealmAndState().get("r2").get(State.FAILED));
        assertEquals(1L, r.byRealmAndState().get("r2").values().stream().mapToLong(Long::longValue).sum(),
                "an unknown state is not counted");
        assertEquals(1234L, r.oldestPendingCreatedAt().get("r1"));
        assertFalse(r.oldestPendingCreatedAt().containsKey("r2"));
    }
}
