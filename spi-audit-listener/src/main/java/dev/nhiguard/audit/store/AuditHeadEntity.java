package dev.nhiguard.audit.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The head of a realm's chain: the last sequence number and hash. Appends lock this row, so
 * the chain of a realm never forks or gaps, whichever node writes. After a prune it also holds
 * the anchor: the seq and hash of the last pruned record (0 and 64 zeros when nothing was
 * pruned), which the first remaining record links to.
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

    @Column(name = "ANCHOR_SEQ", nullable = false)
    private long anchorSeq;

    @Column(name = "ANCHOR_HASH", length = 64, nullable = false)
    private String anchorHash = dev.nhiguard.audit.chain.ChainRecords.GENESIS;

    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getSeq() { return seq; }
    public void setSeq(long seq) { this.seq = seq; }
    public String getHash() { return hash; }
    public void setHash(String hash) { this.hash = hash; }
    public long getAnchorSeq() { return anchorSeq; }
    public void setAnchorSeq(long anchorSeq) { this.anchorSeq = anchorSeq; }
    public String getAnchorHash() { return anchorHash; }
    public void setAnchorHash(String anchorHash) { this.anchorHash = anchorHash; }
}
