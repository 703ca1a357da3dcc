package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One approval of a change request: who, when, the digest they saw, their authentication. */
@Entity
@Table(name = "NHI_CHANGE_APPROVAL")
public class ApprovalEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "CHANGE_REQUEST_ID", length = 36, nullable = false)
    private String changeRequestId;

    @Column(name = "APPROVER_USER_ID", length = 36, nullable = false)
    private String approverUserId;

    @Column(name = "APPROVER_USERNAME", length = 255)
    private String approverUsername;

    @Column(name = "APPROVER_REALM_ID", length = 36, nullable = false)
    private String approverRealmId;

    @Column(name = "DIGEST", length = 64, nullable = false)
    private String digest;

    @Column(name = "AUTH_TIME")
    private Long authTime;

    @Column(name = "LOA")
    private Integer loa;

    @Column(name = "APPROVED_AT", nullable = false)
    private long approvedAt;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getChangeRequestId() { return changeRequestId; }
    public void setChangeRequestId(String v) { this.changeRequestId = v; }
    public String getApproverUserId() { return approverUserId; }
    public void setApproverUserId(String v) { this.approverUserId = v; }
    public String getApproverUsername() { return approverUsername; }
    public void setApproverUsername(String v) { this.approverUsername = v; }
    public String getApproverRealmId() { return approverRealmId; }
    public void setApproverRealmId(String v) { this.approverRealmId = v; }
    public String getDigest() { return digest; }
    public void setDigest(String v) { this.digest = v; }
    public Long getAuthTime() { return authTime; }
    public void setAuthTime(Long v) { this.authTime = v; }
    public Integer getLoa() { return loa; }
    public void setLoa(Integer v) { this.loa = v; }
    public long getApprovedAt() { return approvedAt; }
    public void setApprovedAt(long v) { this.approvedAt = v; }
}
