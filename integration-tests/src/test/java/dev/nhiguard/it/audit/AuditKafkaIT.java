package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.DistributionKeycloak;

/**
 * The streaming sinks on a Keycloak of their own. Kafka, against a real KRaft broker: Keycloak
 * publishes two realms' chains under load while the broker is killed and, a while later, started
 * again; every record arrives once or more, in order per realm (one partition per realm key), and
 * each realm's chain verifies from the Kafka copy alone with the offline verifier. Syslog over
 * TLS (RFC 5425): nothing reaches a receiver whose certificate the sink does not trust; a trusted
 * one receives every record in octet-counted frames.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditKafkaIT {

    static final String TOPIC = "nhi-audit-it";

    Path dir;
    KafkaBroker broker;
    DistributionKeycloak keycloak;
    int syslogPort;
    Path trustedStore;
    Path untrustedStore;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("audit-kafka-it");
        broker = new KafkaBroker(dir, 3);
        broker.start();
        syslogPort = KafkaBroker.freePort();
        trustedStore = keyStore("trusted");
        untrustedStore = keyStore("untrusted");
        Path trustPem = dir.resolve("trusted.pem");
        keytool("-exportcert", "-rfc", "-alias", "syslog", "-keystore", trustedStore.toString(), "-storepass", "changeit",
                "-file", trustPem.toString());
        DistributionKeycloak.Settings shared = DistributionKeycloak.Settings.fromSystemProperties();
        List<String> args = new ArrayList<>(shared.extraArgs().stream().filter(a -> !a.contains("file-sink-path")).toList());
        args.addAll(List.of(
                // This server appends every event under the head-row lock in its own transaction (the
                // non-default modes): the sinks' delivery and the offline verification below cover them.
                "--spi-events-listener--nhi-audit-chain--admin-events=inline",
                "--spi-events-listener--nhi-audit-chain--token-events=inline",
                "--spi-events-listener--nhi-audit-chain--kafka-bootstrap-servers=" + broker.bootstrap(),
                "--spi-events-listener--nhi-audit-chain--kafka-topic=" + TOPIC,
                "--spi-events-listener--nhi-audit-chain--kafka-delivery-timeout-seconds=5",
                "--spi-events-listener--nhi-audit-chain--syslog-address=127.0.0.1:" + syslogPort,
                "--spi-events-listener--nhi-audit-chain--syslog-tls=true",
                "--spi-events-listener--nhi-audit-chain--syslog-tls-trust-file=" + trustPem,
                "--spi-events-listener--nhi-audit-chain--sink-interval-seconds=1",
                "--spi-events-listener--nhi-audit-chain--sink-max-backoff-seconds=2"));
        keycloak = new DistributionKeycloak(new DistributionKeycloak.Settings(
                DistributionKeycloak.copyBeside(shared.home(), "-audit-kafka"), shared.providers(), null, // realms made here
                shared.logFile().resolveSibling("keycloak-audit-kafka.log"), args, shared.startTimeout()));
        keycloak.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (keycloak != null) {
            keycloak.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private Path keyStore(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", "syslog", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit", "-keypass", "changeit");
        return store;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, "keytool " + String.join(" ", args) + ": " + out);
    }

    /** A TLS syslog receiver on the sink's port with the given key store; collects the frames. */
    private javax.net.ssl.SSLServerSocket tlsReceiver(Path store, List<String> frames) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        javax.net.ssl.SSLServerSocket server = (javax.net.ssl.SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(syslogPort, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept(); java.io.InputStream in = s.getInputStream()) {
                    String frame;
                    while ((frame = AuditSyslogIT.readFrame(in)) != null) {
                        frames.add(frame);
                    }
                } catch (java.io.IOException e) {
                    // a handshake the client refused, or the receiver closing
                }
            }
        }, "syslog-tls-receiver");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    @Test
    void syslogOverTlsReachesOnlyATrustedReceiver() throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-syslog-tls");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        List<String> wrongFrames = java.util.Collections.synchronizedList(new ArrayList<>());
        try (javax.net.ssl.SSLServerSocket impostor = tlsReceiver(untrustedStore, wrongFrames)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"tls-" + i + "\"}").status());
            }
            AuditWebhookIT.await("the syslog sink refused the untrusted receiver", () -> {
                JsonNode st = sinkState(a, realm, "syslog");
                return st.path("attempts").asInt() > 0 && st.path("lastError").asText().contains("SSLHandshakeException");
            });
        }
        assertEquals(List.of(), wrongFrames, "nothing was sent to a receiver the sink does not trust");
        List<String> frames = java.util.Collections.synchronizedList(new ArrayList<>());
        try (javax.net.ssl.SSLServerSocket trusted = tlsReceiver(trustedStore, frames)) {
            long head = a.headSeq(realm);
            AuditWebhookIT.await("the trusted receiver got records 1.." + head, () -> {
                try {
                    return AuditSyslogIT.seqsOf(frames, realmId).size() >= head;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= head; s++) {
                expected.add(s);
            }
            assertEquals(expected, AuditSyslogIT.seqsOf(frames, realmId));
        }
    }

    @Test
    void everyRecordArrivesInOrderPerRealmAcrossABrokerOutageUnderLoad() throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        List<String> realms = List.of(a.createRealm("audit-kafka-a"), a.createRealm("audit-kafka-b"));
        Map<String, String> realmIds = new HashMap<>();
        for (String realm : realms) {
            realmIds.put(realm, a.http.get(a.base(realm), a.token()).json().get("id").asText());
        }

        // Load: two writers per realm creating roles until told to stop.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            String realm = realms.get(w % 2);
            int writer = w;
            writers.add(pool.submit(() -> {
                for (int i = 0; !stop.get(); i++) {
                    int status = a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"load-" + writer + "-" + i + "\"}").status();
                    assertEquals(201, status);
                    written.incrementAndGet();
                }
                return null;
            }));
        }
        AuditWebhookIT.await("records were published before the outage", () -> delivered(a, realms.get(0)) > 20 && delivered(a, realms.get(1)) > 20);
        broker.kill();
        int atKill = written.get();
        AuditWebhookIT.await("the sink saw the broker gone", () -> kafkaState(a, realms.get(0)).path("attempts").asInt() > 0);
        Thread.sleep(8000);
        int duringOutage = written.get() - atKill;
        broker.start();
        Thread.sleep(5000);
        stop.set(true);
        for (Future<?> f : writers) {
            f.get();
        }
        pool.shutdown();
        assertTrue(duringOutage > 20, "changes kept committing while Kafka was down: " + duringOutage);

        Map<String, Long> heads = new HashMap<>();
        for (String realm : realms) {
            a.awaitSequenced(realm);
            heads.put(realmIds.get(realm), a.headSeq(realm));
        }

        // Read the whole topic back.
        Map<String, List<JsonNode>> byRealm = new HashMap<>();
        Map<String, List<String>> copies = new HashMap<>();
        Map<String, Set<Integer>> partitions = new HashMap<>();
        Map<String, Long> checkpointed = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(TOPIC, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(TOPIC, p.partition()));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            AuditWebhookIT.await("Kafka holds every record and the head checkpoint of both realms", () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        JsonNode n = AuditRealms.JSON.readTree(r.value());
                        copies.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                        partitions.computeIfAbsent(r.key(), k -> new HashSet<>()).add(r.partition());
                        if (n.has("checkpoint")) {
                            checkpointed.merge(r.key(), n.get("checkpoint").get("seq").asLong(), Math::max);
                        } else {
                            assertEquals(r.key(), n.get("realmId").asText(), "key = realm id");
                            byRealm.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(n);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return heads.entrySet().stream().allMatch(e -> checkpointed.getOrDefault(e.getKey(), 0L) >= e.getValue());
            });
        }

        String vkeyRealm = null;
        for (String realm : realms) {
            String realmId = realmIds.get(realm);
            long head = heads.get(realmId);
            List<Long> firstArrivals = new ArrayList<>();
            Set<Long> seen = new HashSet<>();
            for (JsonNode n : byRealm.get(realmId)) {
                if (seen.add(n.get("seq").asLong())) {
                    firstArrivals.add(n.get("seq").asLong());
                }
            }
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= head; s++) {
                expected.add(s);
            }
            assertEquals(expected, firstArrivals, "realm " + realm + ": every record, first arrivals in seq order");
            assertEquals(1, partitions.get(realmId).size(), "one partition per realm");

            Path copy = dir.resolve(realm + "-kafka.jsonl");
            Files.write(copy, copies.get(realmId));
            String vkey = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();
            AuditTrustedHeadIT.Run run = AuditTrustedHeadIT.jar("--redeliveries", copy.toString(), vkey);
            assertEquals(0, run.exit(), run.output());
            assertTrue(run.output().startsWith("OK " + head + " records") && run.output().contains("signed up to seq " + head), run.output());
            vkeyRealm = realm;
        }
        assertTrue(vkeyRealm != null);
        JsonNode state = kafkaState(a, realms.get(0));
        assertEquals(heads.get(realmIds.get(realms.get(0))), state.get("deliveredSeq").asLong());
    }

    static JsonNode kafkaState(AuditRealms a, String realm) {
        return sinkState(a, realm, "kafka");
    }

    static JsonNode sinkState(AuditRealms a, String realm, String sink) {
        for (JsonNode n : a.http.get(a.base(realm) + "/audit-chain/sinks", a.token()).json()) {
            if (sink.equals(n.path("sink").asText())) {
                return n;
            }
        }
        return AuditRealms.JSON.createObjectNode();
    }

    static long delivered(AuditRealms a, String realm) {
        return kafkaState(a, realm).path("deliveredSeq").asLong();
    }
}
