package dev.nhiguard.agent.review.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A risk narrowing of a service account: exactly what was removed (role and group ids with names), so the owner's revalidation restores it. At most one ACTIVE row per client. */
@Entity
@Table(name = "NHI_NARROWING")
public class NarrowingEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "CLIENT_ID", length = 36, nullable = false)
    private String clientId;

    @Column(name = "STATE", length = 16, nullable = false)
    private String state;

    @Column(name = "TRIGGER_NAME", length = 64, nullable = false)
    private String trigger;

    @Column(name = "REASON", length = 1024, nullable = false)
    private String reason;

    @Column(name = "REMOVED", length = 16000, nullable = false)
    private String removed;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    @Column(name = "RESTORED_AT")
    private Long restoredAt;

    @Column(name = "RESTORED_BY", length = 255)
    private String restoredBy;

    @Column(name = "ACTIVE_KEY", length = 36)
    private String activeKey;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getClientId() { return clientId; }
    public void setClientId(String clientId) { this.clientId = clientId; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public String getTrigger() { return trigger; }
    public void setTrigger(String trigger) { this.trigger = trigger; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public String getRemoved() { return removed; }
    public void setRemoved(String removed) { this.removed = removed; }
    public long getCreatedAt() { return createdAt; }
    public void setCreatedAt(long createdAt) { this.createdAt = createdAt; }
    public Long getRestoredAt() { return restoredAt; }
    public void setRestoredAt(Long restoredAt) { this.restoredAt = restoredAt; }
    public String getRestoredBy() { return restoredBy; }
    public void setRestoredBy(String restoredBy) { this.restoredBy = restoredBy; }
    public String getActiveKey() { return activeKey; }
    public void setActiveKey(String activeKey) { this.activeKey = activeKey; }
}
