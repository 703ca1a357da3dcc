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

    /** A local HTTP receiver checking the HMAC of every POST. */
    static final class Receiver {
        final List<JsonNode> received = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger badSignatures = new AtomicInteger();
        final String realmId;
        HttpServer server;

        Receiver(String realmId) {
            this.realmId = realmId;
        }

        void start(int port, String secret) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            server.createContext("/audit", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                try {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                    String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
                    if (!expected.equals(ex.getRequestHeaders().getFirst("X-NHI-Audit-Signature"))) {
                        badSignatures.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IOException(e);
                }
                if (realmId.equals(ex.getRequestHeaders().getFirst("X-NHI-Audit-Realm"))) {
                    for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
                        received.add(AuditRealms.JSON.readTree(line));
                    }
                }
                ex.sendResponseHeaders(204, -1);
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
        assertEquals(0, receiver.badSignatures.get(), "every POST carries a valid HMAC");
        for (long s : List.of(1L, head1 + 1, head)) {
            JsonNode stored = b.http.get(b.base(realm) + "/audit-chain/records/" + s, b.token()).json();
            JsonNode pushed = receiver.received.stream().filter(n -> n.get("seq").asLong() == s).findFirst().orElseThrow();
            assertEquals(stored, pushed);
        }
        assertEquals(head, webhookState(b, realm).get("deliveredSeq").asLong());
        assertTrue(b.verify(realm).get("ok").asBoolean());

        // The log sink of the same server wrote the records after the restart as JSON lines.
        String lastRecord = AuditRealms.JSON.writeValueAsString(b.http.get(b.base(realm) + "/audit-chain/records/" + head, b.token()).json().get("hash"));
        await("the log sink wrote record " + head, () -> pg.keycloak.logLines().stream()
                .anyMatch(l -> l.contains("nhi.audit.chain") && l.contains("\"hash\":" + lastRecord)));
    }
}
