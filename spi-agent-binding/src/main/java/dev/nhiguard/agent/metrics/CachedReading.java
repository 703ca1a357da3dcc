package dev.nhiguard.agent.metrics;

import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

/**
 * A database reading shared by the gauges of one module on this node: read when a gauge is
 * scraped, but at most once per interval. A failed reading is logged once (until a reading
 * succeeds again) and the gauges keep reporting the last good one.
 *
 * <p>The same class as the mutation guard's and the audit module's: each provider JAR is deployed
 * on its own and none depends on another, so each carries its copy (tested in each module).
 */
final class CachedReading<T> {

    private static final Logger LOG = Logger.getLogger(CachedReading.class);

    private final String what;
    private final Supplier<T> reader;
    private final Consumer<T> onFresh;
    private final long intervalMillis;
    private final LongSupplier clock;

    private T last;
    private boolean attempted;
    private long attemptedAt;
    private long succeededAt;
    private boolean failing;

    CachedReading(String what, Supplier<T> reader, Consumer<T> onFresh, long intervalMillis, LongSupplier clock) {
        this.what = what;
        this.reader = reader;
        this.onFresh = onFresh;
        this.intervalMillis = intervalMillis;
        this.clock = clock;
    }

    /** The last good reading, refreshed first (and handed to {@code onFresh}) if the interval has passed since the last attempt; null before any. */
    synchronized T get() {
        long now = clock.getAsLong();
        if (attempted && now - attemptedAt < intervalMillis) {
            return last;
        }
        attempted = true;
        attemptedAt = now;
        T fresh;
        try {
            fresh = reader.get();
            onFresh.accept(fresh);
        } catch (RuntimeException e) {
            if (!failing) {
                LOG.warnf(e, "%s: the metrics reading failed; the gauges report the reading of %d ms ago until one succeeds",
                        what, succeededAt == 0 ? -1 : now - succeededAt);
            }
            failing = true;
            return last;
        }
        if (failing) {
            LOG.infof("%s: the metrics reading succeeds again", what);
        }
        failing = false;
        last = fresh;
        succeededAt = now;
        return last;
    }

    /** Clock time of the last good reading, 0 if none yet. */
    synchronized long succeededAt() {
        return succeededAt;
    }
}
