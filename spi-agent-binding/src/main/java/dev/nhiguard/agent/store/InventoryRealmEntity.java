package dev.nhiguard.agent.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The inventory index's state for one realm. The row exists once the realm's rows were built
 * (its primary key guards against two builders); {@code stale} counts realm-wide changes
 * (composite roles, group roles, imports) not yet folded in by a full pass.
 */
@Entity
@Table(name = "NHI_INVENTORY_REALM")
public class InventoryRealmEntity {

    @Id
    @Column(name = "REALM_ID", length = 36, nullable = false)
    private String realmId;

    @Column(name = "BUILT_AT", nullable = false)
    private long builtAt;

    @Column(name = "STALE", nullable = false)
    private int stale;

    public String getRealmId() { return realmId; }
    public void setRealmId(String v) { this.realmId = v; }
    public long getBuiltAt() { return builtAt; }
    public void setBuiltAt(long v) { this.builtAt = v; }
    public int getStale() { return stale; }
    public void setStale(int v) { this.stale = v; }
}
