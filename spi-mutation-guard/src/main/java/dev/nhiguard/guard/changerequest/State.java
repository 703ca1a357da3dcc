package dev.nhiguard.guard.changerequest;

import java.util.EnumSet;
import java.util.Set;

/**
 * Life of a change request: PENDING → APPROVED or COOLING_DOWN → APPLIED, or REJECTED,
 * CANCELLED, EXPIRED, FAILED (the replay was refused by Keycloak); APPLIED →
 * ROLLED_BACK when a linked rollback request is applied. A containment is CONTAINED until a
 * second admin CONFIRMS or REVERTS it.
 */
public enum State {
    PENDING, APPROVED, COOLING_DOWN, APPLIED, FAILED, REJECTED, CANCELLED, EXPIRED, ROLLED_BACK,
    /** Containment: an NHI was disabled at once and awaits a second admin's review. */
    CONTAINED,
    /** Containment confirmed by a second admin: the NHI stays disabled. */
    CONFIRMED,
    /** Containment reverted by a second admin: the NHI was enabled again. */
    REVERTED;

    private static final Set<State> OPEN = EnumSet.of(PENDING, APPROVED, COOLING_DOWN);

    /** Still waiting for approval, cooldown or apply: can be cancelled, rejected or expire. */
    public boolean isOpen() {
        return OPEN.contains(this);
    }

    public boolean canMoveTo(State next) {
        return switch (this) {
            case PENDING -> next == APPROVED || next == COOLING_DOWN || next == REJECTED || next == CANCELLED || next == EXPIRED;
            case APPROVED -> next == APPLIED || next == FAILED || next == REJECTED || next == CANCELLED || next == EXPIRED;
            case COOLING_DOWN -> next == APPROVED || next == FAILED || next == REJECTED || next == CANCELLED || next == EXPIRED;
            case APPLIED -> next == ROLLED_BACK;
            case CONTAINED -> next == CONFIRMED || next == REVERTED;
            default -> false;
        };
    }
}
