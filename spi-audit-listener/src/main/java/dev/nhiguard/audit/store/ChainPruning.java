package dev.nhiguard.audit.store;

import java.util.Collection;
import java.util.List;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import org.keycloak.connections.jpa.JpaConnectionProvider;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.chain.CheckpointNotes;

/**
 * Explicit retention: deletes the records of a realm below a seq that a signed checkpoint
 * covers, keeps the anchor (seq and hash of the last pruned record) in the head row and
 * appends a {@code CHAIN_PRUNED} record, all in the caller's transaction.
 */
public final class ChainPruning {

    /** The type of the record a prune appends (its details name the anchor it leaves). */
    public static final String RECORD_TYPE = "CHAIN_PRUNED";


    /** Why a prune was refused; nothing was changed. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String error;

        Refused(String error, String message) {
            super(message);
            this.error = error;
        }

        public String error() {
            return error;
        }
    }

    /** A prune that was done: how many records went, the anchor, the checkpoint relied on, the record appended. */
    public record Pruned(long below, long deleted, long anchorSeq, String anchorHash, long checkpointSeq,
                         ChainRecords.Sealed record) {
    }

    /** What a prune would rely on, found before the head is locked. */
    public record Plan(long firstSeq, long checkpointSeq) {
    }

    private ChainPruning() {
    }

    /**
     * Checks, without locking, that records {@code firstSeq..below-1} can be pruned: a signed
     * checkpoint at or after {@code below} exists, and the chain from its first record up to
     * that checkpoint verifies (hashes, links and the checkpoint's signature). Run it in a
     * session of its own: verification clears the persistence context.
     */
    public static Plan plan(AuditChainStore store, String realmId, long below) {
        AuditHeadEntity head = store.head(realmId);
        if (head == null || head.getSeq() == 0) {
            throw new Refused("nothing_to_prune", "The audit chain of this realm has no records");
        }
        long firstSeq = head.getAnchorSeq() + 1;
        if (below <= firstSeq) {
            throw new Refused("already_pruned", "The chain starts at record " + firstSeq + "; 'below' must be greater");
        }
        AuditCheckpointEntity cp = store.firstCheckpointAtOrAfter(realmId, below);
        if (cp == null) {
            AuditCheckpointEntity latest = store.latestCheckpoint(realmId);
            throw new Refused("no_signed_checkpoint", "'below' (" + below + ") must not exceed the size of a signed checkpoint"
                    + (latest == null ? "; the chain has no checkpoint yet" : "; the latest checkpoint has size " + latest.getSeq()));
        }
        ChainVerification.Result r = ChainVerification.verify(store, realmId, firstSeq, cp.getSeq());
        if (!r.ok()) {
            throw new Refused("chain_broken", "The chain does not verify at record " + r.brokenSeq() + " (" + r.reason()
                    + "); nothing was pruned");
        }
        if (r.checkpoints() == 0) {
            throw new Refused("no_signed_checkpoint", "Checkpoint " + cp.getSeq() + " was not verified");
        }
        return new Plan(firstSeq, cp.getSeq());
    }

    /**
     * Prunes in the caller's transaction, under the realm's head-row lock.
     *
     * @param draft    the {@code CHAIN_PRUNED} record draft (actor, time, …); the prune's facts are added here
     * @param sinks    delivered positions of the configured push sinks (by id; absent = nothing delivered)
     */
    public static Pruned prune(AuditChainStore store, String realmId, long below, Plan plan, ObjectNode draft,
                               Collection<String> sinkIds, int maxRecordBytes) {
        EntityManager em = store.session().getProvider(JpaConnectionProvider.class).getEntityManager();
        AuditHeadEntity head = em.find(AuditHeadEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
        if (head == null || head.getAnchorSeq() + 1 != plan.firstSeq()) {
            throw new Refused("conflict", "The chain was pruned concurrently; retry");
        }
        AuditCheckpointEntity cp = em.find(AuditCheckpointEntity.class, new AuditCheckpointEntity.Key(realmId, plan.checkpointSeq()));
        AuditRecordEntity covered = store.get(realmId, plan.checkpointSeq());
        AuditRecordEntity anchor = store.get(realmId, below - 1);
        AuditRecordEntity first = store.get(realmId, below);
        if (cp == null || covered == null || anchor == null || first == null) {
            throw new Refused("chain_broken", "A record or checkpoint the prune relies on is missing; nothing was pruned");
        }
        CheckpointNotes.Checkpoint signed;
        try {
            Checkpoints.SigningKey key = store.checkpointPolicy().key(store.session(), realmId);
            signed = CheckpointNotes.verify(cp.getNote(), key.name(), key.publicKey());
        } catch (IllegalArgumentException e) {
            throw new Refused("chain_broken", "Checkpoint " + cp.getSeq() + " does not verify: " + e.getMessage());
        }
        if (!signed.origin().equals(CheckpointNotes.ORIGIN_PREFIX + realmId) || signed.size() != cp.getSeq()
                || !signed.headHashHex().equals(covered.getHash())) {
            throw new Refused("chain_broken", "Checkpoint " + cp.getSeq() + " does not sign record " + cp.getSeq());
        }
        if (!first.getPrevHash().equals(anchor.getHash())) {
            throw new Refused("chain_broken", "Record " + below + " does not link to record " + (below - 1));
        }
        for (String sink : sinkIds) {
            SinkStateEntity state = em.find(SinkStateEntity.class, new SinkStateEntity.Key(sink, realmId));
            long delivered = state == null ? 0 : state.getDeliveredSeq();
            if (delivered < below - 1) {
                throw new Refused("sink_not_delivered", "Sink '" + sink + "' has delivered up to record " + delivered
                        + "; prune only what every sink has delivered");
            }
        }
        String anchorHash = anchor.getHash();
        long anchorSeq = below - 1;
        long deleted = em.createQuery("delete from AuditRecordEntity r where r.realmId = :realm and r.seq < :below")
                .setParameter("realm", realmId).setParameter("below", below).executeUpdate();
        em.createQuery("delete from AuditCheckpointEntity c where c.realmId = :realm and c.seq < :below")
                .setParameter("realm", realmId).setParameter("below", below).executeUpdate();
        head.setAnchorSeq(anchorSeq);
        head.setAnchorHash(anchorHash);

        draft.put("type", RECORD_TYPE);
        draft.put("operation", "DELETE");
        draft.put("target", "audit-chain/records");
        ObjectNode details = draft.putObject("details");
        details.put("below", Long.toString(below));
        details.put("deleted", Long.toString(deleted));
        details.put("anchorSeq", Long.toString(anchorSeq));
        details.put("anchorHash", anchorHash);
        details.put("checkpointSeq", Long.toString(cp.getSeq()));
        details.put("checkpointHash", covered.getHash());
        ObjectNode rep = draft.putObject("representation");
        rep.put("below", below);
        rep.putObject("anchor").put("seq", anchorSeq).put("hash", anchorHash);
        rep.putObject("checkpoint").put("seq", cp.getSeq()).put("note", cp.getNote());
        List<ChainRecords.Sealed> sealed = store.append(realmId, List.of(draft), maxRecordBytes);
        return new Pruned(below, deleted, anchorSeq, anchorHash, cp.getSeq(), sealed.get(0));
    }
}
