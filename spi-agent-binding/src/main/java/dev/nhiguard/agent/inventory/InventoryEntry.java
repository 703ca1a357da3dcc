package dev.nhiguard.agent.inventory;

import java.util.List;

/** One service-account client of the inventory. Times are ISO-8601 instants or null. */
public record InventoryEntry(String id, String clientId, boolean enabled, boolean agent, String status,
                             Owner owner, String purpose, String createdAt, String lastUsedAt, String lastUsedEvent,
                             Credential credential, Roles roles, List<String> flags, LastAction lastAction,
                             String expiresAt, Owner secondOwner, String ownerLatched, MayActFor mayActFor) {

    /**
     * Whom an agent may act for in token exchange: {@code owner} (its owners), users (usernames),
     * groups (paths), {@code consented} (users who consented to the agent's client).
     */
    public record MayActFor(boolean owner, List<String> users, List<String> groups, boolean consented) {
        /** One line: {@code owner;user:olga;group:/team;consented}. */
        String summary() {
            java.util.List<String> parts = new java.util.ArrayList<>();
            if (owner) {
                parts.add("owner");
            }
            users.forEach(u -> parts.add("user:" + u));
            groups.forEach(g -> parts.add("group:" + g));
            if (consented) {
                parts.add("consented");
            }
            return String.join(";", parts);
        }
    }

    /** Owner as recorded, and its state now: active, disabled, missing. */
    public record Owner(String type, String id, String name, String state) {
    }

    /** Client authenticator, and when the credential was set (if Keycloak or the registry recorded it). */
    public record Credential(String type, String createdAt, Long ageDays) {
    }

    /** Role names: realm roles by name, client roles as {@code clientId/role}. */
    public record Roles(List<String> direct, List<String> effective) {
    }

    /** The latest status change with its reason (manual or automatic). */
    public record LastAction(String action, String reason, String at) {
    }
}
