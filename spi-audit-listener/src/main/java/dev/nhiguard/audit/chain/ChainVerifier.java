package dev.nhiguard.audit.chain;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Checks a run of consecutive stored records, one at a time, in sequence order: each record's
 * content is canonical, hashes to its stored hash, names its realm and its own sequence
 * number, and links to the hash of the record before it.
 */
public final class ChainVerifier {

    private final String realmId;
    private long expectedSeq;
    private String prevHash;
    private long checked;

    /**
     * @param realmId     the realm whose chain this is
     * @param firstSeq    sequence number of the first record to check
     * @param prevHash    hash of record {@code firstSeq - 1} ({@link ChainRecords#GENESIS} for 1)
     */
    public ChainVerifier(String realmId, long firstSeq, String prevHash) {
        this.realmId = realmId;
        this.expectedSeq = firstSeq;
        this.prevHash = prevHash;
    }

    /** Checks the next stored record; returns null when it is sound, else why it is not. */
    public String next(long storedSeq, String content, String storedHash) {
        if (storedSeq != expectedSeq) {
            return storedSeq > expectedSeq
                    ? "record " + expectedSeq + " is missing (next stored record is " + storedSeq + ")"
                    : "record " + storedSeq + " is out of order (expected " + expectedSeq + ")";
        }
        String canonical;
        JsonNode node;
        try {
            canonical = Canonical.canonicalize(content);
            node = ChainRecords.parse(content);
        } catch (IllegalArgumentException e) {
            return "content is not valid JSON: " + e.getMessage();
        }
        if (!canonical.equals(content)) {
            return "content is not in RFC 8785 canonical form";
        }
        String hash = Canonical.sha256Hex(content);
        if (!hash.equals(storedHash)) {
            return "hash mismatch: content hashes to " + hash + ", stored hash is " + storedHash;
        }
        if (node.path("seq").asLong(-1) != storedSeq) {
            return "content names seq " + node.path("seq").asText() + " but is stored as " + storedSeq;
        }
        if (!realmId.equals(node.path("realmId").asText())) {
            return "content names realm " + node.path("realmId").asText() + ", not " + realmId;
        }
        if (!prevHash.equals(node.path("prevHash").asText())) {
            return "prevHash " + node.path("prevHash").asText() + " does not match the hash of record "
                    + (storedSeq - 1) + " (" + prevHash + ")";
        }
        prevHash = hash;
        expectedSeq++;
        checked++;
        return null;
    }

    /** Sequence number of the next record expected. */
    public long expectedSeq() {
        return expectedSeq;
    }

    /** Hash of the last record accepted. */
    public String lastHash() {
        return prevHash;
    }

    public long checked() {
        return checked;
    }
}
