package dev.nhiguard.audit.realmsink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.nhiguard.audit.sink.SinkFormat;

class RealmSinkConfigTest {

    private static final String SECRET = "a-webhook-secret-of-length";

    private static String sink(String fields) {
        return "{\"sinks\":[{" + fields + "}]}";
    }

    private static String refused(String body) {
        return assertThrows(RealmSinkConfig.Invalid.class, () -> RealmSinkConfig.parse(body, 3)).getMessage();
    }

    @Test
    void readsAWebhookSink() {
        List<RealmSinkConfig.Sink> s = RealmSinkConfig.parse(sink("\"id\":\"siem\",\"type\":\"webhook\",\"url\":\"https://siem.example.com/h\","
                + "\"format\":\"cloudevents\",\"secret\":\"" + SECRET + "\""), 3);
        assertEquals(1, s.size());
        assertEquals("siem", s.get(0).id());
        assertEquals(SinkFormat.CLOUDEVENTS, s.get(0).format());
        assertEquals(SECRET, s.get(0).secret());
        assertTrue(s.get(0).stateKey().startsWith("realm:siem:"));
        assertEquals(SinkFormat.NATIVE, RealmSinkConfig.parse(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\","
                + "\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\""), 3).get(0).format());
        assertEquals(List.of(), RealmSinkConfig.parse("{\"sinks\":[]}", 3));
    }

    @Test
    void aNewDestinationHasItsOwnCursor() {
        RealmSinkConfig.Sink a = RealmSinkConfig.parse(sink("\"id\":\"s\",\"type\":\"webhook\",\"url\":\"https://a.example.com/h\",\"secret\":\"" + SECRET + "\""), 3).get(0);
        RealmSinkConfig.Sink b = RealmSinkConfig.parse(sink("\"id\":\"s\",\"type\":\"webhook\",\"url\":\"https://b.example.com/h\",\"secret\":\"" + SECRET + "\""), 3).get(0);
        RealmSinkConfig.Sink a2 = RealmSinkConfig.parse(sink("\"id\":\"s\",\"type\":\"webhook\",\"url\":\"https://a.example.com/h\",\"secret\":\"another-secret-0123456\""), 3).get(0);
        assertNotEquals(a.stateKey(), b.stateKey());
        assertEquals(a.stateKey(), a2.stateKey(), "a new secret keeps the cursor");
        assertTrue(a.stateKey().length() <= 64, "fits NHI_AUDIT_SINK_STATE.SINK_ID");
    }

    @Test
    void badInputNamesTheField() {
        assertTrue(refused("").contains("JSON object"));
        assertTrue(refused("[1]").contains("JSON object"));
        assertTrue(refused("{\"sinks\":{}}").contains("'sinks' must be an array"));
        assertTrue(refused("{\"sinks\":[],\"x\":1}").contains("Unknown field 'x'"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\",\"headers\":{}"))
                .contains("Unknown field 'sinks[0].headers'"));
        assertTrue(refused(sink("\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\"")).contains("'sinks[0].id' is required"));
        assertTrue(refused(sink("\"id\":\"A B\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\"")).contains("'sinks[0].id'"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"smtp\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\"")).contains("must be webhook"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"file\",\"url\":\"file:///tmp/x\",\"secret\":\"" + SECRET + "\"")).contains("not available as a realm sink"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"kafka\",\"url\":\"https://x\",\"secret\":\"" + SECRET + "\"")).contains("not available as a realm sink"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"file:///etc/passwd\",\"secret\":\"" + SECRET + "\"")).contains("http or https"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://u:p@x.example.com/\",\"secret\":\"" + SECRET + "\"")).contains("credentials"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com/hook?api_key=LEAKMARK\",\"secret\":\"" + SECRET + "\""))
                .contains("must not have a query"), "a key in the query would be stored and shown in clear");
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"ht tp://x\",\"secret\":\"" + SECRET + "\"")).contains("not a valid URL"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https:/x\",\"secret\":\"" + SECRET + "\"")).contains("with a host"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\"")).contains("'sinks[0].secret' is required"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"short\"")).contains("at least 16"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"whsec_!!\"")).contains("base64"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\",\"format\":\"xml\"")).contains("format"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":7")).contains("non-empty string"));
        String two = "{\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\"}";
        assertTrue(refused("{\"sinks\":[" + two + "," + two + "]}").contains("repeats"));
        String four = "{\"sinks\":[" + String.join(",", List.of(two, two.replace("\"a\"", "\"b\""), two.replace("\"a\"", "\"c\""),
                two.replace("\"a\"", "\"d\""))) + "]}";
        assertTrue(refused(four).contains("at most 3"));
    }

    @Test
    void readsSyslogSinks() throws Exception {
        RealmSinkConfig.Sink tcp = RealmSinkConfig.parse(sink("\"id\":\"logs\",\"type\":\"syslog\",\"url\":\"syslog://logs.example.com:514\","
                + "\"format\":\"ocsf\""), 3).get(0);
        assertFalse(tcp.webhook());
        assertEquals("logs.example.com", tcp.url().getHost());
        assertNull(tcp.tlsTrust());
        String pem = "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(selfSigned())
                + "\n-----END CERTIFICATE-----\n";
        RealmSinkConfig.Sink tls = RealmSinkConfig.parse("{\"sinks\":[{\"id\":\"logs-tls\",\"type\":\"syslog\",\"url\":\"syslog+tls://logs.example.com:6514\","
                + "\"tlsTrust\":" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(pem) + "}]}", 3).get(0);
        assertEquals(pem.trim(), tls.tlsTrust().trim());
        String stored = RealmSinkConfig.stored(List.of(tcp, tls));
        assertEquals(List.of(tcp.stateKey(), tls.stateKey()), RealmSinkConfig.parse(stored, 20).stream().map(RealmSinkConfig.Sink::stateKey).toList());
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"syslog\",\"url\":\"syslog://logs.example.com\"")).contains("syslog://host:port"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"syslog\",\"url\":\"syslog://logs.example.com:514/x\"")).contains("nothing more"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"syslog\",\"url\":\"https://logs.example.com:514\"")).contains("syslog://host:port"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"syslog\",\"url\":\"syslog://logs.example.com:514\",\"secret\":\"" + SECRET + "\""))
                .contains("does not apply"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"syslog\",\"url\":\"syslog://logs.example.com:514\",\"tlsTrust\":\"x\""))
                .contains("syslog+tls sinks only"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"syslog\",\"url\":\"syslog+tls://logs.example.com:6514\",\"tlsTrust\":\"not pem\""))
                .contains("PEM certificates"));
        assertTrue(refused(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com\",\"secret\":\"" + SECRET + "\",\"tlsTrust\":\"x\""))
                .contains("syslog+tls sinks only"));
    }

    /** A self-signed certificate's DER, made by the JDK's keytool. */
    private static byte[] selfSigned() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("realm-sink-cert");
        java.nio.file.Path store = dir.resolve("ks.p12");
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "s", "-keyalg", "EC", "-dname", "CN=logs.example.com", "-keystore", store.toString(), "-storepass", "changeit",
                "-storetype", "PKCS12", "-validity", "2").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        return ks.getCertificate("s").getEncoded();
    }

    @Test
    void storedFormCarriesOnlyTheSealedSecretAndShownFormOnlyTheMask() {
        RealmSinkConfig.Sink s = RealmSinkConfig.parse(sink("\"id\":\"a\",\"type\":\"webhook\",\"url\":\"https://x.example.com/h\",\"secret\":\"" + SECRET + "\""), 3).get(0);
        assertThrows(IllegalStateException.class, () -> RealmSinkConfig.stored(List.of(s)));
        String stored = RealmSinkConfig.stored(List.of(s.withSecretRef("nhi-sealed:v1:AAAA")));
        assertFalse(stored.contains(SECRET));
        assertTrue(stored.contains("\"secretRef\":\"nhi-sealed:v1:AAAA\""));
        RealmSinkConfig.Sink back = RealmSinkConfig.parse(stored, 20).get(0);
        assertNull(back.secret());
        assertEquals("nhi-sealed:v1:AAAA", back.secretRef());
        String shown = RealmSinkConfig.shown(List.of(back)).toString();
        assertFalse(shown.contains("nhi-sealed"));
        assertTrue(shown.contains("\"secret\":\"**********\""));
    }

    @Test
    void sealedSecretsOpenOnlyInTheirRealm() {
        byte[] key = new byte[32];
        key[0] = 7;
        RealmSinkSecrets a = new RealmSinkSecrets(key, "realm-a");
        String sealed = a.seal(SECRET);
        assertTrue(sealed.startsWith(RealmSinkSecrets.PREFIX));
        assertFalse(sealed.contains(SECRET));
        assertEquals(SECRET, a.open(sealed));
        assertEquals(sealed, a.seal(SECRET), "the same secret seals to the same text");
        assertNotEquals(sealed, a.seal(SECRET + "x"));
        assertNull(new RealmSinkSecrets(key, "realm-b").open(sealed), "bound to the realm");
        byte[] other = key.clone();
        other[1] = 1;
        assertNull(new RealmSinkSecrets(other, "realm-a").open(sealed), "bound to the server key");
        assertNull(a.open(sealed.substring(0, sealed.length() - 4) + "AAAA"), "tampered");
        assertNull(a.open("nhi-sealed:v1:!!"));
        assertNull(a.open(SECRET));
    }
}
