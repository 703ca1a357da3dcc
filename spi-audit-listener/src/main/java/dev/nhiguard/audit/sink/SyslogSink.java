package dev.nhiguard.audit.sink;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Sends each record as an RFC 5424 syslog message over TCP, or TLS (RFC 5425), with octet-counting
 * framing (RFC 6587 / RFC 5425 {@code MSG-LEN SP SYSLOG-MSG}): {@code <len> <PRI>1 <time> <host> keycloak-nhi-audit - <type> - BOM<item JSON>}, where a
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
    private final SSLSocketFactory tls;

    /** @param tls null for plain TCP, else TLS (RFC 5425) through this factory, the host name verified */
    public SyslogSink(String host, int port, int facility, String hostname, SinkFormat format, SSLSocketFactory tls) {
        if (facility < 0 || facility > 23) {
            throw new IllegalArgumentException("syslog facility must be 0..23");
        }
        this.host = host;
        this.port = port;
        this.facility = facility;
        this.hostname = printable(hostname, 255);
        this.format = format;
        this.tls = tls;
    }

    /**
     * The TLS socket factory of the sink: trusting the PEM certificates in {@code trustFile}, or
     * the JVM's default trust (Keycloak's truststore when it sets it) when no file is given.
     */
    public static SSLSocketFactory tlsFactory(Path trustFile) {
        if (trustFile == null) {
            return tlsFactory((String) null);
        }
        try {
            return tlsFactory(Files.readString(trustFile, StandardCharsets.US_ASCII), trustFile.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot set up TLS for the syslog sink: " + e.getMessage(), e);
        }
    }

    /** The same from PEM text (a realm sink's {@code tlsTrust}); null: the JVM's default trust. */
    public static SSLSocketFactory tlsFactory(String pem) {
        return tlsFactory(pem, "tlsTrust");
    }

    private static SSLSocketFactory tlsFactory(String pem, String trustFile) {
        try {
            if (pem == null) {
                return SSLContext.getDefault().getSocketFactory();
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int n = 0;
            try (InputStream in = new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))) {
                for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trust.setCertificateEntry("syslog-" + n++, c);
                }
            }
            if (n == 0) {
                throw new IllegalArgumentException("syslog-tls-trust-file holds no certificate: " + trustFile);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS for the syslog sink: " + e.getMessage(), e);
        }
    }

    @Override
    public String id() {
        return "syslog";
    }

    @Override
    public String deliver(String realmId, long first, long last, List<SinkItem> items) {
        try (Socket raw = new Socket(); Socket socket = secure(raw)) {
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

    /** Connects; with TLS, wraps the connection and completes the handshake (host name verified, TLS 1.2+). */
    private Socket secure(Socket raw) throws IOException {
        raw.connect(new InetSocketAddress(host, port), 5000);
        raw.setSoTimeout(10000);
        if (tls == null) {
            return raw;
        }
        SSLSocket s = (SSLSocket) tls.createSocket(raw, host, port, true);
        SSLParameters params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        s.setSSLParameters(params);
        s.startHandshake();
        return s;
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
