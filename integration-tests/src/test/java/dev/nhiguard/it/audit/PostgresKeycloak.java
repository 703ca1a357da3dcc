package dev.nhiguard.it.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import dev.nhiguard.testing.DistributionKeycloak;

/**
 * A second Keycloak of the test run, on PostgreSQL (a schema of its own, dropped when it stops),
 * so tests can reach our tables directly (the audit chain, the inventory index). It runs from its own copy of the distribution
 * because {@code start-dev} re-augments the distribution in place. Tests taking it are skipped
 * when PostgreSQL is unreachable, unless {@code nhi.require-services=true}.
 */
public final class PostgresKeycloak implements ParameterResolver {

    /** The server and a way to reach its database. */
    public static final class Server implements ExtensionContext.Store.CloseableResource {
        final DistributionKeycloak keycloak;
        final String url = System.getProperty("nhi.postgres.url", "jdbc:postgresql://127.0.0.1:5432/nhi_it");
        final String user = System.getProperty("nhi.postgres.user", "nhi");
        final String password = System.getProperty("nhi.postgres.password", "nhi");
        /** Unique per run, so test runs sharing the database cannot drop each other's tables. */
        final String schema = "nhi_audit_it_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        /** Where this server pushes the chain (the webhook sink); a test may listen there. */
        final int webhookPort;
        final String webhookSecret = "audit-webhook-test-secret";
        /** Where this server's file sink writes the chain as CloudEvents. */
        final Path cloudEventsFile = Path.of(System.getProperty("java.io.tmpdir"), schema + "-cloudevents.jsonl");
        /** Where this server sends the chain as syslog over TCP. */
        final int syslogPort;

        Server() {
            try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot prepare schema " + schema + " at " + url, e);
            }
            try (java.net.ServerSocket free = new java.net.ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
                webhookPort = free.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try (java.net.ServerSocket free = new java.net.ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
                syslogPort = free.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            DistributionKeycloak.Settings shared = DistributionKeycloak.Settings.fromSystemProperties();
            List<String> args = new java.util.ArrayList<>(shared.extraArgs().stream().filter(a -> !a.contains("file-sink-path")).toList());
            args.addAll(List.of(
                    "--spi-events-listener--nhi-audit-chain--webhook-url=http://127.0.0.1:" + webhookPort + "/audit",
                    "--spi-events-listener--nhi-audit-chain--webhook-secret=" + webhookSecret,
                    "--spi-events-listener--nhi-audit-chain--webhook-format=ocsf",
                    "--spi-events-listener--nhi-audit-chain--file-sink-path=" + cloudEventsFile,
                    "--spi-events-listener--nhi-audit-chain--file-sink-format=cloudevents",
                    "--spi-events-listener--nhi-audit-chain--sink-interval-seconds=1",
                    "--spi-events-listener--nhi-audit-chain--sink-max-backoff-seconds=2",
                    "--spi-events-listener--nhi-audit-chain--log-sink=true",
                    "--spi-events-listener--nhi-audit-chain--syslog-address=127.0.0.1:" + syslogPort,
                    "--spi-events-listener--nhi-agent-inventory--index-check-interval-seconds=2"));
            Path home = DistributionKeycloak.copyBeside(shared.home(), "-audit-postgres");
            // The tests on this server create their realms, except the interrupted apply (guard-table).
            DistributionKeycloak.Settings settings = new DistributionKeycloak.Settings(home, shared.providers(), shared.realmImports(),
                    shared.logFile().resolveSibling("keycloak-audit-postgres.log"), args, shared.startTimeout())
                    .withOnlyRealmImports(home.resolveSibling("realm-import-postgres"), "guard-table-realm.json");
            keycloak = new DistributionKeycloak(settings, List.of("--db=postgres", "--db-url=" + url, "--db-username=" + user,
                    "--db-password=" + password, "--db-schema=" + schema));
            keycloak.start();
        }

        /** The server itself, for tests that stop, kill or restart it. */
        public DistributionKeycloak keycloak() {
            return keycloak;
        }

        /** A JDBC connection to the server's database, search path set to its schema. */
        public Connection jdbc() throws SQLException {
            Connection c = DriverManager.getConnection(url, user, password);
            try (Statement s = c.createStatement()) {
                s.execute("SET search_path TO " + schema);
            }
            return c;
        }

        /**
         * Runs DDL on a table the server writes: each statement waits for the table's open transactions,
         * at most 30 s per try; after a timeout it names the sessions holding locks on audit tables and tries again.
         * (With the chain's head frozen, the server's periodic readers held transactions open for more than 10 s each,
         * and a 10 s wait lost to each in turn.)
         */
        public void ddl(String... statements) throws Exception {
            for (String sql : statements) {
                for (int attempt = 1; ; attempt++) {
                    try (Connection c = jdbc(); Statement s = c.createStatement()) {
                        s.execute("SET lock_timeout = '30s'");
                        s.execute(sql);
                        break;
                    } catch (java.sql.SQLException e) {
                        if (!"55P03".equals(e.getSQLState()) || attempt == 6) {
                            throw e;
                        }
                        System.err.println("DDL waited 30 s (try " + attempt + "): " + sql + "\n" + lockHolders());
                    }
                }
            }
        }

        private String lockHolders() throws Exception {
            StringBuilder out = new StringBuilder();
            try (Connection c = jdbc(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT a.pid, a.state, a.xact_start, c.relname, l.mode, left(a.query, 200) "
                         + "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid "
                         + "WHERE c.relname LIKE 'nhi_audit%' AND a.pid <> pg_backend_pid()")) {
                while (rs.next()) {
                    out.append("  pid ").append(rs.getInt(1)).append(' ').append(rs.getString(2)).append(" since ").append(rs.getString(3))
                            .append(' ').append(rs.getString(4)).append(' ').append(rs.getString(5)).append(": ").append(rs.getString(6)).append('\n');
                }
            }
            return out.toString();
        }

        @Override
        public void close() {
            keycloak.close();
            try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot drop schema " + schema, e);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == Server.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        String url = System.getProperty("nhi.postgres.url", "jdbc:postgresql://127.0.0.1:5432/nhi_it");
        try (Connection c = DriverManager.getConnection(url, System.getProperty("nhi.postgres.user", "nhi"),
                System.getProperty("nhi.postgres.password", "nhi"))) {
            c.isValid(5);
        } catch (SQLException e) {
            if (Boolean.getBoolean("nhi.require-services")) {
                throw new IllegalStateException("PostgreSQL is required (nhi.require-services=true) but unreachable at " + url, e);
            }
            Assumptions.abort("PostgreSQL unreachable at " + url + ": " + e.getMessage());
        }
        ExtensionContext.Store store = extensionContext.getRoot().getStore(ExtensionContext.Namespace.create(PostgresKeycloak.class));
        return store.getOrComputeIfAbsent("server", k -> new Server(), Server.class);
    }
}
