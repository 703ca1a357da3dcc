package dev.nhiguard.agent.inventory;

import java.time.Instant;
import java.util.Locale;
import java.util.Set;

/**
 * The inventory's filters. {@link #test} is their meaning on an entry built from the models; the
 * index ({@link InventoryIndex}) answers the same question in SQL, and the page checks its rows
 * against this predicate.
 *
 * @param flags   all must hold
 * @param agent   null = both
 * @param search  clientId substring, case-insensitive; null = any
 * @param owner   owner id (an agent's second owner too); null = any
 * @param horizon agents expiring at or before this instant; null = no expiry filter
 */
public record InventoryFilter(Set<String> flags, Boolean agent, String search, String owner, Instant horizon) {

    /** No condition: every entry of the realm matches. */
    public boolean matchesAll() {
        return flags.isEmpty() && agent == null && search == null && owner == null && horizon == null;
    }

    public boolean test(InventoryEntry e) {
        return e.flags().containsAll(flags)
                && (agent == null || e.agent() == agent)
                && (search == null || e.clientId().toLowerCase(Locale.ROOT).contains(search.toLowerCase(Locale.ROOT)))
                && (owner == null || (e.owner() != null && owner.equals(e.owner().id()))
                        || (e.agent() && e.secondOwner() != null && owner.equals(e.secondOwner().id())))
                && (horizon == null || (e.expiresAt() != null && !Instant.parse(e.expiresAt()).isAfter(horizon)));
    }
}
