package dev.nhiguard.audit.store;

import java.util.concurrent.atomic.AtomicLong;

import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Where this node's staged rows go in the sequencer's order (staging time, then id). The staging
 * time is the wall clock, never going back on this node, and the id starts with a counter of this
 * node: two rows staged one after the other on a node are sequenced in that order, even within one
 * millisecond (a guarded apply that commits its change and then records the decision in a second
 * transaction). Rows staged on different nodes are ordered by their nodes' clocks. Owned by the
 * listener factory; one instance per server.
 */
public final class StageOrder {

    /** A staging position: its time, and the prefix of its rows' ids (24 characters; the row's index in its call follows). */
    public record Position(long stagedAt, String idPrefix) {
    }

    private final AtomicLong lastMillis = new AtomicLong();
    private final AtomicLong counter = new AtomicLong();
    /** Random characters chosen when this node starts: ids of different nodes (and of one node's runs) never meet. */
    private final String node = KeycloakModelUtils.generateId().replace("-", "").substring(0, 12);

    /** The latest staging time this node gave (0 before the first). */
    public long latest() {
        return lastMillis.get();
    }

    public Position next() {
        long at = lastMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
        long n = counter.incrementAndGet();
        // The counter, then this node's random characters (no random number drawn on the token path).
        return new Position(at, hex12(n) + node);
    }

    /** {@code n} as 12 lower-case hex digits, zero-padded, as {@code %012x} gives it (no formatter on the token path). */
    public static String hex12(long n) {
        String hex = Long.toHexString(n);
        return hex.length() >= 12 ? hex : "000000000000".substring(hex.length()) + hex;
    }
}
