package dev.nhiguard.audit.store;

import java.util.List;

import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.chain.ChainVerifier;

/** Verifies a stored range of a realm's chain in bounded memory. */
public final class ChainVerification {

    private static final int BATCH = 500;

    /** Outcome: ok, or the first broken sequence number and why. */
    public record Result(boolean ok, long from, long to, long checked, long headSeq, String headHash,
                         Long brokenSeq, String reason) {
    }

    private ChainVerification() {
    }

    /**
     * Verifies records {@code from..to} (to = null: up to the head). Run it in a session of its
     * own: it clears the persistence context between batches.
     */
    public static Result verify(AuditChainStore store, String realmId, long from, Long to) {
        AuditHeadEntity head = store.head(realmId);
        long headSeq = head == null ? 0 : head.getSeq();
        String headHash = head == null ? ChainRecords.GENESIS : head.getHash();
        long last = to == null ? headSeq : Math.min(to, headSeq);
        if (from > last) {
            return new Result(true, from, last, 0, headSeq, headHash, null, null);
        }
        String prev;
        if (from == 1) {
            prev = ChainRecords.GENESIS;
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
        return new Result(true, from, last, verifier.checked(), headSeq, headHash, null, null);
    }

    private static Result broken(long from, long to, long checked, long headSeq, String headHash, long seq, String reason) {
        return new Result(false, from, to, checked, headSeq, headHash, seq, reason);
    }
}
