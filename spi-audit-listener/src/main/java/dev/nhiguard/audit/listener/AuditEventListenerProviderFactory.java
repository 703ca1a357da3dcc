package dev.nhiguard.audit.listener;

import java.util.List;
import java.util.Map;

import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.scheduled.ClusterAwareScheduledTaskRunner;
import org.keycloak.timer.TimerProvider;

import io.micrometer.core.instrument.Metrics;

import dev.nhiguard.audit.ModuleVersion;
import dev.nhiguard.audit.metrics.AuditMetrics;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.RecordSealing;

/**
 * The audit chain's event listener. Global: Keycloak delivers every realm's events to it
 * without any realm configuration, so a realm administrator cannot switch it off.
 */
public final class AuditEventListenerProviderFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-audit-chain";

    private AuditConfig config;
    /** Moves staged records into their chains (also with both modes inline: rows left staged before a switch). */
    private Sequencer sequencer;
    /** The audit chain's meters in Micrometer's global registry (exposed by Keycloak with --metrics-enabled). */
    private AuditMetrics metrics;

    /** Whether the realm's events are chained (the include and exclude options). */
    boolean chains(String realmId, String realmName) {
        return config != null && config.realmIncluded(realmId, realmName);
    }

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new AuditEventListenerProvider(session, config, sequencer);
    }

    @Override
    public void init(Config.Scope scope) {
        config = AuditConfig.from(scope);
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        metrics = AuditMetrics.register(Metrics.globalRegistry, factory, sinkIds(), config.metricsReadIntervalSeconds() * 1000L);
        sequencer = new Sequencer(factory, config.checkpoints(), config.sealing(), config.sequencerBatchSize(),
                config.sequencerGatherMillis(), 2);
        factory.register(event -> {
            if (!(event instanceof PostMigrationEvent)) {
                return;
            }
            try (KeycloakSession session = factory.create()) {
                TimerProvider timer = session.getProvider(TimerProvider.class);
                if (config.checkpointIntervalSeconds() > 0) {
                    long interval = config.checkpointIntervalSeconds() * 1000L;
                    timer.schedule(new ClusterAwareScheduledTaskRunner(factory, new AuditTasks.NhiAuditCheckpointTask(config), interval), interval,
                            "nhi-audit-checkpoints");
                }
                long sweepInterval = config.sequencerIntervalSeconds() * 1000L;
                timer.schedule(new ClusterAwareScheduledTaskRunner(factory, new AuditTasks.NhiAuditSequencerSweepTask(sequencer), sweepInterval),
                        sweepInterval, "nhi-audit-sequencer");
                if (config.realmSinkDelivery() != null) {
                    long interval = config.sinkIntervalSeconds() * 1000L;
                    timer.schedule(new ClusterAwareScheduledTaskRunner(factory, new AuditTasks.NhiAuditRealmSinkTask(config, metrics), interval),
                            interval, "nhi-audit-realm-sinks");
                }
                if (config.sinks() != null) {
                    long interval = config.sinkIntervalSeconds() * 1000L;
                    timer.schedule(new ClusterAwareScheduledTaskRunner(factory, new AuditTasks.NhiAuditSinkTask(config, metrics), interval), interval,
                            "nhi-audit-sinks");
                }
            }
        });
    }

    /**
     * Moves the realm's records staged up to now into its chain, in the caller's thread, so that a
     * read of the chain that follows sees every change committed before it (on any node). Returns
     * false when that failed now or moments ago (the records stay staged and the background
     * sequencer retries them; the failure is logged).
     */
    public boolean sequenceStagedNow(String realmId) {
        return sequencer.drainNow(realmId);
    }

    /** How checkpoints are signed, for the REST resource. */
    public Checkpoints checkpoints() {
        return config.checkpoints();
    }

    /** How credentials in records are sealed, for records the REST resource appends. */
    public RecordSealing sealing() {
        return config.sealing();
    }

    /** Largest record in bytes, for records the REST resource appends. */
    public int maxRecordBytes() {
        return config.maxRecordBytes();
    }

    /** Realms' own sinks: their configuration and the operator's allow-list. */
    public dev.nhiguard.audit.realmsink.RealmSinks realmSinks() {
        return config.realmSinks();
    }

    /** Ids of the configured push sinks. */
    public List<String> sinkIds() {
        return config.sinks() == null ? List.of() : config.sinks().sinks().stream().map(dev.nhiguard.audit.sink.Sink::id).toList();
    }

    @Override
    public void close() {
        if (sequencer != null) {
            sequencer.close();
        }
        if (config != null && config.sinks() != null) {
            config.sinks().close();
        }
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public boolean isGlobal() {
        return true;
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return AuditConfig.metadata();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get(),
                "user-event-types", String.join(",", config.userEventTypes()),
                "max-record-bytes", Integer.toString(config.maxRecordBytes()),
                "checkpoint-interval-seconds", Integer.toString(config.checkpointIntervalSeconds()),
                "token-events", config.tokenEventsBatched() ? "batched" : "inline",
                "admin-events", config.adminEventsStaged() ? "staged" : "inline",
                "realm-sinks", config.realmSinks().enabled() ? "enabled" : "off",
                "sinks", config.sinks() == null ? "none"
                        : String.join(",", config.sinks().sinks().stream().map(dev.nhiguard.audit.sink.Sink::id).toList()));
    }
}
