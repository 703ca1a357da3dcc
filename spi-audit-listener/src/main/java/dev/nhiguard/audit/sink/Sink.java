package dev.nhiguard.audit.sink;

import java.util.List;

/** A destination the chain is pushed to, batch by batch, in sequence order, with its checkpoints. */
public interface Sink {

    /** Stable id, the key of the sink's delivery state. */
    String id();

    /**
     * Delivers items of a realm in stream order: records in {@code seq} order, each followed by
     * the checkpoint at its seq when there is one; a batch may start with the checkpoint of the
     * record delivered last (made after that record was delivered) and may consist of it alone.
     * {@code first} and {@code last} are the smallest and largest {@code seq} of the items.
     * Returns null when delivered, else why not (the batch is retried).
     */
    String deliver(String realmId, long first, long last, List<SinkItem> items);

    /** Releases what the sink holds open (connections), when the server stops. */
    default void close() {
    }
}
