package dev.nhiguard.testing;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the SQL statements in a Keycloak log written with {@link #LOG_OPTION}: Hibernate logs
 * each statement it sends (each row of a JDBC batch too) on one line under {@code org.hibernate.SQL},
 * with the thread that sent it, and the audit chain logs the statements it sends on the
 * transaction's connection itself (its staged and chained rows) the same way under
 * {@code dev.nhiguard.audit.sql}. Unlike CPU time, the count does not depend on the JIT, the collector or
 * the machine's other load, so two servers that do the same requests can be compared exactly.
 */
public final class SqlStatements {

    /** The option that makes Keycloak log every statement it sends, on top of its default INFO. */
    public static final String LOG_OPTION = "--log-level=INFO,org.hibernate.SQL:debug,dev.nhiguard.audit.sql:debug";

    /** {@code … DEBUG [org.hibernate.SQL] (executor-thread-3) select …}: the thread, then the statement's first word. */
    private static final Pattern STATEMENT = Pattern.compile("\\[(?:org\\.hibernate\\.SQL|dev\\.nhiguard\\.audit\\.sql)] \\(([^)]*)\\) (\\w+)");

    private SqlStatements() {
    }

    /**
     * Statements in the lines by thread group and kind, as "{@code executor-thread select}":
     * the thread's name without its trailing number (as {@link ProcStat} groups threads), then
     * the statement's first word in lower case. Lines that are not statements are ignored.
     */
    public static Map<String, Integer> byThreadAndKind(List<String> lines) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String line : lines) {
            Matcher m = STATEMENT.matcher(line);
            if (m.find()) {
                String group = m.group(1).replaceFirst("[#-]?\\d+$", "");
                counts.merge(group + " " + m.group(2).toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
        }
        return counts;
    }
}
