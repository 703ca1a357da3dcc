package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Credentials never reach the chain in clear: Keycloak's own admin events for key and
 * secret operations (with admin event details on), and the guard's change-request diffs, read
 * back through every surface the module offers (records, single records, export, the file
 * sink), while the records are there, carry sealed fingerprints, and the chain verifies.
 */
@ExtendWith(KeycloakExtension.class)
class AuditSecretRedactionIT {

    static final String SEALED = "**sealed** hmac-sha256:";

    /** A distinctive piece of a private key's base64: its last 40 characters before any padding. */
    static String tail(String base64) {
        String s = base64.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "").replaceAll("=+$", "");
        return s.substring(s.length() - 40);
    }

    static String secret(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().replace("-", "");
    }

    @Test
    void keycloakKeyAndSecretOperationsLeaveOnlySealedValuesInTheChain(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-secrets");
        String base = a.base(realm);
        String realmId = a.http.get(base, a.token()).json().get("id").asText();
        Map<String, String> secrets = new LinkedHashMap<>();

        // Admin event details on (the representation travels with every admin event), an SMTP password.
        String smtpPassword = secret("smtp-pw");
        secrets.put("realm smtpServer.password", smtpPassword);
        ObjectNode realmUpdate = AuditRealms.JSON.createObjectNode();
        realmUpdate.put("adminEventsEnabled", true);
        realmUpdate.put("adminEventsDetailsEnabled", true);
        realmUpdate.putObject("smtpServer").put("host", "127.0.0.1").put("port", "2525").put("from", "kc@example.org")
                .put("auth", "true").put("user", "mailer").put("password", smtpPassword);
        assertEquals(204, a.http.put(base, a.token(), realmUpdate.toString()).status());

        // A confidential client with a known secret and a rotated secret attribute; then a new secret by update.
        String clientSecret = secret("client-secret");
        String rotated = secret("rotated-secret");
        String updatedSecret = secret("updated-secret");
        secrets.put("client secret", clientSecret);
        secrets.put("client.secret.rotated", rotated);
        secrets.put("client secret by update", updatedSecret);
        HttpAdmin.Response created = a.http.post(base + "/clients", a.token(), "{\"clientId\":\"vault-robot\",\"publicClient\":false,"
                + "\"serviceAccountsEnabled\":true,\"secret\":\"" + clientSecret + "\",\"attributes\":{\"client.secret.rotated\":\"" + rotated + "\"}}");
        assertEquals(201, created.status(), created.body());
        String robot = a.clientUuid(realm, "vault-robot");
        ObjectNode robotRep = (ObjectNode) a.http.get(base + "/clients/" + robot, a.token()).json();
        robotRep.put("secret", updatedSecret);
        assertEquals(204, a.http.put(base + "/clients/" + robot, a.token(), robotRep.toString()).status());

        // Secret regeneration and a registration access token: Keycloak returns them, the chain must not hold them.
        HttpAdmin.Response regenerated = a.http.post(base + "/clients/" + robot + "/client-secret", a.token(), null);
        assertEquals(200, regenerated.status(), regenerated.body());
        secrets.put("regenerated client secret", regenerated.json().get("value").asText());
        HttpAdmin.Response rat = a.http.post(base + "/clients/" + robot + "/registration-access-token", a.token(), null);
        assertEquals(200, rat.status(), rat.body());
        secrets.put("registration access token", rat.json().get("registrationAccessToken").asText());

        // Certificate generate: the response carries the new private key, which Keycloak also keeps as the
        // client attribute jwt.credential.private.key. Saving the client as the admin console does
        // (GET, then PUT of the whole representation) sends that attribute back.
        HttpAdmin.Response generated = a.http.post(base + "/clients/" + robot + "/certificates/jwt.credential/generate", a.token(), null);
        assertEquals(200, generated.status(), generated.body());
        String generatedKey = generated.json().get("privateKey").asText();
        secrets.put("generated private key (tail)", tail(generatedKey));
        JsonNode saved = a.http.get(base + "/clients/" + robot, a.token()).json();
        assertEquals(204, a.http.put(base + "/clients/" + robot, a.token(), saved.toString()).status());

        // generate-and-download: the keystore passwords are in the request only.
        String keyPassword = secret("key-pw");
        String storePassword = secret("store-pw");
        secrets.put("keystore keyPassword", keyPassword);
        secrets.put("keystore storePassword", storePassword);
        HttpAdmin.Response keystore = a.http.post(base + "/clients/" + robot + "/certificates/jwt.credential/generate-and-download",
                a.token(), "{\"format\":\"PKCS12\",\"keyAlias\":\"robot\",\"keyPassword\":\"" + keyPassword
                        + "\",\"storePassword\":\"" + storePassword + "\"}");
        assertEquals(200, keystore.status(), keystore.body());

        // A SAML client with a generated signing key, then deleted (Keycloak records the deletion with the client id only).
        assertEquals(201, a.http.post(base + "/clients", a.token(), "{\"clientId\":\"urn:saml-sp\",\"protocol\":\"saml\"}").status());
        String saml = a.clientUuid(realm, "urn:saml-sp");
        HttpAdmin.Response samlKey = a.http.post(base + "/clients/" + saml + "/certificates/saml.signing/generate", a.token(), null);
        assertEquals(200, samlKey.status(), samlKey.body());
        secrets.put("SAML signing private key (tail)", tail(samlKey.json().get("privateKey").asText()));
        assertEquals(204, a.http.delete(base + "/clients/" + saml, a.token()).status());

        // Partial import of a SAML client carrying its own signing key as an attribute.
        KeyPair imported = rsa();
        String importedKey = Base64.getEncoder().encodeToString(imported.getPrivate().getEncoded());
        secrets.put("partially imported saml.signing.private.key (tail)", tail(importedKey));
        ObjectNode partial = AuditRealms.JSON.createObjectNode();
        partial.put("ifResourceExists", "SKIP");
        ObjectNode importedClient = partial.putArray("clients").addObject();
        importedClient.put("clientId", "urn:imported-sp");
        importedClient.put("protocol", "saml");
        importedClient.putObject("attributes").put("saml.signing.private.key", importedKey);
        HttpAdmin.Response partialImport = a.http.post(base + "/partialImport", a.token(), partial.toString());
        assertEquals(200, partialImport.status(), partialImport.body());

        // Reset a user's password; create a user with a password credential.
        String erinPassword = secret("erin-pw");
        String frankPassword = secret("frank-pw");
        secrets.put("reset password", erinPassword);
        secrets.put("password of a created user", frankPassword);
        String erin = a.userId(realm, "erin");
        assertEquals(204, a.http.put(base + "/users/" + erin + "/reset-password", a.token(),
                "{\"type\":\"password\",\"value\":\"" + erinPassword + "\",\"temporary\":false}").status());
        assertEquals(201, a.http.post(base + "/users", a.token(), "{\"username\":\"frank\",\"enabled\":true,\"email\":\"frank@example.org\","
                + "\"firstName\":\"Frank\",\"lastName\":\"Example\",\"credentials\":[{\"type\":\"password\",\"value\":\""
                + frankPassword + "\",\"temporary\":false}]}").status());

        // An identity provider with a client secret, then updated with another.
        String idpSecret = secret("idp-secret");
        String idpSecret2 = secret("idp-secret-2");
        secrets.put("identity provider clientSecret", idpSecret);
        secrets.put("identity provider clientSecret by update", idpSecret2);
        ObjectNode idp = AuditRealms.JSON.createObjectNode();
        idp.put("alias", "upstream-oidc");
        idp.put("providerId", "oidc");
        idp.put("enabled", true);
        idp.putObject("config").put("clientId", "keycloak").put("clientSecret", idpSecret).put("clientAuthMethod", "client_secret_post")
                .put("authorizationUrl", "https://idp.example.org/auth").put("tokenUrl", "https://idp.example.org/token");
        assertEquals(201, a.http.post(base + "/identity-provider/instances", a.token(), idp.toString()).status());
        ((ObjectNode) idp.get("config")).put("clientSecret", idpSecret2);
        assertEquals(204, a.http.put(base + "/identity-provider/instances/upstream-oidc", a.token(), idp.toString()).status());

        // An rsa key provider with a supplied PEM private key.
        KeyPair realmKey = rsa();
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(realmKey.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        secrets.put("rsa key provider privateKey (tail)", tail(pem));
        ObjectNode component = AuditRealms.JSON.createObjectNode();
        component.put("name", "supplied-rsa");
        component.put("providerId", "rsa");
        component.put("providerType", "org.keycloak.keys.KeyProvider");
        component.put("parentId", realmId);
        ObjectNode config = component.putObject("config");
        config.putArray("priority").add("50");
        config.putArray("enabled").add("true");
        config.putArray("active").add("true");
        config.putArray("algorithm").add("RS256");
        config.putArray("privateKey").add(pem);
        HttpAdmin.Response rsa = a.http.post(base + "/components", a.token(), component.toString());
        assertEquals(201, rsa.status(), rsa.body());

        // Keys an ordinary client's attributes carry under a header no strict reader accepts, and as base64 inside prose
        // (seventeenth review: the first stayed in clear in the chain).
        String malformed = "-----BEGIN RSA  PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(rsa().getPrivate().getEncoded()) + "\n-----END RSA  PRIVATE KEY-----";
        String inProse = "the old key was " + Base64.getEncoder().encodeToString(rsa().getPrivate().getEncoded()) + ", rotate it";
        secrets.put("a key under a malformed header in a client attribute (tail)", tail(malformed));
        secrets.put("a key's base64 inside prose in a client attribute (tail)", tail(inProse.substring(0, inProse.length() - 11)));
        // ... and in encodings keys get pasted in (nineteenth review: both stayed in clear).
        String hex = java.util.HexFormat.of().formatHex(rsa().getPrivate().getEncoded());
        String percent = java.net.URLEncoder.encode("-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(rsa().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----", java.nio.charset.StandardCharsets.UTF_8);
        secrets.put("a key's DER as hex in a client attribute (tail)", hex.substring(hex.length() - 40));
        secrets.put("a percent-encoded PEM key in a client attribute (middle)", percent.substring(percent.length() / 2, percent.length() / 2 + 40));
        ObjectNode notes = AuditRealms.JSON.createObjectNode();
        notes.put("clientId", "notes-app");
        notes.put("publicClient", true);
        notes.putObject("attributes").put("note.malformed", malformed).put("note.prose", inProse).put("note.hex", hex)
                .put("note.percent", percent);
        assertEquals(201, a.http.post(base + "/clients", a.token(), notes.toString()).status());

        long head = a.headSeq(realm);

        // Every surface: the records API (paged and one by one), the export, the file sink.
        List<JsonNode> records = a.recordsAfter(realm, 0, null);
        assertEquals(head, records.size());
        StringBuilder singles = new StringBuilder();
        for (JsonNode r : records) {
            HttpAdmin.Response one = a.http.get(base + "/audit-chain/records/" + r.get("seq").asLong(), a.token());
            assertEquals(200, one.status(), one.body());
            singles.append(one.body()).append('\n');
        }
        HttpAdmin.Response export = a.http.get(base + "/audit-chain/export", a.token());
        assertEquals(200, export.status(), export.body());
        String sink = fileSink(realmId, head);

        Map<String, String> surfaces = new LinkedHashMap<>();
        surfaces.put("records", records.toString());
        surfaces.put("records/{seq}", singles.toString());
        surfaces.put("export", export.body());
        surfaces.put("file sink", sink);
        List<String> leaks = new ArrayList<>();
        for (Map.Entry<String, String> s : secrets.entrySet()) {
            for (Map.Entry<String, String> surface : surfaces.entrySet()) {
                int n = count(surface.getValue(), s.getValue());
                if (n > 0) {
                    leaks.add(s.getKey() + " × " + n + " in " + surface.getKey());
                }
            }
        }
        assertTrue(leaks.isEmpty(), "secrets in clear: " + leaks);

        // The records are there and show where a credential was: sealed, with a fingerprint.
        JsonNode generate = only(records, "clients/" + robot + "/certificates/jwt.credential/generate");
        String fingerprint = generate.at("/representation/privateKey").asText();
        assertTrue(fingerprint.startsWith(SEALED), generate.toString());
        assertTrue(generate.at("/representation/certificate").asText().startsWith("MI"), "certificates are not secret: " + generate);
        // The console save right after sent the same key back as an attribute: sealed too, under its own record's key,
        // so the two fingerprints differ (no record's fingerprint can be compared with another's: a guess written
        // into the chain tells nothing). (Its GET before the PUT is a credential read, recorded as CREDENTIAL_READ in between.)
        JsonNode save = records.subList(records.indexOf(generate) + 1, records.size()).stream()
                .filter(r -> !"CREDENTIAL_READ".equals(r.path("type").asText())).findFirst().orElseThrow();
        assertEquals("clients/" + robot, save.get("target").asText(), save.toString());
        String savedKey = save.at("/representation/attributes/jwt.credential.private.key").asText();
        assertTrue(savedKey.startsWith(SEALED), save.toString());
        assertNotEquals(fingerprint, savedKey, "the same key in two records: two fingerprints");
        JsonNode samlGenerate = only(records, "clients/" + saml + "/certificates/saml.signing/generate");
        String samlFingerprint = samlGenerate.at("/representation/privateKey").asText();
        assertTrue(samlFingerprint.startsWith(SEALED), samlGenerate.toString());
        assertNotEquals(fingerprint, samlFingerprint, "different keys, different fingerprints");
        JsonNode importedRecord = records.stream().filter(r -> "urn:imported-sp".equals(r.at("/representation/clientId").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no record of the partial import"));
        assertTrue(importedRecord.at("/representation/attributes/saml.signing.private.key").asText().startsWith(SEALED), importedRecord.toString());
        JsonNode registration = only(records, "clients/" + robot + "/registration-access-token");
        assertTrue(registration.at("/representation/registrationAccessToken").asText().startsWith(SEALED), registration.toString());
        // Keycloak's own mask is sealed like any value under a credential's name (a secret may be the mask's text).
        JsonNode robotCreate = records.stream().filter(r -> ("clients/" + robot).equals(r.path("target").asText())
                && "CREATE".equals(r.path("operation").asText())).findFirst().orElseThrow();
        assertTrue(robotCreate.at("/representation/secret").asText().startsWith(SEALED), robotCreate.toString());
        assertTrue(records.stream().anyMatch(r -> ("users/" + erin + "/reset-password").equals(r.path("target").asText())),
                "the password reset is recorded");

        JsonNode verify = a.verify(realm);
        assertTrue(verify.get("ok").asBoolean(), verify.toString());
        assertEquals(head, verify.get("headSeq").asLong(), verify.toString());
    }

    @Test
    void aChangeRequestDiffWithANewSecretIsSealed(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String realm = "/admin/realms/nhi-demo";
        String carol = http.passwordGrant("nhi-demo", "admin-cli", "carol", "carol-demo-pass", null).get("access_token").asText();
        String client = http.get(realm + "/clients?clientId=billing-sync", carol).json().get(0).get("id").asText();
        String newSecret = secret("held-secret");
        HttpAdmin.Response held = http.put(realm + "/clients/" + client, carol,
                "{\"clientId\":\"billing-sync\",\"secret\":\"" + newSecret + "\"}");
        assertEquals(202, held.status(), held.body());
        String id = held.json().get("id").asText();
        assertEquals(200, http.post(realm + "/mutation-guard/change-requests/" + id + "/cancel", carol, null).status());

        HttpAdmin.Response page = http.get(realm + "/audit-chain/records?type=CHANGE_REQUEST&target=mutation-guard/change-requests/" + id, carol);
        assertEquals(200, page.status(), page.body());
        JsonNode records = page.json().get("records");
        assertEquals(2, records.size(), page.body());
        assertEquals(0, count(page.body(), newSecret), page.body());
        JsonNode entry = null;
        for (JsonNode d : records.get(0).at("/representation/diff")) {
            if (d.path("path").asText().endsWith("/secret")) {
                entry = d;
            }
        }
        assertTrue(entry != null, records.get(0).toString());
        // The guard's diff names the secret the request supplies, without value or fingerprint.
        assertEquals("supplied", entry.path("sealed").asText(), entry.toString());
        assertFalse(entry.has("to") || entry.has("from"), entry.toString());

        String realmId = http.get(realm, carol).json().get("id").asText();
        long lastSeq = records.get(1).get("seq").asLong();
        String bootstrap = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        HttpAdmin.Response export = http.get(realm + "/audit-chain/export", bootstrap);
        assertEquals(200, export.status());
        assertEquals(0, count(export.body(), newSecret));
        assertEquals(0, count(fileSink(realmId, lastSeq), newSecret));
        JsonNode verify = http.get(realm + "/audit-chain/verify", bootstrap).json();
        assertTrue(verify.get("ok").asBoolean(), verify.toString());
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** The one record of Keycloak's own event at the target (a write's credential-read record beside it is left out). */
    static JsonNode only(List<JsonNode> records, String target) {
        List<JsonNode> found = records.stream().filter(r -> target.equals(r.path("target").asText())
                && !"CREDENTIAL_READ".equals(r.path("type").asText())).toList();
        assertEquals(1, found.size(), target + ": " + found);
        return found.get(0);
    }

    /** The realm's lines of the test server's file sink, once it delivered record {@code upTo}. */
    static String fileSink(String realmId, long upTo) throws Exception {
        Path file = Path.of(System.getProperty("nhi.audit.file-sink"));
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        List<JsonNode> lines = AuditFileSinkIT.recordsOf(file, realmId);
        while (lines.stream().noneMatch(n -> n.get("seq").asLong() >= upTo) && Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            lines = AuditFileSinkIT.recordsOf(file, realmId);
        }
        assertTrue(lines.stream().anyMatch(n -> n.get("seq").asLong() >= upTo), "file sink did not deliver record " + upTo);
        ArrayNode all = AuditRealms.JSON.createArrayNode();
        lines.forEach(all::add);
        return all.toString();
    }
}
