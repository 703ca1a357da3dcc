package dev.nhiguard.audit.sink;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * POSTs each batch, signed in the Standard Webhooks style (https://www.standardwebhooks.com):
 * {@code webhook-id} (the same for a retried batch with the same content),
 * {@code webhook-timestamp} (seconds since the epoch at sending) and
 * {@code webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>},
 * where the key is the base64 after {@code whsec_} when the secret has that prefix, else the
 * secret's UTF-8 bytes. Body: JSON Lines ({@code application/jsonl}) of the items in the
 * sink's format, or for {@code cloudevents} a JSON array ({@code application/cloudevents-batch+json},
 * the CloudEvents HTTP batched mode). Also {@code X-NHI-Audit-Realm}, {@code X-NHI-Audit-First-Seq},
 * {@code X-NHI-Audit-Last-Seq}; with {@code legacySignature} the earlier
 * {@code X-NHI-Audit-Signature: sha256=<hex HMAC(secret, body)>} (not replay-safe). Any 2xx accepts.
 */
public final class WebhookSink implements Sink {

    private final URI url;
    private final byte[] key;
    private final byte[] legacyKey;
    private final boolean legacySignature;
    private final SinkFormat format;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public WebhookSink(URI url, String secret, SinkFormat format, boolean legacySignature) {
        this.url = url;
        this.key = signingKey(secret);
        this.legacyKey = secret.getBytes(StandardCharsets.UTF_8);
        this.format = format;
        this.legacySignature = legacySignature;
    }

    /** The HMAC key of a Standard Webhooks secret: base64 after {@code whsec_}, else the UTF-8 bytes. */
    static byte[] signingKey(String secret) {
        if (secret.startsWith("whsec_")) {
            try {
                return Base64.getDecoder().decode(secret.substring(6));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("webhook-secret starting with whsec_ must continue in base64");
            }
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String id() {
        return "webhook";
    }

    @Override
    public String deliver(String realmId, long first, long last, List<SinkItem> items) {
        List<String> rendered = items.stream().map(format::render).toList();
        String body = format == SinkFormat.CLOUDEVENTS ? "[" + String.join(",", rendered) + "]" : String.join("\n", rendered) + "\n";
        String messageId = messageId(realmId, first, last, body);
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", format == SinkFormat.CLOUDEVENTS ? "application/cloudevents-batch+json" : "application/jsonl")
                    .header("webhook-id", messageId)
                    .header("webhook-timestamp", timestamp)
                    .header("webhook-signature", "v1," + Base64.getEncoder().encodeToString(
                            hmac(key, messageId + "." + timestamp + "." + body)))
                    .header("X-NHI-Audit-Realm", realmId)
                    .header("X-NHI-Audit-First-Seq", Long.toString(first))
                    .header("X-NHI-Audit-Last-Seq", Long.toString(last))
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (legacySignature) {
                request.header("X-NHI-Audit-Signature", "sha256=" + HexFormat.of().formatHex(hmac(legacyKey, body)));
            }
            HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2 ? null : "HTTP " + response.statusCode();
        } catch (IOException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Stable for a retried batch with the same content, different for any other batch. */
    static String messageId(String realmId, long first, long last, String body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((realmId + "\n" + body).getBytes(StandardCharsets.UTF_8));
            return "msg_" + realmId + "_" + first + "-" + last + "_" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
