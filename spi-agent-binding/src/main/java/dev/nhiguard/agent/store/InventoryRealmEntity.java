package dev.nhiguard.agent.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The inventory index's state for one realm. The row exists once the realm's rows were built
 * (its primary key guards against two builders); {@code stale} counts realm-wide changes
 * (composite roles, group roles, imports) not yet folded in by a full pass; {@code missing} counts
 * changes that may have given the realm a service account without a row (a client created or
 * changed that has no row, an import), not yet folded in by a reconciliation; {@code rowCount} is
 * the number of the realm's rows, kept by every writer of rows (under this row's lock) and recounted
 * by each reconciliation, so that an unfiltered page and the freshness check count nothing.
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

    @Column(name = "MISSING", nullable = false)
    private int missing;

    @Column(name = "ROW_COUNT", nullable = false)
    private long rowCount;

    public String getRealmId() { return realmId; }
    public void setRealmId(String v) { this.realmId = v; }
    public long getBuiltAt() { return builtAt; }
    public void setBuiltAt(long v) { this.builtAt = v; }
    public int getStale() { return stale; }
    public void setStale(int v) { this.stale = v; }
    public int getMissing() { return missing; }
    public void setMissing(int v) { this.missing = v; }
    public long getRowCount() { return rowCount; }
    public void setRowCount(long v) { this.rowCount = v; }
}
