package dev.nhiguard.guard.admission;

/** How the guard treats one admin write method (a JAX-RS resource method with POST/PUT/PATCH/DELETE). */
public sealed interface Coverage permits Coverage.Catalogue, Coverage.Guarded, Coverage.Unguarded {

    /** The catalogue's operations for this method decide (their path templates + predicates); when none matches, the write passes. */
    record Catalogue(java.util.List<String> operations, String reason) implements Coverage {
    }

    /** Always held as this catalogue operation. */
    record Guarded(String operation, String reason) implements Coverage {
    }

    /** Passes unheld by design (reason says why it cannot change a guarded subject, or why it only reduces privileges). */
    record Unguarded(String reason, boolean privilegeReducing) implements Coverage {
    }
}
