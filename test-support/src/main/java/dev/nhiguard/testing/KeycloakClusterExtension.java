package dev.nhiguard.testing;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension giving tests the one two-node PostgreSQL cluster of this test run, started
 * on first use with the same providers, realms and server options as the single-node harness.
 * Skipped when PostgreSQL is not reachable, unless {@code nhi.require-services} is true.
 */
public final class KeycloakClusterExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KeycloakCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        ExtensionContext.Store store = extensionContext.getRoot()
                .getStore(ExtensionContext.Namespace.create(KeycloakClusterExtension.class));
        return store.getOrComputeIfAbsent("cluster", k -> new Shared(), Shared.class).cluster;
    }

    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final KeycloakCluster cluster;

        Shared() {
            Path work = Path.of(System.getProperty("nhi.cluster.dir", "target/cluster"));
            // The cluster's tests create their realms, except the guard's apply-once tests (guard-table, guard-short).
            DistributionKeycloak.Settings template = DistributionKeycloak.Settings.fromSystemProperties()
                    .withOnlyRealmImports(work.resolve("realm-import"), "guard-table-realm.json", "guard-short-realm.json")
                    .withoutSharedFileSink();
            cluster = KeycloakCluster.start(2, template, work);
        }

        @Override
        public void close() {
            cluster.close();
        }
    }
}
