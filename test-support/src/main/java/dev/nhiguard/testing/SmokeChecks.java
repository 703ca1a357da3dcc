package dev.nhiguard.testing;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;

/**
 * The smoke suite: end-to-end checks that every way of running our JARs must pass, the child
 * process of the integration tests and the image built from {@code docker/} alike. Each harness
 * runs {@link #tests(KeycloakTarget)} from a {@code @TestFactory}, so a check added here runs in
 * both modes.
 *
 * <p>A feature adds one short check proving it works in a real deployment (a guarded change is
 * held, an audit record is written), against the demo realm {@code nhi-demo} that both harnesses
 * import. Checks run in list order on one shared server; the log check stays last so that an
 * error any earlier check provokes fails the suite too.
 */
public final class SmokeChecks {

    /** A named check against a running server. */
    public record Check(String name, Consumer<KeycloakTarget> body) {
    }

    private static final List<Check> CHECKS = List.of(
            new Check("health answers UP", ServerChecks::assertHealthy),
            new Check("every provider of ours is loaded and reports its version", ServerChecks::assertProvidersLoaded),
            new Check("our admin resources answer", ServerChecks::assertAdminResourcesAnswer),
            new Check("a guarded change is held as a change request, and chained in the audit log", ServerChecks::assertGuardedChangeHeld),
            new Check("agent token-time enforcement is active", ServerChecks::assertAgentEnforcementActive),
            new Check("no ERROR logged", ServerChecks::assertNoErrorsLogged));

    private SmokeChecks() {
    }

    public static List<Check> all() {
        return CHECKS;
    }

    /** One dynamic test per check, in order, against the given server. */
    public static Stream<DynamicTest> tests(KeycloakTarget keycloak) {
        return CHECKS.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> c.body().accept(keycloak)));
    }
}
