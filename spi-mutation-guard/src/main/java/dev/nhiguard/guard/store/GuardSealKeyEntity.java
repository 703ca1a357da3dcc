package dev.nhiguard.guard.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The guard's server key for sealed credentials in change requests (32 random bytes, base64):
 * one row, created on first use, shared by every node on the database. No API reads or exports it.
 */
@Entity
@Table(name = "NHI_GUARD_SEAL_KEY")
public class GuardSealKeyEntity {

    @Id
    @Column(name = "ID", length = 36, nullable = false)
    private String id;

    @Column(name = "SECRET", length = 100, nullable = false)
    private String secret;

    @Column(name = "CREATED_AT", nullable = false)
    private long createdAt;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getSecret() { return secret; }
    public void setSecret(String secret) { this.secret = secret; }
    public long getCreatedAt() { return createdAt; }
    public void setCreatedAt(long createdAt) { this.createdAt = createdAt; }
}
