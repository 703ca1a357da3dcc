package dev.nhiguard.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.containers.Container.ExecResult;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmokeChecks;

/**
 * The image built from docker/Dockerfile, run as production runs it (start --optimized on
 * PostgreSQL): the smoke suite both harness modes share, plus what only the image promises.
 */
@ExtendWith(ImageKeycloakExtension.class)
class ImageSmokeIT {

    @TestFactory
    Stream<DynamicTest> smokeSuite(KeycloakTarget keycloak) {
        return SmokeChecks.tests(keycloak);
    }

    @Test
    void runsTheKeycloakVersionTheProjectTargets(ImageKeycloak keycloak) {
        assertEquals(System.getProperty("nhi.keycloak.version"),
                keycloak.adminClient().serverInfo().getInfo().getSystemInfo().getVersion());
    }

    @Test
    void storesItsRealmsInPostgresql(ImageKeycloak keycloak) throws Exception {
        ExecResult realms = keycloak.postgres().execInContainer("psql", "-U", ImageKeycloak.DB_USER, "-d", ImageKeycloak.DB_NAME,
                "-tAc", "select name from realm order by name");
        assertEquals(0, realms.getExitCode(), realms.getStderr());
        List<String> names = realms.getStdout().lines().map(String::trim).toList();
        assertTrue(names.containsAll(List.of("master", "nhi-demo")), "realms in PostgreSQL: " + names);
    }

    @Test
    void metricsAnswerOnTheManagementPort(ImageKeycloak keycloak) {
        HttpAdmin.Response r = new HttpAdmin(keycloak.managementUri()).get("/metrics", null);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.body().contains("jvm_"), "no JVM metrics in /metrics");
    }

    @Test
    void runsAsTheUnprivilegedKeycloakUserWithOurProvidersInstalled(ImageKeycloak keycloak) throws Exception {
        ExecResult id = keycloak.container().execInContainer("id", "-u");
        assertEquals("1000", id.getStdout().trim(), id.getStderr());
        ExecResult installed = keycloak.container().execInContainer("ls", "/opt/keycloak/providers");
        List<String> jars = keycloak.providerJars();
        assertTrue(jars.stream().anyMatch(j -> j.startsWith("nhi-guard-")), "no JAR of ours in " + jars);
        for (String jar : jars) {
            assertTrue(installed.getStdout().lines().anyMatch(jar::equals), jar + " not in the image: " + installed.getStdout());
        }
    }
}
