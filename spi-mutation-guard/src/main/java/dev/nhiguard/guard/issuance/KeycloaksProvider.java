package dev.nhiguard.guard.issuance;

import java.util.function.UnaryOperator;

import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;

import dev.nhiguard.guard.admission.GuardSwitch;

/**
 * Keycloak's own provider of an SPI the guard puts itself in front of (by its factory's order): created for the
 * session and wrapped in the guard's, unless the operator switched the guard off.
 */
final class KeycloaksProvider {

    private KeycloaksProvider() {
    }

    static <P extends Provider> P behindTheGuard(KeycloakSession session, Class<P> spi, String keycloaksId,
            UnaryOperator<P> guarded) {
        ProviderFactory<P> keycloaks = session.getKeycloakSessionFactory().getProviderFactory(spi, keycloaksId);
        if (keycloaks == null) {
            throw new IllegalStateException("Keycloak's " + spi.getSimpleName() + " '" + keycloaksId + "' is not deployed");
        }
        P provider = keycloaks.create(session);
        return GuardSwitch.switchedOff() ? provider : guarded.apply(provider);
    }
}
