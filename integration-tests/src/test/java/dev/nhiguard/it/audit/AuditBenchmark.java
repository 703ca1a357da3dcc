package dev.nhiguard.it.audit;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.verifier.AuditVerifier;

/**
 * Audit chain benchmark (a program, not a test): on H2 and, when reachable, PostgreSQL it
 * measures client-credentials token throughput in a realm the chain records (listener on) and
 * in one it excludes (listener off, i.e. plain Keycloak for that realm) on the same server in
 * the same run, admin changes and records appended per second, server-side verify and the
 * offline verifier in records per second. Run with {@code spi-audit-listener/benchmark.sh}.
 */
public final class AuditBenchmark {

    static final int THREADS = Integer.getInteger("bench.threads", 4);
    static final long SECONDS = Long.getLong("bench.seconds", 15);

    private AuditBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        DistributionKeycloak.Settings base = DistributionKeycloak.Settings.fromSystemProperties();
        List<String> args0 = List.of("--spi-events-listener--nhi-audit-chain--excluded-realms=bench-off",
                "--spi-events-listener--nhi-audit-chain--checkpoint-every-records=1000");
        DistributionKeycloak.Settings settings = new DistributionKeycloak.Settings(base.home(), base.providers(), null,
                base.logFile().resolveSibling("keycloak-benchmark.log"), args0, base.startTimeout());
        List<String> report = new ArrayList<>();
        try (DistributionKeycloak h2 = new DistributionKeycloak(settings)) {
            h2.start();
            report.addAll(run("H2 (dev-mem)", h2));
        }
        String url = System.getProperty("nhi.postgres.url", "jdbc:postgresql://127.0.0.1:5432/nhi_it");
        String user = System.getProperty("nhi.postgres.user", "nhi");
        String password = System.getProperty("nhi.postgres.password", "nhi");
        boolean pg;
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS nhi_audit_bench CASCADE");
            s.execute("CREATE SCHEMA nhi_audit_bench");
            pg = true;
        } catch (Exception e) {
            report.add("PostgreSQL: skipped (" + e.getMessage() + ")");
            pg = false;
        }
        if (pg) {
            try (DistributionKeycloak pgServer = new DistributionKeycloak(settings, List.of("--db=postgres", "--db-url=" + url,
                    "--db-username=" + user, "--db-password=" + password, "--db-schema=nhi_audit_bench"))) {
                pgServer.start();
                report.addAll(run("PostgreSQL", pgServer));
            }
        }
        System.out.println();
        System.out.println("=== audit chain benchmark (" + THREADS + " client threads, " + SECONDS + " s per measurement, "
                + Runtime.getRuntime().availableProcessors() + " cores) ===");
        report.forEach(System.out::println);
    }

    static List<String> run(String db, DistributionKeycloak kc) throws Exception {
        AuditRealms setup = new AuditRealms(kc);
        create(setup, "bench-on");
        create(setup, "bench-off");
        // warm-up
        tokens(setup.http, "bench-on", 3);
        tokens(setup.http, "bench-off", 3);

        // admin tokens live 60 s: a fresh one per phase
        AuditRealms a = new AuditRealms(kc);
        long headBefore = a.headSeq("bench-on");
        double off = tokens(a.http, "bench-off", SECONDS);
        double on = tokens(a.http, "bench-on", SECONDS);
        long appendedByTokens = a.headSeq("bench-on") - headBefore;
        double recordsPerSecondTokens = appendedByTokens / (double) SECONDS;
        long headOff = a.headSeq("bench-off");

        AuditRealms admin = new AuditRealms(kc);
        long t0 = System.nanoTime();
        AtomicLong roles = new AtomicLong();
        parallel(() -> {
            while (System.nanoTime() - t0 < SECONDS * 1_000_000_000L) {
                long n = roles.incrementAndGet();
                HttpAdmin.Response r = admin.http.post(admin.base("bench-on") + "/roles", admin.token(), "{\"name\":\"b" + n + "\"}");
                if (r.status() != 201) {
                    throw new IllegalStateException("role create failed: " + r.status() + " " + r.body());
                }
            }
        });
        double adminPerSecond = roles.get() / ((System.nanoTime() - t0) / 1e9);

        a = new AuditRealms(kc);
        long head = a.headSeq("bench-on");
        long v0 = System.nanoTime();
        HttpAdmin.Response verify = a.http.get(a.base("bench-on") + "/audit-chain/verify", a.token());
        double serverVerify = head / ((System.nanoTime() - v0) / 1e9);
        if (!verify.json().get("ok").asBoolean()) {
            throw new IllegalStateException("chain does not verify: " + verify.body());
        }

        Path export = Files.createTempFile("bench-export", ".jsonl");
        Files.writeString(export, a.http.get(a.base("bench-on") + "/audit-chain/export", a.token()).body(), StandardCharsets.UTF_8);
        String vkey = a.http.get(a.base("bench-on") + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        AuditVerifier.run(new String[] {export.toString(), vkey}, ps, ps); // JIT warm-up
        long o0 = System.nanoTime();
        int exit = AuditVerifier.run(new String[] {export.toString(), vkey}, ps, ps);
        double offline = head / ((System.nanoTime() - o0) / 1e9);
        Files.delete(export);
        if (exit != 0) {
            throw new IllegalStateException("offline verifier: " + out);
        }

        return List.of(
                String.format("[%s] client-credentials tokens/s: listener off %.1f, on %.1f, ratio on/off %.2f", db, off, on, on / off),
                String.format("[%s] records appended/s during the token run: %.1f (%d records; excluded realm appended %d)", db,
                        recordsPerSecondTokens, appendedByTokens, headOff),
                String.format("[%s] admin changes (role create) with their records/s: %.1f", db, adminPerSecond),
                String.format("[%s] verify: server %.0f records/s, offline verifier %.0f records/s (%d records)", db, serverVerify, offline, head));
    }

    static void create(AuditRealms a, String name) {
        String body = "{\"realm\":\"" + name + "\",\"enabled\":true,\"attributes\":{\"nhi.guard.policy\":\"{\\\"guardedOperations\\\":[]}\"},"
                + "\"clients\":[{\"clientId\":\"" + AuditRealms.SA_CLIENT + "\",\"secret\":\"" + AuditRealms.SA_SECRET
                + "\",\"publicClient\":false,\"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false}]}";
        HttpAdmin.Response r = a.http.post("/admin/realms", a.token(), body);
        if (r.status() != 201) {
            throw new IllegalStateException("cannot create realm " + name + ": " + r.status() + " " + r.body());
        }
    }

    static double tokens(HttpAdmin http, String realm, long seconds) throws Exception {
        AtomicLong count = new AtomicLong();
        long t0 = System.nanoTime();
        parallel(() -> {
            while (System.nanoTime() - t0 < seconds * 1_000_000_000L) {
                http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
                count.incrementAndGet();
            }
        });
        return count.get() / ((System.nanoTime() - t0) / 1e9);
    }

    static void parallel(Runnable work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> f = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                f.add(pool.submit(work));
            }
            for (Future<?> x : f) {
                x.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}
