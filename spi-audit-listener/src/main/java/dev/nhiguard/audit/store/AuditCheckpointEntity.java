package dev.nhiguard.audit.store;

import java.io.Serializable;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** A signed checkpoint of a realm's chain: the signed note covering records 1..seq. */
@Entity
@Table(name = "NHI_AUDIT_CHECKPOINT")
@IdClass(AuditCheckpointEntity.Key.class)
public class AuditCheckpointEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Id
    @Column(name = "SEQ", nullable = false)
    private long seq;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    @Column(name = "KEY_NAME", length = 255, nullable = false)
    private String keyName;

    @Column(name = "NOTE", length = 4000, nullable = false)
    private String note;

    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getSeq() { return seq; }
    public void setSeq(long seq) { this.seq = seq; }
    public long getCreatedAt() { return createdAt; }
    public void setCreatedAt(long createdAt) { this.createdAt = createdAt; }
    public String getKeyName() { return keyName; }
    public void setKeyName(String keyName) { this.keyName = keyName; }
    public String getNote() { return note; }
    public void setNote(String note) { this.note = note; }

    /** Composite key (realm, seq). */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private String realmId;
        private long seq;

        public Key() {
        }

        public Key(String realmId, long seq) {
            this.realmId = realmId;
            this.seq = seq;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && seq == k.seq && Objects.equals(realmId, k.realmId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(realmId, seq);
        }
    }
}
