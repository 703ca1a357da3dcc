package dev.nhiguard.audit.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The head of a realm's chain: the last sequence number and hash. Appends lock this row, so
 * the chain of a realm never forks or gaps, whichever node writes.
 */
@Entity
@Table(name = "NHI_AUDIT_HEAD")
public class AuditHeadEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "SEQ", nullable = false)
    private long seq;

    @Column(name = "HASH", length = 64, nullable = false)
    private String hash;

    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getSeq() { return seq; }
    public void setSeq(long seq) { this.seq = seq; }
    public String getHash() { return hash; }
    public void setHash(String hash) { this.hash = hash; }
}
