package dev.nhiguard.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.nhiguard.testing.DistributionKeycloak;

/**
 * The two servers every benchmark compares: the same Keycloak distribution, once plain and
 * once with the NHI Guard providers, both started in this run on this machine.
 */
final class Servers implements AutoCloseable {

    final DistributionKeycloak plain;
    final DistributionKeycloak guarded;

    private Servers(DistributionKeycloak plain, DistributionKeycloak guarded) {
        this.plain = plain;
        this.guarded = guarded;
    }

    /** "plain" or "nhi-guard", for what the benchmark prints. */
    String name(DistributionKeycloak server) {
        return server == plain ? "plain" : "nhi-guard";
    }

    static Servers start(List<String> guardedExtraArgs) {
        Path realms = Path.of(required("nhi.realms.dir"));
        Path target = Path.of(required("nhi.bench.target"));
        DistributionKeycloak plain = new DistributionKeycloak(new DistributionKeycloak.Settings(
                Path.of(required("nhi.keycloak.plain-home")), null, realms,
                target.resolve("keycloak-plain.log"), List.of(), Duration.ofMinutes(5)));
        DistributionKeycloak guarded = new DistributionKeycloak(new DistributionKeycloak.Settings(
                Path.of(required("nhi.keycloak.home")), Path.of(required("nhi.providers.dir")), realms,
                target.resolve("keycloak-nhi.log"), guardedExtraArgs, Duration.ofMinutes(5)));
        System.out.println("starting plain Keycloak ...");
        plain.start();
        try {
            System.out.println("starting Keycloak with NHI Guard ...");
            guarded.start();
        } catch (RuntimeException e) {
            plain.close();
            throw e;
        }
        return new Servers(plain, guarded);
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set; run ./benchmark.sh");
        }
        return v;
    }

    @Override
    public void close() {
        guarded.close();
        plain.close();
    }
}
