package dev.nhiguard.guard.catalogue;

import java.util.Locale;

/** What a guarded operation changes; cooldowns are set per kind. */
public enum OperationKind {
    CLIENT, CREDENTIAL, PRIVILEGE, RECOVERY, REALM_SETTINGS, GUARD_CONFIG, AGENT;

    /** The kind's name in policy JSON, e.g. {@code realm-settings}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static OperationKind fromJsonName(String name) {
        for (OperationKind k : values()) {
            if (k.jsonName().equals(name)) {
                return k;
            }
        }
        return null;
    }
}
