package dev.nhiguard.audit.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A user (login/token) event waiting to be sequenced into its realm's chain. Rows are only
 * ever inserted by the event's own transaction (no lock is taken) and moved into the chain,
 * in staged order, by the sequencer under the realm's head-row lock, which deletes them in the
 * same transaction. {@code content} is the RFC 8785 canonical JSON of the record draft: the
 * record without {@code seq}, {@code prevHash} and {@code hash}.
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

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getStagedAt() { return stagedAt; }
    public void setStagedAt(long stagedAt) { this.stagedAt = stagedAt; }
    public String getContent() { return content; }
    public void setContent(String content) { this.content = content; }
}
