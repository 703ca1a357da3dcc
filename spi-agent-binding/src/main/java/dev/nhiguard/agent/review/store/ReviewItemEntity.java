package dev.nhiguard.agent.review.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One identity of a campaign: the snapshot its reviewers saw (and its digest), who may decide, and the decision. Unique per campaign and client. */
@Entity
@Table(name = "NHI_REVIEW_ITEM")
public class ReviewItemEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "CAMPAIGN_ID", length = 36, nullable = false)
    private String campaignId;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "CLIENT_ID", length = 36, nullable = false)
    private String clientId;

    @Column(name = "CLIENT_NAME", length = 255, nullable = false)
    private String clientName;

    @Column(name = "REVIEWERS", length = 8000)
    private String reviewers;

    @Column(name = "REVIEWER_SOURCE", length = 16, nullable = false)
    private String reviewerSource;

    @Column(name = "SNAPSHOT", length = 1000000, nullable = false)
    private String snapshot;

    @Column(name = "DIGEST", length = 64, nullable = false)
    private String digest;

    @Column(name = "DECISION", length = 32)
    private String decision;

    @Column(name = "DECIDED_BY", length = 255)
    private String decidedBy;

    @Column(name = "DECIDED_AT")
    private Long decidedAt;

    @Column(name = "OUTCOME", length = 16000)
    private String outcome;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getCampaignId() { return campaignId; }
    public void setCampaignId(String campaignId) { this.campaignId = campaignId; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getClientId() { return clientId; }
    public void setClientId(String clientId) { this.clientId = clientId; }
    public String getClientName() { return clientName; }
    public void setClientName(String clientName) { this.clientName = clientName; }
    public String getReviewers() { return reviewers; }
    public void setReviewers(String reviewers) { this.reviewers = reviewers; }
    public String getReviewerSource() { return reviewerSource; }
    public void setReviewerSource(String reviewerSource) { this.reviewerSource = reviewerSource; }
    public String getSnapshot() { return snapshot; }
    public void setSnapshot(String snapshot) { this.snapshot = snapshot; }
    public String getDigest() { return digest; }
    public void setDigest(String digest) { this.digest = digest; }
    public String getDecision() { return decision; }
    public void setDecision(String decision) { this.decision = decision; }
    public String getDecidedBy() { return decidedBy; }
    public void setDecidedBy(String decidedBy) { this.decidedBy = decidedBy; }
    public Long getDecidedAt() { return decidedAt; }
    public void setDecidedAt(Long decidedAt) { this.decidedAt = decidedAt; }
    public String getOutcome() { return outcome; }
    public void setOutcome(String outcome) { this.outcome = outcome; }
}
