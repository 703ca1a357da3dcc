package dev.nhiguard.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start is tried again only when Quarkus's build step failed with its intermittent NPE; any
 * other failure to start fails at once. Runs a stand-in {@code bin/kc.sh} that fails its first
 * starts with the output it is given and then answers 200 on the management port.
 */
class DistributionKeycloakStartTest {

    private static final String FLAKY_NPE = """
            ERROR: io.quarkus.builder.BuildException: Build failure: Build failed due to errors
            	[error]: Build step io.quarkus.arc.deployment.ArcProcessor#validate threw an exception: java.lang.NullPointerException
            	at io.quarkus.arc.processor.UnusedBeans.findRemovableBeans(UnusedBeans.java:44)
            """;

    @TempDir
    Path home;

    @Test
    void aStartThatHitsTheFlakyAugmentationNpeIsTriedAgain() throws IOException {
        standIn(1, FLAKY_NPE);
        try (DistributionKeycloak server = new DistributionKeycloak(settings())) {
            server.start();
        }
        assertEquals("2", Files.readString(home.resolve("starts")).trim());
    }

    @Test
    void theNpeIsTriedAtMostThreeTimes() throws IOException {
        standIn(5, FLAKY_NPE);
        try (DistributionKeycloak server = new DistributionKeycloak(settings())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, server::start);
            assertTrue(e.getMessage().contains("exited with 1 before it was ready"), e.getMessage());
        }
        assertEquals("3", Files.readString(home.resolve("starts")).trim());
    }

    @Test
    void anyOtherFailureToStartFailsAtOnce() throws IOException {
        standIn(1, "ERROR: io.quarkus.builder.BuildException: Build failure: a provider is broken\n");
        try (DistributionKeycloak server = new DistributionKeycloak(settings())) {
            assertThrows(IllegalStateException.class, server::start);
        }
        assertEquals("1", Files.readString(home.resolve("starts")).trim());
    }

    private DistributionKeycloak.Settings settings() {
        return new DistributionKeycloak.Settings(home, null, null, home.resolve("keycloak.log"), List.of(), Duration.ofSeconds(30));
    }

    /** A {@code bin/kc.sh} that prints {@code output} and exits 1 on its first {@code failures} starts. */
    private void standIn(int failures, String output) throws IOException {
        Files.writeString(home.resolve("failures"), Integer.toString(failures));
        Files.writeString(home.resolve("output"), output);
        // Ready: the JDK's own HTTP server answers 200 on the management port (no tool beyond the JDK).
        Files.writeString(home.resolve("Ready.java"), """
                public class Ready {
                    public static void main(String[] a) throws Exception {
                        var server = com.sun.net.httpserver.HttpServer.create(
                                new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(a[0])), 0);
                        server.createContext("/", x -> { x.sendResponseHeaders(200, -1); x.close(); });
                        server.start();
                    }
                }
                """);
        Path kc = home.resolve("bin/kc.sh");
        Files.createDirectories(kc.getParent());
        Files.writeString(kc, """
                #!/bin/sh
                home=$(cd "$(dirname "$0")/.." && pwd)
                port=""
                for a in "$@"; do case "$a" in --http-management-port=*) port="${a#*=}";; esac; done
                n=$(cat "$home/starts" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$home/starts"
                if [ "$n" -le "$(cat "$home/failures")" ]; then cat "$home/output"; exit 1; fi
                exec "%s" "$home/Ready.java" "$port"
                """.formatted(Path.of(System.getProperty("java.home"), "bin", "java")));
        Files.setPosixFilePermissions(kc, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
