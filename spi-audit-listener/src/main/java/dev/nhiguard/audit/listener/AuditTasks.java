package dev.nhiguard.audit.listener;

import org.keycloak.models.KeycloakSession;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.audit.metrics.AuditMetrics;

/**
 * The audit chain's periodic work, one named class per task. Keycloak's
 * {@code ClusterAwareScheduledTaskRunner} keys its cluster-wide "run once per interval" on the
 * task's simple class name; a lambda's generated name differs from node to node, so every node
 * would run every task. These names are the keys: unique, and the same on every node.
 */
final class AuditTasks {

    private AuditTasks() {
    }

    /** Checkpoints the chains whose head moved since their last checkpoint. */
    static final class NhiAuditCheckpointTask implements ScheduledTask {
        private final AuditConfig config;

        NhiAuditCheckpointTask(AuditConfig config) {
            this.config = config;
        }

        @Override
        public void run(KeycloakSession session) {
            config.checkpoints().checkpointMovedHeads(session);
        }
    }

    /** Triggers the sequencer for every realm with staged rows (rows a stopped node left, say). */
    static final class NhiAuditSequencerSweepTask implements ScheduledTask {
        private final Sequencer sequencer;

        NhiAuditSequencerSweepTask(Sequencer sequencer) {
            this.sequencer = sequencer;
        }

        @Override
        public void run(KeycloakSession session) {
            sequencer.sweep(session);
        }
    }

    /** Delivers the chains to the sinks realms configure themselves. */
    static final class NhiAuditRealmSinkTask implements ScheduledTask {
        private final AuditConfig config;
        private final AuditMetrics metrics;

        NhiAuditRealmSinkTask(AuditConfig config, AuditMetrics metrics) {
            this.config = config;
            this.metrics = metrics;
        }

        @Override
        public void run(KeycloakSession session) {
            config.realmSinkDelivery().deliverAll(session, config.checkpoints(), metrics::sinkDeliveryFailed);
        }
    }

    /** Delivers the chains to the operator's sinks. */
    static final class NhiAuditSinkTask implements ScheduledTask {
        private final AuditConfig config;
        private final AuditMetrics metrics;

        NhiAuditSinkTask(AuditConfig config, AuditMetrics metrics) {
            this.config = config;
            this.metrics = metrics;
        }

        @Override
        public void run(KeycloakSession session) {
            config.sinks().deliverAll(session, config.checkpoints(), metrics::sinkDeliveryFailed);
        }
    }
}
