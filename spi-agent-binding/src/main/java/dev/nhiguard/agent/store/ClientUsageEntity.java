package dev.nhiguard.agent.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * When a client last obtained a token, from Keycloak's own token events. Written at most once
 * per interval per client and node, so token throughput does not queue behind it.
 */
@Entity
@Table(name = "NHI_CLIENT_USAGE")
public class ClientUsageEntity {

    @Id
    @Column(name = "CLIENT_ID", length = 36, nullable = false)
    private String clientId;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "LAST_USED", nullable = false)
    private long lastUsed;

    @Column(name = "LAST_EVENT", length = 64)
    private String lastEvent;

    @Column(name = "LAST_IP", length = 64)
    private String lastIp;

    public String getClientId() { return clientId; }
    public void setClientId(String clientId) { this.clientId = clientId; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public long getLastUsed() { return lastUsed; }
    public void setLastUsed(long lastUsed) { this.lastUsed = lastUsed; }
    public String getLastEvent() { return lastEvent; }
    public void setLastEvent(String lastEvent) { this.lastEvent = lastEvent; }
    public String getLastIp() { return lastIp; }
    public void setLastIp(String lastIp) { this.lastIp = lastIp; }
}
