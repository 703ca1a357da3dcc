package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * When the operator's approver bootstrap first saw a realm it names
 * ({@link dev.nhiguard.guard.changerequest.ApproverBootstrapTask}): only users that existed then are appointed, so a user
 * created later under a listed name (by self-registration, an invitation's link, a first login through an identity
 * provider) never is. One row per realm, written once.
 */
@Entity
@Table(name = "NHI_GUARD_BOOTSTRAP_SIGHT")
public class BootstrapSightEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    /** Epoch millis of the first sight (the node's clock, as Keycloak's own user timestamps are). */
    @Column(name = "SEEN_AT", nullable = false)
    private long seenAt;

    public BootstrapSightEntity() {
    }

    public BootstrapSightEntity(String realmId, long seenAt) {
        this.realmId = realmId;
        this.seenAt = seenAt;
    }

    public String getRealmId() { return realmId; }
    public long getSeenAt() { return seenAt; }
}
