package dev.nhiguard.agent.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Test;

class IndexRowTest {

    @Test
    void sortKeyOrdersLikeStringCompareTo() {
        List<String> ids = new ArrayList<>(List.of("b", "B", "a-b", "a_b", "a", "ab", "aB", "Zeta", "alpha", "é", "e", "_x", "-x", "0", "9a",
                "a\u00e9", "az", "\u4e2d", "a.b", "~"));
        List<String> byJava = new ArrayList<>(ids);
        byJava.sort(Comparator.naturalOrder());
        List<String> byKey = new ArrayList<>(ids);
        byKey.sort(Comparator.comparing(IndexRow::sortKey));
        assertEquals(byJava, byKey);
        assertEquals("0061002d0062", IndexRow.sortKey("a-b"));
    }

    @Test
    void rowKeepsWhatTheFiltersNeed() {
        InventoryEntry agent = new InventoryEntry("u1", "Agent-1", true, true, "SUSPENDED",
                new InventoryEntry.Owner("user", "o1", "olga", "disabled"), "p", "2026-01-01T00:00:00Z", null, null,
                new InventoryEntry.Credential("client-jwt", "2026-01-02T00:00:00Z", 3L),
                new InventoryEntry.Roles(List.of(), List.of()), List.of("OVER_PRIVILEGED", "SUSPENDED", "ORPHANED"), null,
                "2026-02-01T00:00:00.123Z", new InventoryEntry.Owner("group", "g1", "/team", "active"), null, null);
        IndexRow r = IndexRow.of("realm", agent, "sa-user-1");
        assertEquals("sa-user-1", r.serviceAccountUserId());
        assertTrue(r.agent());
        assertTrue(r.suspended());
        assertTrue(r.overPrivileged());
        assertFalse(r.secretAuth());
        assertNull(r.secretAt());
        assertEquals("group", r.owner2Type());
        assertEquals(java.time.Instant.parse("2026-02-01T00:00:00.123Z").toEpochMilli(), r.expiresAt());

        InventoryEntry plain = new InventoryEntry("u2", "plain", true, false, null, null, null, "2026-01-01T00:00:00Z", null, null,
                new InventoryEntry.Credential("client-secret", "2026-01-05T00:00:00Z", 1L),
                new InventoryEntry.Roles(List.of(), List.of()), List.of("NO_OWNER"), null, null, null, null, null);
        IndexRow p = IndexRow.of("realm", plain, "sa-user-2");
        assertTrue(p.secretAuth());
        assertEquals(java.time.Instant.parse("2026-01-05T00:00:00Z").toEpochMilli(), p.secretAt());
        assertNull(p.ownerType());
        assertFalse(p.suspended());
    }

    @Test
    void anInstantBeyondEpochMillisSaturates() {
        assertEquals(Long.MAX_VALUE, IndexRow.millis("+1000000000-12-31T23:59:59Z"));
        assertEquals(Long.MIN_VALUE, IndexRow.millis("-1000000000-01-01T00:00:00Z"));
        assertEquals(253402300799000L, IndexRow.millis("9999-12-31T23:59:59Z"));
        assertNull(IndexRow.millis(null));
    }
}
