package dev.nhiguard.it;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.ServerChecks;

/**
 * JUnit extension giving tests a second server of this test run, the shared one's distribution and options with Keycloak
 * features that are off by default turned on: OID4VCI with pre-authorized codes and credential offers, the legacy token
 * exchange, and the first version of fine-grained admin permissions ({@code admin-fine-grained-authz:v1}, in place of
 * v2). Started the first time a test asks for it ({@link OffByDefaultFeatures} parameter), checked for logged errors and
 * stopped when the run ends. Tests create realms of their own on it.
 */
public final class OffByDefaultFeaturesExtension implements ParameterResolver {

    /** The features turned on besides the shared server's. */
    public static final String FEATURES = "oid4vc-vci,oid4vc-vci-preauth-code,oid4vc-vci-rest-credential-offer,token-exchange,"
            + "admin-fine-grained-authz:v1";

    /** The server, as a parameter type of its own (the shared server's extension resolves {@link DistributionKeycloak}). */
    public record OffByDefaultFeatures(DistributionKeycloak keycloak) {
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == OffByDefaultFeatures.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        ExtensionContext.Store store = extensionContext.getRoot()
                .getStore(ExtensionContext.Namespace.create(OffByDefaultFeaturesExtension.class));
        return new OffByDefaultFeatures(store.getOrComputeIfAbsent("server", k -> new Shared(), Shared.class).server);
    }

    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final DistributionKeycloak server;

        Shared() {
            DistributionKeycloak.Settings shared = DistributionKeycloak.Settings.fromSystemProperties();
            List<String> args = new ArrayList<>();
            for (String a : shared.extraArgs()) {
                if (a.contains("file-sink-path")) {
                    continue; // the shared server's sink file
                }
                args.add(a.startsWith("--features=") ? a + "," + FEATURES : a);
            }
            server = new DistributionKeycloak(new DistributionKeycloak.Settings(
                    DistributionKeycloak.copyBeside(shared.home(), "-off-by-default"), shared.providers(), null,
                    shared.logFile().resolveSibling("keycloak-off-by-default.log"), args, shared.startTimeout()));
            server.start();
        }

        @Override
        public void close() {
            ServerChecks.assertNoErrorsLoggedAndStop(server);
        }
    }
}
