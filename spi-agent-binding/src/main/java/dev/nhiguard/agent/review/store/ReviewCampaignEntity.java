package dev.nhiguard.agent.review.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One access-review campaign of a realm: when it started, its deadline and the policy it runs under. */
@Entity
@Table(name = "NHI_REVIEW_CAMPAIGN")
public class ReviewCampaignEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "STATE", length = 16, nullable = false)
    private String state;

    @Column(name = "STARTED_AT", nullable = false)
    private long startedAt;

    @Column(name = "DEADLINE", nullable = false)
    private long deadline;

    @Column(name = "PERIOD_START", nullable = false)
    private long periodStart;

    @Column(name = "STARTED_BY", length = 255, nullable = false)
    private String startedBy;

    @Column(name = "POLICY", length = 16000, nullable = false)
    private String policy;

    @Column(name = "CLOSED_AT")
    private Long closedAt;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public long getStartedAt() { return startedAt; }
    public void setStartedAt(long startedAt) { this.startedAt = startedAt; }
    public long getDeadline() { return deadline; }
    public void setDeadline(long deadline) { this.deadline = deadline; }
    public long getPeriodStart() { return periodStart; }
    public void setPeriodStart(long periodStart) { this.periodStart = periodStart; }
    public String getStartedBy() { return startedBy; }
    public void setStartedBy(String startedBy) { this.startedBy = startedBy; }
    public String getPolicy() { return policy; }
    public void setPolicy(String policy) { this.policy = policy; }
    public Long getClosedAt() { return closedAt; }
    public void setClosedAt(Long closedAt) { this.closedAt = closedAt; }
}
