package dev.nhiguard.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.ServerChecks;

/** The packaged JARs load into Keycloak 26.7.3 and start cleanly. */
@ExtendWith(KeycloakExtension.class)
class ServerInfoIT {

    @Test
    void everyProviderOfOursIsLoadedAndReportsItsVersion(KeycloakTarget keycloak) {
        ServerChecks.assertProvidersLoaded(keycloak);
    }

    @Test
    void ourAdminResourcesAnswer(KeycloakTarget keycloak) {
        ServerChecks.assertAdminResourcesAnswer(keycloak);
    }

    @Test
    void startupLogsNoError(KeycloakTarget keycloak) {
        ServerChecks.assertNoErrorsLogged(keycloak);
    }
}
