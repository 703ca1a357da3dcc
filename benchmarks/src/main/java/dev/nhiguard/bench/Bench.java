package dev.nhiguard.bench;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToDoubleFunction;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.DatabaseCpu;
import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.FlightRecording;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.SqlStatements;

/**
 * Compares plain Keycloak with Keycloak running the NHI Guard providers, both started in this
 * run: latency and server CPU (from {@code /proc}, also split by the server's threads) of
 * unguarded admin reads and writes, client-credentials token throughput and server CPU per token, and
 * ({@code guard}) the time of a guarded change taken through create, approve and apply against
 * the same direct write on plain Keycloak. Rounds alternate the order of the two servers so
 * drift of a shared machine hits both alike; each figure is the median over rounds. Clients
 * speak HTTP/1.1 with keep-alive; the bench realm stores user events, and the server with our
 * providers runs the agent security profile, as operators run them. With {@code --db postgres}
 * both servers keep their data in the local PostgreSQL instead of an in-memory H2, and the
 * database's CPU per request (its processes', from {@code /proc}) is printed beside the server's.
 * {@code --guarded-option} (repeatable) adds a Keycloak option to the server with our providers
 * only, to measure a configuration (for example one module's work switched off) against plain
 * Keycloak in the same run. {@code --plain-twice} makes the second server plain Keycloak too (an
 * A/A run): its ratios show how far this machine's figures move with no difference at all.
 * {@code --only statements} (alone) counts the SQL statements of each kind of request on both
 * servers instead of timing them. {@code --profile} counts both servers' request threads' stack
 * samples (JFR, recording from their start) during the measured rounds, by part of the code.
 *
 * <pre>./benchmark.sh [--rounds N] [--requests N] [--concurrency N] [--only admin,tokens,guard|statements] [--db h2|postgres] [--guarded-option OPTION]… [--plain-twice] [--profile]</pre>
 */
public final class Bench {

    /**
     * The agent security profile, on as operators run it (token-time enforcement of agent
     * bindings); the bench realm stores user events on both servers.
     */
    static final String SECURITY_PROFILE = "--spi-security-profile--default--name=nhi-agent-security-profile";

    /**
     * Warm-up: each server runs unmeasured rounds until its CPU per request has settled (the
     * last {@link #STEADY_ROUNDS} rounds within {@link #STEADY_SPREAD} of each other) and at
     * least {@link #MIN_WARM_UP} requests of each kind have run. With the full JIT a server needs
     * thousands of requests before C2 has compiled the hot paths; measured earlier, its CPU per
     * request is still falling and the ratios say more about the JIT than about the code.
     */
    private static final int MIN_WARM_UP = 10000;
    private static final int MAX_WARM_UP = 60000;
    private static final int STEADY_ROUNDS = 3;
    private static final double STEADY_SPREAD = 1.05;

    private int rounds = 5;
    private int requests = 1000;
    private int concurrency = 4;
    private final Set<String> only = new LinkedHashSet<>(List.of("admin", "tokens"));
    private Servers.Database database = Servers.Database.H2;
    /** A/A run: the second server is plain Keycloak too (see {@link Servers#start}). */
    private boolean plainTwice;
    /** Record both servers with JFR during the measured rounds and count their request threads' samples by part of the code. */
    private boolean profile;
    /** Keycloak options of the server with our providers, after the security profile. */
    private final List<String> guardedOptions = new ArrayList<>(List.of(SECURITY_PROFILE));

    public static void main(String[] args) throws Exception {
        Bench bench = new Bench();
        bench.parse(args);
        bench.run();
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--only" -> {
                    only.clear();
                    only.addAll(Arrays.asList(args[++i].split(",")));
                }
                case "--db" -> database = switch (args[++i]) {
                    case "h2" -> Servers.Database.H2;
                    case "postgres" -> Servers.Database.POSTGRES;
                    default -> throw new IllegalArgumentException("--db is h2 or postgres, not " + args[i]);
                };
                case "--plain-twice" -> plainTwice = true;
                case "--profile" -> profile = true;
                case "--guarded-option" -> {
                    String option = args[++i];
                    if (!option.startsWith("--")) {
                        throw new IllegalArgumentException("--guarded-option takes a Keycloak option (--name=value), not " + option);
                    }
                    guardedOptions.add(option);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
    }

    private void run() throws Exception {
        if (profile && !System.getenv().getOrDefault("JAVA_OPTS_APPEND", "").contains(DistributionKeycloak.RECORDING_OPTION)) {
            throw new IllegalArgumentException("--profile needs both servers started with " + DistributionKeycloak.RECORDING_OPTION
                    + " in JAVA_OPTS_APPEND; run it through ./benchmark.sh, which adds it");
        }
        if (plainTwice && only.contains("guard")) {
            throw new IllegalArgumentException("--plain-twice measures admin and tokens; guard needs the server with our providers");
        }
        boolean statements = only.contains("statements");
        if (statements && only.size() > 1) {
            throw new IllegalArgumentException("--only statements runs alone: the statement log it needs slows every other figure");
        }
        try (Servers servers = Servers.start(guardedOptions, database, plainTwice,
                statements ? List.of(SqlStatements.LOG_OPTION) : List.of())) {
            Report report = new Report();
            System.out.printf("%s, requests per measurement %d, token concurrency %d, %d cores, database %s%n",
                    statements ? "one counted pass" : "rounds " + rounds, requests, concurrency,
                    Runtime.getRuntime().availableProcessors(), database);
            if (plainTwice) {
                System.out.println("A/A run: the column 'with NHI Guard' is a second plain Keycloak; the ratios are the benchmark's own spread");
            } else if (guardedOptions.size() > 1) {
                System.out.println("NHI Guard's server also runs with " + String.join(" ", guardedOptions.subList(1, guardedOptions.size())));
            }
            if (only.contains("admin")) {
                adminLatency(servers, report);
            }
            if (only.contains("tokens")) {
                tokenThroughput(servers, report);
            }
            if (only.contains("guard")) {
                new GuardBench(requests, rounds).run(servers, report);
            }
            if (statements) {
                statementCounts(servers, report);
            }
            System.out.println();
            report.print();
        }
    }

    /**
     * One measurement's result on one server; CPU is the server's and (PostgreSQL only) the
     * database's, in milliseconds per request.
     */
    private record Sample(Stats read, Stats write, double readCpuMillis, double writeCpuMillis, double readDbCpuMillis,
                          double writeDbCpuMillis, Map<String, Double> readCpuMillisByThread, Map<String, Double> writeCpuMillisByThread) {
    }

    /**
     * Client-credentials throughput and the server's and (PostgreSQL only) the database's CPU per
     * token, in milliseconds; the server's also by thread.
     */
    private record Throughput(double tokensPerSecond, double cpuMillisPerToken, double dbCpuMillisPerToken,
                              Map<String, Double> cpuMillisByThread) {
    }

    private void adminLatency(Servers servers, Report report) throws Exception {
        warmUp(servers, servers.plain);
        warmUp(servers, servers.guarded);
        List<Sample> plain = new ArrayList<>();
        List<Sample> guarded = new ArrayList<>();
        Recordings recordings = startRecordings(servers, "admin");
        for (int r = 0; r < rounds; r++) {
            boolean plainFirst = r % 2 == 0;
            if (plainFirst) {
                plain.add(adminSample(servers.plain));
                guarded.add(adminSample(servers.guarded));
            } else {
                guarded.add(adminSample(servers.guarded));
                plain.add(adminSample(servers.plain));
            }
        }
        stopRecordings(recordings, "admin requests (reads and writes)", 2 * rounds * requests, report);
        report.add("admin read p50 (GET clients)", plain, guarded, s -> s.read().percentileMillis(50), "ms");
        report.add("admin read p99", plain, guarded, s -> s.read().percentileMillis(99), "ms");
        report.add("unguarded write p50 (PUT user)", plain, guarded, s -> s.write().percentileMillis(50), "ms");
        report.add("unguarded write p99", plain, guarded, s -> s.write().percentileMillis(99), "ms");
        report.add("server CPU per admin read", plain, guarded, Sample::readCpuMillis, "ms");
        report.add("server CPU per unguarded write", plain, guarded, Sample::writeCpuMillis, "ms");
        report.addByThread("server CPU per admin read", plain, guarded, Sample::readCpuMillisByThread);
        report.addByThread("server CPU per unguarded write", plain, guarded, Sample::writeCpuMillisByThread);
        if (database == Servers.Database.POSTGRES) {
            report.add("database CPU per admin read", plain, guarded, Sample::readDbCpuMillis, "ms");
            report.add("database CPU per unguarded write", plain, guarded, Sample::writeDbCpuMillis, "ms");
            report.add("server + database CPU per unguarded write", plain, guarded, s -> s.writeCpuMillis() + s.writeDbCpuMillis(), "ms");
        }
    }

    /** Runs unmeasured admin rounds until the server's CPU per read and per write has settled. */
    private void warmUp(Servers servers, DistributionKeycloak server) {
        List<Double> reads = new ArrayList<>();
        List<Double> writes = new ArrayList<>();
        int done = 0;
        while (done < MAX_WARM_UP && (done < MIN_WARM_UP || !steady(reads) || !steady(writes))) {
            Sample s = adminSample(server);
            reads.add(s.readCpuMillis());
            writes.add(s.writeCpuMillis());
            done += requests;
        }
        System.out.printf("warm-up %s: %d reads and writes, last rounds' CPU per write %s ms%s%n", servers.name(server), done,
                last(writes), steady(reads) && steady(writes) ? "" : " (NOT settled: figures below are not steady-state)");
    }

    /** Whether the last {@link #STEADY_ROUNDS} values lie within {@link #STEADY_SPREAD} of each other. */
    static boolean steady(List<Double> values) {
        if (values.size() < STEADY_ROUNDS) {
            return false;
        }
        List<Double> tail = values.subList(values.size() - STEADY_ROUNDS, values.size());
        double min = tail.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = tail.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return min > 0 && max / min <= STEADY_SPREAD;
    }

    private static String last(List<Double> values) {
        StringBuilder b = new StringBuilder();
        for (double v : values.subList(Math.max(0, values.size() - STEADY_ROUNDS), values.size())) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format("%.2f", v));
        }
        return b.toString();
    }

    private static final String READ_PATH = "/admin/realms/bench/clients?first=0&max=20";

    private static String adminToken(HttpAdmin http, DistributionKeycloak server) {
        return http.adminToken(server.bootstrapAdminUsername(), server.bootstrapAdminPassword());
    }

    /** The bench realm's ordinary user, as the admin API shows it: the body of every unguarded write. */
    private static ObjectNode benchUser(HttpAdmin http, String token) {
        return (ObjectNode) http.get("/admin/realms/bench/users?username=bench-user&exact=true", token).json().get(0);
    }

    private static String userPath(ObjectNode user) {
        return "/admin/realms/bench/users/" + user.get("id").asText();
    }

    /**
     * The bootstrap admin's token, taken again once it is half a minute old: master's access tokens
     * live a minute, and a sample on a loaded machine (a JFR recording, helpers beside it) can take longer.
     * One token request per 30 s costs both servers the same and is outside every timed request.
     */
    private static final class AdminToken {
        private final HttpAdmin http;
        private final DistributionKeycloak server;
        private String token;
        private long takenAt;

        AdminToken(HttpAdmin http, DistributionKeycloak server) {
            this.http = http;
            this.server = server;
        }

        String get() {
            if (token == null || System.nanoTime() - takenAt > 30_000_000_000L) {
                token = adminToken(http, server);
                takenAt = System.nanoTime();
            }
            return token;
        }
    }

    private Sample adminSample(DistributionKeycloak server) {
        HttpAdmin http = server.http().http1();
        AdminToken admin = new AdminToken(http, server);
        ObjectNode user = benchUser(http, admin.get());
        String userPath = userPath(user);
        long[] reads = new long[requests];
        long[] writes = new long[requests];
        double cpu0 = server.cpuSeconds();
        Map<String, Double> threads0 = server.cpuSecondsByThread();
        double db0 = databaseCpuSeconds();
        for (int i = 0; i < requests; i++) {
            String token = admin.get();
            long t0 = System.nanoTime();
            HttpAdmin.Response r = http.get(READ_PATH, token);
            reads[i] = System.nanoTime() - t0;
            check(r, 200);
        }
        double cpu1 = server.cpuSeconds();
        Map<String, Double> threads1 = server.cpuSecondsByThread();
        double db1 = databaseCpuSeconds();
        for (int i = 0; i < requests; i++) {
            user.put("firstName", "Bench" + i);
            String token = admin.get();
            long t0 = System.nanoTime();
            HttpAdmin.Response w = http.put(userPath, token, user.toString());
            writes[i] = System.nanoTime() - t0;
            check(w, 204);
        }
        double cpu2 = server.cpuSeconds();
        Map<String, Double> threads2 = server.cpuSecondsByThread();
        double db2 = databaseCpuSeconds();
        return new Sample(Stats.of(reads), Stats.of(writes), (cpu1 - cpu0) * 1000 / requests, (cpu2 - cpu1) * 1000 / requests,
                (db1 - db0) * 1000 / requests, (db2 - db1) * 1000 / requests,
                millisPerRequest(threads0, threads1, requests), millisPerRequest(threads1, threads2, requests));
    }

    private void tokenThroughput(Servers servers, Report report) throws Exception {
        warmUpTokens(servers, servers.plain);
        warmUpTokens(servers, servers.guarded);
        List<Throughput> plain = new ArrayList<>();
        List<Throughput> guarded = new ArrayList<>();
        Recordings recordings = startRecordings(servers, "tokens");
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                plain.add(tokensPerSecond(servers.plain));
                guarded.add(tokensPerSecond(servers.guarded));
            } else {
                guarded.add(tokensPerSecond(servers.guarded));
                plain.add(tokensPerSecond(servers.plain));
            }
        }
        stopRecordings(recordings, "tokens", rounds * requests, report);
        report.add("client-credentials tokens/s", plain, guarded, Throughput::tokensPerSecond, "/s");
        report.add("server CPU per token", plain, guarded, Throughput::cpuMillisPerToken, "ms");
        report.addByThread("server CPU per token", plain, guarded, Throughput::cpuMillisByThread);
        if (database == Servers.Database.POSTGRES) {
            report.add("database CPU per token", plain, guarded, Throughput::dbCpuMillisPerToken, "ms");
            report.add("server + database CPU per token", plain, guarded, t -> t.cpuMillisPerToken() + t.dbCpuMillisPerToken(), "ms");
        }
    }

    /** Runs unmeasured token rounds until the server's CPU per token has settled. */
    private void warmUpTokens(Servers servers, DistributionKeycloak server) throws Exception {
        List<Double> cpu = new ArrayList<>();
        int done = 0;
        while (done < MAX_WARM_UP && (done < MIN_WARM_UP || !steady(cpu))) {
            cpu.add(tokensPerSecond(server).cpuMillisPerToken());
            done += requests;
        }
        System.out.printf("warm-up %s: %d tokens, last rounds' CPU per token %s ms%s%n", servers.name(server), done, last(cpu),
                steady(cpu) ? "" : " (NOT settled: figures below are not steady-state)");
    }

    private Throughput tokensPerSecond(DistributionKeycloak server) throws Exception {
        HttpAdmin http = server.http().http1();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            double cpu0 = server.cpuSeconds();
            Map<String, Double> threads0 = server.cpuSecondsByThread();
            double db0 = databaseCpuSeconds();
            long t0 = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                futures.add(pool.submit(() -> http.clientCredentials("bench", "bench-svc", "bench-secret")));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu1 = server.cpuSeconds();
            Map<String, Double> threads1 = server.cpuSecondsByThread();
            double db1 = databaseCpuSeconds();
            return new Throughput(requests / seconds, (cpu1 - cpu0) * 1000 / requests, (db1 - db0) * 1000 / requests,
                    millisPerRequest(threads0, threads1, requests));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * SQL statements per request of each kind (admin read, unguarded write, token) on each
     * server, by thread group and statement kind, counted in Hibernate's statement log: what our
     * providers add to the database's work, exactly, where CPU figures move with the machine.
     */
    private void statementCounts(Servers servers, Report report) throws Exception {
        Map<String, Map<String, Double>> plain = statementsPerRequest(servers.plain);
        Map<String, Map<String, Double>> guarded = statementsPerRequest(servers.guarded);
        for (String kind : plain.keySet()) {
            report.addCounts("SQL statements per " + kind + " by thread and kind (from Hibernate's statement log):",
                    "thread and statement", plain.get(kind), guarded.get(kind));
        }
    }

    /** One unmeasured pass of each kind (caches filled, first-use statements done), then one counted pass of each. */
    private Map<String, Map<String, Double>> statementsPerRequest(DistributionKeycloak server) throws Exception {
        HttpAdmin http = server.http().http1();
        Map<String, Map<String, Double>> perKind = new LinkedHashMap<>();
        for (boolean counted : new boolean[] {false, true}) {
            String token = adminToken(http, server);
            ObjectNode user = benchUser(http, token);
            perKind.put("admin read (GET clients)", statementsPerRequest(server, () -> {
                for (int i = 0; i < requests; i++) {
                    check(http.get(READ_PATH, token), 200);
                }
            }));
            perKind.put("unguarded write (PUT user)", statementsPerRequest(server, () -> {
                for (int i = 0; i < requests; i++) {
                    user.put("firstName", "Statements" + i);
                    check(http.put(userPath(user), token, user.toString()), 204);
                }
            }));
            perKind.put("token (client credentials)", statementsPerRequest(server, () -> tokensPerSecond(server)));
            if (!counted) {
                perKind.clear();
            }
        }
        return perKind;
    }

    private interface Requests {
        void run() throws Exception;
    }

    /** Statements the server logged while the requests ran and until its background work on them (the sequencer) was done. */
    private Map<String, Double> statementsPerRequest(DistributionKeycloak server, Requests requestsToCount) throws Exception {
        int before = server.logLines().size();
        requestsToCount.run();
        Thread.sleep(SEQUENCED_WITHIN_MILLIS);
        List<String> lines = server.logLines();
        Map<String, Double> perRequest = new TreeMap<>();
        SqlStatements.byThreadAndKind(lines.subList(before, lines.size()))
                .forEach((group, n) -> perRequest.put(group, n / (double) requests));
        return perRequest;
    }

    /** Time after a pass for the sequencer to move its records into the chain (it gathers for milliseconds). */
    private static final long SEQUENCED_WITHIN_MILLIS = 2000;

    /**
     * Where the request threads' time goes, by part of the code (first match wins, in this
     * order): ours first, then Keycloak's handlers of the bench's requests. A sample is 10 ms of a
     * running Java thread, so two servers that ran the same requests compare by their counts.
     * Keycloak's client list is written inside our credential-read filter on our server (it
     * collects the lazy list to see which secrets it shows) and by RESTEasy on plain Keycloak:
     * both count as "Keycloak: client list". The user-update predicate loads the user's required
     * actions before Keycloak does, so that load counts as admission on our server and as
     * Keycloak's user update on plain Keycloak.
     */
    static final List<FlightRecording.Part> CODE_PARTS = List.of(
            new FlightRecording.Part("NHI Guard: admission", "dev.nhiguard.guard.admission.AdmissionFilter"),
            new FlightRecording.Part("NHI Guard: audit record staged", "dev.nhiguard.audit.listener.PendingAppends",
                    "dev.nhiguard.audit.store.AuditChainStore"),
            new FlightRecording.Part("NHI Guard: credential-read record", "dev.nhiguard.guard.reads.CredentialReadRecorder"),
            new FlightRecording.Part("NHI Guard: event listeners", "dev.nhiguard.audit.listener.AuditEventListenerProvider",
                    "dev.nhiguard.agent"),
            new FlightRecording.Part("Keycloak: client list", "ClientsResource", "ModelToRepresentation.toRepresentation"),
            new FlightRecording.Part("NHI Guard: other", "dev.nhiguard"),
            new FlightRecording.Part("Keycloak: user update", "org.keycloak.services.resources.admin.UserResource"),
            new FlightRecording.Part("Keycloak: token endpoint", "org.keycloak.protocol.oidc.endpoints.TokenEndpoint"),
            new FlightRecording.Part("Keycloak: admin authentication", "org.keycloak.services.resources.admin.AdminRoot"));

    /**
     * The measured rounds of one phase, whose samples {@code --profile} counts: both servers run
     * the flight recording {@link DistributionKeycloak#RECORDING_OPTION} from their start
     * (benchmark.sh adds it), and only the samples between {@code from} and the phase's end are
     * counted; null without {@code --profile}.
     */
    private record Recordings(Servers servers, String phase, Instant from) {
    }

    private Recordings startRecordings(Servers servers, String phase) {
        return profile ? new Recordings(servers, phase, Instant.now()) : null;
    }

    /** Writes both recordings out and reports their request threads' samples per 1000 requests of the rounds, by part. */
    private static void stopRecordings(Recordings r, String request, int requestsPerServer, Report report) throws java.io.IOException {
        if (r == null) {
            return;
        }
        Instant to = Instant.now();
        Path dir = Path.of(System.getProperty("nhi.bench.target", "target")).toAbsolutePath();
        Path plain = dir.resolve("plain-" + r.phase() + ".jfr");
        Path guarded = dir.resolve("nhi-guard-" + r.phase() + ".jfr");
        r.servers().plain.dumpRecording(plain);
        r.servers().guarded.dumpRecording(guarded);
        report.addCounts("Request threads' stack samples (JFR, 10 ms each) per 1000 " + request + " of the rounds, by part of "
                + "the code (" + plain.getFileName() + ", " + guarded.getFileName() + "):", "part of the code",
                perThousand(plain, requestsPerServer, r.from(), to), perThousand(guarded, requestsPerServer, r.from(), to));
    }

    private static Map<String, Double> perThousand(Path recording, int requests, Instant from, Instant to) throws java.io.IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        FlightRecording.samplesByPart(recording, "executor-thread", CODE_PARTS, from, to)
                .forEach((part, n) -> out.put(part, n * 1000.0 / requests));
        return out;
    }

    /** CPU by thread group between two readings of {@link DistributionKeycloak#cpuSecondsByThread()}, in milliseconds per request. */
    private static Map<String, Double> millisPerRequest(Map<String, Double> before, Map<String, Double> after, int requests) {
        Map<String, Double> millis = new TreeMap<>();
        after.forEach((name, seconds) -> millis.put(name, (seconds - before.getOrDefault(name, 0.0)) * 1000 / requests));
        return millis;
    }

    /** The database's CPU seconds so far, when it runs in processes of its own (PostgreSQL); 0 on H2, whose work the server's CPU holds. */
    private double databaseCpuSeconds() {
        return database == Servers.Database.POSTGRES ? DatabaseCpu.seconds() : 0;
    }

    static <T> double median(List<T> samples, ToDoubleFunction<T> figure) {
        double[] v = samples.stream().mapToDouble(figure).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static void check(HttpAdmin.Response r, int expected) {
        if (r.status() != expected) {
            throw new IllegalStateException("expected " + expected + ", got " + r.status() + ": " + r.body());
        }
    }
}
