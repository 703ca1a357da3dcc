package dev.nhiguard.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.PostgresDatabase;

/**
 * The two servers every benchmark compares: the same Keycloak distribution, once plain and
 * once with the NHI Guard providers, both started in this run on this machine, each on a
 * database of its own: a fresh in-memory H2 inside its process ({@link Database#H2}), or a fresh
 * schema of the local PostgreSQL ({@link Database#POSTGRES}, see {@link PostgresDatabase}).
 */
final class Servers implements AutoCloseable {

    /** Where the two servers keep their data. */
    enum Database {
        /** Keycloak's {@code dev-mem}: the database's work is done, and counted, in the server's process. */
        H2,
        /** The local PostgreSQL, as operators run Keycloak: the database's work is done in its own processes. */
        POSTGRES
    }

    final DistributionKeycloak plain;
    final DistributionKeycloak guarded;
    private final List<PostgresDatabase> schemas;

    private Servers(DistributionKeycloak plain, DistributionKeycloak guarded, List<PostgresDatabase> schemas) {
        this.plain = plain;
        this.guarded = guarded;
        this.schemas = schemas;
    }

    /** "plain" or "nhi-guard", for what the benchmark prints. */
    String name(DistributionKeycloak server) {
        return server == plain ? "plain" : "nhi-guard";
    }

    /**
     * @param guardedExtraArgs Keycloak options of the server with our providers
     * @param plainTwice       A/A: the second server is plain Keycloak as well (a copy of the same
     *                         distribution, no providers, no options), so the ratios show the
     *                         benchmark's own spread
     * @param bothExtraArgs    Keycloak options of both servers (for example a log level)
     */
    static Servers start(List<String> guardedExtraArgs, Database database, boolean plainTwice, List<String> bothExtraArgs) {
        Path realms = Path.of(required("nhi.realms.dir"));
        Path target = Path.of(required("nhi.bench.target"));
        Path plainHome = Path.of(required("nhi.keycloak.plain-home"));
        DistributionKeycloak.Settings plainSettings = new DistributionKeycloak.Settings(
                plainHome, null, realms, target.resolve("keycloak-plain.log"), bothExtraArgs, Duration.ofMinutes(5));
        DistributionKeycloak.Settings guardedSettings = plainTwice
                ? new DistributionKeycloak.Settings(
                        DistributionKeycloak.copyBeside(plainHome, "-second"),
                        null, realms, target.resolve("keycloak-plain-second.log"), bothExtraArgs, Duration.ofMinutes(5))
                : new DistributionKeycloak.Settings(
                        Path.of(required("nhi.keycloak.home")), Path.of(required("nhi.providers.dir")), realms,
                        target.resolve("keycloak-nhi.log"), concat(bothExtraArgs, guardedExtraArgs), Duration.ofMinutes(5));
        List<PostgresDatabase> schemas = new ArrayList<>();
        DistributionKeycloak plain;
        DistributionKeycloak guarded;
        if (database == Database.POSTGRES) {
            System.setProperty("nhi.require-services", "true"); // no PostgreSQL: fail, do not skip
            schemas.add(PostgresDatabase.createSchema());
            schemas.add(PostgresDatabase.createSchema());
            plain = new DistributionKeycloak(plainSettings, schemas.get(0).keycloakOptions());
            guarded = new DistributionKeycloak(guardedSettings, schemas.get(1).keycloakOptions());
        } else {
            plain = new DistributionKeycloak(plainSettings);
            guarded = new DistributionKeycloak(guardedSettings);
        }
        System.out.println("starting plain Keycloak (" + database + ") ...");
        try {
            plain.start();
            try {
                System.out.println((plainTwice ? "starting a second plain Keycloak (" : "starting Keycloak with NHI Guard (")
                        + database + ") ...");
                guarded.start();
            } catch (RuntimeException e) {
                plain.close();
                throw e;
            }
        } catch (RuntimeException e) {
            schemas.forEach(PostgresDatabase::close);
            throw e;
        }
        return new Servers(plain, guarded, schemas);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
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
        schemas.forEach(PostgresDatabase::close);
    }
}
