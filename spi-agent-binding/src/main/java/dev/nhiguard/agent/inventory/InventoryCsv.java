package dev.nhiguard.agent.inventory;

import java.util.List;

/** RFC 4180 CSV of inventory entries; lists are joined with {@code ;}. */
public final class InventoryCsv {

    static final List<String> HEADER = List.of("id", "clientId", "enabled", "agent", "status", "ownerType", "ownerId", "ownerName",
            "ownerState", "purpose", "createdAt", "lastUsedAt", "credentialType", "credentialCreatedAt", "credentialAgeDays",
            "directRoles", "effectiveRoles", "flags", "lastAction", "lastActionReason", "lastActionAt",
            "expiresAt", "secondOwnerType", "secondOwnerId", "secondOwnerName", "ownerLatched", "mayActFor");

    private InventoryCsv() {
    }

    static String write(List<InventoryEntry> entries) {
        StringBuilder sb = new StringBuilder();
        line(sb, HEADER);
        for (InventoryEntry e : entries) {
            InventoryEntry.Owner o = e.owner();
            InventoryEntry.LastAction a = e.lastAction();
            line(sb, java.util.Arrays.asList(e.id(), e.clientId(), Boolean.toString(e.enabled()), Boolean.toString(e.agent()), e.status(),
                    o == null ? null : o.type(), o == null ? null : o.id(), o == null ? null : o.name(), o == null ? null : o.state(),
                    e.purpose(), e.createdAt(), e.lastUsedAt(), e.credential().type(), e.credential().createdAt(),
                    e.credential().ageDays() == null ? null : e.credential().ageDays().toString(),
                    String.join(";", e.roles().direct()), String.join(";", e.roles().effective()), String.join(";", e.flags()),
                    a == null ? null : a.action(), a == null ? null : a.reason(), a == null ? null : a.at(),
                    e.expiresAt(), e.secondOwner() == null ? null : e.secondOwner().type(), e.secondOwner() == null ? null : e.secondOwner().id(),
                    e.secondOwner() == null ? null : e.secondOwner().name(), e.ownerLatched(),
                    e.mayActFor() == null ? null : e.mayActFor().summary()));
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(escape(fields.get(i)));
        }
        sb.append("\r\n");
    }

    public static String escape(String v) {
        if (v == null) {
            return "";
        }
        String safe = v;
        // Cells starting with a formula character are prefixed so spreadsheets do not evaluate them.
        if (!safe.isEmpty() && "=+-@\t\r".indexOf(safe.charAt(0)) >= 0) {
            safe = "'" + safe;
        }
        if (safe.contains(",") || safe.contains("\"") || safe.contains("\n") || safe.contains("\r")) {
            return '"' + safe.replace("\"", "\"\"") + '"';
        }
        return safe;
    }
}
