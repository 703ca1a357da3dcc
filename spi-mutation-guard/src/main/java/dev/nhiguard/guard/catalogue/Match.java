package dev.nhiguard.guard.catalogue;

import java.util.Map;

/** A request recognised as a catalogue operation, with its path variables and target. */
public record Match(Operation operation, Map<String, String> pathVars, TargetType targetType, String targetId) {

    /** A stable name of the target, e.g. {@code client:5c1e…}, for filters and history. */
    public String target() {
        String type = targetType.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return targetId == null ? type : type + ":" + targetId;
    }
}
