package dev.nhiguard.agent.review.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A scope a client's tokens carried, or a client its tokens were exchanged for, with when first and last seen. Unique per client, kind and name. */
@Entity
@Table(name = "NHI_REVIEW_USAGE")
public class ReviewUsageEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "CLIENT_ID", length = 36, nullable = false)
    private String clientId;

    @Column(name = "KIND", length = 16, nullable = false)
    private String kind;

    @Column(name = "NAME", length = 255, nullable = false)
    private String name;

    @Column(name = "FIRST_SEEN", nullable = false)
    private long firstSeen;

    @Column(name = "LAST_SEEN", nullable = false)
    private long lastSeen;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String realmId) { this.realmId = realmId; }
    public String getClientId() { return clientId; }
    public void setClientId(String clientId) { this.clientId = clientId; }
    public String getKind() { return kind; }
    public void setKind(String kind) { this.kind = kind; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public long getFirstSeen() { return firstSeen; }
    public void setFirstSeen(long firstSeen) { this.firstSeen = firstSeen; }
    public long getLastSeen() { return lastSeen; }
    public void setLastSeen(long lastSeen) { this.lastSeen = lastSeen; }
}
