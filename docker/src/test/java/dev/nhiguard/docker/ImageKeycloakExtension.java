package dev.nhiguard.docker;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.DockerClientFactory;

import dev.nhiguard.testing.KeycloakTarget;

/**
 * JUnit extension giving image-mode tests the one container of this test run (built and
 * started on first use, removed when the run ends).
 *
 * <p>Without a reachable Docker engine the tests are skipped, unless the system property
 * {@code nhi.docker.required} is {@code true} (the build sets it in CI): then they fail, since
 * CI must prove the image.
 */
final class ImageKeycloakExtension implements ParameterResolver, ExecutionCondition {

    static final String REQUIRED_PROPERTY = "nhi.docker.required";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (dockerAvailable(context)) {
            return ConditionEvaluationResult.enabled("a Docker engine is reachable");
        }
        if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
            return ConditionEvaluationResult.enabled("no Docker engine reachable, but " + REQUIRED_PROPERTY + "=true: the tests fail");
        }
        return ConditionEvaluationResult.disabled("no Docker engine reachable: image tests skipped (set -D"
                + REQUIRED_PROPERTY + "=true to make this a failure)");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == KeycloakTarget.class || type == ImageKeycloak.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        if (!dockerAvailable(extensionContext)) {
            throw new IllegalStateException("No Docker engine is reachable, and " + REQUIRED_PROPERTY
                    + "=true (CI) requires the image tests to run. Start dockerd (see .ci/run) and check"
                    + " that /var/run/docker.sock answers `docker info`.");
        }
        ExtensionContext.Store store = extensionContext.getRoot().getStore(ExtensionContext.Namespace.create(ImageKeycloakExtension.class));
        return store.getOrComputeIfAbsent("server", k -> new Shared(), Shared.class).server;
    }

    private static boolean dockerAvailable(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(ImageKeycloakExtension.class));
        return store.getOrComputeIfAbsent("docker-available", k -> DockerClientFactory.instance().isDockerAvailable(), Boolean.class);
    }

    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        final ImageKeycloak server = new ImageKeycloak(ImageKeycloak.Settings.fromSystemProperties());

        Shared() {
            server.start();
            System.out.printf("[image-smoke] image %s built in %.1f s, container ready %.1f s after start%n",
                    server.imageTag(), server.imageBuildTime().toMillis() / 1000.0, server.timeToReady().toMillis() / 1000.0);
        }

        @Override
        public void close() {
            server.close();
        }
    }
}
