package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;

import dev.nhiguard.it.PrometheusScrape;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * A realm's own sinks ({@code PUT audit-chain/realm-sinks}) on the shared test server, whose
 * allow-list of realm sink destinations is {@code http://127.0.0.1:*} (an IP literal: loopback
 * allowed explicitly) and {@code http://localhost:*} (a name: it must resolve to public addresses,
 * so it is refused). Every write is held by the mutation guard: requested by rita (realm-admin),
 * approved by ann (approver), applied by rita.
 */
@ExtendWith(KeycloakExtension.class)
class RealmSinksIT {

    private static final String SECRET = "realm-a-webhook-signing-secret";
    private static final String GUARD_POLICY = "{\"guardedOperations\":[\"audit-realm-sinks-update\",\"realm-security-settings\"]}";

    /** A webhook receiver as a Standard Webhooks consumer writes one, keeping every line of every accepted batch. */
    static final class Receiver implements AutoCloseable {
        final List<JsonNode> lines = Collections.synchronizedList(new ArrayList<>());
        final List<String> realmHeaders = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger badSignatures = new AtomicInteger();
        final HttpServer server;

        Receiver(String secret) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/hook", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                String id = ex.getRequestHeaders().getFirst("webhook-id");
                String ts = ex.getRequestHeaders().getFirst("webhook-timestamp");
                String sig = ex.getRequestHeaders().getFirst("webhook-signature");
                int status = 204;
                try {
                    if (id == null || ts == null || sig == null || !AuditWebhookIT.Receiver.sign(secret, id, ts, body).equals(sig)) {
                        badSignatures.incrementAndGet();
                        status = 401;
                    } else {
                        realmHeaders.add(ex.getRequestHeaders().getFirst("X-NHI-Audit-Realm"));
                        for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
                            if (!line.isBlank()) {
                                lines.add(AuditRealms.JSON.readTree(line));
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

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        /** Record seqs in order of first arrival (at-least-once: repeats allowed). */
        List<Long> firstArrivals() {
            List<Long> out = new ArrayList<>();
            synchronized (lines) {
                for (JsonNode n : lines) {
                    if (n.has("seq") && !out.contains(n.get("seq").asLong())) {
                        out.add(n.get("seq").asLong());
                    }
                }
            }
            return out;
        }

        boolean hasCheckpointAtOrAbove(long seq) {
            synchronized (lines) {
                return lines.stream().anyMatch(n -> n.path("checkpoint").path("seq").asLong() >= seq);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A realm guarded for realm sinks and realm settings, with rita (realm-admin) and ann (approver, realm-admin). */
    private static String createRealm(AuditRealms a, String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode realm = AuditRealms.JSON.createObjectNode();
        realm.put("realm", name);
        realm.put("enabled", true);
        realm.put("adminEventsEnabled", true);
        realm.put("adminEventsDetailsEnabled", true);
        realm.putObject("attributes").put("nhi.guard.policy", GUARD_POLICY);
        realm.putObject("roles").putArray("realm").addObject().put("name", "nhi-approver");
        ArrayNode users = realm.putArray("users");
        for (String u : List.of("rita", "ann")) {
            ObjectNode user = users.addObject();
            user.put("username", u);
            user.put("enabled", true);
            user.put("email", u + "@" + name + ".example");
            user.put("emailVerified", true);
            user.put("firstName", u);
            user.put("lastName", "Test");
            user.putArray("credentials").addObject().put("type", "password").put("value", u + "-pass").put("temporary", false);
            user.putObject("clientRoles").putArray("realm-management").add("realm-admin");
            if (u.equals("ann")) {
                user.putArray("realmRoles").add("nhi-approver");
            }
        }
        HttpAdmin.Response r = a.http.post("/admin/realms", a.token(), realm.toString());
        assertEquals(201, r.status(), r.body());
        return name;
    }

    private static String login(AuditRealms a, String realm, String user) {
        return a.http.passwordGrant(realm, "admin-cli", user, user + "-pass", null).get("access_token").asText();
    }

    private static String sinks(String id, String url, String secret) {
        return "{\"sinks\":[{\"id\":\"" + id + "\",\"type\":\"webhook\",\"url\":\"" + url + "\",\"format\":\"native\",\"secret\":\"" + secret + "\"}]}";
    }

    /** The guard's held answer: 202 with the change request (id, digest). */
    private static JsonNode held(HttpAdmin.Response r) {
        assertEquals(202, r.status(), r.body());
        return r.json();
    }

    /** ann approves the request (fresh login), rita applies it. */
    private static void approveAndApply(AuditRealms a, String realm, JsonNode cr) {
        String guard = a.base(realm) + "/mutation-guard/change-requests/" + cr.get("id").asText();
        HttpAdmin.Response approved = a.http.post(guard + "/approve", login(a, realm, "ann"),
                "{\"digest\":\"" + cr.get("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = a.http.post(guard + "/apply", login(a, realm, "rita"), null);
        assertEquals(200, applied.status(), applied.body());
    }

    private static JsonNode realmSinks(AuditRealms a, String realm) {
        HttpAdmin.Response r = a.http.get(a.base(realm) + "/audit-chain/realm-sinks", login(a, realm, "rita"));
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static JsonNode sinkState(AuditRealms a, String realm, String prefix) {
        for (JsonNode n : a.http.get(a.base(realm) + "/audit-chain/sinks", a.token()).json()) {
            if (n.path("sink").asText().startsWith(prefix)) {
                return n;
            }
        }
        return null;
    }

    @Test
    void aHeldThenApprovedWebhookSinkGetsItsRealmsSignedRecordsAndCheckpointsOnly(KeycloakTarget keycloak, @TempDir Path dir)
            throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realmA = createRealm(a, "realm-sinks-a");
        String realmB = createRealm(a, "realm-sinks-b");
        String idA = a.http.get(a.base(realmA), a.token()).json().get("id").asText();
        try (Receiver receiver = new Receiver(SECRET)) {
            // rita's write is held: nothing is configured, nothing is sent
            JsonNode cr = held(a.http.put(a.base(realmA) + "/audit-chain/realm-sinks", login(a, realmA, "rita"),
                    sinks("siem", receiver.url(), SECRET)));
            assertEquals("audit-realm-sinks-update", cr.path("operation").asText(), cr.toString());
            assertEquals(0, realmSinks(a, realmA).get("sinks").size());
            assertEquals(null, sinkState(a, realmA, "realm:"));

            // rita cannot approve her own request
            HttpAdmin.Response self = a.http.post(a.base(realmA) + "/mutation-guard/change-requests/" + cr.get("id").asText() + "/approve",
                    login(a, realmA, "rita"), "{\"digest\":\"" + cr.get("digest").asText() + "\"}");
            assertEquals(403, self.status(), self.body());
            assertEquals(0, realmSinks(a, realmA).get("sinks").size());

            // the secret is sealed in the change request as shown to approvers
            String shownRequest = a.http.get(a.base(realmA) + "/mutation-guard/change-requests/" + cr.get("id").asText(),
                    login(a, realmA, "ann")).body();
            assertFalse(shownRequest.contains(SECRET), shownRequest);

            approveAndApply(a, realmA, cr);
            JsonNode configured = realmSinks(a, realmA);
            assertEquals(1, configured.get("sinks").size(), configured.toString());
            assertEquals(receiver.url(), configured.get("sinks").get(0).get("url").asText());
            assertEquals("**********", configured.get("sinks").get(0).get("secret").asText());

            for (int i = 0; i < 6; i++) {
                assertEquals(201, a.http.post(a.base(realmA) + "/roles", a.token(), "{\"name\":\"a-role-" + i + "\"}").status());
                assertEquals(201, a.http.post(a.base(realmB) + "/roles", a.token(), "{\"name\":\"b-role-" + i + "\"}").status());
            }
            long head = a.headSeq(realmA);
            AuditWebhookIT.await("realm A's records up to " + head + " and a checkpoint covering them arrived",
                    () -> receiver.firstArrivals().contains(head) && receiver.hasCheckpointAtOrAbove(head));

            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= head; s++) {
                expected.add(s);
            }
            assertEquals(expected, receiver.firstArrivals().subList(0, (int) head), "every record of realm A, in order");
            assertEquals(0, receiver.badSignatures.get(), "every batch carries a valid Standard Webhooks signature");
            List<JsonNode> copy;
            synchronized (receiver.lines) {
                copy = new ArrayList<>(receiver.lines);
            }
            for (JsonNode n : copy) {
                String realmId = n.has("checkpoint") ? n.get("checkpoint").path("realmId").asText() : n.path("realmId").asText();
                assertEquals(idA, realmId, "only realm A's items: " + n);
            }
            assertTrue(receiver.realmHeaders.stream().allMatch(idA::equals), receiver.realmHeaders.toString());
            JsonNode stored = a.http.get(a.base(realmA) + "/audit-chain/records/" + head, a.token()).json();
            assertEquals(stored, copy.stream().filter(n -> n.path("seq").asLong() == head && !n.has("checkpoint")).findFirst().orElseThrow());

            // the chain verifies from the received copy alone
            String vkey = a.http.get(a.base(realmA) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();
            Path received = dir.resolve("received.jsonl");
            Files.write(received, copy.stream().map(JsonNode::toString).toList());
            AuditTrustedHeadIT.Run run = AuditTrustedHeadIT.jar("--realm", idA, "--redeliveries", received.toString(), vkey);
            assertEquals(0, run.exit(), run.output());
            assertTrue(run.output().startsWith("OK "), run.output());

            // the realm sink has its own cursor; the server's file sink keeps its own for realm A
            JsonNode own = sinkState(a, realmA, "realm:siem:");
            assertTrue(own != null && own.get("deliveredSeq").asLong() >= head, String.valueOf(own));
            AuditWebhookIT.await("the server's file sink delivered realm A too", () -> {
                JsonNode file = sinkState(a, realmA, "file");
                return file != null && file.get("deliveredSeq").asLong() >= head;
            });
            assertEquals(null, sinkState(a, realmB, "realm:"), "realm B has no realm sink and no cursor of one");

            // no surface shows the secret in clear: the realm, its admin events, the chain
            String admin = a.token();
            for (String path : List.of(a.base(realmA), a.base(realmA) + "/admin-events?max=1000", a.base(realmA) + "/audit-chain/export",
                    a.base(realmA) + "/audit-chain/realm-sinks")) {
                HttpAdmin.Response r = a.http.get(path, admin);
                assertEquals(200, r.status(), path + ": " + r.body());
                assertFalse(r.body().contains(SECRET), path + " shows the secret");
            }
            assertTrue(a.http.get(a.base(realmA) + "/audit-chain/records?type=AUDIT_REALM_SINKS", admin).json().get("records").size() >= 1,
                    "the applied change is an admin event in the chain");

            // metrics: the realm sink's lag, with the realm label
            AuditWebhookIT.await("the realm sink's lag is a metric", () -> PrometheusScrape.of(keycloak)
                    .value("nhi_guard_audit_sink_lag", "realm=\"" + realmA + "\"", "sink=\"realm:siem:").isPresent());
        }
    }

    @Test
    void refusedDestinationsAndBadInputChangeNothingAndARollbackRemovesTheSink(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = createRealm(a, "realm-sinks-refused");
        String path = a.base(realm) + "/audit-chain/realm-sinks";
        String guard = a.base(realm) + "/mutation-guard/change-requests";
        int requestsBefore = a.http.get(guard, a.token()).json().size();
        try (Receiver receiver = new Receiver(SECRET)) {
            String port = Integer.toString(receiver.server.getAddress().getPort());
            List<String[]> refused = List.of(
                    new String[] {sinks("s", "http://10.1.2.3:" + port + "/hook", SECRET), "not in the server's allow-list"},
                    new String[] {sinks("s", "http://127.0.0.2:" + port + "/hook", SECRET), "not in the server's allow-list"},
                    new String[] {sinks("s", "https://127.0.0.1:" + port + "/hook", SECRET), "not in the server's allow-list"},
                    new String[] {sinks("s", "http://localhost:" + port + "/hook", SECRET), "loopback address"},
                    new String[] {sinks("s", "file:///etc/passwd", SECRET), "must be http or https"},
                    new String[] {sinks("s", "http://user:pw@127.0.0.1:" + port + "/hook", SECRET), "credentials"},
                    new String[] {sinks("s", receiver.url(), "short"), "at least 16"},
                    new String[] {"{\"sinks\":[{\"id\":\"s\",\"type\":\"file\",\"url\":\"file:///tmp/x\",\"secret\":\"" + SECRET + "\"}]}", "not available as a realm sink"},
                    new String[] {"{\"sinks\":[{\"id\":\"s\",\"type\":\"smtp\",\"url\":\"" + receiver.url() + "\",\"secret\":\"" + SECRET + "\"}]}", "must be webhook"},
                    new String[] {"{\"sinks\":[{\"id\":\"s\",\"type\":\"webhook\",\"secret\":\"" + SECRET + "\"}]}", "'sinks[0].url' is required"},
                    new String[] {"{\"sinks\":[{\"id\":\"s\",\"type\":\"webhook\",\"url\":\"" + receiver.url() + "\",\"secret\":\"**********\"}]}", "no secret is stored"},
                    new String[] {"{\"sinks\":" + sixSinks(receiver.url()) + "}", "at most 5"},
                    new String[] {"{\"sinks\":[],\"enabled\":false}", "Unknown field 'enabled'"});
            for (String[] c : refused) {
                HttpAdmin.Response r = a.http.put(path, login(a, realm, "rita"), c[0]);
                assertEquals(400, r.status(), c[0] + " -> " + r.body());
                assertEquals("invalid_request", r.json().path("error").asText(), r.body());
                assertTrue(r.json().path("error_description").asText().contains(c[1]), c[1] + " in " + r.body());
            }
            assertEquals(requestsBefore, a.http.get(guard, a.token()).json().size(), "no refused write was held");
            assertEquals(0, realmSinks(a, realm).get("sinks").size());

            // the attribute itself is no way around the endpoint: a realm update setting it is held too
            ObjectNode rep = (ObjectNode) a.http.get(a.base(realm), a.token()).json();
            ((ObjectNode) rep.get("attributes")).put("nhi.audit.sinks", "{\"sinks\":[{\"id\":\"x\",\"type\":\"webhook\",\"url\":\"" + receiver.url()
                    + "\",\"format\":\"native\",\"secretRef\":\"nhi-sealed:v1:AAAA\"}]}");
            held(a.http.put(a.base(realm), login(a, realm, "rita"), rep.toString()));
            assertEquals(0, realmSinks(a, realm).get("sinks").size());

            // a valid configuration, applied, then rolled back: the realm sink is gone again
            JsonNode cr = held(a.http.put(path, login(a, realm, "rita"), sinks("siem", receiver.url(), SECRET)));
            approveAndApply(a, realm, cr);
            assertEquals(1, realmSinks(a, realm).get("sinks").size());
            HttpAdmin.Response rollback = a.http.post(guard + "/" + cr.get("id").asText() + "/rollback", login(a, realm, "rita"), null);
            assertEquals(201, rollback.status(), rollback.body());
            assertEquals(1, realmSinks(a, realm).get("sinks").size(), "the rollback is itself held");
            approveAndApply(a, realm, rollback.json());
            assertEquals(0, realmSinks(a, realm).get("sinks").size(), "the rollback restored the configuration before: none");
            assertEquals(null, a.http.get(a.base(realm), a.token()).json().path("attributes").get("nhi.audit.sinks"));
        }
    }

    @Test
    void aConfigurationWrittenAroundTheEndpointIsCheckedAgainAtDelivery(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = createRealm(a, "realm-sinks-bypass");
        try (Receiver receiver = new Receiver(SECRET)) {
            JsonNode cr = held(a.http.put(a.base(realm) + "/audit-chain/realm-sinks", login(a, realm, "rita"),
                    sinks("siem", receiver.url(), SECRET)));
            approveAndApply(a, realm, cr);
            AuditWebhookIT.await("the allowed destination received records", () -> !receiver.firstArrivals().isEmpty());

            // The attribute, rewritten through a (held, approved) realm update, points the same sealed secret at
            // localhost: allow-listed as a name, but it resolves to loopback, which the server does not allow.
            ObjectNode rep = (ObjectNode) a.http.get(a.base(realm), a.token()).json();
            String stored = rep.get("attributes").get("nhi.audit.sinks").asText();
            assertFalse(stored.contains(SECRET), stored);
            String port = Integer.toString(receiver.server.getAddress().getPort());
            ((ObjectNode) rep.get("attributes")).put("nhi.audit.sinks",
                    stored.replace("127.0.0.1:" + port, "localhost:" + port));
            approveAndApply(a, realm, held(a.http.put(a.base(realm), login(a, realm, "rita"), rep.toString())));
            assertTrue(realmSinks(a, realm).get("sinks").get(0).get("url").asText().startsWith("http://localhost:"));
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"after-bypass\"}").status());
            long roleSeq = a.headSeq(realm);
            JsonNode[] refusedState = new JsonNode[1];
            AuditWebhookIT.await("a delivery to localhost was refused", () -> {
                for (JsonNode n : a.http.get(a.base(realm) + "/audit-chain/sinks", a.token()).json()) {
                    if (n.path("sink").asText().startsWith("realm:siem:") && n.path("lastError").asText().contains("loopback")) {
                        refusedState[0] = n;
                        return n.path("attempts").asInt() > 1;
                    }
                }
                return false;
            });
            assertEquals(0, refusedState[0].get("deliveredSeq").asLong(), "the new destination's cursor never moved: " + refusedState[0]);
            assertFalse(receiver.firstArrivals().contains(roleSeq), "the record after the switch never reached the receiver");
        }
    }

    @Test
    void aSyslogRealmSinkGetsItsRealmsRecordsOverTcp(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = createRealm(a, "realm-sinks-syslog");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        List<JsonNode> received = Collections.synchronizedList(new ArrayList<>());
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread reader = new Thread(() -> {
                while (!server.isClosed()) {
                    try (java.net.Socket socket = server.accept(); java.io.InputStream in = socket.getInputStream()) {
                        String frame;
                        while ((frame = AuditSyslogIT.readFrame(in)) != null) {
                            java.util.regex.Matcher m = AuditSyslogIT.HEADER.matcher(frame);
                            if (m.matches()) {
                                received.add(AuditRealms.JSON.readTree(m.group(3)));
                            }
                        }
                    } catch (IOException e) {
                        // connection closed; accept the next one
                    }
                }
            });
            reader.setDaemon(true);
            reader.start();
            String port = Integer.toString(server.getLocalPort());
            String path = a.base(realm) + "/audit-chain/realm-sinks";
            HttpAdmin.Response tlsRefused = a.http.put(path, login(a, realm, "rita"),
                    "{\"sinks\":[{\"id\":\"logs\",\"type\":\"syslog\",\"url\":\"syslog+tls://127.0.0.1:" + port + "\"}]}");
            assertEquals(400, tlsRefused.status(), tlsRefused.body());
            assertTrue(tlsRefused.json().path("error_description").asText().contains("not in the server's allow-list"), tlsRefused.body());

            JsonNode cr = held(a.http.put(path, login(a, realm, "rita"),
                    "{\"sinks\":[{\"id\":\"logs\",\"type\":\"syslog\",\"url\":\"syslog://127.0.0.1:" + port + "\"}]}"));
            approveAndApply(a, realm, cr);
            assertEquals("syslog://127.0.0.1:" + port, realmSinks(a, realm).get("sinks").get(0).get("url").asText());
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"syslog-role\"}").status());
            long head = a.headSeq(realm);
            AuditWebhookIT.await("realm records up to " + head + " arrived over syslog", () -> {
                synchronized (received) {
                    return received.stream().anyMatch(n -> n.path("seq").asLong() == head && !n.has("checkpoint"));
                }
            });
            List<Long> firsts = new ArrayList<>();
            synchronized (received) {
                for (JsonNode n : received) {
                    String id = n.has("checkpoint") ? n.get("checkpoint").path("realmId").asText() : n.path("realmId").asText();
                    assertEquals(realmId, id, n.toString());
                    if (!n.has("checkpoint") && !firsts.contains(n.get("seq").asLong())) {
                        firsts.add(n.get("seq").asLong());
                    }
                }
            }
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= head; s++) {
                expected.add(s);
            }
            assertEquals(expected, firsts.subList(0, (int) head), "every record, in order");
        }
    }

    private static String sixSinks(String url) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            s.add("{\"id\":\"s" + i + "\",\"type\":\"webhook\",\"url\":\"" + url + "\",\"secret\":\"" + SECRET + "\"}");
        }
        return "[" + String.join(",", s) + "]";
    }
}
