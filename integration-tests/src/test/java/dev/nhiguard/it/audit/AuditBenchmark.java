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

    /** Client thread counts to measure token throughput at, e.g. {@code -Dbench.threads=1,4,8}. */
    static final int[] THREAD_COUNTS = java.util.Arrays.stream(System.getProperty("bench.threads", "4").split(","))
            .map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
    /** Threads of the admin-change measurement: the largest count. */
    static final int THREADS = java.util.Arrays.stream(THREAD_COUNTS).max().orElse(4);
    static final long SECONDS = Long.getLong("bench.seconds", 15);
    /** {@code -Dbench.h2=false} measures PostgreSQL only. */
    static final boolean H2 = Boolean.parseBoolean(System.getProperty("bench.h2", "true"));
    /** {@code -Dbench.token-events=inline} measures token events appended under the head-row lock; default: the server's default (batched). */
    static final String TOKEN_EVENTS = System.getProperty("bench.token-events", "");

    private AuditBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        DistributionKeycloak.Settings base = DistributionKeycloak.Settings.fromSystemProperties();
        List<String> args0 = new ArrayList<>(List.of("--spi-events-listener--nhi-audit-chain--excluded-realms=bench-off",
                "--spi-events-listener--nhi-audit-chain--checkpoint-every-records=1000"));
        if (!TOKEN_EVENTS.isBlank()) {
            args0.add("--spi-events-listener--nhi-audit-chain--token-events=" + TOKEN_EVENTS);
        }
        DistributionKeycloak.Settings settings = new DistributionKeycloak.Settings(base.home(), base.providers(), null,
                base.logFile().resolveSibling("keycloak-benchmark.log"), args0, base.startTimeout());
        List<String> report = new ArrayList<>();
        if (H2) {
            try (DistributionKeycloak h2 = new DistributionKeycloak(settings)) {
                h2.start();
                report.addAll(run("H2 (dev-mem)", h2, null));
            }
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
            try (DistributionKeycloak pgServer = new DistributionKeycloak(settings, List.of("--db=postgres", "--db-url=" + url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + LockWaitSampler.APP,
                    "--db-username=" + user, "--db-password=" + password, "--db-schema=nhi_audit_bench"))) {
                pgServer.start();
                report.addAll(run("PostgreSQL", pgServer, new LockWaitSampler(url, user, password)));
            }
        }
        System.out.println();
        System.out.println("=== audit chain benchmark (token events " + (TOKEN_EVENTS.isBlank() ? "batched (default)" : TOKEN_EVENTS) + ", "
                + java.util.Arrays.toString(THREAD_COUNTS) + " client threads, " + SECONDS + " s per measurement, "
                + Runtime.getRuntime().availableProcessors() + " cores) ===");
        report.forEach(System.out::println);
    }

    static List<String> run(String db, DistributionKeycloak kc, LockWaitSampler locks) throws Exception {
        AuditRealms setup = new AuditRealms(kc);
        create(setup, "bench-on");
        create(setup, "bench-off");
        // warm-up
        tokens(setup.http, "bench-on", 3, THREADS);
        tokens(setup.http, "bench-off", 3, THREADS);

        List<String> lines = new ArrayList<>();
        for (int threads : THREAD_COUNTS) {
            // admin tokens live 60 s: a fresh one per phase
            AuditRealms a = new AuditRealms(kc);
            long headBefore = a.headSeq("bench-on");
            if (locks != null) {
                locks.start();
            }
            double off = tokens(a.http, "bench-off", SECONDS, threads);
            double[] offWaits = locks == null ? null : locks.stop();
            if (locks != null) {
                locks.start();
            }
            double on = tokens(a.http, "bench-on", SECONDS, threads);
            double[] onWaits = locks == null ? null : locks.stop();
            String waiting = locks == null ? "" : String.format("; sessions waiting for a lock on average: off %.2f, on %.2f"
                    + " (on the audit head row %.2f; mean head-row wait per token %.1f ms by Little's law)",
                    offWaits[0], onWaits[0], onWaits[1], on > 0 ? onWaits[1] / on * 1000 : 0);
            a = new AuditRealms(kc);
            long appendedByTokens = a.headSeq("bench-on") - headBefore;
            long headOff = a.headSeq("bench-off");
            lines.add(String.format("[%s] %d client threads: client-credentials tokens/s: listener off %.1f, on %.1f, ratio on/off %.2f"
                    + "; records appended/s during the on run %.1f (excluded realm appended %d)%s", db, threads, off, on, on / off,
                    appendedByTokens / (double) SECONDS, headOff, waiting));
        }

        AuditRealms admin = new AuditRealms(kc);
        long t0 = System.nanoTime();
        AtomicLong roles = new AtomicLong();
        parallel(THREADS, () -> {
            while (System.nanoTime() - t0 < SECONDS * 1_000_000_000L) {
                long n = roles.incrementAndGet();
                HttpAdmin.Response r = admin.http.post(admin.base("bench-on") + "/roles", admin.token(), "{\"name\":\"b" + n + "\"}");
                if (r.status() != 201) {
                    throw new IllegalStateException("role create failed: " + r.status() + " " + r.body());
                }
            }
        });
        double adminPerSecond = roles.get() / ((System.nanoTime() - t0) / 1e9);

        AuditRealms a = new AuditRealms(kc);
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

        lines.add(String.format("[%s] admin changes (role create, %d threads) with their records/s: %.1f", db, THREADS, adminPerSecond));
        lines.add(String.format("[%s] verify: server %.0f records/s, offline verifier %.0f records/s (%d records)", db, serverVerify, offline, head));
        return lines;
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

    static double tokens(HttpAdmin http, String realm, long seconds, int threads) throws Exception {
        AtomicLong count = new AtomicLong();
        long t0 = System.nanoTime();
        parallel(threads, () -> {
            while (System.nanoTime() - t0 < seconds * 1_000_000_000L) {
                http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
                count.incrementAndGet();
            }
        });
        return count.get() / ((System.nanoTime() - t0) / 1e9);
    }

    static void parallel(int threads, Runnable work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> f = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                f.add(pool.submit(work));
            }
            for (Future<?> x : f) {
                x.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * Samples, every 20 ms, how many database sessions of the benchmarked server wait for a
     * lock in PostgreSQL ({@code pg_stat_activity.wait_event_type = 'Lock'}): with token
     * events serialised on the realm's head row, this is the queue in front of it.
     */
    static final class LockWaitSampler {
        static final String APP = "nhi-audit-bench";
        private final String url;
        private final String user;
        private final String password;
        private Thread thread;
        private volatile boolean running;
        private long samples;
        private long waiting;
        private long waitingForHead;

        LockWaitSampler(String url, String user, String password) {
            this.url = url;
            this.user = user;
            this.password = password;
        }

        void start() {
            samples = 0;
            waiting = 0;
            waitingForHead = 0;
            running = true;
            thread = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
                    while (running) {
                        try (java.sql.ResultSet rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE query ILIKE '%nhi_audit_head%')"
                                + " FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = '" + APP + "'")) {
                            rs.next();
                            waiting += rs.getLong(1);
                            waitingForHead += rs.getLong(2);
                            samples++;
                        }
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("lock sampler failed", e);
                }
            }, "lock-wait-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        /** Mean number of sessions waiting for any lock, and for the audit head row. */
        double[] stop() throws InterruptedException {
            running = false;
            thread.join();
            return samples == 0 ? new double[] {0, 0} : new double[] {waiting / (double) samples, waitingForHead / (double) samples};
        }
    }
}
