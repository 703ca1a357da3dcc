package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

/**
 * The webhook sink delivers every record of a realm, in order, across an outage of the
 * receiver and a restart of Keycloak (the PostgreSQL-backed server keeps the delivery state).
 */
@ExtendWith(PostgresKeycloak.class)
class AuditWebhookIT {

    /**
     * A local HTTP receiver as a Standard Webhooks consumer writes one: it checks
     * {@code webhook-signature} (v1, HMAC-SHA256 of id.timestamp.body), refuses a timestamp
     * outside its tolerance and a message id it already processed (a replay), and reads the
     * body (OCSF on this server: the native line in {@code raw_data}).
     */
    static final class Receiver {
        final List<JsonNode> received = java.util.Collections.synchronizedList(new ArrayList<>());
        /** Every OCSF line of every accepted batch, as a SIEM would store them. */
        final List<String> siemCopy = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger badSignatures = new AtomicInteger();
        final AtomicInteger replays = new AtomicInteger();
        final AtomicInteger legacyHeaders = new AtomicInteger();
        final java.util.Set<String> processedIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** The last accepted request: id, timestamp, signature, body. */
        volatile String[] lastAccepted;
        final String realmId;
        HttpServer server;

        Receiver(String realmId) {
            this.realmId = realmId;
        }

        static String sign(String secret, String id, String timestamp, byte[] body) throws Exception {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + java.util.Base64.getEncoder().encodeToString(mac.doFinal(body));
        }

        void start(int port, String secret) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.createContext("/audit", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                String id = ex.getRequestHeaders().getFirst("webhook-id");
                String ts = ex.getRequestHeaders().getFirst("webhook-timestamp");
                String sig = ex.getRequestHeaders().getFirst("webhook-signature");
                if (ex.getRequestHeaders().containsKey("X-NHI-Audit-Signature")) {
                    legacyHeaders.incrementAndGet();
                }
                int status;
                try {
                    boolean valid = id != null && ts != null && sig != null && java.security.MessageDigest.isEqual(
                            sign(secret, id, ts, body).getBytes(StandardCharsets.US_ASCII), sig.getBytes(StandardCharsets.US_ASCII));
                    if (!valid || Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(ts)) > 300) {
                        badSignatures.incrementAndGet();
                        status = 401;
                    } else if (!processedIds.add(id)) {
                        replays.incrementAndGet();
                        status = 409;
                    } else {
                        status = 204;
                        lastAccepted = new String[] {id, ts, sig, new String(body, StandardCharsets.UTF_8)};
                        for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
                            siemCopy.add(line);
                            JsonNode nativeLine = AuditRealms.JSON.readTree(AuditRealms.JSON.readTree(line).get("raw_data").asText());
                            if (realmId.equals(nativeLine.path("realmId").asText())) {
                                received.add(nativeLine);
                            }
                        }
                    }
                } catch (Exception e) {
                    throw new IOException(e);
                }
                ex.sendResponseHeaders(status, -1);
                ex.close();
            });
            server.start();
        }

        void stop() {
            server.stop(0);
        }

        /** Sequence numbers in the order of first arrival (redeliveries are allowed: at-least-once). */
        List<Long> firstArrivals() {
            List<Long> out = new ArrayList<>();
            synchronized (received) {
                for (JsonNode n : received) {
                    long seq = n.get("seq").asLong();
                    if (!out.contains(seq)) {
                        out.add(seq);
                    }
                }
            }
            return out;
        }

        long highest() {
            return firstArrivals().stream().mapToLong(Long::longValue).max().orElse(0);
        }
    }

    static JsonNode webhookState(AuditRealms a, String realm) {
        for (JsonNode n : a.http.get(a.base(realm) + "/audit-chain/sinks", a.token()).json()) {
            if ("webhook".equals(n.path("sink").asText())) {
                return n;
            }
        }
        return null;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(500);
        }
    }

    @Test
    void everyRecordArrivesInOrderAcrossAReceiverOutageAndAKeycloakRestart(PostgresKeycloak.Server pg) throws Exception {
        AuditRealms a = new AuditRealms(pg.keycloak);
        String realm = a.createRealm("audit-webhook");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        Receiver receiver = new Receiver(realmId);
        receiver.start(pg.webhookPort, pg.webhookSecret);
        for (int i = 0; i < 5; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"before-" + i + "\"}").status());
        }
        long head1 = a.headSeq(realm);
        await("records 1.." + head1 + " arrived", () -> receiver.highest() >= head1);

        receiver.stop();
        for (int i = 0; i < 5; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"outage-" + i + "\"}").status());
        }
        AuditRealms during = a;
        await("a delivery attempt failed", () -> {
            JsonNode webhook = webhookState(during, realm);
            return webhook != null && webhook.get("attempts").asInt() > 0;
        });

        pg.keycloak.close();
        pg.keycloak.start();
        AuditRealms b = new AuditRealms(pg.keycloak);
        for (int i = 0; i < 5; i++) {
            assertEquals(201, b.http.post(b.base(realm) + "/roles", b.token(), "{\"name\":\"restart-" + i + "\"}").status());
        }
        long head = b.headSeq(realm);
        receiver.start(pg.webhookPort, pg.webhookSecret);
        await("records 1.." + head + " arrived after the outage and the restart", () -> receiver.highest() >= head);
        receiver.stop();

        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= head; s++) {
            expected.add(s);
        }
        assertEquals(expected, receiver.firstArrivals(), "every record, in order");
        assertEquals(0, receiver.badSignatures.get(), "every POST carries a valid Standard Webhooks signature");
        assertEquals(0, receiver.legacyHeaders.get(), "the earlier body-only signature is off by default");
        for (long s : List.of(1L, head1 + 1, head)) {
            JsonNode stored = b.http.get(b.base(realm) + "/audit-chain/records/" + s, b.token()).json();
            JsonNode pushed = receiver.received.stream().filter(n -> n.get("seq").asLong() == s).findFirst().orElseThrow();
            assertEquals(stored, pushed);
        }
        assertEquals(head, webhookState(b, realm).get("deliveredSeq").asLong());
        assertTrue(b.verify(realm).get("ok").asBoolean());

        // Replay-safety: the signature covers the message id and the timestamp.
        receiver.start(pg.webhookPort, pg.webhookSecret);
        String[] captured = receiver.lastAccepted;
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String[], Integer> post = h -> {
            try {
                return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + pg.webhookPort + "/audit"))
                        .header("webhook-id", h[0]).header("webhook-timestamp", h[1]).header("webhook-signature", h[2])
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(h[3])).build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        int before = receiver.received.size();
        assertEquals(409, post.apply(captured), "the captured message again: its id was processed");
        String now = Long.toString(System.currentTimeMillis() / 1000 + 1);
        assertEquals(401, post.apply(new String[] {captured[0] + "x", captured[1], captured[2], captured[3]}), "another id, same signature");
        assertEquals(401, post.apply(new String[] {captured[0] + "x", now, captured[2], captured[3]}), "a fresh timestamp, same signature");
        assertEquals(401, post.apply(new String[] {captured[0], captured[1], captured[2], captured[3] + "\n"}),
                "an edited body");
        assertEquals(before, receiver.received.size(), "nothing replayed was taken");
        receiver.stop();

        // The SIEM copy (OCSF, every realm, at-least-once) verifies for this realm with the offline verifier.
        java.nio.file.Path copy = java.nio.file.Files.createTempFile("ocsf-copy", ".jsonl");
        java.nio.file.Files.write(copy, new ArrayList<>(receiver.siemCopy));
        String vkey = b.http.get(b.base(realm) + "/audit-chain/checkpoints/key", b.token()).json().get("verifierKey").asText();
        AuditTrustedHeadIT.Run run = AuditTrustedHeadIT.jar("--realm", realmId, "--redeliveries", copy.toString(), vkey);
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().startsWith("OK " + head + " records"), run.output());

        // The log sink of the same server wrote the records after the restart as JSON lines.
        String lastRecord = AuditRealms.JSON.writeValueAsString(b.http.get(b.base(realm) + "/audit-chain/records/" + head, b.token()).json().get("hash"));
        await("the log sink wrote record " + head, () -> pg.keycloak.logLines().stream()
                .anyMatch(l -> l.contains("nhi.audit.chain") && l.contains("\"hash\":" + lastRecord)));
    }
}
