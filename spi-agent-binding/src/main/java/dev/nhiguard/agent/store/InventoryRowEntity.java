package dev.nhiguard.agent.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One service-account client in the inventory index: what the inventory filters and sorts on.
 * An index only, rebuilt from the models on demand; never the source of a security decision.
 * Times are epoch milliseconds. {@code pending} counts changes not yet folded in.
 */
@Entity
@Table(name = "NHI_INVENTORY_ROW")
public class InventoryRowEntity {

    @Id
    @Column(name = "CLIENT_UUID", length = 36, nullable = false)
    private String clientUuid;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "CLIENT_ID", length = 255, nullable = false)
    private String clientId;

    /** The clientId as hex of its UTF-16 units: orders like Java's String#compareTo under any collation. */
    @Column(name = "SORT_KEY", length = 1024, nullable = false)
    private String sortKey;

    /** The clientId lower-cased (Locale.ROOT), for {@code search}. */
    @Column(name = "SEARCH_KEY", length = 512, nullable = false)
    private String searchKey;

    @Column(name = "AGENT", nullable = false)
    private boolean agent;

    @Column(name = "STATUS", length = 16)
    private String status;

    @Column(name = "SUSPENDED", nullable = false)
    private boolean suspended;

    @Column(name = "OWNER_TYPE", length = 16)
    private String ownerType;

    @Column(name = "OWNER_ID", length = 255)
    private String ownerId;

    @Column(name = "OWNER2_TYPE", length = 16)
    private String owner2Type;

    @Column(name = "OWNER2_ID", length = 255)
    private String owner2Id;

    @Column(name = "CREATED_AT")
    private Long createdAt;

    /** Whether the client authenticates with a client secret (rotation applies). */
    @Column(name = "SECRET_AUTH", nullable = false)
    private boolean secretAuth;

    @Column(name = "SECRET_AT")
    private Long secretAt;

    @Column(name = "EXPIRES_AT")
    private Long expiresAt;

    @Column(name = "OVER_PRIVILEGED", nullable = false)
    private boolean overPrivileged;

    /** The service-account user's id: the page reads users and their mappings by it (an indexed key). */
    @Column(name = "SA_USER_ID", length = 36)
    private String serviceAccountUserId;

    /**
     * When the client was last active, for {@code DORMANT}: its last recorded use, else its creation, else 0 (never).
     * Written with the index row and, on each recorded use, right after the usage row (see the usage recorder).
     */
    @Column(name = "LAST_ACTIVITY", nullable = false)
    private long lastActivity;

    /** Changed only by bulk updates ({@code pending + 1} on a change, minus what a refresh folded in). */
    @Column(name = "PENDING", nullable = false, updatable = false)
    private int pending;

    public long getLastActivity() { return lastActivity; }
    public void setLastActivity(long v) { this.lastActivity = v; }
    public String getClientUuid() { return clientUuid; }
    public void setClientUuid(String v) { this.clientUuid = v; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String v) { this.realmId = v; }
    public String getClientId() { return clientId; }
    public void setClientId(String v) { this.clientId = v; }
    public String getSortKey() { return sortKey; }
    public void setSortKey(String v) { this.sortKey = v; }
    public String getSearchKey() { return searchKey; }
    public void setSearchKey(String v) { this.searchKey = v; }
    public boolean isAgent() { return agent; }
    public void setAgent(boolean v) { this.agent = v; }
    public String getStatus() { return status; }
    public void setStatus(String v) { this.status = v; }
    public boolean isSuspended() { return suspended; }
    public void setSuspended(boolean v) { this.suspended = v; }
    public String getOwnerType() { return ownerType; }
    public void setOwnerType(String v) { this.ownerType = v; }
    public String getOwnerId() { return ownerId; }
    public void setOwnerId(String v) { this.ownerId = v; }
    public String getOwner2Type() { return owner2Type; }
    public void setOwner2Type(String v) { this.owner2Type = v; }
    public String getOwner2Id() { return owner2Id; }
    public void setOwner2Id(String v) { this.owner2Id = v; }
    public Long getCreatedAt() { return createdAt; }
    public void setCreatedAt(Long v) { this.createdAt = v; }
    public boolean isSecretAuth() { return secretAuth; }
    public void setSecretAuth(boolean v) { this.secretAuth = v; }
    public Long getSecretAt() { return secretAt; }
    public void setSecretAt(Long v) { this.secretAt = v; }
    public Long getExpiresAt() { return expiresAt; }
    public void setExpiresAt(Long v) { this.expiresAt = v; }
    public boolean isOverPrivileged() { return overPrivileged; }
    public void setOverPrivileged(boolean v) { this.overPrivileged = v; }
    public String getServiceAccountUserId() { return serviceAccountUserId; }
    public void setServiceAccountUserId(String v) { this.serviceAccountUserId = v; }
    public int getPending() { return pending; }
    public void setPending(int v) { this.pending = v; }
}
