package dev.nhiguard.guard.admission;

import org.keycloak.Config;

import dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory;

/**
 * The operator's switch that turns the mutation guard off server-wide: Keycloak's own provider
 * switch, {@code --spi-admin-realm-restapi-extension--mutation-guard--enabled=false}. Keycloak
 * then does not load the guard's provider factory at all (no change-request API, no backstop, no
 * expiry task), so the parts of the guard that are always loaded (the JAX-RS admission filter, the
 * guard's entity provider) read the switch here to tell "switched off by the operator" (admin
 * requests go to Keycloak unguarded) from "not initialised" (admin requests are refused). Only
 * server configuration sets it; no admin request can.
 */
public final class GuardSwitch {

    /** Keycloak's name of the SPI the guard's factory implements ({@code AdminRealmResourceProviderFactory}). */
    static final String SPI = "admin-realm-restapi-extension";

    private GuardSwitch() {
    }

    /** Whether the operator switched the guard off. */
    public static boolean switchedOff() {
        Config.Scope scope = Config.scope(SPI, MutationGuardResourceProviderFactory.PROVIDER_ID);
        return scope != null && !scope.getBoolean("enabled", true);
    }

    /** What is logged when it is off. */
    public static final String WARNING = "NHI mutation guard is DISABLED server-wide (--spi-" + SPI + "--"
            + MutationGuardResourceProviderFactory.PROVIDER_ID + "--enabled=false): guarded admin writes are applied without "
            + "approval in every realm and the change-request API is absent; credential reads are still recorded";
}
