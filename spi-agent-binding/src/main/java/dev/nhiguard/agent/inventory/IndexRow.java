package dev.nhiguard.agent.inventory;

import java.time.Instant;
import java.util.Locale;

import dev.nhiguard.agent.store.InventoryRowEntity;

/**
 * What the index keeps of one inventory entry: the values its filters and order need, and
 * nothing that changes with time alone (time-relative flags are predicates on these timestamps).
 * Owner state and narrowing are not kept either: the index query reads them live.
 */
record IndexRow(String clientUuid, String realmId, String clientId, boolean agent, String status, boolean suspended,
                String ownerType, String ownerId, String owner2Type, String owner2Id, Long createdAt,
                boolean secretAuth, Long secretAt, Long expiresAt, boolean overPrivileged, String serviceAccountUserId,
                long lastActivity) {

    /** The row of an entry whose service-account user is {@code userId}. */
    static IndexRow of(String realmId, InventoryEntry e, String userId) {
        InventoryEntry.Credential c = e.credential();
        boolean secret = c != null && ("client-secret".equals(c.type()) || "client-secret-jwt".equals(c.type()));
        return new IndexRow(e.id(), realmId, e.clientId(), e.agent(), e.status(), e.flags().contains(Inventory.FLAG_SUSPENDED),
                e.owner() == null ? null : e.owner().type(), e.owner() == null ? null : e.owner().id(),
                e.agent() && e.secondOwner() != null ? e.secondOwner().type() : null,
                e.agent() && e.secondOwner() != null ? e.secondOwner().id() : null,
                millis(e.createdAt()), secret, secret ? millis(c.createdAt()) : null,
                e.agent() ? millis(e.expiresAt()) : null, e.flags().contains(Inventory.FLAG_OVER_PRIVILEGED), userId,
                lastActivity(e));
    }

    static IndexRow of(InventoryRowEntity r) {
        return new IndexRow(r.getClientUuid(), r.getRealmId(), r.getClientId(), r.isAgent(), r.getStatus(), r.isSuspended(),
                r.getOwnerType(), r.getOwnerId(), r.getOwner2Type(), r.getOwner2Id(), r.getCreatedAt(), r.isSecretAuth(),
                r.getSecretAt(), r.getExpiresAt(), r.isOverPrivileged(), r.getServiceAccountUserId(), r.getLastActivity());
    }

    void applyTo(InventoryRowEntity r) {
        r.setClientUuid(clientUuid);
        r.setRealmId(realmId);
        r.setClientId(clientId);
        r.setSortKey(sortKey(clientId));
        r.setSearchKey(clientId.toLowerCase(Locale.ROOT));
        r.setAgent(agent);
        r.setStatus(status);
        r.setSuspended(suspended);
        r.setOwnerType(ownerType);
        r.setOwnerId(ownerId);
        r.setOwner2Type(owner2Type);
        r.setOwner2Id(owner2Id);
        r.setCreatedAt(createdAt);
        r.setSecretAuth(secretAuth);
        r.setSecretAt(secretAt);
        r.setExpiresAt(expiresAt);
        r.setOverPrivileged(overPrivileged);
        r.setServiceAccountUserId(serviceAccountUserId);
        r.setLastActivity(lastActivity);
    }

    /** As {@link Inventory} decides {@code DORMANT}: the last use, else the creation; 0 when neither is known (dormant always). */
    static long lastActivity(InventoryEntry e) {
        Long used = millis(e.lastUsedAt());
        Long created = millis(e.createdAt());
        return used != null ? used : created != null ? created : 0L;
    }

    /** Hex of the UTF-16 units, 4 digits each: ordered as {@link String#compareTo} orders, whatever the database collation. */
    static String sortKey(String clientId) {
        StringBuilder b = new StringBuilder(clientId.length() * 4);
        for (int i = 0; i < clientId.length(); i++) {
            String h = Integer.toHexString(clientId.charAt(i));
            b.append("0000", h.length(), 4).append(h);
        }
        return b.toString();
    }

    /** Epoch millis of a stored instant; one beyond what millis hold (stored before the registry bounded expiries) saturates. */
    static Long millis(String iso) {
        if (iso == null) {
            return null;
        }
        Instant at = Instant.parse(iso);
        try {
            return at.toEpochMilli();
        } catch (ArithmeticException e) {
            return at.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
