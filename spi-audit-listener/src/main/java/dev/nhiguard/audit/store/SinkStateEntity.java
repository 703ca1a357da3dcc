package dev.nhiguard.audit.store;

import java.io.Serializable;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** How far a push sink has delivered a realm's chain; locked by the node delivering. */
@Entity
@Table(name = "NHI_AUDIT_SINK_STATE")
@IdClass(SinkStateEntity.Key.class)
public class SinkStateEntity {

    @Id
    @Column(name = "SINK_ID", length = 64, nullable = false)
    private String sinkId;

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "DELIVERED_SEQ", nullable = false)
    private long deliveredSeq;

    /** Seq of the last checkpoint delivered (0: none yet). */
    @Column(name = "CHECKPOINT_SEQ", nullable = false)
    private long checkpointSeq;

    @Column(name = "ATTEMPTS", nullable = false)
    private int attempts;

    @Column(name = "NEXT_ATTEMPT_AT", nullable = false)
    private long nextAttemptAt;

    @Column(name = "LAST_ERROR", length = 1024)
    private String lastError;

    public String getSinkId() { return sinkId; }
    public void setSinkId(String sinkId) { this.sinkId = sinkId; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getDeliveredSeq() { return deliveredSeq; }
    public void setDeliveredSeq(long deliveredSeq) { this.deliveredSeq = deliveredSeq; }
    public long getCheckpointSeq() { return checkpointSeq; }
    public void setCheckpointSeq(long checkpointSeq) { this.checkpointSeq = checkpointSeq; }
    public int getAttempts() { return attempts; }
    public void setAttempts(int attempts) { this.attempts = attempts; }
    public long getNextAttemptAt() { return nextAttemptAt; }
    public void setNextAttemptAt(long nextAttemptAt) { this.nextAttemptAt = nextAttemptAt; }
    public String getLastError() { return lastError; }
    public void setLastError(String lastError) { this.lastError = lastError; }

    /** Composite key (sink, realm). */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private String sinkId;
        private String realmId;

        public Key() {
        }

        public Key(String sinkId, String realmId) {
            this.sinkId = sinkId;
            this.realmId = realmId;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(sinkId, k.sinkId) && Objects.equals(realmId, k.realmId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(sinkId, realmId);
        }
    }
}
