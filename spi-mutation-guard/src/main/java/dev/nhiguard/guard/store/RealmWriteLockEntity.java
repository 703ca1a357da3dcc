package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A realm's write lock: one row per realm ({@link dev.nhiguard.guard.changerequest.RealmWriteLock}). Admin writes to the
 * realm hold it shared, a change request's apply holds it exclusively and notes when it applied.
 */
@Entity
@Table(name = "NHI_GUARD_REALM_LOCK")
public class RealmWriteLockEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    /** When the realm's last change request was applied (epoch millis, the applying node's clock), or null. */
    @Column(name = "APPLIED_AT")
    private Long appliedAt;

    public RealmWriteLockEntity() {
    }

    public RealmWriteLockEntity(String realmId) {
        this.realmId = realmId;
    }

    public String getRealmId() { return realmId; }
    public Long getAppliedAt() { return appliedAt; }
    public void setAppliedAt(Long v) { this.appliedAt = v; }
}
