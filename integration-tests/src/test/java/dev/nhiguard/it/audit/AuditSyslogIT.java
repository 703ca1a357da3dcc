package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

/** The syslog sink sends every record as an RFC 5424 message over TCP with octet-counting framing. */
@ExtendWith(PostgresKeycloak.class)
class AuditSyslogIT {

    static final Pattern HEADER = Pattern.compile("^<110>1 (\\S+) keycloak keycloak-nhi-audit - (\\S+) - \uFEFF(\\{.*\\})$", Pattern.DOTALL);

    @Test
    void everyRecordArrivesAsAnRfc5424Message(PostgresKeycloak.Server pg) throws Exception {
        List<String> messages = Collections.synchronizedList(new ArrayList<>());
        try (ServerSocket server = new ServerSocket(pg.syslogPort, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                        while (true) {
                            String frame = readFrame(in);
                            if (frame == null) {
                                break;
                            }
                            messages.add(frame);
                        }
                    } catch (IOException e) {
                        if (!server.isClosed()) {
                            messages.add("receiver error: " + e);
                        }
                    }
                }
            }, "syslog-receiver");
            acceptor.setDaemon(true);
            acceptor.start();

            AuditRealms a = new AuditRealms(pg.keycloak);
            String realm = a.createRealm("audit-syslog");
            String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
            for (int i = 0; i < 6; i++) {
                assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"s" + i + "\"}").status());
            }
            long head = a.headSeq(realm);
            Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
            List<Long> seqs = seqsOf(messages, realmId);
            while (seqs.size() < head && Instant.now().isBefore(deadline)) {
                Thread.sleep(500);
                seqs = seqsOf(messages, realmId);
            }
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= head; s++) {
                expected.add(s);
            }
            assertEquals(expected, seqs);
            synchronized (messages) {
                for (String m : messages) {
                    assertTrue(HEADER.matcher(m).matches(), "not an RFC 5424 message of ours: " + m);
                }
            }
        }
    }

    static List<Long> seqsOf(List<String> messages, String realmId) throws IOException {
        List<Long> out = new ArrayList<>();
        synchronized (messages) {
            for (String m : messages) {
                Matcher matcher = HEADER.matcher(m);
                if (matcher.matches()) {
                    JsonNode n = AuditRealms.JSON.readTree(matcher.group(3));
                    if (realmId.equals(n.path("realmId").asText())) {
                        assertEquals(n.get("type").asText(), matcher.group(2));
                        out.add(n.get("seq").asLong());
                    }
                }
            }
        }
        return out;
    }

    /** One octet-counted frame ({@code LEN SP MSG}), or null at the end of the stream. */
    static String readFrame(InputStream in) throws IOException {
        StringBuilder len = new StringBuilder();
        int c;
        while ((c = in.read()) != ' ') {
            if (c < 0) {
                return null;
            }
            len.append((char) c);
        }
        int n = Integer.parseInt(len.toString());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (buf.size() < n) {
            byte[] chunk = in.readNBytes(n - buf.size());
            if (chunk.length == 0) {
                throw new IOException("truncated frame");
            }
            buf.write(chunk);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
