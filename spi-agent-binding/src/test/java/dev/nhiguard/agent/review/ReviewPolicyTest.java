package dev.nhiguard.agent.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ReviewPolicyTest {

    @Test
    void absentFieldsTakeTheDefaults() {
        ReviewPolicy p = ReviewPolicy.parse("{\"deadlineSeconds\":2,\"onUndecided\":\"narrow\"}");
        assertEquals(2, p.deadlineSeconds());
        assertEquals("narrow", p.onUndecided());
        assertEquals(0, p.intervalDays(), "scheduled campaigns are opt-in");
        assertEquals("all", p.scope());
        assertEquals(90, p.lookbackDays());
        assertEquals(List.of(), p.narrowOnSignals());
    }

    @Test
    void storedPolicyRoundTrips() {
        ReviewPolicy p = ReviewPolicy.parse("{\"intervalDays\":30,\"scope\":\"flagged\",\"narrowOnSignals\":[\"leaked-secret\"],"
                + "\"narrowKeepRoles\":[\"orders-read\",\"orders-read\",\"app/viewer\"]}");
        assertEquals(List.of("orders-read", "app/viewer"), p.narrowKeepRoles(), "duplicates collapse, order kept");
        assertEquals(p, ReviewPolicy.parse(p.toJson()));
        assertEquals(p, ReviewPolicy.stored(p.toJson()));
    }

    @Test
    void invalidPoliciesNameTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"deadlineSeconds\":0}"))
                .getMessage().contains("deadlineSeconds"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"onUndecided\":\"delete\"}"))
                .getMessage().contains("onUndecided"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"scope\":\"humans\"}"))
                .getMessage().contains("scope"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"narrowOnSignals\":[\"sunspots\"]}"))
                .getMessage().contains("sunspots"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"extra\":1}"))
                .getMessage().contains("extra"));
        assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"intervalDays\":1.5}"));
        assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("{\"scope\":\"all\",\"scope\":\"agents\"}"));
        assertThrows(IllegalArgumentException.class, () -> ReviewPolicy.parse("[]"));
    }

    @Test
    void anUnreadableStoredPolicyFallsBackToTheDefaults() {
        assertEquals(ReviewPolicy.DEFAULTS, ReviewPolicy.stored("{not json"));
        assertEquals(ReviewPolicy.DEFAULTS, ReviewPolicy.stored(null));
    }
}
