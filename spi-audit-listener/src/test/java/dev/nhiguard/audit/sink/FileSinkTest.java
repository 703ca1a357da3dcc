package dev.nhiguard.audit.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file sink appends each batch as whole JSON lines, each ended by a newline, after what the file already holds. */
class FileSinkTest {

    static SinkItem item(long seq) {
        return new SinkItem(SinkItem.Kind.RECORD, "r1", seq, 1700000000000L + seq, "{\"realmId\":\"r1\",\"seq\":" + seq + "}");
    }

    @Test
    void batchesAppendWholeLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("audit.jsonl");
        FileSink sink = new FileSink(file, SinkFormat.NATIVE);
        assertNull(sink.deliver("r1", 1, 2, List.of(item(1), item(2))));
        assertNull(sink.deliver("r1", 3, 3, List.of(item(3))));

        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(text.endsWith("\n"), text);
        assertEquals(List.of("{\"realmId\":\"r1\",\"seq\":1}", "{\"realmId\":\"r1\",\"seq\":2}", "{\"realmId\":\"r1\",\"seq\":3}"),
                text.lines().toList());
    }

    @Test
    void anUnwritableFileIsReportedNotThrown(@TempDir Path dir) {
        String error = new FileSink(dir.resolve("missing-dir").resolve("audit.jsonl"), SinkFormat.NATIVE).deliver("r1", 1, 1, List.of(item(1)));
        assertTrue(error != null && error.startsWith("NoSuchFileException"), error);
    }
}
