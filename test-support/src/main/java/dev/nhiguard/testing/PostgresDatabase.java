package dev.nhiguard.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Assumptions;

/**
 * A fresh schema in the test PostgreSQL for one group of Keycloak nodes, dropped on close.
 * Connection settings come from {@code nhi.postgres.url}, {@code nhi.postgres.user} and
 * {@code nhi.postgres.password}. When PostgreSQL is not reachable, tests are skipped, unless
 * {@code nhi.require-services} is true (CI), when they fail.
 */
public final class PostgresDatabase implements AutoCloseable {

    private final String url;
    private final String user;
    private final String password;
    private final String schema;

    private PostgresDatabase(String url, String user, String password, String schema) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.schema = schema;
    }

    public static String url() {
        return System.getProperty("nhi.postgres.url", "jdbc:postgresql://127.0.0.1:5432/nhi_it");
    }

    public static String user() {
        return System.getProperty("nhi.postgres.user", "nhi");
    }

    public static String password() {
        return System.getProperty("nhi.postgres.password", "nhi");
    }

    /** Creates a new schema, or skips (fails in CI) the calling test when PostgreSQL is absent. */
    public static PostgresDatabase createSchema() {
        String schema = "kc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(url(), user(), password()); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            String why = "PostgreSQL at " + url() + " as " + user() + " is not usable: " + e.getMessage();
            if (Boolean.getBoolean("nhi.require-services")) {
                throw new IllegalStateException(why + " (required: nhi.require-services=true)", e);
            }
            Assumptions.abort(why);
        }
        return new PostgresDatabase(url(), user(), password(), schema);
    }

    public String schema() {
        return schema;
    }

    /** Keycloak options that put a node on this schema. */
    public List<String> keycloakOptions() {
        return List.of("--db=postgres", "--db-url=" + url, "--db-username=" + user,
                "--db-password=" + password, "--db-schema=" + schema);
    }

    /** A JDBC connection with this schema first on the search path, for direct checks and tampering. */
    public Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(url, user, password);
        c.setSchema(schema);
        return c;
    }

    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop schema " + schema, e);
        }
    }
}
