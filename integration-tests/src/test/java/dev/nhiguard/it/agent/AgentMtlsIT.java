package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.ServerChecks;

/**
 * An agent bound to an mTLS certificate (RFC 8705 {@code tls_client_auth}, Keycloak's
 * {@code client-x509} authenticator) on a Keycloak that serves HTTPS with client certificates
 * requested. This class starts its own server: the shared one has no HTTPS listener, and
 * giving it one would change the URLs and TLS setup every other test relies on.
 *
 * <p>A test CA issues two client certificates with the same subject DN. Keycloak's own
 * authenticator accepts either (it matches the DN and trusts the CA); only the agent binding's
 * thumbprint check tells them apart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentMtlsIT {

    static final String PASSWORD = "mtls-test-pass";
    static final String DN = "CN=mtls-bot,OU=agents,O=NHI Guard Test";

    private Path dir;
    private DistributionKeycloak keycloak;
    private int httpsPort;
    private AgentApi api;

    @BeforeAll
    void start() throws IOException, InterruptedException {
        DistributionKeycloak.Settings shared = DistributionKeycloak.Settings.fromSystemProperties();
        dir = Files.createDirectories(shared.logFile().toAbsolutePath().resolveSibling("mtls"));
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        // server: self-signed for 127.0.0.1; clients A and B: same DN, issued by the test CA
        keytool("-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30", "-keystore", p("server.p12"));
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", p("server.p12"), "-file", p("server.pem"));
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", p("server.pem"), "-keystore", p("server-trust.p12"));
        keytool("-genkeypair", "-alias", "ca", "-dname", "CN=NHI Guard Test CA", "-ext", "bc:c",
                "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30", "-keystore", p("ca.p12"));
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", p("ca.p12"), "-file", p("ca.pem"));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", p("ca.pem"), "-keystore", p("client-trust.p12"));
        for (String name : List.of("a", "b")) {
            keytool("-genkeypair", "-alias", "client", "-dname", DN, "-keyalg", "EC", "-groupname", "secp256r1",
                    "-validity", "30", "-keystore", p(name + ".p12"));
            keytool("-certreq", "-alias", "client", "-keystore", p(name + ".p12"), "-file", p(name + ".csr"));
            keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", p("ca.p12"), "-infile", p(name + ".csr"),
                    "-outfile", p(name + ".pem"), "-validity", "30", "-ext", "KeyUsage=digitalSignature", "-ext", "ExtendedKeyUsage=clientAuth");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", p("ca.pem"), "-keystore", p(name + ".p12"));
            keytool("-importcert", "-noprompt", "-alias", "client", "-file", p(name + ".pem"), "-keystore", p(name + ".p12"));
        }

        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            httpsPort = free.getLocalPort();
        }
        List<String> args = new ArrayList<>(shared.extraArgs().stream().filter(a -> !a.contains("file-sink-path")).toList());
        args.addAll(List.of(
                "--https-port=" + httpsPort,
                "--https-key-store-file=" + p("server.p12"),
                "--https-key-store-password=" + PASSWORD,
                "--https-trust-store-file=" + p("client-trust.p12"),
                "--https-trust-store-password=" + PASSWORD,
                "--https-client-auth=request",
                // the harness polls readiness over plain HTTP
                "--http-management-scheme=http"));
        DistributionKeycloak.Settings settings = new DistributionKeycloak.Settings(DistributionKeycloak.copyBeside(shared.home(), "-agent-mtls"), shared.providers(), null,
                shared.logFile().resolveSibling("keycloak-agent-mtls.log"), args, shared.startTimeout());
        keycloak = new DistributionKeycloak(settings);
        keycloak.start();
        api = AgentApi.createRealm(keycloak, "agent-mtls", "mona");
    }

    @AfterAll
    void stop() {
        ServerChecks.assertNoErrorsLoggedAndStop(keycloak);
    }

    @Test
    void onlyTheBoundCertificateGetsAToken() throws Exception {
        String thumbprintA = thumbprint(p("a.pem"));
        assertNotEquals(thumbprintA, thumbprint(p("b.pem")), "two distinct certificates");

        Map<String, Object> body = AgentApi.registration("mtls-bot", new AgentKey(), List.of());
        body.put("owner", Map.of("type", "user", "username", "mona"));
        body.put("keyBinding", Map.of("type", "mtls", "thumbprint", thumbprintA, "subjectDn", DN));
        JsonNode agent = api.registerOk(body);
        String id = agent.get("id").asText();
        JsonNode client = api.client(id);
        assertEquals("client-x509", client.get("clientAuthenticatorType").asText());
        assertEquals(DN, client.at("/attributes/x509.subjectdn").asText());

        // certificate A, the bound one
        HttpAdmin.Response ok = clientCredentials(tls("a.p12"), "mtls-bot");
        assertEquals(200, ok.status(), ok.body());
        JsonNode claims = AgentApi.claims(ok.json().get("access_token").asText());
        assertEquals(id, claims.at("/agent/id").asText(), claims.toString());
        assertEquals("mtls-bot", claims.get("azp").asText());
        // RFC 8705: the token is bound to the certificate
        assertEquals(thumbprintA, claims.at("/cnf/x5t#S256").asText(), claims.toString());

        // certificate B: same DN, same CA, so Keycloak's X.509 authenticator accepts it; the binding refuses it
        HttpAdmin.Response other = clientCredentials(tls("b.p12"), "mtls-bot");
        assertEquals(400, other.status(), other.body());
        assertEquals("invalid_client", other.json().get("error").asText(), other.body());
        assertTrue(other.json().get("error_description").asText().startsWith("key_binding_mismatch"), other.body());
        assertTrue(StreamSupport.stream(api.events("CLIENT_LOGIN_ERROR").spliterator(), false).anyMatch(e ->
                        "mtls-bot".equals(e.path("clientId").asText())
                        && e.path("details").path("client_policy_error_detail").asText().startsWith("key_binding_mismatch")),
                "a CLIENT_LOGIN_ERROR event names the refusal: " + api.events("CLIENT_LOGIN_ERROR"));

        // no client certificate: Keycloak's authenticator refuses before any token
        HttpAdmin.Response none = clientCredentials(tls(null), "mtls-bot");
        assertEquals(401, none.status(), none.body());
        assertEquals("invalid_client", none.json().get("error").asText(), none.body());
        assertTrue(none.json().hasNonNull("error_description"), none.body());

        // A still works after the refusals
        HttpAdmin.Response again = clientCredentials(tls("a.p12"), "mtls-bot");
        assertEquals(200, again.status(), again.body());
    }

    /** A client-credentials request over HTTPS; the client authenticates by its TLS certificate alone. */
    private HttpAdmin.Response clientCredentials(SSLContext tls, String clientId) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        String encoded = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpClient http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + httpsPort + "/realms/" + api.realm + "/protocol/openid-connect/token"))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encoded))
                .build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        Map<String, String> headers = new LinkedHashMap<>();
        r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
        return new HttpAdmin.Response(r.statusCode(), headers, r.body());
    }

    /** Trusts the server's certificate; presents the key and chain of the given store, or no certificate. */
    private SSLContext tls(String clientStore) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(p("server-trust.p12")));
        KeyManagerFactory kmf = null;
        if (clientStore != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(p(clientStore)), PASSWORD.toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyStore load(String file) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    /** RFC 8705 x5t#S256: base64url SHA-256 of the DER certificate. */
    private static String thumbprint(String pemFile) throws IOException, GeneralSecurityException {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(Path.of(pemFile))) {
            cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** Runs the JDK's keytool with the test password. */
    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        if (List.of(args).contains("-genkeypair")) {
            command.addAll(List.of("-keypass", PASSWORD));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed:\n" + output);
        }
    }
}
