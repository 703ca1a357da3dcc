package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

/**
 * A guarded admin write held for approval: the exact request (method, path, canonical body),
 * its digest, the target's before-image and who asked, with the request's state.
 */
@Entity
@Table(name = "NHI_CHANGE_REQUEST")
public class ChangeRequestEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "STATE", length = 24, nullable = false)
    private String state;

    @Column(name = "OPERATION", length = 64, nullable = false)
    private String operation;

    @Column(name = "METHOD", length = 8, nullable = false)
    private String method;

    @Column(name = "PATH", length = 2048, nullable = false)
    private String path;

    @Column(name = "BODY", length = 1_000_000)
    private String body;

    @Column(name = "DIGEST", length = 64, nullable = false)
    private String digest;

    @Column(name = "TARGET", length = 1024)
    private String target;

    @Column(name = "BEFORE_IMAGE", length = 1_000_000)
    private String beforeImage;

    @Column(name = "REQUESTER_USER_ID", length = 36, nullable = false)
    private String requesterUserId;

    @Column(name = "REQUESTER_REALM_ID", length = 36, nullable = false)
    private String requesterRealmId;

    @Column(name = "REQUESTER_CLIENT_ID", length = 255)
    private String requesterClientId;

    @Column(name = "REQUESTER_AUTH_TIME")
    private Long requesterAuthTime;

    @Column(name = "REQUESTER_LOA")
    private Integer requesterLoa;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    @Column(name = "UPDATED_AT", nullable = false)
    private long updatedAt;

    @Column(name = "EXPIRES_AT", nullable = false)
    private long expiresAt;

    @Column(name = "OPERATION_KIND", length = 32, nullable = false)
    private String operationKind;

    /** Comma-separated catalogue operations the request is (its first is {@code operation}). */
    @Column(name = "EFFECTS", length = 2000)
    private String effects;

    @Column(name = "TARGET_TYPE", length = 32, nullable = false)
    private String targetType;

    @Column(name = "TARGET_ID", length = 255)
    private String targetId;

    @Column(name = "REQUESTER_USERNAME", length = 255)
    private String requesterUsername;

    @Column(name = "REQUESTER_IMPERSONATOR_ID", length = 36)
    private String requesterImpersonatorId;

    @Column(name = "REQUESTER_SERVICE_ACCOUNT", nullable = false)
    private boolean requesterServiceAccount;

    @Column(name = "APPROVALS_REQUIRED", nullable = false)
    private int approvalsRequired;

    @Column(name = "COOLDOWN_SECONDS", nullable = false)
    private long cooldownSeconds;

    @Column(name = "APPROVED_AT")
    private Long approvedAt;

    @Column(name = "APPLIED_AT")
    private Long appliedAt;

    @Column(name = "DECISION_REASON", length = 2048)
    private String decisionReason;

    @Column(name = "RESULT_STATUS")
    private Integer resultStatus;

    @Column(name = "RESULT_BODY", length = 1_000_000)
    private String resultBody;

    @Column(name = "ROLLBACK_OF", length = 36)
    private String rollbackOf;

    @Column(name = "BASE_URI", length = 1024)
    private String baseUri;

    /**
     * The proposed after-images: how they were obtained ({@code keycloak-dry-run}) and, per target
     * the request touches, its image before and after a dry run; credentials as fingerprints only.
     * Null when the diff is the guard's merge of the request body ({@code request-merge}).
     */
    @Column(name = "DRY_RUN", length = 1_000_000)
    private String dryRun;

    /**
     * The credentials the request replaces, sealed (ciphertext and fingerprint), so a rollback can
     * restore them; never shown. Kept while the request is open or APPLIED and the retention lasts.
     */
    @Column(name = "ROLLBACK_MATERIAL", length = 100_000)
    private String rollbackMaterial;

    @Version
    @Column(name = "VERSION", nullable = false)
    private int version;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public String getOperation() { return operation; }
    public void setOperation(String operation) { this.operation = operation; }
    public String getMethod() { return method; }
    public void setMethod(String method) { this.method = method; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public String getBody() { return body; }
    public void setBody(String body) { this.body = body; }
    public String getDigest() { return digest; }
    public void setDigest(String digest) { this.digest = digest; }
    public String getTarget() { return target; }
    public void setTarget(String target) { this.target = target; }
    public String getBeforeImage() { return beforeImage; }
    public void setBeforeImage(String beforeImage) { this.beforeImage = beforeImage; }
    public String getRequesterUserId() { return requesterUserId; }
    public void setRequesterUserId(String requesterUserId) { this.requesterUserId = requesterUserId; }
    public String getRequesterRealmId() { return requesterRealmId; }
    public void setRequesterRealmId(String requesterRealmId) { this.requesterRealmId = requesterRealmId; }
    public String getRequesterClientId() { return requesterClientId; }
    public void setRequesterClientId(String requesterClientId) { this.requesterClientId = requesterClientId; }
    public Long getRequesterAuthTime() { return requesterAuthTime; }
    public void setRequesterAuthTime(Long requesterAuthTime) { this.requesterAuthTime = requesterAuthTime; }
    public Integer getRequesterLoa() { return requesterLoa; }
    public void setRequesterLoa(Integer requesterLoa) { this.requesterLoa = requesterLoa; }
    public long getCreatedAt() { return createdAt; }
    public void setCreatedAt(long createdAt) { this.createdAt = createdAt; }
    public long getUpdatedAt() { return updatedAt; }
    public void setUpdatedAt(long updatedAt) { this.updatedAt = updatedAt; }
    public long getExpiresAt() { return expiresAt; }
    public void setExpiresAt(long expiresAt) { this.expiresAt = expiresAt; }
    public String getOperationKind() { return operationKind; }
    public void setOperationKind(String v) { this.operationKind = v; }
    public String getEffects() { return effects; }
    public void setEffects(String v) { this.effects = v; }
    public String getTargetType() { return targetType; }
    public void setTargetType(String v) { this.targetType = v; }
    public String getTargetId() { return targetId; }
    public void setTargetId(String v) { this.targetId = v; }
    public String getRequesterUsername() { return requesterUsername; }
    public void setRequesterUsername(String v) { this.requesterUsername = v; }
    public String getRequesterImpersonatorId() { return requesterImpersonatorId; }
    public void setRequesterImpersonatorId(String v) { this.requesterImpersonatorId = v; }
    public boolean isRequesterServiceAccount() { return requesterServiceAccount; }
    public void setRequesterServiceAccount(boolean v) { this.requesterServiceAccount = v; }
    public int getApprovalsRequired() { return approvalsRequired; }
    public void setApprovalsRequired(int v) { this.approvalsRequired = v; }
    public long getCooldownSeconds() { return cooldownSeconds; }
    public void setCooldownSeconds(long v) { this.cooldownSeconds = v; }
    public Long getApprovedAt() { return approvedAt; }
    public void setApprovedAt(Long v) { this.approvedAt = v; }
    public Long getAppliedAt() { return appliedAt; }
    public void setAppliedAt(Long v) { this.appliedAt = v; }
    public String getDecisionReason() { return decisionReason; }
    public void setDecisionReason(String v) { this.decisionReason = v; }
    public Integer getResultStatus() { return resultStatus; }
    public void setResultStatus(Integer v) { this.resultStatus = v; }
    public String getResultBody() { return resultBody; }
    public void setResultBody(String v) { this.resultBody = v; }
    public String getRollbackOf() { return rollbackOf; }
    public void setRollbackOf(String v) { this.rollbackOf = v; }
    public String getBaseUri() { return baseUri; }
    public void setBaseUri(String v) { this.baseUri = v; }
    public String getDryRun() { return dryRun; }
    public void setDryRun(String v) { this.dryRun = v; }
    public String getRollbackMaterial() { return rollbackMaterial; }
    public void setRollbackMaterial(String v) { this.rollbackMaterial = v; }
    public int getVersion() { return version; }
}
