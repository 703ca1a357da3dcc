package dev.nhiguard.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension giving tests the one Keycloak of this test run: the distribution started as
 * a child process the first time a test asks for it, stopped when the run ends.
 *
 * <pre>
 * &#64;ExtendWith(KeycloakExtension.class)
 * class SomethingIT {
 *     &#64;Test void works(KeycloakTarget keycloak) { ... }
 * }
 * </pre>
 */
public final class KeycloakExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == KeycloakTarget.class || type == DistributionKeycloak.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return server(extensionContext);
    }

    /** The shared server, started on first use. */
    public static DistributionKeycloak server(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(KeycloakExtension.class));
        return store.getOrComputeIfAbsent("server", k -> new Shared(), Shared.class).server;
    }

    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final DistributionKeycloak server = new DistributionKeycloak(DistributionKeycloak.Settings.fromSystemProperties());

        Shared() {
            server.start();
        }

        @Override
        public void close() {
            server.close();
        }
    }
}
