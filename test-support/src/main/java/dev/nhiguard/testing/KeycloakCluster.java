package dev.nhiguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Several Keycloak nodes in production mode on one PostgreSQL schema, forming one cluster
 * (Infinispan, jdbc-ping discovery, bound to loopback), each with its own copy of the
 * distribution because a start re-augments the distribution in place. The first node imports
 * the realms; the others start once it is ready.
 */
public final class KeycloakCluster implements AutoCloseable {

    private final PostgresDatabase database;
    private final List<DistributionKeycloak> nodes = new ArrayList<>();

    private KeycloakCluster(PostgresDatabase database) {
        this.database = database;
    }

    /**
     * @param size      number of nodes
     * @param template  settings of the single-node harness (distribution, providers, realms, args)
     * @param workDir   where the nodes' distribution copies and logs go
     */
    public static KeycloakCluster start(int size, DistributionKeycloak.Settings template, Path workDir) {
        PostgresDatabase database = PostgresDatabase.createSchema();
        KeycloakCluster cluster = new KeycloakCluster(database);
        try {
            for (int i = 0; i < size; i++) {
                Path home = workDir.resolve("node-" + i);
                // The nodes after the first copy its distribution once it has started: built for the same options (and
                // with the same provider JARs), it starts them without a build step of their own.
                DistributionKeycloak.copyDistribution(i == 0 ? template.home() : workDir.resolve("node-0"), home);
                List<String> command = new ArrayList<>(List.of("start",
                        "--http-enabled=true", "--hostname-strict=false",
                        "--cache=ispn", "--cache-stack=jdbc-ping",
                        "--cache-embedded-network-bind-address=127.0.0.1",
                        "--cache-embedded-network-bind-port=" + DistributionKeycloak.freePort()));
                command.addAll(database.keycloakOptions());
                if (i == 0) {
                    command.add("--import-realm");
                }
                DistributionKeycloak node = new DistributionKeycloak(template
                        .withHome(home)
                        .withLogFile(workDir.resolve("node-" + i + ".log"))
                        .withRealmImports(i == 0 ? template.realmImports() : null)
                        .withStartCommand(command));
                cluster.nodes.add(node);
                node.start();
            }
            return cluster;
        } catch (IOException e) {
            cluster.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public List<DistributionKeycloak> nodes() {
        return List.copyOf(nodes);
    }

    public DistributionKeycloak node(int i) {
        return nodes.get(i);
    }

    public PostgresDatabase database() {
        return database;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (DistributionKeycloak node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        database.close();
        if (failure != null) {
            throw failure;
        }
    }
}
