package dev.nhiguard.audit.sink;

/**
 * One item of a realm's sink stream: a chain record (with its hash) or a signed checkpoint
 * that covers the records up to {@code seq}. {@code line} is the item in the native format:
 * the record as exported, or {@code {"checkpoint":{"realmId":…,"seq":n,"note":"…"}}}; a
 * checkpoint item follows the record it covers, as in the export.
 */
public record SinkItem(Kind kind, String realmId, long seq, long time, String line) {

    /** What the item is. */
    public enum Kind { RECORD, CHECKPOINT }

    public boolean checkpoint() {
        return kind == Kind.CHECKPOINT;
    }
}
