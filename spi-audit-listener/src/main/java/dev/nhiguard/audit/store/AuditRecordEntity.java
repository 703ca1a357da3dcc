package dev.nhiguard.audit.store;

import java.io.Serializable;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/**
 * One link of a realm's audit chain. {@code content} is the RFC 8785 canonical JSON of the
 * record without its hash; {@code hash} = SHA-256(content) in lower-case hex, and the content
 * carries {@code prevHash}, so every record commits to all before it.
 */
@Entity
@Table(name = "NHI_AUDIT_RECORD")
@IdClass(AuditRecordEntity.Key.class)
public class AuditRecordEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Id
    @Column(name = "SEQ", nullable = false)
    private long seq;

    @Column(name = "RECORDED_AT", nullable = false)
    private long recordedAt;

    @Column(name = "EVENT_TYPE", length = 64, nullable = false)
    private String eventType;

    @Column(name = "ACTOR_USER_ID", length = 36)
    private String actorUserId;

    @Column(name = "TARGET", length = 1024)
    private String target;

    @Column(name = "CONTENT", length = 1_000_000, nullable = false)
    private String content;

    @Column(name = "PREV_HASH", length = 64, nullable = false)
    private String prevHash;

    @Column(name = "HASH", length = 64, nullable = false)
    private String hash;

    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getSeq() { return seq; }
    public void setSeq(long seq) { this.seq = seq; }
    public long getRecordedAt() { return recordedAt; }
    public void setRecordedAt(long recordedAt) { this.recordedAt = recordedAt; }
    public String getEventType() { return eventType; }
    public void setEventType(String eventType) { this.eventType = eventType; }
    public String getActorUserId() { return actorUserId; }
    public void setActorUserId(String actorUserId) { this.actorUserId = actorUserId; }
    public String getTarget() { return target; }
    public void setTarget(String target) { this.target = target; }
    public String getContent() { return content; }
    public void setContent(String content) { this.content = content; }
    public String getPrevHash() { return prevHash; }
    public void setPrevHash(String prevHash) { this.prevHash = prevHash; }
    public String getHash() { return hash; }
    public void setHash(String hash) { this.hash = hash; }

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
