package dev.nhiguard.agent.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class InventoryCsvTest {

    @Test
    void quotesSeparatorsAndNeutralisesFormulas() {
        assertEquals("plain", InventoryCsv.escape("plain"));
        assertEquals("\"a,b\"", InventoryCsv.escape("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", InventoryCsv.escape("say \"hi\""));
        assertEquals("'=HYPERLINK(1)", InventoryCsv.escape("=HYPERLINK(1)"));
        assertEquals("", InventoryCsv.escape(null));
    }

    @Test
    void oneLinePerEntryAfterTheHeader() {
        InventoryEntry e = new InventoryEntry("id1", "svc", true, false, null,
                new InventoryEntry.Owner("user", "u1", "olga", "active"), "nightly, export", "2026-01-01T00:00:00Z", null, null,
                new InventoryEntry.Credential("client-secret", null, null),
                new InventoryEntry.Roles(List.of("a"), List.of("a", "b/c")), List.of("DORMANT", "NO_OWNER"), null,
                null, null, null, null);
        String csv = InventoryCsv.write(List.of(e));
        String[] lines = csv.split("\r\n");
        assertEquals(2, lines.length);
        assertEquals(String.join(",", InventoryCsv.HEADER), lines[0]);
        assertTrue(lines[1].startsWith("id1,svc,true,false,,user,u1,olga,active,\"nightly, export\","), lines[1]);
        assertTrue(lines[1].contains(",a,a;b/c,DORMANT;NO_OWNER,"), lines[1]);
    }
}
