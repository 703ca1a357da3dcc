package dev.nhiguard.audit.sink;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * POSTs each batch as JSON Lines ({@code application/jsonl}) with headers
 * {@code X-NHI-Audit-Realm}, {@code X-NHI-Audit-First-Seq}, {@code X-NHI-Audit-Last-Seq} and
 * {@code X-NHI-Audit-Signature: sha256=<hex HMAC-SHA256(secret, body)>}. Any 2xx accepts.
 */
public final class WebhookSink implements Sink {

    private final URI url;
    private final byte[] secret;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public WebhookSink(URI url, String secret) {
        this.url = url;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String id() {
        return "webhook";
    }

    @Override
    public String deliver(String realmId, long first, long last, List<String> lines) {
        String body = String.join("\n", lines) + "\n";
        try {
            HttpRequest request = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/jsonl")
                    .header("X-NHI-Audit-Realm", realmId)
                    .header("X-NHI-Audit-First-Seq", Long.toString(first))
                    .header("X-NHI-Audit-Last-Seq", Long.toString(last))
                    .header("X-NHI-Audit-Signature", "sha256=" + hmac(body))
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                    .build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2 ? null : "HTTP " + response.statusCode();
        } catch (IOException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    String hmac(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
