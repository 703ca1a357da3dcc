package dev.nhiguard.audit.sink;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.store.AuditChainStore;
import dev.nhiguard.audit.store.AuditCheckpointEntity;
import dev.nhiguard.audit.store.AuditHeadEntity;
import dev.nhiguard.audit.store.AuditRecordEntity;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.SinkStateEntity;

/**
 * Drives the push sinks from the chain table (it is the outbox), streaming the signed
 * checkpoints with the records, so every sink holds trusted heads outside the server: the delivered position per
 * sink and realm lives in {@code NHI_AUDIT_SINK_STATE} and is locked while a node delivers,
 * so delivery is in order, at-least-once and resumable by any node. Failures back off
 * exponentially (2 s, 4 s, … up to the configured maximum).
 */
public final class SinkRunner {

    private static final Logger LOG = Logger.getLogger(SinkRunner.class);
    private static final int MAX_BATCHES_PER_RUN = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** Closes every sink (the server stops). */
    public void close() {
        for (Sink sink : sinks) {
            try {
                sink.close();
            } catch (RuntimeException e) {
                LOG.debugf(e, "closing audit sink %s", sink.id());
            }
        }
    }

    /**
     * One delivery round: every sink, every realm with undelivered records, each in its own
     * transaction; {@code failed} hears the id of a sink each time one of its deliveries fails.
     */
    public void deliverAll(KeycloakSession session, Checkpoints checkpoints, Consumer<String> failed) {
        for (Sink sink : sinks) {
            // Realms with records not yet delivered, or with a checkpoint made at the delivered
            // record after that record went out.
            List<String> realms = session.getProvider(JpaConnectionProvider.class).getEntityManager()
                    .createQuery("select h.realmId from AuditHeadEntity h where h.seq <> coalesce((select s.deliveredSeq from SinkStateEntity s "
                            + "where s.sinkId = :sink and s.realmId = h.realmId), 0) or exists (select c.seq from AuditCheckpointEntity c, "
                            + "SinkStateEntity s where s.sinkId = :sink and s.realmId = h.realmId and c.realmId = h.realmId "
                            + "and c.seq = s.deliveredSeq and c.seq > s.checkpointSeq)", String.class)
                    .setParameter("sink", sink.id()).getResultList();
            for (String realmId : realms) {
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> deliver(s, checkpoints, sink, realmId, failed,
                        Long.MAX_VALUE, false));
            }
        }
    }

    /**
     * Delivers what a realm's own sink has not yet received of the realm's chain, in a transaction of its own, paced: no
     * batch starts after {@code deadline}, and a sink whose answer took longer than {@link #SLOW_ANSWER_MILLIS} waits
     * twice that before its next batch, so a receiver a realm admin runs slowly gets at most a third of the thread that
     * also runs the checkpoints and the operator's sinks (sixteenth review: five slow realm sinks held that thread for
     * ten minutes, and every realm's checkpoints and streaming with it).
     */
    public void deliverOne(KeycloakSession session, Checkpoints checkpoints, Sink sink, String realmId, Consumer<String> failed,
            long deadline) {
        KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(),
                s -> deliver(s, checkpoints, sink, realmId, failed, deadline, true));
    }

    /** An answer slower than this paces the realm sink that gave it. */
    static final long SLOW_ANSWER_MILLIS = 1_000;

    private void deliver(KeycloakSession session, Checkpoints checkpoints, Sink sink, String realmId, Consumer<String> failed,
            long deadline, boolean paced) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        SinkStateEntity state = lockState(session, em, sink.id(), realmId);
        if (state.getNextAttemptAt() > System.currentTimeMillis()) {
            return;
        }
        AuditChainStore store = new AuditChainStore(session, checkpoints);
        AuditHeadEntity head = store.head(realmId);
        if (head != null && state.getDeliveredSeq() > head.getSeq()) {
            // The chain is shorter than what this sink has received: records were removed from the database after they
            // went out, and records appended since may sit below the sink's position. Nothing here tells where the
            // removal began (a checkpoint may already cover the new records), so delivery starts again at the start of
            // the chain: the records appended since reach the sink, and a receiver holds two different records under
            // one sequence number, the evidence (identical repeats are the at-least-once kind).
            long from = head.getAnchorSeq();
            String removed = "the chain's head (record " + head.getSeq() + ") is below what this sink delivered (record "
                    + state.getDeliveredSeq() + "): records were removed from the database after delivery";
            LOG.errorf("audit sink %s, realm %s: %s; delivering again after record %d", sink.id(), realmId, removed, from);
            state.setDeliveredSeq(from);
            state.setCheckpointSeq(Math.min(state.getCheckpointSeq(), from));
            state.setLastError(removed);
            failed.accept(sink.id());
        }
        for (int i = 0; i < MAX_BATCHES_PER_RUN && head != null && System.currentTimeMillis() < deadline; i++) {
            List<SinkItem> items = batch(em, store, state, realmId, head.getSeq());
            if (items.isEmpty()) {
                return;
            }
            long first = items.get(0).seq();
            long last = items.get(items.size() - 1).seq();
            long started = System.currentTimeMillis();
            String failure = sink.deliver(realmId, first, last, items);
            long took = System.currentTimeMillis() - started;
            if (failure == null) {
                for (SinkItem item : items) {
                    if (item.checkpoint()) {
                        state.setCheckpointSeq(Math.max(state.getCheckpointSeq(), item.seq()));
                    } else {
                        state.setDeliveredSeq(item.seq());
                    }
                }
                state.setAttempts(0);
                state.setNextAttemptAt(0);
                if (state.getLastError() == null || !state.getLastError().contains("records were removed")) {
                    state.setLastError(null); // a removal stays said: no later delivery makes it untrue
                }
                if (paced && took > SLOW_ANSWER_MILLIS) {
                    state.setNextAttemptAt(System.currentTimeMillis() + 2 * took);
                    return;
                }
            } else {
                int attempts = state.getAttempts() + 1;
                long backoff = Math.min((long) maxBackoffSeconds, 1L << Math.min(attempts, 20));
                state.setAttempts(attempts);
                state.setNextAttemptAt(System.currentTimeMillis() + backoff * 1000);
                state.setLastError(failure.length() > 1000 ? failure.substring(0, 1000) : failure);
                failed.accept(sink.id());
                LOG.warnf("audit sink %s: delivery of realm %s items %d..%d failed (attempt %d, next in %d s): %s",
                        sink.id(), realmId, first, last, attempts, backoff, failure);
                return;
            }
        }
    }

    /**
     * The next batch in stream order: the checkpoint of the last delivered record when it was
     * made after that record went out, then up to {@code batchSize} records, each followed by
     * its checkpoint. A checkpoint is always made at the head under the head-row lock, so once
     * a record is visible every checkpoint below it is too: the only checkpoint that can come
     * after its record's delivery is the one at the delivered position.
     */
    private List<SinkItem> batch(EntityManager em, AuditChainStore store, SinkStateEntity state, String realmId, long headSeq) {
        List<SinkItem> items = new ArrayList<>();
        long delivered = state.getDeliveredSeq();
        if (delivered > 0 && delivered > state.getCheckpointSeq()) {
            AuditCheckpointEntity late = em.find(AuditCheckpointEntity.class, new AuditCheckpointEntity.Key(realmId, delivered));
            if (late != null) {
                items.add(item(late));
            }
        }
        if (delivered >= headSeq) {
            return items;
        }
        List<AuditRecordEntity> records = store.page(realmId, delivered, headSeq, batchSize, null, null, null);
        if (records.isEmpty()) {
            return items;
        }
        Iterator<AuditCheckpointEntity> cps = store.checkpoints(realmId, delivered, records.get(records.size() - 1).getSeq(),
                Integer.MAX_VALUE).iterator();
        AuditCheckpointEntity cp = cps.hasNext() ? cps.next() : null;
        for (AuditRecordEntity r : records) {
            String content = r.getContent();
            items.add(new SinkItem(SinkItem.Kind.RECORD, realmId, r.getSeq(), r.getRecordedAt(),
                    content.substring(0, content.length() - 1) + ",\"hash\":\"" + r.getHash() + "\"}"));
            while (cp != null && cp.getSeq() <= r.getSeq()) {
                if (cp.getSeq() == r.getSeq()) {
                    items.add(item(cp));
                }
                cp = cps.hasNext() ? cps.next() : null;
            }
        }
        return items;
    }

    private static SinkItem item(AuditCheckpointEntity cp) {
        ObjectNode line = JSON.createObjectNode();
        ObjectNode inner = line.putObject("checkpoint");
        inner.put("realmId", cp.getRealmId());
        inner.put("seq", cp.getSeq());
        inner.put("note", cp.getNote());
        return new SinkItem(SinkItem.Kind.CHECKPOINT, cp.getRealmId(), cp.getSeq(), cp.getCreatedAt(), line.toString());
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
