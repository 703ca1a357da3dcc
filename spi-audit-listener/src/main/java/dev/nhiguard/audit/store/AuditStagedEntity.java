package dev.nhiguard.audit.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A record (an admin or user event) waiting to be sequenced into its realm's chain. Rows are only
 * ever inserted by the event's own transaction (no lock is taken) and moved into the chain,
 * in staged order, by the sequencer under the realm's head-row lock, which deletes them in the
 * same transaction. {@code content} is the RFC 8785 canonical JSON of the record draft, its
 * credentials sealed: the record without {@code seq}, {@code prevHash} and {@code hash}. The
 * record row's columns (type, acting user, target, time) are kept with it, and what sealed it
 * ({@link RecordSealing#sealedWith()}); a row sealed otherwise (another version, other
 * {@code redact-fields}, or none: staged by an earlier version) is read back and sealed again.
 */
@Entity
@Table(name = "NHI_AUDIT_STAGED")
public class AuditStagedEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "STAGED_AT", nullable = false)
    private long stagedAt;

    @Column(name = "CONTENT", length = 1_000_000, nullable = false)
    private String content;

    @Column(name = "EVENT_TYPE", length = 64)
    private String eventType;

    @Column(name = "ACTOR_USER_ID", length = 36)
    private String actorUserId;

    @Column(name = "TARGET", length = 1024)
    private String target;

    @Column(name = "RECORDED_AT")
    private Long recordedAt;

    @Column(name = "SEALED_WITH", length = 16)
    private String sealedWith;

    /** HMAC-SHA256 (hex) of realm, id, staging time and content under the staged-row key ({@code AuditChainStore}). */
    @Column(name = "MAC", length = 64)
    private String mac;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getStagedAt() { return stagedAt; }
    public void setStagedAt(long stagedAt) { this.stagedAt = stagedAt; }
    public String getContent() { return content; }
    public void setContent(String content) { this.content = content; }
    public String getEventType() { return eventType; }
    public void setEventType(String eventType) { this.eventType = eventType; }
    public String getActorUserId() { return actorUserId; }
    public void setActorUserId(String actorUserId) { this.actorUserId = actorUserId; }
    public String getTarget() { return target; }
    public void setTarget(String target) { this.target = target; }
    public Long getRecordedAt() { return recordedAt; }
    public void setRecordedAt(Long recordedAt) { this.recordedAt = recordedAt; }
    public String getSealedWith() { return sealedWith; }
    public void setSealedWith(String sealedWith) { this.sealedWith = sealedWith; }
    public String getMac() { return mac; }
    public void setMac(String mac) { this.mac = mac; }
}
