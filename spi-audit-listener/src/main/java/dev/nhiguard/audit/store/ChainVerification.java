package dev.nhiguard.audit.store;

import java.util.List;
import java.util.Objects;

import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.chain.ChainVerifier;
import dev.nhiguard.audit.chain.CheckpointNotes;

/** Verifies a stored range of a realm's chain in bounded memory. */
public final class ChainVerification {

    private static final int BATCH = 500;

    /** Outcome: ok, or the first broken sequence number and why. */
    public record Result(boolean ok, long from, long to, long checked, long headSeq, String headHash,
                         Long brokenSeq, String reason, long checkpoints) {
    }

    /** The first record a pruned chain still holds (1 when nothing was pruned). */
    public static long firstSeq(AuditHeadEntity head) {
        return head == null ? 1 : head.getAnchorSeq() + 1;
    }

    private ChainVerification() {
    }

    /**
     * Verifies records {@code from..to} (to = null: up to the head). A {@code from} below the
     * first record of a pruned chain starts at that record, whose prevHash must be the anchor
     * kept in the head row. Run it in a session of its own: it clears the persistence context
     * between batches.
     */
    public static Result verify(AuditChainStore store, String realmId, long requestedFrom, Long to) {
        AuditHeadEntity head = store.head(realmId);
        long headSeq = head == null ? 0 : head.getSeq();
        String headHash = head == null ? ChainRecords.GENESIS : head.getHash();
        long firstSeq = firstSeq(head);
        long from = Math.max(requestedFrom, firstSeq);
        long last = to == null ? headSeq : Math.min(to, headSeq);
        if (from > last) {
            return new Result(true, from, last, 0, headSeq, headHash, null, null, 0);
        }
        String prev;
        if (from == firstSeq) {
            prev = head.getAnchorHash();
            if (firstSeq > 1) {
                List<AuditRecordEntity> below = store.page(realmId, 0, firstSeq - 1, 1, null, null, null);
                if (!below.isEmpty()) {
                    return broken(from, last, 0, headSeq, headHash, below.get(0).getSeq(), "record " + below.get(0).getSeq()
                            + " lies below the prune anchor (" + (firstSeq - 1) + ")");
                }
            }
        } else {
            AuditRecordEntity before = store.get(realmId, from - 1);
            if (before == null) {
                return broken(from, last, 0, headSeq, headHash, from - 1, "record " + (from - 1) + " is missing");
            }
            prev = before.getHash();
        }
        ChainVerifier verifier = new ChainVerifier(realmId, from, prev);
        long after = from - 1;
        while (true) {
            List<AuditRecordEntity> batch = store.page(realmId, after, last, BATCH, null, null, null);
            for (AuditRecordEntity r : batch) {
                String reason = verifier.next(r.getSeq(), r.getContent(), r.getHash());
                if (reason == null) {
                    reason = columnsProblem(r);
                }
                if (reason != null) {
                    return broken(from, last, verifier.checked(), headSeq, headHash,
                            Math.min(r.getSeq(), verifier.expectedSeq()), reason);
                }
                after = r.getSeq();
            }
            store.clear();
            if (batch.size() < BATCH) {
                break;
            }
        }
        if (verifier.expectedSeq() != last + 1) {
            return broken(from, last, verifier.checked(), headSeq, headHash, verifier.expectedSeq(),
                    "record " + verifier.expectedSeq() + " is missing");
        }
        if (from == firstSeq && firstSeq > 1) {
            String unrecorded = pruneUnrecorded(store, realmId, head, headSeq);
            if (unrecorded != null) {
                return broken(from, last, verifier.checked(), headSeq, headHash, firstSeq, unrecorded);
            }
        }
        if (last == headSeq) {
            if (!verifier.lastHash().equals(headHash)) {
                return broken(from, last, verifier.checked(), headSeq, headHash, headSeq,
                        "the head names hash " + headHash + " for record " + headSeq + ", the record hashes to " + verifier.lastHash());
            }
            List<AuditRecordEntity> beyond = store.page(realmId, headSeq, Long.MAX_VALUE, 1, null, null, null);
            if (!beyond.isEmpty()) {
                return broken(from, last, verifier.checked(), headSeq, headHash, beyond.get(0).getSeq(),
                        "record " + beyond.get(0).getSeq() + " lies beyond the head (" + headSeq + ")");
            }
        }
        return checkpoints(store, realmId, from, last, verifier.checked(), headSeq, headHash);
    }

    /**
     * Why the records below a pruned chain's anchor are gone without a prune, or null. A prune appends a
     * {@code CHAIN_PRUNED} record naming the anchor it leaves ({@code details.anchorSeq}, {@code details.anchorHash}); the
     * latest one must name the head row's anchor. Records deleted in the database with the anchor moved by hand leave no
     * such record, and writing one means rewriting every hash after it (which a checkpoint kept elsewhere shows).
     */
    static String pruneUnrecorded(AuditChainStore store, String realmId, AuditHeadEntity head, long headSeq) {
        AuditRecordEntity latest = null;
        long after = head.getAnchorSeq();
        while (true) {
            List<AuditRecordEntity> batch = store.page(realmId, after, headSeq, BATCH, ChainPruning.RECORD_TYPE, null, null);
            if (!batch.isEmpty()) {
                latest = batch.get(batch.size() - 1);
                after = latest.getSeq();
            }
            store.clear();
            if (batch.size() < BATCH) {
                break;
            }
        }
        String anchor = "record " + head.getAnchorSeq() + " (hash " + head.getAnchorHash() + ")";
        if (latest == null) {
            return "the chain starts after " + anchor + " but no " + ChainPruning.RECORD_TYPE + " record says so: records were removed without a prune";
        }
        com.fasterxml.jackson.databind.JsonNode details = ChainRecords.parse(latest.getContent()).path("details");
        if (!Long.toString(head.getAnchorSeq()).equals(details.path("anchorSeq").asText())
                || !head.getAnchorHash().equals(details.path("anchorHash").asText())) {
            return "the chain starts after " + anchor + ", but its latest " + ChainPruning.RECORD_TYPE + " record (" + latest.getSeq()
                    + ") names record " + details.path("anchorSeq").asText() + ": records were removed without a prune";
        }
        return null;
    }

    /**
     * Why a row's columns (type, acting user, target, time) differ from what its content says, or
     * null. Filtered record queries ({@code records?type=…&actor=…&target=…}) read the columns, which
     * the hash does not cover: a column rewritten in the database would hide a record from them.
     */
    static String columnsProblem(AuditRecordEntity r) {
        ChainRecords.Columns expected;
        try {
            expected = ChainRecords.Columns.of(ChainRecords.parse(r.getContent()));
        } catch (RuntimeException e) {
            return "record " + r.getSeq() + " cannot be read";
        }
        if (!Objects.equals(expected.type(), r.getEventType()) || !Objects.equals(expected.actorUserId(), r.getActorUserId())
                || !Objects.equals(expected.target(), r.getTarget()) || expected.time() != r.getRecordedAt()) {
            return "record " + r.getSeq() + "'s columns (type, actor, target, time) differ from its content";
        }
        return null;
    }

    /** Every checkpoint in range is signed by the realm's key and names the hash of its record. */
    private static Result checkpoints(AuditChainStore store, String realmId, long from, long last, long checked,
                                      long headSeq, String headHash) {
        Checkpoints.SigningKey key = store.checkpointPolicy().key(store.session(), realmId);
        long after = from - 1;
        long count = 0;
        while (true) {
            List<AuditCheckpointEntity> batch = store.checkpoints(realmId, after, last == headSeq ? Long.MAX_VALUE : last, BATCH);
            for (AuditCheckpointEntity c : batch) {
                CheckpointNotes.Checkpoint cp;
                try {
                    cp = CheckpointNotes.verify(c.getNote(), key.name(), key.publicKey());
                } catch (IllegalArgumentException e) {
                    return broken(from, last, checked, headSeq, headHash, c.getSeq(), "checkpoint " + c.getSeq() + " is forged: " + e.getMessage(), count);
                }
                if (!cp.origin().equals(CheckpointNotes.ORIGIN_PREFIX + realmId) || cp.size() != c.getSeq()) {
                    return broken(from, last, checked, headSeq, headHash, c.getSeq(), "checkpoint " + c.getSeq()
                            + " is signed for " + cp.origin() + " size " + cp.size(), count);
                }
                AuditRecordEntity r = c.getSeq() > headSeq ? null : store.get(realmId, c.getSeq());
                if (r == null) {
                    return broken(from, last, checked, headSeq, headHash, c.getSeq(), "checkpoint " + c.getSeq()
                            + " covers a record that is not in the chain (head is " + headSeq + ")", count);
                }
                if (!r.getHash().equals(cp.headHashHex())) {
                    return broken(from, last, checked, headSeq, headHash, c.getSeq(), "checkpoint " + c.getSeq()
                            + " signs hash " + cp.headHashHex() + ", record " + c.getSeq() + " hashes to " + r.getHash(), count);
                }
                count++;
                after = c.getSeq();
            }
            store.clear();
            if (batch.size() < BATCH) {
                break;
            }
        }
        return new Result(true, from, last, checked, headSeq, headHash, null, null, count);
    }

    private static Result broken(long from, long to, long checked, long headSeq, String headHash, long seq, String reason) {
        return broken(from, to, checked, headSeq, headHash, seq, reason, 0);
    }

    private static Result broken(long from, long to, long checked, long headSeq, String headHash, long seq, String reason, long checkpoints) {
        return new Result(false, from, to, checked, headSeq, headHash, seq, reason, checkpoints);
    }
}
