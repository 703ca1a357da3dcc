package dev.nhiguard.it.guard;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A minimal W3C WebDriver client for headless Chromium through Debian's {@code chromedriver}:
 * enough to log into the admin console, click and read what it shows.
 */
final class WebDriver implements AutoCloseable {

    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process driver;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String session;
    private final Path profile;

    static boolean available() {
        return Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
    }

    WebDriver() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        profile = Files.createTempDirectory("nhi-guard-chromium");
        driver = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromedriver.log").toFile()).start();
        base = URI.create("http://127.0.0.1:" + port);
        await(() -> {
            try {
                return call("GET", "/status", null).path("value").path("ready").asBoolean();
            } catch (RuntimeException e) {
                return false;
            }
        }, 30, "chromedriver ready");
        ObjectNode caps = JSON.createObjectNode();
        ObjectNode chrome = caps.putObject("capabilities").putObject("alwaysMatch");
        chrome.put("browserName", "chrome");
        ObjectNode options = chrome.putObject("goog:chromeOptions");
        options.put("binary", CHROMIUM.toString());
        ArrayNode args = options.putArray("args");
        for (String a : List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--user-data-dir=" + profile.resolve("profile"))) {
            args.add(a);
        }
        session = call("POST", "/session", caps).path("value").path("sessionId").asText();
    }

    void open(String url) {
        ObjectNode b = JSON.createObjectNode().put("url", url);
        call("POST", "/session/" + session + "/url", b);
    }

    String source() {
        return call("GET", "/session/" + session + "/source", null).path("value").asText();
    }

    /** The first element matching the CSS selector or XPath, waiting for it to appear. */
    String find(String using, String value, int seconds) {
        String[] id = new String[1];
        await(() -> {
            JsonNode r = callLenient("POST", "/session/" + session + "/element",
                    JSON.createObjectNode().put("using", using).put("value", value));
            JsonNode v = r.path("value");
            if (v.has("element-6066-11e4-a52e-4f735466cecf")) {
                id[0] = v.get("element-6066-11e4-a52e-4f735466cecf").asText();
                return true;
            }
            return false;
        }, seconds, value);
        return id[0];
    }

    void type(String element, String text) {
        call("POST", "/session/" + session + "/element/" + element + "/value", JSON.createObjectNode().put("text", text));
    }

    void click(String element) {
        call("POST", "/session/" + session + "/element/" + element + "/click", JSON.createObjectNode());
    }

    /** Waits until the page source contains the text; returns the source. */
    String awaitText(String text, int seconds) {
        String[] src = new String[1];
        java.util.Set<String> alerts = new java.util.LinkedHashSet<>();
        try {
            await(() -> {
                src[0] = source();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("c-alert__title\"[^>]*>(?:<[^>]*>)*([^<]*)").matcher(src[0]);
                while (m.find()) {
                    alerts.add(m.group(1));
                }
                return src[0].contains(text);
            }, seconds, "page text '" + text + "'");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; alerts seen: " + alerts + "; at " + currentUrl(), e);
        }
        return src[0];
    }

    String currentUrl() {
        return callLenient("GET", "/session/" + session + "/url", null).path("value").asText();
    }

    private static void await(Supplier<Boolean> condition, int seconds, String what) {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (condition.get()) {
                return;
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    private JsonNode call(String method, String path, JsonNode body) {
        JsonNode r = callLenient(method, path, body);
        if (r.path("value").has("error")) {
            throw new IllegalStateException("WebDriver " + method + " " + path + ": " + r);
        }
        return r;
    }

    private JsonNode callLenient(String method, String path, JsonNode body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120));
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.toString()));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                callLenient("DELETE", "/session/" + session, null);
            }
        } finally {
            driver.destroy();
        }
    }
}
