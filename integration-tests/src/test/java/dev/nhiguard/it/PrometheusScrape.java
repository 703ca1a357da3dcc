package dev.nhiguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakTarget;

/** One scrape of Keycloak's {@code /metrics} on the management port: the Prometheus text exposition. */
public record PrometheusScrape(String text) {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)");

    /** Scrapes the server (started with {@code --metrics-enabled=true}). */
    public static PrometheusScrape of(KeycloakTarget keycloak) {
        // HTTP/1.1: the cleartext upgrade to HTTP/2 of a large first response lost the frames' sync on a busy machine
        HttpAdmin.Response r = new HttpAdmin(keycloak.managementUri()).http1().get("/metrics", null);
        assertEquals(200, r.status(), "GET /metrics on the management port: " + r.body());
        return new PrometheusScrape(r.body());
    }

    /** The value of the one sample of the meter whose labels include all the given {@code name="value"} pairs. */
    public OptionalDouble value(String meter, String... labels) {
        Map<String, Double> found = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find() || !m.group(1).equals(meter)) {
                continue;
            }
            String l = m.group(3) == null ? "" : m.group(3);
            boolean all = true;
            for (String label : labels) {
                all &= l.contains(label);
            }
            if (all) {
                found.put(line, Double.parseDouble(m.group(4)));
            }
        }
        if (found.size() > 1) {
            fail("more than one sample of " + meter + " with " + String.join(",", labels) + ": " + found.keySet());
        }
        return found.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(found.values().iterator().next());
    }

    /** The lines containing {@code part}, for failure messages. */
    public String grep(String part) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.contains(part)) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }
}
