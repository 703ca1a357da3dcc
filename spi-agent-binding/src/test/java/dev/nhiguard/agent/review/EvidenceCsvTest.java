package dev.nhiguard.agent.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class EvidenceCsvTest {

    @Test
    void rowsAreQuotedAndFormulasDefused() {
        Evidence.Row row = new Evidence.Row("c1", "i1", "u1", "=cmd|x", "owner", "owen ann", "KEEP", "owen", "2026-12-03T00:00:00Z",
                "ab".repeat(32), "{\"attestedUntil\":\"next campaign\"}", 7L, "cd".repeat(32), "{\"a\":\"b,c\"}");
        String csv = Evidence.csv(new Evidence.Export(null, "now", true, List.of(row)));
        String[] lines = csv.split("\r\n");
        assertEquals(String.join(",", Evidence.CSV_COLUMNS), lines[0]);
        assertTrue(lines[1].startsWith("c1,i1,u1,'=cmd|x,owner,owen ann,KEEP,owen,2026-12-03T00:00:00Z,"), lines[1]);
        assertTrue(lines[1].contains(",\"{\"\"attestedUntil\"\":\"\"next campaign\"\"}\",7," + "cd".repeat(32) + ","), lines[1]);
        assertTrue(lines[1].endsWith(",\"{\"\"a\"\":\"\"b,c\"\"}\""), lines[1]);
    }

    @Test
    void aRowWithoutChainLinkLeavesTheCellsEmpty() {
        Evidence.Row row = new Evidence.Row("c1", "i1", "u1", "svc", "none", "", null, null, null, "ef".repeat(32), null, null, null, "{}");
        String line = Evidence.csv(new Evidence.Export(null, "now", false, List.of(row))).split("\r\n")[1];
        assertEquals("c1,i1,u1,svc,none,,,,," + "ef".repeat(32) + ",,,,{}", line);
    }
}
