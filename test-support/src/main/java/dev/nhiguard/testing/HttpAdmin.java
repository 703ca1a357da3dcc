package dev.nhiguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Raw HTTP against Keycloak: token requests and admin calls whose status, headers and body the
 * tests assert exactly as a user of the REST API would see them.
 */
public final class HttpAdmin {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient client;

    /** Whether admin calls say {@code Prefer: respond-async} (so a held write answers 202). */
    private final boolean respondAsync;

    /**
     * Admin calls that accept asynchronous results ({@code Prefer: respond-async}): a held write
     * answers {@code 202 Accepted} with its change request, which is what most tests assert on.
     */
    public HttpAdmin(URI base) {
        this(base, true, newClient(HttpClient.Version.HTTP_2));
    }

    private HttpAdmin(URI base, boolean respondAsync, HttpClient client) {
        this.base = base;
        this.respondAsync = respondAsync;
        this.client = client;
    }

    private static HttpClient newClient(HttpClient.Version version) {
        return HttpClient.newBuilder()
                .version(version)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Admin calls without {@code Prefer}, as kcadm.sh, the admin client or the console send them. */
    public HttpAdmin synchronous() {
        return new HttpAdmin(base, false, client);
    }

    /**
     * The same calls over HTTP/1.1 with keep-alive connections, as curl, kcadm.sh and most token
     * clients speak to Keycloak (the default client upgrades cleartext connections to HTTP/2).
     */
    public HttpAdmin http1() {
        return new HttpAdmin(base, respondAsync, newClient(HttpClient.Version.HTTP_1_1));
    }

    /** A response with its body read as text, and as JSON where it is JSON. */
    public record Response(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("response is not JSON (" + status + "): " + body, e);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** Password grant against a realm's token endpoint; returns the whole token response. */
    public JsonNode passwordGrant(String realm, String clientId, String username, String password, String totp) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", clientId);
        form.put("username", username);
        form.put("password", password);
        if (totp != null) {
            form.put("totp", totp);
        }
        return token(realm, form);
    }

    /** Client-credentials grant with a client secret. */
    public JsonNode clientCredentials(String realm, String clientId, String secret) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        form.put("client_secret", secret);
        return token(realm, form);
    }

    /** A token request with any form; fails unless the answer is 200. */
    public JsonNode token(String realm, Map<String, String> form) {
        Response r = postForm("/realms/" + realm + "/protocol/openid-connect/token", form);
        if (r.status() != 200) {
            throw new AssertionError("token request failed: " + r.status() + " " + r.body());
        }
        return r.json();
    }

    /** The master realm's bootstrap admin token, for raw admin calls. */
    public String adminToken(String username, String password) {
        return passwordGrant("master", "admin-cli", username, password, null).get("access_token").asText();
    }

    public Response postForm(String path, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response get(String path, String bearer) {
        return send(authorized(path, bearer).GET());
    }

    public Response delete(String path, String bearer) {
        return send(authorized(path, bearer).DELETE());
    }

    public Response post(String path, String bearer, String json) {
        return send(authorized(path, bearer).header("Content-Type", "application/json")
                .POST(bodyOf(json)));
    }

    public Response put(String path, String bearer, String json) {
        return send(authorized(path, bearer).header("Content-Type", "application/json")
                .PUT(bodyOf(json)));
    }

    /** Any method, any content type, for malformed-input tests. */
    public Response send(String method, String path, String bearer, String contentType, String body) {
        HttpRequest.Builder b = authorized(path, bearer);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.method(method, bodyOf(body)));
    }

    /**
     * Any method with exactly the given headers (name, value, name, value …; a name may repeat, as
     * two {@code Authorization} headers), no {@code Prefer}: for header-differential tests.
     */
    public Response sendWithHeaders(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.method(method, bodyOf(body)));
    }

    private static HttpRequest.BodyPublisher bodyOf(String body) {
        return body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
    }

    private HttpRequest.Builder authorized(String path, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
            if (respondAsync) {
                b.header("Prefer", "respond-async");
            }
        }
        return b;
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> headers = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            return new Response(r.statusCode(), headers, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
