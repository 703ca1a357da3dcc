package dev.nhiguard.it.attack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.nhiguard.testing.HttpAdmin;

/**
 * HTTP/1.1 over a plain socket: the request target and the body go on the wire byte for byte,
 * as an attacker would send them. {@link java.net.http.HttpClient} and {@link URI#resolve}
 * normalise or refuse exactly the paths these tests need ({@code //}, {@code ..}, {@code ;},
 * percent-encoded separators), so they are not used for those.
 */
final class RawHttp {

    private RawHttp() {
    }

    /**
     * @param rawTarget the request target exactly as sent, e.g. {@code /admin/realms/r//clients/x}
     * @param headers   header lines besides Connection and Content-Length (a {@code Host} given replaces the server's
     *                  own); no Content-Type unless given
     * @param body      the body's bytes, or null for none
     */
    static HttpAdmin.Response send(URI base, String method, String rawTarget, Map<String, String> headers, byte[] body) {
        return send(base, method, rawTarget, headers, body, true);
    }

    /** As {@link #send(URI, String, String, Map, byte[])}, as HTTP/1.0 without a {@code Host} header (none is required there). */
    static HttpAdmin.Response sendWithoutHost(URI base, String method, String rawTarget, Map<String, String> headers, byte[] body) {
        return send(base, method, rawTarget, headers, body, false);
    }

    private static HttpAdmin.Response send(URI base, String method, String rawTarget, Map<String, String> headers, byte[] body,
            boolean withHost) {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(rawTarget).append(withHost ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
            // the server's own host, unless the caller sends another (a Host header differential)
            if (withHost) {
                head.append("Host: ").append(headers.getOrDefault("Host", base.getHost() + ":" + base.getPort())).append("\r\n");
            }
            head.append("Connection: close\r\n");
            headers.forEach((k, v) -> {
                if (!k.equals("Host")) {
                    head.append(k).append(": ").append(v).append("\r\n");
                }
            });
            if (body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return parse(socket.getInputStream().readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HttpAdmin.Response send(URI base, String method, String rawTarget, String bearer, String contentType, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (bearer != null) {
            headers.put("Authorization", "Bearer " + bearer);
        }
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return send(base, method, rawTarget, headers, body);
    }

    private static HttpAdmin.Response parse(byte[] raw) {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        if (end < 0) {
            throw new AssertionError("no complete HTTP response: " + new String(raw, StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
                        (a, b) -> a + "," + b);
            }
        }
        byte[] rest = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            rest = dechunk(rest);
        }
        return new HttpAdmin.Response(status, headers, new String(rest, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < in.length) {
            int lineEnd = indexOf(in, new byte[] {'\r', '\n'}, pos);
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(in, pos, lineEnd - pos, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int size = sizeText.isEmpty() ? 0 : Integer.parseInt(sizeText, 16);
            if (size == 0) {
                break;
            }
            out.write(in, lineEnd + 2, Math.min(size, in.length - lineEnd - 2));
            pos = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
