package dev.nhiguard.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A local SMTP receiver on loopback for tests: accepts every message and keeps it. Point a
 * realm's SMTP settings at {@link #smtpServerConfig()}.
 */
public final class SmtpReceiver implements AutoCloseable {

    /** One received message: envelope recipients and the raw DATA (headers and body). */
    public record Message(String from, List<String> recipients, String data) {

        /** A header's value, unfolded and with RFC 2047 words decoded; null when absent. */
        public String header(String name) {
            String headers = data.split("\\r?\\n\\r?\\n", 2)[0].replaceAll("\\r?\\n[ \\t]+", " ");
            for (String line : headers.split("\\r?\\n")) {
                if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                    return MimeWords.decode(line.substring(name.length() + 1).trim());
                }
            }
            return null;
        }

        public String subject() {
            return header("Subject");
        }

        /** The whole message, quoted-printable undone when it uses that encoding, for searching. */
        public String text() {
            if (!data.toLowerCase(java.util.Locale.ROOT).contains("content-transfer-encoding: quoted-printable")) {
                return data;
            }
            return MimeWords.unquote(data.replaceAll("=\\r?\\n", ""));
        }
    }

    private final ServerSocket server;
    private final List<Message> messages = new ArrayList<>();
    private final Thread acceptor;

    public SmtpReceiver() {
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(this::acceptLoop, "smtp-receiver");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The realm representation's {@code smtpServer} map for this receiver. */
    public Map<String, String> smtpServerConfig() {
        return Map.of("host", "127.0.0.1", "port", String.valueOf(port()), "from", "nhi-guard@test.example",
                "fromDisplayName", "NHI Guard", "auth", "false", "ssl", "false", "starttls", "false");
    }

    public List<Message> messages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    /** Waits up to the timeout for a message matching the predicate. */
    public Message await(Predicate<Message> matching, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        synchronized (messages) {
            while (true) {
                for (Message m : messages) {
                    if (matching.test(m)) {
                        return m;
                    }
                }
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) {
                    throw new AssertionError("no matching email within " + timeout + "; received: " + messages);
                }
                try {
                    messages.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(30_000);
                converse(socket);
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    private void converse(Socket socket) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
        reply(out, "220 localhost test SMTP");
        String from = null;
        List<String> recipients = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            String upper = line.toUpperCase(java.util.Locale.ROOT);
            if (upper.startsWith("EHLO") || upper.startsWith("HELO")) {
                reply(out, "250 localhost");
            } else if (upper.startsWith("MAIL FROM:")) {
                from = line.substring(10).trim();
                recipients = new ArrayList<>();
                reply(out, "250 OK");
            } else if (upper.startsWith("RCPT TO:")) {
                recipients.add(line.substring(8).trim().replaceAll("[<>]", ""));
                reply(out, "250 OK");
            } else if (upper.equals("DATA")) {
                reply(out, "354 end with <CRLF>.<CRLF>");
                StringBuilder data = new StringBuilder();
                String d;
                while ((d = in.readLine()) != null && !d.equals(".")) {
                    data.append(d.startsWith("..") ? d.substring(1) : d).append("\r\n");
                }
                synchronized (messages) {
                    messages.add(new Message(from, List.copyOf(recipients), data.toString()));
                    messages.notifyAll();
                }
                reply(out, "250 OK");
            } else if (upper.equals("QUIT")) {
                reply(out, "221 bye");
                return;
            } else if (upper.equals("RSET") || upper.equals("NOOP")) {
                reply(out, "250 OK");
            } else {
                reply(out, "502 not implemented");
            }
        }
    }

    private static void reply(Writer out, String line) throws IOException {
        out.write(line + "\r\n");
        out.flush();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decoding of RFC 2047 encoded words ({@code =?charset?B|Q?text?=}), as mail clients send subjects. */
    static final class MimeWords {
        private static final java.util.regex.Pattern WORD =
                java.util.regex.Pattern.compile("=\\?([^?]+)\\?([BbQq])\\?([^?]*)\\?=");

        private MimeWords() {
        }

        static String decode(String header) {
            java.util.regex.Matcher m = WORD.matcher(header.replaceAll("\\?=\\s+=\\?", "?==?"));
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                java.nio.charset.Charset charset = java.nio.charset.Charset.forName(m.group(1));
                byte[] bytes = m.group(2).equalsIgnoreCase("B")
                        ? java.util.Base64.getDecoder().decode(m.group(3))
                        : quoted(m.group(3));
                m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(new String(bytes, charset)));
            }
            m.appendTail(out);
            return out.toString();
        }

        /** Undoes {@code =XX} escapes of quoted-printable text (UTF-8). */
        static String unquote(String text) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '=' && i + 2 < text.length() && isHex(text.charAt(i + 1)) && isHex(text.charAt(i + 2))) {
                    bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                    bytes.write(b, 0, b.length);
                }
            }
            return bytes.toString(StandardCharsets.UTF_8);
        }

        private static boolean isHex(char c) {
            return Character.digit(c, 16) >= 0;
        }

        private static byte[] quoted(String text) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '_') {
                    bytes.write(' ');
                } else if (c == '=' && i + 2 < text.length()) {
                    bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    bytes.write(c);
                }
            }
            return bytes.toByteArray();
        }
    }
}
