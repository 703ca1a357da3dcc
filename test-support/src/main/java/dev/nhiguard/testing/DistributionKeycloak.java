package dev.nhiguard.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.keycloak.admin.client.Keycloak;

/**
 * The Keycloak distribution from Maven Central, started as a child process on loopback with
 * the packaged provider JARs in its {@code providers/} folder. One instance serves a whole
 * test run.
 */
public final class DistributionKeycloak implements KeycloakTarget, AutoCloseable {

    public static final String ADMIN_USERNAME = "admin";
    public static final String ADMIN_PASSWORD = "admin";

    private final Settings settings;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private Process process;
    private int httpPort;
    private int managementPort;
    private Keycloak admin;

    /** The default start: development mode on a fresh in-memory database, realms imported. */
    public static final List<String> DEV_MEM = List.of("start-dev", "--db=dev-mem", "--import-realm");

    /**
     * @param home          unpacked distribution (contains {@code bin/kc.sh})
     * @param providers     folder whose JARs are installed into {@code providers/}; null for a
     *                      plain Keycloak without our providers
     * @param realmImports  folder of realm JSON files imported at start, or null
     * @param logFile       where the server's output is written as well
     * @param extraArgs     further arguments after the start command and the listener options
     * @param startTimeout  how long to wait for readiness
     * @param startCommand  the {@code kc.sh} command and its database/import options
     */
    public record Settings(Path home, Path providers, Path realmImports, Path logFile,
                           List<String> extraArgs, Duration startTimeout, List<String> startCommand) {

        public Settings(Path home, Path providers, Path realmImports, Path logFile,
                        List<String> extraArgs, Duration startTimeout) {
            this(home, providers, realmImports, logFile, extraArgs, startTimeout, DEV_MEM);
        }

        /** Settings from the system properties the build passes to failsafe. */
        public static Settings fromSystemProperties() {
            return new Settings(
                    requiredPath("nhi.keycloak.home"),
                    requiredPath("nhi.providers.dir"),
                    optionalPath("nhi.realms.dir"),
                    Path.of(System.getProperty("nhi.keycloak.log", "target/keycloak.log")),
                    splitArgs(System.getProperty("nhi.keycloak.args", "")),
                    Duration.ofSeconds(Long.getLong("nhi.keycloak.start-timeout-seconds", 900)));
        }

        public Settings withHome(Path newHome) {
            return new Settings(newHome, providers, realmImports, logFile, extraArgs, startTimeout, startCommand);
        }

        public Settings withLogFile(Path newLogFile) {
            return new Settings(home, providers, realmImports, newLogFile, extraArgs, startTimeout, startCommand);
        }

        public Settings withRealmImports(Path newRealmImports) {
            return new Settings(home, providers, newRealmImports, logFile, extraArgs, startTimeout, startCommand);
        }

        /**
         * These settings importing only the named files of {@link #realmImports()}: a server of its
         * own pays for the realms it uses, not for the whole set (each imported realm costs seconds at
         * start). The files are copied to {@code dir}.
         */
        public Settings withOnlyRealmImports(Path dir, String... fileNames) {
            try {
                Files.createDirectories(dir);
                try (Stream<Path> old = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) old::iterator) {
                        Files.delete(p);
                    }
                }
                for (String name : fileNames) {
                    Files.copy(realmImports.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy realm files " + List.of(fileNames) + " to " + dir, e);
            }
            return withRealmImports(dir);
        }

        /**
         * These settings without the shared server's audit file sink: another process appending to the shared server's
         * file mixes its records into the lines the file-sink tests read (seen with the cluster's nodes).
         */
        public Settings withoutSharedFileSink() {
            return new Settings(home, providers, realmImports, logFile,
                    extraArgs.stream().filter(a -> !a.contains("file-sink-path")).toList(), startTimeout, startCommand);
        }

        public Settings withStartCommand(List<String> newStartCommand) {
            return new Settings(home, providers, realmImports, logFile, extraArgs, startTimeout, newStartCommand);
        }

        static Path requiredPath(String property) {
            String value = System.getProperty(property);
            if (value == null || value.isBlank()) {
                throw new IllegalStateException("system property " + property + " is not set; run the tests through Maven (mvn verify)");
            }
            return Path.of(value);
        }

        private static Path optionalPath(String property) {
            String value = System.getProperty(property);
            return value == null || value.isBlank() ? null : Path.of(value);
        }

        private static List<String> splitArgs(String args) {
            return args.isBlank() ? List.of() : List.of(args.trim().split("\\s+"));
        }
    }

    public DistributionKeycloak(Settings settings) {
        this.settings = settings;
    }

    /**
     * A server on another database: {@code databaseArgs} replace {@code --db=dev-mem}, e.g.
     * {@code --db=postgres --db-url=… --db-username=… --db-password=… --db-schema=…}. Data then
     * survives {@link #close()} and a later {@link #start()} (on new ports).
     */
    public DistributionKeycloak(Settings settings, List<String> databaseArgs) {
        this(settings.withStartCommand(devModeOn(databaseArgs)));
    }

    private static List<String> devModeOn(List<String> databaseArgs) {
        List<String> command = new ArrayList<>();
        command.add("start-dev");
        command.addAll(databaseArgs);
        command.add("--import-realm");
        return List.copyOf(command);
    }

    /**
     * A copy of the distribution {@code from} at {@code to}, without its {@code data} directory, for
     * a server of its own (other build options, its own augmentation). Made once: an existing copy
     * is reused and keeps its augmentation between runs.
     */
    public static Path copyDistribution(Path from, Path to) {
        if (Files.exists(to.resolve("bin/kc.sh"))) {
            return to;
        }
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Path rel = from.relativize(dir);
                    if (rel.startsWith("data")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    Files.createDirectories(to.resolve(rel.toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the distribution " + from + " to " + to, e);
        }
        return to;
    }

    /** {@link #copyDistribution} beside the distribution: {@code home} with {@code suffix} appended to its name. */
    public static Path copyBeside(Path home, String suffix) {
        return copyDistribution(home, home.resolveSibling(home.getFileName() + suffix));
    }

    public synchronized void start() {
        try {
            installProviders();
            installRealmImports();
            httpPort = freePort();
            managementPort = freePort();
            List<String> command = new ArrayList<>();
            command.add(settings.home().resolve("bin/kc.sh").toString());
            command.addAll(settings.startCommand());
            command.addAll(List.of(
                    "--http-host=127.0.0.1",
                    "--http-port=" + httpPort,
                    "--http-management-port=" + managementPort,
                    "--health-enabled=true"));
            command.addAll(settings.extraArgs());
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(settings.home().toFile())
                    .redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USERNAME);
            env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
            env.putIfAbsent("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
            // No -XX:TieredStopAtLevel=1: with C1 only, importing the test realms took 105 s instead of 29 s,
            // and the shared server runs every test on its code.
            Files.createDirectories(settings.logFile().toAbsolutePath().getParent());
            for (int attempt = 1; ; attempt++) {
                process = pb.start();
                pumpOutput();
                try {
                    awaitReady();
                    break;
                } catch (IllegalStateException e) {
                    if (attempt >= MAX_STARTS || process.isAlive() || !flakyAugmentation(e.getMessage())) {
                        throw e;
                    }
                    System.err.println("Keycloak's build step failed with Quarkus's intermittent augmentation NPE"
                            + " (quarkusio/quarkus#55603); starting again, attempt " + (attempt + 1));
                    log.clear();
                }
            }
            admin = Keycloak.getInstance(baseUri().toString(), "master", ADMIN_USERNAME, ADMIN_PASSWORD, "admin-cli");
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Puts exactly the provider JARs of {@link Settings#providers()} into the server's
     * {@code providers} directory. A JAR already there with the same size and modification time is
     * left alone and copies keep the source's modification time: Keycloak persists each provider's
     * last-modified time with its build, so an unchanged set of JARs lets a restart (or a copy of an
     * already built distribution with the same build options) skip the augmentation step.
     */
    private void installProviders() throws IOException {
        Path target = settings.home().resolve("providers");
        Files.createDirectories(target);
        Map<String, Path> wanted = new TreeMap<>();
        if (settings.providers() != null) {
            try (Stream<Path> jars = Files.list(settings.providers())) {
                jars.filter(p -> p.getFileName().toString().endsWith(".jar")).forEach(p -> wanted.put(p.getFileName().toString(), p));
            }
            if (wanted.isEmpty()) {
                throw new IllegalStateException("no provider JARs in " + settings.providers() + "; run mvn package first");
            }
        } // else plain Keycloak, for comparisons
        try (Stream<Path> old = Files.list(target)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(".jar") && !sameFile(wanted.get(name), p)) {
                    Files.delete(p);
                }
            }
        }
        for (Path jar : wanted.values()) {
            Path installed = target.resolve(jar.getFileName().toString());
            if (!Files.exists(installed)) {
                Files.copy(jar, installed, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static boolean sameFile(Path source, Path installed) throws IOException {
        return source != null && Files.size(source) == Files.size(installed)
                && Files.getLastModifiedTime(source).equals(Files.getLastModifiedTime(installed));
    }

    private void installRealmImports() throws IOException {
        Path target = settings.home().resolve("data/import");
        if (Files.isDirectory(target)) {
            try (Stream<Path> old = Files.list(target)) {
                for (Path p : (Iterable<Path>) old::iterator) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(target);
        if (settings.realmImports() == null) {
            return;
        }
        try (Stream<Path> realms = Files.list(settings.realmImports())) {
            for (Path realm : (Iterable<Path>) realms.filter(p -> p.toString().endsWith(".json"))::iterator) {
                Files.copy(realm, target.resolve(realm.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void pumpOutput() throws IOException {
        var writer = Files.newBufferedWriter(settings.logFile(), StandardCharsets.UTF_8);
        Thread pump = new Thread(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 writer) {
                String line;
                while ((line = reader.readLine()) != null) {
                    log.add(line);
                    writer.write(line);
                    writer.newLine();
                    writer.flush();
                }
            } catch (IOException ignored) {
                // the process went away; its output ends here
            }
        }, "keycloak-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** How often a start is tried when Quarkus's build step fails with its intermittent NPE. */
    private static final int MAX_STARTS = 3;

    /**
     * Whether the server stopped in Quarkus's augmentation with the intermittent NPE in ArC's
     * unused-bean removal (quarkusio/quarkus#55603), which the same build passes when run again.
     * Only that exact failure is tried again; every other failure to start fails the test.
     */
    private boolean flakyAugmentation(String failure) {
        sleep(500); // the output pump may still be reading the last lines
        String output = failure + "\n" + tail(80);
        return output.contains("io.quarkus.builder.BuildException") && output.contains("UnusedBeans.findRemovableBeans");
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(settings.startTimeout());
        URI health = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue()
                        + " before it was ready; last lines:\n" + tail(40));
            }
            if (status(health) == 200) {
                return;
            }
            sleep(500);
        }
        throw new IllegalStateException("Keycloak was not ready within " + settings.startTimeout() + "; last lines:\n" + tail(40));
    }

    private static int status(URI uri) {
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try {
                return c.getResponseCode();
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return -1;
        }
    }

    private String tail(int n) {
        synchronized (log) {
            return String.join("\n", log.subList(Math.max(0, log.size() - n), log.size()));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    public URI managementUri() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    @Override
    public Keycloak adminClient() {
        return admin;
    }

    @Override
    public String bootstrapAdminUsername() {
        return ADMIN_USERNAME;
    }

    @Override
    public String bootstrapAdminPassword() {
        return ADMIN_PASSWORD;
    }

    @Override
    public List<String> logLines() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /**
     * CPU time (user + system) the server's processes (kc.sh and the JVM it starts) have used so
     * far, read from {@code /proc}; for benchmarks, which take the difference around a measurement.
     */
    public synchronized double cpuSeconds() {
        if (process == null) {
            throw new IllegalStateException("Keycloak is not running");
        }
        double ticks = 0;
        for (ProcessHandle p : processes()) {
            ticks += ProcStat.cpuTicks(p.pid());
        }
        return ticks / ProcStat.TICKS_PER_SECOND;
    }

    /** The server's processes: kc.sh and the JVM it starts. */
    private List<ProcessHandle> processes() {
        return Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
    }

    /** Name of the group that holds, in {@link #cpuSecondsByThread()}, the time of threads that have exited. */
    public static final String EXITED_THREADS = "(exited threads)";

    /**
     * {@link #cpuSeconds()} split by thread, summed by thread name without its trailing number
     * ({@code executor-thread}, {@code C2 CompilerThre}, {@code GC Thread}, …; Linux keeps 15
     * characters of a name), plus {@link #EXITED_THREADS}: what the processes used in threads no
     * longer running. For benchmarks that ask where a difference in CPU is spent (the JIT, the
     * garbage collector or the request threads).
     */
    public synchronized Map<String, Double> cpuSecondsByThread() {
        if (process == null) {
            throw new IllegalStateException("Keycloak is not running");
        }
        Map<String, Double> seconds = new TreeMap<>();
        long exited = 0;
        for (ProcessHandle p : processes()) {
            long total = ProcStat.cpuTicks(p.pid());
            Map<String, Long> threads = ProcStat.cpuTicksByThreadName(p.pid());
            for (Map.Entry<String, Long> t : threads.entrySet()) {
                seconds.merge(t.getKey(), t.getValue() / ProcStat.TICKS_PER_SECOND, Double::sum);
                total -= t.getValue();
            }
            exited += Math.max(0, total);
        }
        seconds.put(EXITED_THREADS, exited / ProcStat.TICKS_PER_SECOND);
        return seconds;
    }

    /**
     * The JVM option that starts the Java Flight Recording {@link #dumpRecording} writes out (JFR's
     * {@code profile} settings: a stack sample of each running Java thread every 10 ms), for
     * benchmarks that ask where a difference in CPU is spent. It must be given at start-up
     * ({@code JAVA_OPTS_APPEND}): a recording started later, in a warm JVM, instruments JDK
     * classes and makes the JIT recompile what depends on them, in the middle of the measurement.
     */
    public static final String RECORDING_OPTION = "-XX:StartFlightRecording=name=nhi-bench,settings=profile,maxage=2h";

    /** Writes what the recording {@link #RECORDING_OPTION} started holds so far to {@code file}, through {@code jcmd}. */
    public synchronized void dumpRecording(Path file) {
        jcmd("Dumped recording", "JFR.dump", "name=nhi-bench", "filename=" + file.toAbsolutePath());
    }

    /** Runs a diagnostic command in the server's JVM; fails unless its answer contains {@code success}. */
    private void jcmd(String success, String... command) {
        if (process == null) {
            throw new IllegalStateException("Keycloak is not running");
        }
        long jvm = processes().stream().filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst()
                .orElseThrow(() -> new IllegalStateException("no JVM among the server's processes"));
        List<String> args = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(jvm)));
        args.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0 || !out.contains(success)) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Kills the server at once (SIGKILL to kc.sh and the JVM), as a crash would: nothing shuts
     * down, open transactions never commit. {@link #start()} starts it again on the same database.
     */
    public synchronized void kill() {
        stop(true);
    }

    /** SIGTERM (kc.sh forwards it to the JVM), then kills what is left after a grace period. */
    @Override
    public synchronized void close() {
        stop(false);
    }

    private void stop(boolean kill) {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (process == null) {
            return;
        }
        List<ProcessHandle> descendants = process.descendants().toList();
        try {
            if (kill) {
                descendants.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            } else {
                process.destroy();
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle d : descendants) {
                d.onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Keycloak did not stop", e);
        }
        process = null;
    }
}
