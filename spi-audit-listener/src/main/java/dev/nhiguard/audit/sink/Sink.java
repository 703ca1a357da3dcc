package dev.nhiguard.audit.sink;

import java.util.List;

/** A destination the chain is pushed to, batch by batch, in sequence order. */
public interface Sink {

    /** Stable id, the key of the sink's delivery state. */
    String id();

    /**
     * Delivers consecutive records {@code first..last} of a realm, one JSON line each (the
     * record with its hash). Returns null when delivered, else why not (the batch is retried).
     */
    String deliver(String realmId, long first, long last, List<String> lines);
}
