package dev.nhiguard.audit.sink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Appends records and checkpoints as JSON lines (in the sink's format) to a file on the node that runs the delivery task, for log
 * shippers. In a cluster each node's file holds the batches that node delivered; ship all of
 * them, or use the log or webhook sink.
 */
public final class FileSink implements Sink {

    private final Path path;
    private final SinkFormat format;

    public FileSink(Path path, SinkFormat format) {
        this.path = path;
        this.format = format;
    }

    @Override
    public String id() {
        return "file";
    }

    /** Deliveries of several realms run at once: one append at a time, or their lines interleave in the file. */
    private final Object appending = new Object();

    @Override
    public String deliver(String realmId, long first, long last, List<SinkItem> items) {
        StringBuilder batch = new StringBuilder();
        items.forEach(item -> batch.append(format.render(item)).append('\n'));
        byte[] bytes = batch.toString().getBytes(StandardCharsets.UTF_8);
        synchronized (appending) {
            // Whole lines, appended while no other delivery of this node writes: a shipper tailing the file never sees
            // a line cut or two lines mixed (a test run caught two realms' records interleaved within one line).
            try {
                Files.write(path, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE,
                        StandardOpenOption.SYNC);
                return null;
            } catch (IOException e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        }
    }
}
