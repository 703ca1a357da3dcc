package dev.nhiguard.audit.sink;

import java.util.List;
import java.util.function.Consumer;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.audit.store.AuditChainStore;
import dev.nhiguard.audit.store.AuditHeadEntity;
import dev.nhiguard.audit.store.AuditRecordEntity;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.SinkStateEntity;

/**
 * Drives the push sinks from the chain table (it is the outbox): the delivered position per
 * sink and realm lives in {@code NHI_AUDIT_SINK_STATE} and is locked while a node delivers,
 * so delivery is in order, at-least-once and resumable by any node. Failures back off
 * exponentially (2 s, 4 s, … up to the configured maximum).
 */
public final class SinkRunner {

    private static final Logger LOG = Logger.getLogger(SinkRunner.class);
    private static final int MAX_BATCHES_PER_RUN = 20;

    private final List<Sink> sinks;
    private final int batchSize;
    private final int maxBackoffSeconds;

    public SinkRunner(List<Sink> sinks, int batchSize, int maxBackoffSeconds) {
        this.sinks = List.copyOf(sinks);
        this.batchSize = batchSize;
        this.maxBackoffSeconds = maxBackoffSeconds;
    }

    public List<Sink> sinks() {
        return sinks;
    }

    /**
     * One delivery round: every sink, every realm with undelivered records, each in its own
     * transaction; {@code failed} hears the id of a sink each time one of its deliveries fails.
     */
    public void deliverAll(KeycloakSession session, Checkpoints checkpoints, Consumer<String> failed) {
        for (Sink sink : sinks) {
            List<String> realms = session.getProvider(JpaConnectionProvider.class).getEntityManager()
                    .createQuery("select h.realmId from AuditHeadEntity h where h.seq > coalesce((select s.deliveredSeq from SinkStateEntity s "
                            + "where s.sinkId = :sink and s.realmId = h.realmId), 0)", String.class)
                    .setParameter("sink", sink.id()).getResultList();
            for (String realmId : realms) {
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> deliver(s, checkpoints, sink, realmId, failed));
            }
        }
    }

    private void deliver(KeycloakSession session, Checkpoints checkpoints, Sink sink, String realmId, Consumer<String> failed) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        SinkStateEntity state = lockState(session, em, sink.id(), realmId);
        if (state.getNextAttemptAt() > System.currentTimeMillis()) {
            return;
        }
        AuditChainStore store = new AuditChainStore(session, checkpoints);
        AuditHeadEntity head = store.head(realmId);
        for (int i = 0; i < MAX_BATCHES_PER_RUN && head != null && state.getDeliveredSeq() < head.getSeq(); i++) {
            List<AuditRecordEntity> records = store.page(realmId, state.getDeliveredSeq(), head.getSeq(), batchSize, null, null, null);
            if (records.isEmpty()) {
                return;
            }
            List<String> lines = records.stream().map(r -> {
                String content = r.getContent();
                return content.substring(0, content.length() - 1) + ",\"hash\":\"" + r.getHash() + "\"}";
            }).toList();
            long first = records.get(0).getSeq();
            long last = records.get(records.size() - 1).getSeq();
            String failure = sink.deliver(realmId, first, last, lines);
            if (failure == null) {
                state.setDeliveredSeq(last);
                state.setAttempts(0);
                state.setNextAttemptAt(0);
                state.setLastError(null);
            } else {
                int attempts = state.getAttempts() + 1;
                long backoff = Math.min((long) maxBackoffSeconds, 1L << Math.min(attempts, 20));
                state.setAttempts(attempts);
                state.setNextAttemptAt(System.currentTimeMillis() + backoff * 1000);
                state.setLastError(failure.length() > 1000 ? failure.substring(0, 1000) : failure);
                failed.accept(sink.id());
                LOG.warnf("audit sink %s: delivery of realm %s records %d..%d failed (attempt %d, next in %d s): %s",
                        sink.id(), realmId, first, last, attempts, backoff, failure);
                return;
            }
        }
    }

    private static SinkStateEntity lockState(KeycloakSession session, EntityManager em, String sinkId, String realmId) {
        SinkStateEntity.Key key = new SinkStateEntity.Key(sinkId, realmId);
        SinkStateEntity state = em.find(SinkStateEntity.class, key, LockModeType.PESSIMISTIC_WRITE);
        if (state != null) {
            return state;
        }
        RuntimeException failure = null;
        try {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                EntityManager other = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                if (other.find(SinkStateEntity.class, key) == null) {
                    SinkStateEntity n = new SinkStateEntity();
                    n.setSinkId(sinkId);
                    n.setRealmId(realmId);
                    other.persist(n);
                }
            });
        } catch (RuntimeException e) {
            failure = e;
            LOG.debugf(e, "state of sink %s for realm %s not created here (created concurrently?)", sinkId, realmId);
        }
        state = em.find(SinkStateEntity.class, key, LockModeType.PESSIMISTIC_WRITE);
        if (state == null) {
            throw new IllegalStateException("cannot create the state of sink " + sinkId + " for realm " + realmId, failure);
        }
        return state;
    }
}
