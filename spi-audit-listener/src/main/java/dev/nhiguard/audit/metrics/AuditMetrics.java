package dev.nhiguard.audit.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * The audit chain's meters. Sink delivery errors are counted on the node that tried; the
 * chain heads, staged records and sink cursors are shared state, read with three bounded
 * queries (one row per realm, per realm and sink) at scrape time, at most once per read
 * interval on this node. One instance per server, owned by the listener factory.
 */
public final class AuditMetrics {

    static final String CHAIN_HEAD = "nhi.guard.audit.chain.head";
    static final String STAGED = "nhi.guard.audit.staged.events";
    static final String STAGED_AGE = "nhi.guard.audit.staged.oldest.age";
    static final String SINK_LAG = "nhi.guard.audit.sink.lag";
    static final String SINK_ERRORS = "nhi.guard.audit.sink.delivery.errors";
    static final String READING_AGE = "nhi.guard.metrics.reading.age";

    /** Staged records of a realm: how many, and when the oldest was staged (ms, 0 if none). */
    record Staged(long count, long oldestAt) {
    }

    /**
     * Per realm name: the chain head's sequence number, the staged events, and per configured
     * sink the sequence number delivered (0 before the first delivery).
     */
    record Reading(Map<String, Long> heads, Map<String, Staged> staged, Map<String, Map<String, Long>> delivered) {
        long lag(String sink, String realm) {
            long head = heads.getOrDefault(realm, 0L);
            long done = delivered.getOrDefault(sink, Map.of()).getOrDefault(realm, 0L);
            return Math.max(0, head - done);
        }
    }

    private final List<String> sinkIds;
    private final Meter.MeterProvider<Counter> sinkErrors;
    private final MultiGauge heads;
    private final MultiGauge staged;
    private final MultiGauge stagedAge;
    private final MultiGauge sinkLag;
    private final CachedReading<Reading> reading;

    private AuditMetrics(MeterRegistry registry, KeycloakSessionFactory factory, List<String> sinkIds, long readIntervalMillis) {
        this.sinkIds = List.copyOf(sinkIds);
        sinkErrors = Counter.builder(SINK_ERRORS)
                .description("Failed deliveries of audit records to a push sink on this node (each is retried with back-off)")
                .withRegistry(registry);
        heads = MultiGauge.builder(CHAIN_HEAD)
                .description("Sequence number of the realm's last audit chain record (the number of records appended)")
                .register(registry);
        staged = MultiGauge.builder(STAGED)
                .description("Records (admin and user events) of the realm staged and not yet sequenced into its chain")
                .register(registry);
        stagedAge = MultiGauge.builder(STAGED_AGE).baseUnit("seconds")
                .description("Age of the realm's oldest staged user event, 0 if none: the sequencer's lag")
                .register(registry);
        sinkLag = MultiGauge.builder(SINK_LAG)
                .description("Records of the realm's chain not yet delivered to the sink: chain head minus the sink's cursor")
                .register(registry);
        reading = new CachedReading<>("audit chain", () -> read(factory), this::show, readIntervalMillis,
                System::currentTimeMillis);
        Gauge.builder(READING_AGE, this, AuditMetrics::readingAgeSeconds).baseUnit("seconds").tag("module", "audit")
                .description("Seconds since the module's gauges were last read from the database (NaN before the first reading); "
                        + "growing well beyond the read interval means readings fail")
                .register(registry);
    }

    /**
     * Registers the audit chain's meters; {@code sinkIds} are the configured push sinks, the gauges
     * read the database at most once per {@code readIntervalMillis}.
     */
    public static AuditMetrics register(MeterRegistry registry, KeycloakSessionFactory factory, List<String> sinkIds,
            long readIntervalMillis) {
        return new AuditMetrics(registry, factory, sinkIds, readIntervalMillis);
    }

    /** A delivery to the sink failed on this node. */
    public void sinkDeliveryFailed(String sinkId) {
        sinkErrors.withTags("sink", sinkId).increment();
    }

    private static Reading read(KeycloakSessionFactory factory) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            var em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
            List<Object[]> heads = em.createQuery("select r.name, h.seq from AuditHeadEntity h, RealmEntity r "
                    + "where r.id = h.realmId", Object[].class).getResultList();
            List<Object[]> staged = em.createQuery("select r.name, count(s), min(s.stagedAt) from AuditStagedEntity s, RealmEntity r "
                    + "where r.id = s.realmId group by r.name", Object[].class).getResultList();
            List<Object[]> delivered = em.createQuery("select st.sinkId, r.name, st.deliveredSeq from SinkStateEntity st, RealmEntity r "
                    + "where r.id = st.realmId", Object[].class).getResultList();
            return reading(heads, staged, delivered);
        });
    }

    /** Rows of (realm, head seq), (realm, staged count, oldest staged at) and (sink, realm, delivered seq). */
    static Reading reading(List<Object[]> headRows, List<Object[]> stagedRows, List<Object[]> deliveredRows) {
        Map<String, Long> heads = new TreeMap<>();
        for (Object[] row : headRows) {
            heads.put((String) row[0], ((Number) row[1]).longValue());
        }
        Map<String, Staged> staged = new TreeMap<>();
        for (Object[] row : stagedRows) {
            staged.put((String) row[0], new Staged(((Number) row[1]).longValue(), row[2] == null ? 0 : ((Number) row[2]).longValue()));
        }
        Map<String, Map<String, Long>> delivered = new TreeMap<>();
        for (Object[] row : deliveredRows) {
            delivered.computeIfAbsent((String) row[0], k -> new TreeMap<>()).put((String) row[1], ((Number) row[2]).longValue());
        }
        return new Reading(heads, staged, delivered);
    }

    /** A new reading: the rows follow the realms it holds (series of vanished realms are removed). */
    private void show(Reading r) {
        List<MultiGauge.Row<?>> headRows = new ArrayList<>();
        List<MultiGauge.Row<?>> stagedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> ageRows = new ArrayList<>();
        List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
        for (String realm : r.heads().keySet()) {
            headRows.add(MultiGauge.Row.of(Tags.of("realm", realm), this, m -> m.head(realm)));
            for (String sink : sinkIds) {
                lagRows.add(MultiGauge.Row.of(Tags.of("realm", realm, "sink", sink), this, m -> m.lag(sink, realm)));
            }
            // a realm's own sinks (state key realm:<id>:<destination hash>), where that realm has delivery state
            r.delivered().forEach((sink, byRealm) -> {
                if (sink.startsWith("realm:") && byRealm.containsKey(realm)) {
                    lagRows.add(MultiGauge.Row.of(Tags.of("realm", realm, "sink", sink), this, m -> m.lag(sink, realm)));
                }
            });
        }
        Set<String> realms = new TreeSet<>(r.heads().keySet());
        realms.addAll(r.staged().keySet());
        for (String realm : realms) {
            stagedRows.add(MultiGauge.Row.of(Tags.of("realm", realm), this, m -> m.staged(realm)));
            ageRows.add(MultiGauge.Row.of(Tags.of("realm", realm), this, m -> m.stagedAgeSeconds(realm)));
        }
        heads.register(headRows, false);
        staged.register(stagedRows, false);
        stagedAge.register(ageRows, false);
        sinkLag.register(lagRows, false);
    }

    private double head(String realm) {
        Reading r = reading.get();
        Long seq = r == null ? null : r.heads().get(realm);
        return seq == null ? Double.NaN : seq;
    }

    private double lag(String sink, String realm) {
        Reading r = reading.get();
        return r == null || !r.heads().containsKey(realm) ? Double.NaN : r.lag(sink, realm);
    }

    private double staged(String realm) {
        Reading r = reading.get();
        if (r == null) {
            return Double.NaN;
        }
        Staged s = r.staged().get(realm);
        return s == null ? 0 : s.count();
    }

    private double stagedAgeSeconds(String realm) {
        Reading r = reading.get();
        if (r == null) {
            return Double.NaN;
        }
        Staged s = r.staged().get(realm);
        return s == null || s.count() == 0 ? 0 : Math.max(0, System.currentTimeMillis() - s.oldestAt()) / 1000.0;
    }

    private double readingAgeSeconds() {
        reading.get();
        long at = reading.succeededAt();
        return at == 0 ? Double.NaN : (System.currentTimeMillis() - at) / 1000.0;
    }
}
