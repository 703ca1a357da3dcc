package dev.nhiguard.it.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Benchmark, not a test: run with {@code mvn -B verify -pl integration-tests -am -Pbenchmark}.
 * Prints figures and ratios measured against plain Keycloak in the same run; asserts nothing
 * about time.
 *
 * <ol>
 * <li>Client-credentials throughput of an agent (binding executor + claim mapper, private_key_jwt)
 * against a plain client authenticating the same way with the same key (Keycloak alone: the
 * global executor returns at once for non-agents and no mapper of ours runs), and against a
 * plain client-secret client.</li>
 * <li>Inventory latency on a realm with {@code nhi.bench.accounts} (default 10,000) service
 * accounts, against Keycloak's own client list of the same page size.</li>
 * </ol>
 */
@ExtendWith(KeycloakExtension.class)
class AgentBindingBenchmark {

    static final int THREADS = Integer.getInteger("nhi.bench.threads", 4);
    static final int REQUESTS = Integer.getInteger("nhi.bench.requests", 2000);
    static final int ROUNDS = Integer.getInteger("nhi.bench.rounds", 3);
    static final int ACCOUNTS = Integer.getInteger("nhi.bench.accounts", 10_000);
    static final int IMPORT_CHUNK = Integer.getInteger("nhi.bench.import.chunk", 100);
    static final int IMPORT_THREADS = Integer.getInteger("nhi.bench.import.threads", 2);

    @Test
    void tokenThroughput(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-bench-tokens", "bert");
        AgentKey key = new AgentKey();
        Map<String, Object> agent = AgentApi.registration("bench-agent", key, List.of());
        agent.put("owner", Map.of("type", "user", "username", "bert"));
        api.registerOk(agent);

        String jwks = AgentApi.json(Map.of("keys", List.of(withKid(key))));
        HttpAdmin.Response plainJwt = api.http.post("/admin/realms/" + api.realm + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "bench-plain-jwt", "publicClient", false, "serviceAccountsEnabled", true, "standardFlowEnabled", false,
                "clientAuthenticatorType", "client-jwt",
                "attributes", Map.of("use.jwks.string", "true", "jwks.string", jwks, "use.jwks.url", "false"))));
        check(plainJwt, 201);
        HttpAdmin.Response plainSecret = api.http.post("/admin/realms/" + api.realm + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "bench-plain-secret", "publicClient", false, "secret", "bench-plain-secret-value",
                "serviceAccountsEnabled", true, "standardFlowEnabled", false)));
        check(plainSecret, 201);

        Map<String, Supplier<Integer>> cases = new LinkedHashMap<>();
        cases.put("agent (executor + mapper, private_key_jwt)",
                () -> api.clientCredentialsWithKey("bench-agent", key, key.thumbprint(), null).status());
        cases.put("plain client, same private_key_jwt",
                () -> api.clientCredentialsWithKey("bench-plain-jwt", key, key.thumbprint(), null).status());
        cases.put("plain client, client secret",
                () -> api.clientCredentialsWithSecret("bench-plain-secret", "bench-plain-secret-value").status());

        for (Supplier<Integer> c : cases.values()) {
            run(c, REQUESTS / 10);
        }
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (int round = 0; round < ROUNDS; round++) {
            for (Map.Entry<String, Supplier<Integer>> c : cases.entrySet()) {
                rates.computeIfAbsent(c.getKey(), k -> new ArrayList<>()).add(run(c.getValue(), REQUESTS));
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "== client-credentials throughput: %d threads, %d requests x %d rounds (median req/s) ==%n",
                THREADS, REQUESTS, ROUNDS);
        Map<String, Double> medians = new LinkedHashMap<>();
        rates.forEach((k, v) -> {
            double m = median(v);
            medians.put(k, m);
            System.out.printf(Locale.ROOT, "%-45s %8.1f req/s   rounds %s%n", k, m, v);
        });
        List<Double> m = new ArrayList<>(medians.values());
        System.out.printf(Locale.ROOT, "ratio agent / plain private_key_jwt: %.3f%n", m.get(0) / m.get(1));
        System.out.printf(Locale.ROOT, "ratio agent / plain client secret:  %.3f%n", m.get(0) / m.get(2));
    }

    @Test
    void inventoryLatency(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-bench-inventory");
        String base = "/admin/realms/" + api.realm;
        // A realm role one account in a hundred holds; made an admin bundle through a composite at the end.
        check(api.http.post(base + "/roles", api.adminToken(), AgentApi.json(Map.of("name", "bench-bundle"))), 201);
        long start = System.nanoTime();
        // Parallel partial imports in chunks: the server spreads them over its cores.
        List<Integer> froms = new ArrayList<>();
        for (int from = 0; from < ACCOUNTS; from += IMPORT_CHUNK) {
            froms.add(from);
        }
        ExecutorService importers = Executors.newFixedThreadPool(IMPORT_THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int from : froms) {
                done.add(importers.submit(() -> check(api.http.post(base + "/partialImport", api.adminToken(),
                        AgentApi.json(Map.of("ifResourceExists", "FAIL", "clients", benchClients(from), "users", benchUsers(from)))), 200)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            importers.shutdown();
        }
        System.out.printf(Locale.ROOT, "%n== inventory: %d service accounts created in %.1f s (%d parallel partial imports of %d) ==%n",
                ACCOUNTS, (System.nanoTime() - start) / 1e9, IMPORT_THREADS, IMPORT_CHUNK);
        System.out.println("load average: " + loadAverage());

        long build = System.nanoTime();
        check(api.http.get(base + "/nhi/inventory?max=100", api.adminToken()), 200);
        System.out.printf(Locale.ROOT, "first inventory page (builds the realm's index, one pass): %.1f ms%n", (System.nanoTime() - build) / 1e6);

        String token = api.adminToken();
        Map<String, String> calls = new LinkedHashMap<>();
        calls.put("inventory page (max=100)", base + "/nhi/inventory?max=100");
        calls.put("inventory filtered (flag=OVER_PRIVILEGED)", base + "/nhi/inventory?max=100&flag=OVER_PRIVILEGED");
        calls.put("inventory filtered (flag=DORMANT)", base + "/nhi/inventory?max=100&flag=DORMANT");
        calls.put("inventory search (search=sa-0999)", base + "/nhi/inventory?max=100&search=sa-0999");
        calls.put("inventory CSV (max=1000)", base + "/nhi/inventory?max=1000&format=csv");
        calls.put("Keycloak client list (max=100)", base + "/clients?first=0&max=100");
        calls.put("Keycloak client list (max=1000)", base + "/clients?first=0&max=1000");
        for (String path : calls.values()) {
            check(api.http.get(path, token), 200);
        }
        // Alternating rounds: each round calls every endpoint once, so load changes hit all of them alike.
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        calls.keySet().forEach(name -> samples.put(name, new ArrayList<>()));
        for (int round = 0; round < 9; round++) {
            calls.forEach((name, path) -> {
                long t = System.nanoTime();
                check(api.http.get(path, token), 200);
                samples.get(name).add((System.nanoTime() - t) / 1e6);
            });
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        samples.forEach((name, values) -> {
            ms.put(name, median(values));
            System.out.printf(Locale.ROOT, "%-45s median %8.1f ms   samples %s%n", name, median(values),
                    values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
        });
        System.out.printf(Locale.ROOT, "ratio inventory page / Keycloak client list page (max=100): %.2f%n",
                ms.get("inventory page (max=100)") / ms.get("Keycloak client list (max=100)"));
        System.out.printf(Locale.ROOT, "ratio inventory CSV / Keycloak client list (max=1000): %.2f%n",
                ms.get("inventory CSV (max=1000)") / ms.get("Keycloak client list (max=1000)"));
        System.out.printf(Locale.ROOT, "ratio inventory filtered / Keycloak client list page (max=100): %.2f%n",
                ms.get("inventory filtered (flag=OVER_PRIVILEGED)") / ms.get("Keycloak client list (max=100)"));
        System.out.printf(Locale.ROOT, "ratio inventory DORMANT / Keycloak client list page (max=100): %.2f%n",
                ms.get("inventory filtered (flag=DORMANT)") / ms.get("Keycloak client list (max=100)"));
        System.out.printf(Locale.ROOT, "ratio inventory search / Keycloak client list page (max=100): %.2f%n",
                ms.get("inventory search (search=sa-0999)") / ms.get("Keycloak client list (max=100)"));

        // DORMANT again with every account dormant (the realm's clock 100 days ahead): the filter then matches the realm.
        api.setClockOffset(100L * 86400);
        try {
            Map<String, String> dormant = new LinkedHashMap<>();
            dormant.put("inventory DORMANT, every account dormant", base + "/nhi/inventory?max=100&flag=DORMANT");
            dormant.put("Keycloak client list (max=100)", base + "/clients?first=0&max=100");
            Map<String, List<Double>> all = new LinkedHashMap<>();
            dormant.keySet().forEach(name -> all.put(name, new ArrayList<>()));
            long matched = api.http.get(base + "/nhi/inventory?max=1&flag=DORMANT", token).json().path("total").asLong();
            for (int round = 0; round < 9; round++) {
                dormant.forEach((name, path) -> {
                    long t = System.nanoTime();
                    check(api.http.get(path, token), 200);
                    all.get(name).add((System.nanoTime() - t) / 1e6);
                });
            }
            all.forEach((name, values) -> System.out.printf(Locale.ROOT, "%-45s median %8.1f ms   samples %s%n", name, median(values),
                    values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList()));
            System.out.printf(Locale.ROOT, "ratio inventory DORMANT (%d of %d dormant) / Keycloak client list page (max=100): %.2f%n",
                    matched, ACCOUNTS, median(all.get("inventory DORMANT, every account dormant")) / median(all.get("Keycloak client list (max=100)")));
        } finally {
            api.setClockOffset(0);
        }

        // A realm-wide change: the bundle one account in a hundred holds becomes an admin role through a composite.
        String managementId = api.http.get(base + "/clients?clientId=realm-management", token).json().get(0).path("id").asText();
        String role = api.http.get(base + "/clients/" + managementId + "/roles/view-clients", token).body();
        long write = System.nanoTime();
        check(api.http.post(base + "/roles/bench-bundle/composites", token, "[" + role + "]"), 204);
        System.out.printf(Locale.ROOT, "the composite-role write itself (marks the realm): %.1f ms%n", (System.nanoTime() - write) / 1e6);
        long pass = System.nanoTime();
        check(api.http.get(base + "/nhi/inventory?max=100", token), 200);
        double after = (System.nanoTime() - pass) / 1e6;
        long keycloakPage = System.nanoTime();
        check(api.http.get(base + "/clients?first=0&max=100", token), 200);
        System.out.printf(Locale.ROOT, "first page after a composite-role change: %.1f ms (Keycloak's page right after: %.1f ms)%n", after,
                (System.nanoTime() - keycloakPage) / 1e6);
        // The change took effect: the direct holders of view-users and now the bundle's holders are OVER_PRIVILEGED.
        long expected = IntStream.range(0, ACCOUNTS).filter(i -> i % 100 == 0 || i % 100 == 50).count();
        long total = api.http.get(base + "/nhi/inventory?max=1&flag=OVER_PRIVILEGED", token).json().path("total").asLong();
        if (total != expected) {
            throw new IllegalStateException("OVER_PRIVILEGED total " + total + " after the composite change, expected " + expected);
        }
        System.out.println("OVER_PRIVILEGED total after the change: " + total + " (as expected)");
        System.out.println("load average: " + loadAverage());
    }

    static double run(Supplier<Integer> request, int n) {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger left = new AtomicInteger(n);
        AtomicInteger failures = new AtomicInteger();
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        if (request.get() != 200) {
                            failures.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdown();
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " of " + n + " token requests failed");
        }
        double seconds = Duration.ofNanos(System.nanoTime() - start).toNanos() / 1e9;
        return Math.round(n / seconds * 10) / 10.0;
    }

    static Map<String, Object> withKid(AgentKey key) {
        Map<String, Object> jwk = new LinkedHashMap<>(key.publicJwk());
        jwk.put("kid", key.thumbprint());
        return jwk;
    }

    static void check(HttpAdmin.Response r, int status) {
        if (r.status() != status) {
            throw new IllegalStateException("expected " + status + " but got " + r.status() + ": " + r.body());
        }
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static List<Map<String, Object>> benchClients(int from) {
        List<Map<String, Object>> clients = new ArrayList<>();
        for (int i = from; i < Math.min(ACCOUNTS, from + IMPORT_CHUNK); i++) {
            clients.add(Map.of("clientId", benchClientId(i), "publicClient", false, "secret", "s-" + i, "serviceAccountsEnabled", true,
                    "standardFlowEnabled", false, "defaultClientScopes", List.of(), "optionalClientScopes", List.of()));
        }
        return clients;
    }

    static List<Map<String, Object>> benchUsers(int from) {
        List<Map<String, Object>> users = new ArrayList<>();
        for (int i = from; i < Math.min(ACCOUNTS, from + IMPORT_CHUNK); i++) {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("username", "service-account-" + benchClientId(i));
            u.put("enabled", true);
            u.put("serviceAccountClientId", benchClientId(i));
            if (i % 100 == 0) {
                u.put("clientRoles", Map.of("realm-management", List.of("view-users")));
            }
            if (i % 100 == 50) {
                u.put("realmRoles", List.of("bench-bundle"));
            }
            users.add(u);
        }
        return users;
    }

    static String benchClientId(int i) {
        return String.format(Locale.ROOT, "bench-sa-%06d", i);
    }

    static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
