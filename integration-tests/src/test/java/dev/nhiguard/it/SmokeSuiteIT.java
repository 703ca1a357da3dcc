package dev.nhiguard.it;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmokeChecks;

/** The smoke suite the image built from docker/ runs too, here on the child-process server. */
@ExtendWith(KeycloakExtension.class)
class SmokeSuiteIT {

    @TestFactory
    Stream<DynamicTest> smokeSuite(KeycloakTarget keycloak) {
        return SmokeChecks.tests(keycloak);
    }
}
