package dev.nhiguard.agent.review;

import java.util.List;

import dev.nhiguard.agent.inventory.InventoryEntry;

/**
 * What a reviewer sees of one identity, frozen when the campaign starts: the reviewer decides on
 * this, and the decision's chained record carries its digest. Times are ISO-8601 instants or null.
 *
 * @param periodStart start of the usage period the requested roles and scopes were read from
 */
public record ItemSnapshot(String id, String clientId, boolean agent, String status, boolean enabled, String purpose,
                           InventoryEntry.Owner owner, String createdAt, String lastUsedAt, InventoryEntry.Credential credential,
                           List<String> flags, String periodStart, Roles roles, Scopes scopes, List<String> clientsCalled) {

    /**
     * Roles the service account holds directly ({@code held}: what a narrowing can drop), all it
     * holds through composites and groups ({@code effective}), its groups, and which of the held
     * roles its tokens were requested for over the period.
     */
    public record Roles(List<String> held, List<String> effective, List<String> groups, List<String> requested,
                        List<String> unrequested) {
    }

    /**
     * Client scopes of the client (default and optional) that appear in a token's {@code scope}
     * when granted ({@code held}), which of them its tokens carried over the period, and scopes
     * that never show in {@code scope} (include-in-token-scope off), so usage cannot tell.
     */
    public record Scopes(List<String> held, List<String> requested, List<String> unrequested, List<String> notObservable) {
    }
}
