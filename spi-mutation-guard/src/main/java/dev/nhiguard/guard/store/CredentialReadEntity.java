package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One recorded read of a client's credential by an admin (the chain holds the same read as a
 * {@code CREDENTIAL_READ} record): who read whose, and when. Whoever holds a service account's
 * credential can make requests as it, so such a reader does not approve the service account's
 * change requests. One row per read, inserted only: concurrent reads never collide.
 */
@Entity
@Table(name = "NHI_CREDENTIAL_READ")
public class CredentialReadEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "CLIENT_ID", length = 255, nullable = false)
    private String clientId;

    @Column(name = "USER_ID", length = 255, nullable = false)
    private String userId;

    @Column(name = "READ_AT", nullable = false)
    private long readAt;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getRealmId() { return realmId; }
    public void setRealmId(String v) { this.realmId = v; }
    public String getClientId() { return clientId; }
    public void setClientId(String v) { this.clientId = v; }
    public String getUserId() { return userId; }
    public void setUserId(String v) { this.userId = v; }
    public long getReadAt() { return readAt; }
    public void setReadAt(long v) { this.readAt = v; }
}
