package dev.nhiguard.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.keycloak.admin.client.Keycloak;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;

import dasniko.testcontainers.keycloak.KeycloakContainer;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The image built from {@code docker/Dockerfile} with the packaged providers, started the way
 * production runs it ({@code start --optimized} on PostgreSQL, see {@code docker/compose.yaml})
 * next to a PostgreSQL container on a private network. The image gets a unique tag and is removed
 * again on {@link #close()}; every container carries the label {@value #LABEL} so that CI can
 * remove what a killed run left behind.
 */
final class ImageKeycloak implements KeycloakTarget, AutoCloseable {

    static final String LABEL = "dev.nhiguard.test";
    static final String ADMIN_USERNAME = "admin";
    static final String ADMIN_PASSWORD = "admin";

    static final String DB_NAME = "keycloak";
    static final String DB_USER = "keycloak";
    private static final String DB_PASSWORD = "keycloak-smoke";
    /** Images are built or provided locally; nothing is pulled from a registry. */
    private static final ImagePullPolicy NEVER_PULL = image -> false;

    /**
     * @param dockerfile    {@code docker/Dockerfile}
     * @param providers     the folder {@code mvn package} fills with every JAR to install
     * @param realmImports  folder whose {@code *-realm.json} files are imported at start
     * @param baseImage     the {@code KEYCLOAK_IMAGE} build argument
     * @param postgresImage PostgreSQL image configured by POSTGRES_USER/PASSWORD/DB
     */
    record Settings(Path dockerfile, Path providers, Path realmImports, String baseImage,
                    String postgresImage, Duration startTimeout) {

        static Settings fromSystemProperties() {
            String version = required("nhi.keycloak.version");
            return new Settings(
                    Path.of(required("nhi.docker.dockerfile")),
                    Path.of(required("nhi.providers.dir")),
                    Path.of(required("nhi.realms.dir")),
                    imageOrLocalDefault("nhi.docker.base-image",
                            "nhi-guard/keycloak-base:" + version, "quay.io/keycloak/keycloak:" + version),
                    imageOrLocalDefault("nhi.docker.postgres-image", "nhi-guard/postgres:15", "postgres:15"),
                    Duration.ofSeconds(Long.getLong("nhi.keycloak.start-timeout-seconds", 300)));
        }

        private static String required(String property) {
            String value = System.getProperty(property);
            if (value == null || value.isBlank()) {
                throw new IllegalStateException("system property " + property + " is not set; run the tests through Maven (mvn verify)");
            }
            return value;
        }

        /** The image named by the property; else the locally built one if present, else the official one. */
        private static String imageOrLocalDefault(String property, String local, String official) {
            String value = System.getProperty(property);
            if (value != null && !value.isBlank()) {
                return value;
            }
            return imagePresent(local) ? local : official;
        }
    }

    private final Settings settings;
    private final String imageTag = "nhi-guard/keycloak-it:" + UUID.randomUUID().toString().substring(0, 12);
    private Network network;
    private GenericContainer<?> postgres;
    private KeycloakContainer keycloak;
    private Keycloak admin;
    private Duration imageBuildTime;
    private Duration timeToReady;

    ImageKeycloak(Settings settings) {
        this.settings = settings;
    }

    static boolean imagePresent(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    synchronized void start() {
        try {
            requireImage(settings.baseImage(), "the Keycloak base image (docker/build-base-image.sh builds nhi-guard/keycloak-base locally)");
            requireImage(settings.postgresImage(), "the PostgreSQL image (docker/build-base-image.sh --postgres builds nhi-guard/postgres:15 locally)");
            buildImage();

            network = Network.builder()
                    .createNetworkCmdModifier(cmd -> cmd.withLabels(Map.of(LABEL, "image-smoke")))
                    .build();
            postgres = new GenericContainer<>(DockerImageName.parse(settings.postgresImage()))
                    .withImagePullPolicy(NEVER_PULL)
                    .withLabel(LABEL, "image-smoke")
                    .withNetwork(network)
                    .withNetworkAliases("postgres")
                    .withEnv(Map.of("POSTGRES_USER", DB_USER, "POSTGRES_PASSWORD", DB_PASSWORD, "POSTGRES_DB", DB_NAME))
                    .waitingFor(Wait.forSuccessfulCommand("pg_isready -h 127.0.0.1 -U " + DB_USER + " -d " + DB_NAME)
                            .withStartupTimeout(Duration.ofMinutes(2)));
            postgres.start();

            // The image must exist before the container object is created: the constructor resolves it.
            KeycloakContainer container = new KeycloakContainer(imageTag)
                    .withImagePullPolicy(NEVER_PULL)
                    .withOptimizedFlag()
                    .withAdminUsername(ADMIN_USERNAME)
                    .withAdminPassword(ADMIN_PASSWORD)
                    .withStartupTimeout(settings.startTimeout());
            container.withLabel(LABEL, "image-smoke")
                    .withNetwork(network)
                    .withEnv("KC_DB_URL", "jdbc:postgresql://postgres:5432/" + DB_NAME)
                    .withEnv("KC_DB_USERNAME", DB_USER)
                    .withEnv("KC_DB_PASSWORD", DB_PASSWORD)
                    .withEnv("KC_HTTP_ENABLED", "true")
                    .withEnv("KC_HOSTNAME_STRICT", "false")
                    // the same heap bounds as the child-process harness (and its full JIT)
                    .withEnv("JAVA_OPTS_APPEND", "-Xms64m -Xmx768m")
                    .withCreateContainerCmdModifier(ImageKeycloak::publishOnLoopbackOnly);
            for (Path realm : realmFiles()) {
                container.withCopyFileToContainer(MountableFile.forHostPath(realm, 0644),
                        "/opt/keycloak/data/import/" + realm.getFileName());
            }
            keycloak = container;
            long started = System.nanoTime();
            keycloak.start();
            timeToReady = Duration.ofNanos(System.nanoTime() - started);
            admin = Keycloak.getInstance(baseUri().toString(), "master", ADMIN_USERNAME, ADMIN_PASSWORD, "admin-cli");
        } catch (RuntimeException e) {
            String logs = keycloak != null ? tail(keycloak.getLogs(), 60) : "";
            close();
            throw new IllegalStateException("the image did not start: " + e.getMessage() + (logs.isEmpty() ? "" : "\nlast lines:\n" + logs), e);
        }
    }

    private static void requireImage(String image, String what) {
        if (!imagePresent(image)) {
            throw new IllegalStateException(image + " is not available locally; it is " + what
                    + ". Nothing is pulled: build it, or name another with -Dnhi.docker.base-image / -Dnhi.docker.postgres-image.");
        }
    }

    /** File names of the JARs the image installs (everything in the providers folder). */
    List<String> providerJars() {
        try (Stream<Path> jars = Files.list(settings.providers())) {
            return jars.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void buildImage() {
        List<String> list = providerJars();
        if (list.isEmpty()) {
            throw new IllegalStateException("no provider JARs in " + settings.providers() + "; run mvn package first");
        }
        ImageFromDockerfile image = new ImageFromDockerfile(imageTag, false)
                .withFileFromPath("Dockerfile", settings.dockerfile())
                .withBuildArg("KEYCLOAK_IMAGE", settings.baseImage())
                .withBuildImageCmdModifier(cmd -> cmd.withLabels(Map.of(LABEL, "image-smoke")).withPull(false));
        for (String jar : list) {
            image.withFileFromPath("target/providers/" + jar, settings.providers().resolve(jar));
        }
        long started = System.nanoTime();
        image.get();
        imageBuildTime = Duration.ofNanos(System.nanoTime() - started);
    }

    private List<Path> realmFiles() {
        try (Stream<Path> files = Files.list(settings.realmImports())) {
            return files.filter(p -> p.getFileName().toString().endsWith("-realm.json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Published ports listen on 127.0.0.1 only (Docker's default is every interface). */
    private static void publishOnLoopbackOnly(CreateContainerCmd cmd) {
        Ports ports = new Ports();
        ExposedPort[] exposed = cmd.getExposedPorts();
        if (exposed != null) {
            Arrays.stream(exposed).forEach(p -> ports.bind(p, Ports.Binding.bindIp("127.0.0.1")));
        }
        cmd.getHostConfig().withPortBindings(ports);
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    String imageTag() {
        return imageTag;
    }

    Duration imageBuildTime() {
        return imageBuildTime;
    }

    Duration timeToReady() {
        return timeToReady;
    }

    KeycloakContainer container() {
        return keycloak;
    }

    GenericContainer<?> postgres() {
        return postgres;
    }

    @Override
    public URI baseUri() {
        return URI.create("http://" + keycloak.getHost() + ":" + keycloak.getMappedPort(8080));
    }

    @Override
    public URI managementUri() {
        return URI.create("http://" + keycloak.getHost() + ":" + keycloak.getMappedPort(9000));
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
        return keycloak.getLogs().lines().toList();
    }

    /** Stops the containers, removes the network and the image built for this run. */
    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (keycloak != null) {
            keycloak.stop();
            keycloak = null;
        }
        if (postgres != null) {
            postgres.stop();
            postgres = null;
        }
        if (network != null) {
            network.close();
            network = null;
        }
        if (imagePresent(imageTag)) {
            DockerClientFactory.instance().client().removeImageCmd(imageTag).withForce(true).exec();
        }
    }
}
