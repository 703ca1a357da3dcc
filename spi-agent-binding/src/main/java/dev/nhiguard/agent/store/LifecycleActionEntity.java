package dev.nhiguard.agent.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One automatic lifecycle action (suspension, forced rotation) with its reason. The unique
 * key (realm, client, action, window) makes the rate limit hold across cluster nodes.
 */
@Entity
@Table(name = "NHI_LIFECYCLE_ACTION")
public class LifecycleActionEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "CLIENT_ID", length = 36, nullable = false)
    private String clientId;

    @Column(name = "ACTION", length = 32, nullable = false)
    private String action;

    @Column(name = "TRIGGER_NAME", length = 64, nullable = false)
    private String trigger;

    @Column(name = "REASON", length = 1024, nullable = false)
    private String reason;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    @Column(name = "WINDOW_KEY", length = 64, nullable = false)
    private String windowKey;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getClientId() { return clientId; }
    public void setClientId(String clientId) { this.clientId = clientId; }
    public String getAction() { return action; }
    public void setAction(String action) { this.action = action; }
    public String getTrigger() { return trigger; }
    public void setTrigger(String trigger) { this.trigger = trigger; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public long getCreatedAt() { return createdAt; }
    public void setCreatedAt(long createdAt) { this.createdAt = createdAt; }
    public String getWindowKey() { return windowKey; }
    public void setWindowKey(String windowKey) { this.windowKey = windowKey; }
}
