package dev.nhiguard.audit.sink;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Sends each record as an RFC 5424 syslog message over TCP with RFC 6587 octet-counting
 * framing: {@code <len> <PRI>1 <time> <host> keycloak-nhi-audit - <type> - BOM<item JSON>}, where a
 * checkpoint's MSGID is {@code CHECKPOINT} and its time the signing time.
 * A batch is written on one connection; it counts as delivered once written and flushed.
 */
public final class SyslogSink implements Sink {

    static final String APP_NAME = "keycloak-nhi-audit";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SEVERITY_INFO = 6;

    private final String host;
    private final int port;
    private final int facility;
    private final String hostname;
    private final SinkFormat format;

    public SyslogSink(String host, int port, int facility, String hostname, SinkFormat format) {
        if (facility < 0 || facility > 23) {
            throw new IllegalArgumentException("syslog facility must be 0..23");
        }
        this.host = host;
        this.port = port;
        this.facility = facility;
        this.hostname = printable(hostname, 255);
        this.format = format;
    }

    @Override
    public String id() {
        return "syslog";
    }

    @Override
    public String deliver(String realmId, long first, long last, List<SinkItem> items) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(10000);
            OutputStream out = socket.getOutputStream();
            for (SinkItem item : items) {
                byte[] msg = message(item).getBytes(StandardCharsets.UTF_8);
                out.write((msg.length + " ").getBytes(StandardCharsets.US_ASCII));
                out.write(msg);
            }
            out.flush();
            return null;
        } catch (IOException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    String message(SinkItem item) throws IOException {
        String msgId;
        long time;
        if (item.checkpoint()) {
            msgId = "CHECKPOINT";
            time = item.time();
        } else {
            JsonNode n = JSON.readTree(item.line());
            msgId = printable(n.path("type").asText("-"), 32);
            time = n.path("time").asLong();
        }
        return "<" + (facility * 8 + SEVERITY_INFO) + ">1 " + Instant.ofEpochMilli(time) + " " + hostname + " " + APP_NAME + " - " + msgId
                + " - \uFEFF" + format.render(item);
    }

    /** RFC 5424 header fields: printable US-ASCII without spaces, bounded, "-" when empty. */
    private static String printable(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c > 32 && c < 127 && b.length() < max) {
                b.append(c);
            }
        }
        return b.length() == 0 ? "-" : b.toString();
    }
}
