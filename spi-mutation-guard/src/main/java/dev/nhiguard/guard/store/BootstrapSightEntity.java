package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * Who held a name the operator lists in {@code bootstrap-approvers} when the approver bootstrap first looked for it in
 * its realm ({@link dev.nhiguard.guard.changerequest.ApproverBootstrapTask}): only that user (by id) is ever appointed
 * under the name. A user who takes the name later (signs up under it, is renamed to it by an identity provider's mapper
 * or a directory, is created by a request that backdates its creation) is not; a name nobody held then is never
 * appointed. One row per listed name and realm, written once.
 */
@Entity
@Table(name = "NHI_GUARD_BOOTSTRAP_SIGHT")
public class BootstrapSightEntity {

    /** {@code <realm id>/<username as Keycloak stores it>}. */
    @Id
    @Column(name = "ID", length = 300, nullable = false)
    private String id;

    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    /** The id of the user who held the name at first sight, or null when nobody did. */
    @Column(name = "USER_ID", length = 36)
    private String userId;

    /** Epoch millis of the first sight (for whoever reads the table: the guard compares ids only). */
    @Column(name = "SEEN_AT", nullable = false)
    private long seenAt;

    public BootstrapSightEntity() {
    }

    public BootstrapSightEntity(String realmId, String username, String userId, long seenAt) {
        this.id = key(realmId, username);
        this.realmId = realmId;
        this.userId = userId;
        this.seenAt = seenAt;
    }

    public static String key(String realmId, String username) {
        return realmId + "/" + username;
    }

    public String getUserId() { return userId; }
}
