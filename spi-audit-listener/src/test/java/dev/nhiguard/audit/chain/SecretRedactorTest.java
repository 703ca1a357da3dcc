package dev.nhiguard.audit.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

class SecretRedactorTest {

    /** A real self-signed certificate (P-256, CN=vault-robot): public, must stay. */
    static final String CERTIFICATE = "MIIBgTCCASegAwIBAgIUc00PWVW4cnPJErNWKZs9vp5SlPAwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLdmF1bHQtcm9ib3Qw"
            + "HhcNMjYxMjAzMTM1NjI2WhcNMzYxMTMwMTM1NjI2WjAWMRQwEgYDVQQDDAt2YXVsdC1yb2JvdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKo2joxt"
            + "nCyqVvwxFpz0eFifhPsZqjB+B2GRSPrAvDx/ofqp1+yZmvC3olsKlr0iS5/ufgeVgmchVxn1W7l/LcGjUzBRMB0GA1UdDgQWBBRIaf66woeoCHWLd8V4"
            + "3jGfRnSLQDAfBgNVHSMEGDAWgBRIaf66woeoCHWLd8V43jGfRnSLQDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDEYTPBWSEwQnTR"
            + "tHaA/ogkTGIpWklExkPFE/fqMo93/QIgWyU6Y6JziKEPxR/EmjJ2XGVMStOFsMGgBevgrXY/bj8=";

    static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    final SecretRedactor redactor = new SecretRedactor(KEY, Set.of());
    static final KeyPair RSA = keyPair("RSA", 2048);
    static final KeyPair EC = keyPair("EC", 256);
    static final String RSA_PKCS8 = Base64.getEncoder().encodeToString(RSA.getPrivate().getEncoded());

    static KeyPair keyPair(String alg, int size) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
            if (size > 0) {
                g.initialize(size);
            }
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static JsonNode json(String s) {
        return ChainRecords.parse(s);
    }

    JsonNode redact(String s) {
        return redactor.redact(json(s));
    }

    static boolean sealed(JsonNode n) {
        return n.isTextual() && n.asText().matches("\\*\\*sealed\\*\\* hmac-sha256:[0-9a-f]{64}");
    }

    /** The OCTET STRING content of a PKCS#8 key (version, algorithm, key): PKCS#1 for RSA, SEC1 for EC. */
    static byte[] innerKey(byte[] pkcs8) {
        int[] outer = header(pkcs8, 0);
        int pos = outer[0];
        for (int skip = 0; skip < 2; skip++) {
            int[] h = header(pkcs8, pos);
            pos = h[0] + h[1];
        }
        int[] key = header(pkcs8, pos);
        return Arrays.copyOfRange(pkcs8, key[0], key[0] + key[1]);
    }

    /** {content start, content length} of the DER TLV at pos. */
    static int[] header(byte[] b, int pos) {
        int len = b[pos + 1] & 0xFF;
        int start = pos + 2;
        if (len >= 0x80) {
            int n = len & 0x7F;
            len = 0;
            for (int k = 0; k < n; k++) {
                len = (len << 8) | (b[start + k] & 0xFF);
            }
            start += n;
        }
        return new int[] {start, len};
    }

    @Test
    void certificateGenerateSealsThePrivateKeyAndKeepsTheCertificate() {
        // Keycloak's admin event for POST clients/{id}/certificates/jwt.credential/generate (not masked by Keycloak)
        JsonNode r = redact("{\"privateKey\":\"" + RSA_PKCS8 + "\",\"certificate\":\"" + CERTIFICATE + "\"}");
        assertTrue(sealed(r.get("privateKey")), r.toString());
        assertEquals(redactor.seal(RSA_PKCS8), r.get("privateKey").asText());
        assertEquals(CERTIFICATE, r.get("certificate").asText());
    }

    @Test
    void clientRepresentationSealsKeyAttributesAndTokensAndKeepsSettings() {
        String rat = "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICI0ZGRkIn0.eyJleHAiOjAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiYWJjIn0."
                + "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
        JsonNode r = redact("{\"clientId\":\"vault-robot\",\"secret\":\"**********\",\"publicClient\":false,"
                + "\"registrationAccessToken\":\"" + rat + "\","
                + "\"attributes\":{\"client.secret.rotated\":\"old-secret-value\",\"client.secret.creation.time\":\"1700000000\","
                + "\"jwt.credential.private.key\":\"" + RSA_PKCS8 + "\",\"jwt.credential.certificate\":\"" + CERTIFICATE + "\","
                + "\"saml.signing.private.key\":\"" + RSA_PKCS8 + "\",\"use.refresh.tokens\":\"true\","
                + "\"client_credentials.use_refresh_token\":\"false\",\"jwks.url\":\"https://robot.example.org/jwks\"}}");
        assertTrue(sealed(r.get("secret")), "Keycloak's mask is sealed like any secret (Keycloak stores a client's secret as sent, "
                + "so a secret may be the mask itself)");
        assertTrue(sealed(r.get("registrationAccessToken")));
        JsonNode a = r.get("attributes");
        assertTrue(sealed(a.get("client.secret.rotated")));
        assertTrue(sealed(a.get("jwt.credential.private.key")));
        assertTrue(sealed(a.get("saml.signing.private.key")));
        assertEquals(a.get("jwt.credential.private.key"), a.get("saml.signing.private.key"), "same value, same fingerprint");
        assertEquals("1700000000", a.get("client.secret.creation.time").asText());
        assertEquals(CERTIFICATE, a.get("jwt.credential.certificate").asText());
        assertEquals("true", a.get("use.refresh.tokens").asText());
        assertEquals("false", a.get("client_credentials.use_refresh_token").asText());
        assertEquals("https://robot.example.org/jwks", a.get("jwks.url").asText());
        assertEquals(false, r.get("publicClient").asBoolean());
        assertEquals("vault-robot", r.get("clientId").asText());
    }

    @Test
    void clientSecretInClearIsSealedAndSoIsAVaultReference() {
        assertTrue(sealed(redact("{\"clientId\":\"c\",\"secret\":\"s3cr3t\"}").get("secret")));
        // Keycloak uses a client secret's or password's text as the secret itself when its vault holds no such entry.
        assertTrue(sealed(redact("{\"secret\":\"${vault.robot_secret}\"}").get("secret")));
        assertTrue(sealed(redact("{\"type\":\"password\",\"value\":\"${vault.pw}\"}").get("value")));
        // Elsewhere (not under a credential's name) neither is a key by its structure.
        assertEquals("${vault.robot_secret}", redact("{\"description\":\"${vault.robot_secret}\"}").get("description").asText());
        assertEquals("**********", redact("{\"description\":\"**********\"}").get("description").asText());
    }

    @Test
    void credentialRepresentationsSealTheirValueAndSecretData() {
        // PUT users/{id}/reset-password body, the client-secret regeneration result, a user with credentials
        assertTrue(sealed(redact("{\"type\":\"password\",\"value\":\"hunter2\",\"temporary\":false}").get("value")));
        assertTrue(sealed(redact("{\"type\":\"secret\",\"value\":\"Zt0pTq0xGEs0Q4n\"}").get("value")));
        JsonNode user = redact("{\"username\":\"frank\",\"credentials\":[{\"type\":\"password\",\"value\":\"hunter2\",\"temporary\":true},"
                + "{\"id\":\"c1\",\"type\":\"otp\",\"userLabel\":\"phone\",\"secretData\":\"{\\\"value\\\":\\\"JBSWY3DPEHPK3PXP\\\"}\","
                + "\"credentialData\":\"{\\\"subType\\\":\\\"totp\\\",\\\"digits\\\":6,\\\"period\\\":30,\\\"algorithm\\\":\\\"HmacSHA1\\\"}\"},"
                + "{\"type\":\"password\",\"hashedSaltedValue\":\"aGFzaA==\",\"salt\":\"c2FsdA==\",\"hashIterations\":27500,\"algorithm\":\"pbkdf2-sha256\"}]}");
        JsonNode c = user.get("credentials");
        assertTrue(sealed(c.get(0).get("value")));
        assertTrue(c.get(0).get("temporary").asBoolean());
        assertTrue(sealed(c.get(1).get("secretData")));
        assertEquals("{\"subType\":\"totp\",\"digits\":6,\"period\":30,\"algorithm\":\"HmacSHA1\"}", c.get(1).get("credentialData").asText());
        assertEquals("phone", c.get(1).get("userLabel").asText());
        assertTrue(sealed(c.get(2).get("hashedSaltedValue")));
        assertTrue(sealed(c.get(2).get("salt")));
        assertEquals(27500, c.get(2).get("hashIterations").asInt());
        assertEquals("frank", user.get("username").asText());
        // "value" elsewhere is not a credential
        assertEquals("blue", redact("{\"name\":\"color\",\"value\":\"blue\"}").get("value").asText());
        assertEquals("x", redact("{\"config\":{\"claim.value\":\"x\"}}").at("/config/claim.value").asText());
    }

    @Test
    void identityProviderComponentAndRealmSecretsAreSealed() {
        JsonNode idp = redact("{\"alias\":\"upstream\",\"providerId\":\"oidc\",\"config\":{\"clientId\":\"kc\",\"clientSecret\":\"idp-s3cret\","
                + "\"clientAuthMethod\":\"client_secret_post\",\"tokenUrl\":\"https://idp.example.org/token\"}}");
        assertTrue(sealed(idp.at("/config/clientSecret")));
        assertEquals("client_secret_post", idp.at("/config/clientAuthMethod").asText());
        assertEquals("kc", idp.at("/config/clientId").asText());

        String rsaPem = pem("PRIVATE KEY", RSA.getPrivate().getEncoded());
        JsonNode rsa = redact("{\"name\":\"rsa\",\"providerId\":\"rsa\",\"providerType\":\"org.keycloak.keys.KeyProvider\",\"config\":{"
                + "\"priority\":[\"100\"],\"privateKey\":[" + AuditJson.quote(rsaPem) + "],\"certificate\":[\"" + CERTIFICATE + "\"]}}");
        assertTrue(sealed(rsa.at("/config/privateKey/0")), rsa.toString());
        assertEquals(CERTIFICATE, rsa.at("/config/certificate/0").asText());
        assertEquals("100", rsa.at("/config/priority/0").asText());

        JsonNode keystore = redact("{\"providerId\":\"java-keystore\",\"config\":{\"keystore\":[\"/opt/keycloak/conf/realm.p12\"],"
                + "\"keystorePassword\":[\"store-pw\"],\"keyPassword\":[\"key-pw\"],\"keyAlias\":[\"realm\"]}}");
        assertTrue(sealed(keystore.at("/config/keystore/0")));
        assertTrue(sealed(keystore.at("/config/keystorePassword/0")));
        assertTrue(sealed(keystore.at("/config/keyPassword/0")));
        assertEquals("realm", keystore.at("/config/keyAlias/0").asText());

        JsonNode ldap = redact("{\"providerId\":\"ldap\",\"config\":{\"bindDn\":[\"cn=admin,dc=example,dc=org\"],"
                + "\"bindCredential\":[\"ldap-pw\"],\"connectionUrl\":[\"ldaps://ldap.example.org\"]}}");
        assertTrue(sealed(ldap.at("/config/bindCredential/0")));
        assertEquals("cn=admin,dc=example,dc=org", ldap.at("/config/bindDn/0").asText());
        assertTrue(sealed(redact("{\"config\":{\"bindCredential\":[\"**********\"]}}").at("/config/bindCredential/0")));

        JsonNode realm = redact("{\"realm\":\"acme\",\"passwordPolicy\":\"length(12)\",\"resetPasswordAllowed\":true,\"revokeRefreshToken\":false,"
                + "\"smtpServer\":{\"host\":\"smtp.example.org\",\"user\":\"mailer\",\"password\":\"smtp-pw\",\"authTokenClientSecret\":\"tok-s\"}}");
        assertTrue(sealed(realm.at("/smtpServer/password")));
        assertTrue(sealed(realm.at("/smtpServer/authTokenClientSecret")));
        assertEquals("mailer", realm.at("/smtpServer/user").asText());
        assertEquals("length(12)", realm.get("passwordPolicy").asText());
        assertTrue(realm.get("resetPasswordAllowed").asBoolean());
        assertFalse(realm.get("revokeRefreshToken").asBoolean());
    }

    @Test
    void changeRequestDiffSealsBothSidesOfASecretChange() {
        // The guard's CHANGE_REQUEST representation: {op, path (JSON pointer), from, to}
        JsonNode r = redact("{\"transition\":\"CREATED\",\"diff\":["
                + "{\"op\":\"replace\",\"path\":\"/client/secret\",\"from\":\"sha256:8ddd\",\"to\":\"new-secret\"},"
                + "{\"op\":\"add\",\"path\":\"/client/attributes/saml.signing.private.key\",\"to\":\"short\"},"
                + "{\"op\":\"add\",\"path\":\"/user/credentials/0/value\",\"to\":\"pw\"},"
                + "{\"op\":\"replace\",\"path\":\"/client/description\",\"from\":\"a\",\"to\":\"b\"},"
                + "{\"op\":\"add\",\"path\":\"/client/attributes\",\"to\":{\"jwt.credential.private.key\":\"k\",\"pkce\":\"S256\"}},"
                + "{\"op\":\"move\",\"from\":\"/a/secret\",\"path\":\"/b/secret\"}]}");
        JsonNode d = r.get("diff");
        assertTrue(sealed(d.get(0).get("from")));
        assertTrue(sealed(d.get(0).get("to")));
        assertEquals("/client/secret", d.get(0).get("path").asText());
        assertTrue(sealed(d.get(1).get("to")));
        assertTrue(sealed(d.get(2).get("to")));
        assertEquals("a", d.get(3).get("from").asText());
        assertEquals("b", d.get(3).get("to").asText());
        assertTrue(sealed(d.at("/4/to/jwt.credential.private.key")));
        assertEquals("S256", d.at("/4/to/pkce").asText());
        assertEquals("/a/secret", d.get(5).get("from").asText(), "a move's from is a pointer");
        assertEquals("CREATED", r.get("transition").asText());
    }

    @Test
    void jsonInsideStringsIsRedactedAndRewrittenOnlyWhenSomethingWasSealed() {
        JsonNode r = redact("{\"body\":\"{\\\"clientId\\\":\\\"x\\\",\\\"secret\\\":\\\"in-a-string\\\"}\",\"plain\":\"{ \\\"a\\\" : 1 }\"}");
        JsonNode body = json(r.get("body").asText());
        assertTrue(sealed(body.get("secret")), r.toString());
        assertEquals("x", body.get("clientId").asText());
        assertEquals("{ \"a\" : 1 }", r.get("plain").asText(), "untouched JSON text stays byte for byte");
        assertEquals("{not json", redact("{\"t\":\"{not json\"}").get("t").asText());
        // a guard policy as a JSON string with no secrets stays as it is
        String policy = "{\"guardedOperations\":[],\"approvalsRequired\":2}";
        assertEquals(policy, redactor.redact(json("{\"policy\":" + AuditJson.quote(policy) + "}")).get("policy").asText());
    }

    @Test
    void privateKeysAndKeystoresAreRecognisedByStructureUnderAnyName() throws Exception {
        byte[] rsa = RSA.getPrivate().getEncoded();
        byte[] ec = EC.getPrivate().getEncoded();
        byte[] ed = keyPair("Ed25519", 0).getPrivate().getEncoded();
        List<String> keys = List.of(
                pem("PRIVATE KEY", rsa), pem("RSA PRIVATE KEY", innerKey(rsa)), pem("EC PRIVATE KEY", innerKey(ec)),
                pem("ENCRYPTED PRIVATE KEY", rsa), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----",
                "note: -----BEGIN PRIVATE KEY----- MIIE... (pasted into a description)",
                Base64.getEncoder().encodeToString(rsa), Base64.getEncoder().encodeToString(ec), Base64.getEncoder().encodeToString(ed),
                Base64.getUrlEncoder().withoutPadding().encodeToString(rsa),
                Base64.getEncoder().encodeToString(innerKey(rsa)), Base64.getEncoder().encodeToString(innerKey(ec)),
                Base64.getMimeEncoder().encodeToString(rsa),
                Base64.getEncoder().encodeToString(keystore("PKCS12")), Base64.getEncoder().encodeToString(keystore("JKS")),
                Base64.getEncoder().encodeToString(keystore("JCEKS")));
        for (String k : keys) {
            JsonNode r = redactor.redact(json("{\"description\":" + AuditJson.quote(k) + "}"));
            assertTrue(sealed(r.get("description")), k);
        }
        List<String> notKeys = List.of(CERTIFICATE, pem("CERTIFICATE", Base64.getDecoder().decode(CERTIFICATE)),
                Base64.getEncoder().encodeToString(RSA.getPublic().getEncoded()), pem("PUBLIC KEY", EC.getPublic().getEncoded()),
                "a".repeat(64), "0f".repeat(32), "keycloak.example.org", "Rm9vYmFyIGlzIG5vdCBhIGtleSwganVzdCBzb21lIHRleHQgdGhhdCBpcyBsb25nIGVub3VnaA==");
        for (String k : notKeys) {
            JsonNode r = redactor.redact(json("{\"description\":" + AuditJson.quote(k) + "}"));
            assertEquals(k, r.get("description").asText(), k);
        }
    }

    /**
     * A key is a key whatever its wrapping: a header no strict reader accepts (two spaces, lower case, other dashes), no
     * header at all, its base64 between words or wrapped in lines inside prose (seventeenth review: a PKCS#1 key under
     * {@code -----BEGIN RSA  PRIVATE KEY-----} in a client attribute stayed in clear in the chain).
     */
    @Test
    void privateKeysAreRecognisedUnderMalformedHeadersAndInsideText() throws Exception {
        byte[] rsa = RSA.getPrivate().getEncoded();
        byte[] pkcs1 = innerKey(rsa);
        byte[] ec = EC.getPrivate().getEncoded();
        String rsaLines = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs1);
        List<String> keys = List.of(
                pem("RSA  PRIVATE KEY", pkcs1),
                "-----begin rsa private key-----\n" + rsaLines + "\n-----end rsa private key-----",
                "----BEGIN PRIVATE  KEY----\n" + rsaLines + "\n----END PRIVATE KEY----",
                "-----BEGIN-RSA-PRIVATE-KEY-----" + rsaLines.replace("\n", "") + "-----END-RSA-PRIVATE-KEY-----",
                "-----BEGIN KEY-----\n" + rsaLines + "\n-----END KEY-----",
                "the old key was " + Base64.getEncoder().encodeToString(ec) + ", rotate it",
                "key:" + Base64.getUrlEncoder().withoutPadding().encodeToString(rsa),
                "pasted:\n" + rsaLines + "\nthanks",
                "(" + Base64.getEncoder().encodeToString(keystore("PKCS12")) + ")",
                "ssh: " + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
                // (code review) a PEM file as base64, line breaks written as escapes, a key glued to a word
                "tls.key: " + Base64.getEncoder().encodeToString(pem("PRIVATE KEY", rsa).getBytes(StandardCharsets.US_ASCII)),
                rsaLines.replace("\n", "\\n"),
                "key" + Base64.getEncoder().encodeToString(rsa));
        for (String k : keys) {
            JsonNode r = redactor.redact(json("{\"attributes\":{\"note\":" + AuditJson.quote(k) + "}}"));
            assertTrue(sealed(r.get("attributes").get("note")), k);
        }
        String certificateLines = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(Base64.getDecoder().decode(CERTIFICATE));
        List<String> notKeys = List.of(
                "the certificate is " + CERTIFICATE + ", trusted since May",
                "-----BEGIN CERTIFICATE-----\n" + certificateLines + "\n-----END CERTIFICATE-----",
                "public: " + Base64.getEncoder().encodeToString(RSA.getPublic().getEncoded()),
                "Most Machine Mappers Move Many Messages; Maybe More Monday. " + "M".repeat(80),
                "id " + java.util.UUID.randomUUID() + " -- see --help for MIIB options",
                "data:" + Base64.getEncoder().encodeToString(new byte[300]),
                // (code review) words about a key are no key: sealing them would hide a value from the approver
                "{\"groups\":[\"payments-admin\"],\"n\":\"--begin private key\"}",
                "rotation -- begin by generating a private key",
                "tls.crt: " + Base64.getEncoder().encodeToString(("-----BEGIN CERTIFICATE-----\n" + certificateLines
                        + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII)));
        for (String k : notKeys) {
            JsonNode r = redactor.redact(json("{\"attributes\":{\"note\":" + AuditJson.quote(k) + "}}"));
            assertEquals(k, r.get("attributes").get("note").asText(), k);
        }
    }

    /**
     * Nineteenth red-team review (2026-12-07): keys pasted in encodings the structural checks did not read (hex DER,
     * a percent-encoded PEM, base64 of base64, base64 broken by dots, bars, character references, quote prefixes or
     * shell continuations, a PEM as a list of its lines, JSON Web Keys after other text, encoded twice, without
     * {@code kty}, or as base64url) stayed in clear in the chain, the admin events and change requests.
     */
    @Test
    void privateKeysUnderCommonEncodingsAreSealed() {
        byte[] rsa = RSA.getPrivate().getEncoded();
        byte[] pkcs1 = innerKey(rsa);
        byte[] sec1 = innerKey(EC.getPrivate().getEncoded());
        String pem = pem("PRIVATE KEY", rsa);
        String b64 = Base64.getEncoder().encodeToString(rsa);
        String lines = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(rsa);
        java.security.interfaces.RSAPrivateCrtKey crt = (java.security.interfaces.RSAPrivateCrtKey) RSA.getPrivate();
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String jwk = "{\"n\":\"" + url.encodeToString(crt.getModulus().toByteArray()) + "\",\"e\":\"AQAB\",\"d\":\""
                + url.encodeToString(crt.getPrivateExponent().toByteArray()) + "\"}";
        String jwkWithType = "{\"kty\":\"RSA\"," + jwk.substring(1);
        List<String> keys = List.of(
                java.util.HexFormat.of().formatHex(pkcs1),
                // (code review) hex dumps as tools print them: xxd -p (60 digits a line), od -An -tx1, xxd -i
                java.util.HexFormat.of().formatHex(pkcs1).replaceAll("(.{60})", "$1\n"),
                java.util.HexFormat.ofDelimiter(" ").formatHex(sec1).replaceAll("(.{48})", "$1\n "),
                "unsigned char key[] = {" + java.util.HexFormat.ofDelimiter(", ").withPrefix("0x").formatHex(sec1) + "};",
                "ec: " + java.util.HexFormat.ofDelimiter(":").formatHex(sec1),
                java.net.URLEncoder.encode(pem, StandardCharsets.UTF_8).replace("+", "%20"),
                Base64.getEncoder().encodeToString(b64.getBytes(StandardCharsets.US_ASCII)),
                lines.replace("\n", "."),
                lines.replace("\n", "|"),
                lines.replace("\n", "&#10;"),
                lines.replace("\n", "&#xA;"),
                "> " + lines.replace("\n", "\n> "),
                lines.replace("\n", "\\\n"),
                "key=" + jwkWithType,
                "cfg: {\"key\":\"" + b64.replace("/", "\\u002F") + "\"}",
                AuditJson.quote(jwkWithType),
                url.encodeToString(jwkWithType.getBytes(StandardCharsets.UTF_8)));
        for (String k : keys) {
            JsonNode r = redactor.redact(json("{\"attributes\":{\"note\":" + AuditJson.quote(k) + "}}"));
            assertTrue(sealed(r.get("attributes").get("note")), k);
        }
        String privateExponent = url.encodeToString(crt.getPrivateExponent().toByteArray());
        JsonNode asText = redactor.redact(json("{\"note\":" + AuditJson.quote(jwk) + "}"));
        assertFalse(asText.get("note").asText().contains(privateExponent), asText.toString());
        JsonNode withoutType = redactor.redact(json("{\"key\":" + jwk + "}"));
        assertTrue(sealed(withoutType.at("/key/d")), withoutType.toString());
        assertEquals("AQAB", withoutType.at("/key/e").asText());
        ArrayNode pemLines = Canonical.JSON.createArrayNode();
        pem.lines().forEach(pemLines::add);
        JsonNode listed = redactor.redact(json("{\"config\":{\"note\":" + pemLines + "}}"));
        listed.at("/config/note").forEach(e -> assertTrue(sealed(e), listed.toString()));

        String certificateHex = java.util.HexFormat.of().formatHex(Base64.getDecoder().decode(CERTIFICATE));
        List<String> notKeys = List.of(
                "sha-256 " + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "certificate " + certificateHex,
                "https://example.org/cb?state=a%20b&next=%2Fhome%3Fx%3D1",
                "Tom &amp; Jerry &#8212; &lt;b&gt;bold&lt;/b&gt;",
                "see {the manual} and [1], then {\"retries\":3}",
                AuditJson.quote("{\"groups\":[\"payments-admin\"]}"),
                "path C:\\temp\\new and \\u00e9t\\u00e9",
                "{\"d\":\"2026-12-07\",\"note\":\"a date, no key\"}");
        for (String k : notKeys) {
            JsonNode r = redactor.redact(json("{\"attributes\":{\"note\":" + AuditJson.quote(k) + "}}"));
            assertEquals(k, r.get("attributes").get("note").asText(), k);
        }
    }

    /**
     * A text whose judging would cost more than a few passes (many candidates whose DER length header is long: each
     * decoded to its claimed end) is sealed rather than judged at a quadratic cost; a long ordinary text is not.
     */
    @Test
    void aTextTooCostlyToJudgeIsSealedAndOrdinaryLongTextIsNot() {
        String candidates = ("MIIEvQ" + "A".repeat(10) + " ").repeat(20_000); // each claims 1,213 bytes of DER
        // Bounded work, not a speed: the old cost was quadratic (minutes); the bound is far above what a few passes take.
        JsonNode r = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> redactor.redact(json("{\"note\":" + AuditJson.quote(candidates) + "}")));
        assertTrue(sealed(r.get("note")), "sealed, not judged");
        String prose = "Lorem ipsum dolor sit amet, Maecenas MIIB mauris. ".repeat(20_000);
        assertEquals(prose, redactor.redact(json("{\"note\":" + AuditJson.quote(prose) + "}")).get("note").asText());
        String pems = "LS0tLS1CRUdJTiBDRVJU ".repeat(40);
        assertTrue(sealed(redactor.redact(json("{\"note\":" + AuditJson.quote(pems) + "}")).get("note")));
        // (code review) JSON and base64 nested in each other, each level with several places JSON starts: each level was
        // judged again from every start (k = 9: 79 s, 253 s through a client create), now once.
        String nested = "hello";
        String quoted = "hello";
        for (int k = 0; k < 12; k++) {
            nested = "x[[[[[[[[\"" + Base64.getEncoder().encodeToString(nested.getBytes(StandardCharsets.UTF_8)) + "\"]]]]]]]]";
            quoted = "x[[[[[[[[" + AuditJson.quote(quoted) + "]]]]]]]]";
        }
        // (code review) a value too costly to judge is sealed alone: the record's other values stay readable
        String costly = "[[[[[[[[" + "%20&#32;\\u0020".repeat(60_000);
        JsonNode both = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> redactor.redact(
                json("{\"description\":" + AuditJson.quote(costly) + ",\"redirectUris\":[\"https://app.example.org/cb\"]}")));
        assertEquals("https://app.example.org/cb", both.at("/redirectUris/0").asText(), both.toString().substring(0, 200));
        for (String deep : List.of(nested, quoted)) {
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                    () -> redactor.redact(json("{\"description\":" + AuditJson.quote(deep) + "}")), deep.length() + " characters");
        }
    }

    static byte[] keystore(String type) throws Exception {
        KeyStore ks = KeyStore.getInstance(type);
        ks.load(null, null);
        if (!"JKS".equals(type)) {
            ks.setEntry("k", new KeyStore.SecretKeyEntry(new SecretKeySpec(new byte[16], "AES")),
                    new KeyStore.PasswordProtection("pw".toCharArray()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, "pw".toCharArray());
        return out.toByteArray();
    }

    @Test
    void bearerTokensAreSealedUnderAnyName() {
        String jws = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + ".eyJzdWIiOiJyb2JvdCJ9.c2lnbmF0dXJl";
        String jwe = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"dir\",\"enc\":\"A256GCM\"}".getBytes(StandardCharsets.UTF_8))
                + "..aXY.Y2lwaGVy.dGFn";
        assertTrue(sealed(redact("{\"note\":\"" + jws + "\"}").get("note")));
        assertTrue(sealed(redact("{\"note\":\"" + jwe + "\"}").get("note")));
        assertEquals("v1.2.3", redact("{\"note\":\"v1.2.3\"}").get("note").asText());
    }

    @Test
    void jsonWebKeysLoseTheirPrivatePartsOnly() {
        JsonNode r = redact("{\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"sXch\",\"e\":\"AQAB\",\"d\":\"priv-d\",\"p\":\"priv-p\","
                + "\"q\":\"priv-q\",\"dp\":\"x\",\"dq\":\"y\",\"qi\":\"z\"},{\"kty\":\"oct\",\"k\":\"GawgguFyGrWKav7AX4VKUg\"},"
                + "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83O\",\"y\":\"x_FE\"}]}}");
        JsonNode rsa = r.at("/jwks/keys/0");
        for (String m : List.of("d", "p", "q", "dp", "dq", "qi")) {
            assertTrue(sealed(rsa.get(m)), m);
        }
        assertEquals("sXch", rsa.get("n").asText());
        assertEquals("AQAB", rsa.get("e").asText());
        assertEquals("k1", rsa.get("kid").asText());
        assertTrue(sealed(r.at("/jwks/keys/1/k")));
        assertEquals("f83O", r.at("/jwks/keys/2/x").asText());
        assertEquals("x_FE", r.at("/jwks/keys/2/y").asText());
    }

    @Test
    void recordsKeepTheirStructureAndSealRepresentationDetailsAndTextRepresentations() {
        ObjectNode record = (ObjectNode) json("{\"v\":1,\"realmId\":\"r1\",\"seq\":3,\"type\":\"CLIENT\",\"operation\":\"ACTION\","
                + "\"target\":\"clients/c1/client-secret\",\"actor\":{\"userId\":\"u1\",\"clientId\":\"admin-cli\"},\"prevHash\":\"" + "0".repeat(64) + "\","
                + "\"details\":{\"password\":\"detail-pw\",\"grant_type\":\"client_credentials\"},\"error\":\"invalid_client_credentials\","
                + "\"representation\":" + AuditJson.quote(pem("PRIVATE KEY", RSA.getPrivate().getEncoded())) + "}");
        ObjectNode r = redactor.redactRecord(record);
        assertTrue(sealed(r.at("/details/password")));
        assertEquals("client_credentials", r.at("/details/grant_type").asText());
        assertTrue(sealed(r.get("representation")), "a text representation that is a private key is sealed whole");
        for (String m : List.of("v", "realmId", "seq", "type", "operation", "target", "actor", "prevHash", "error")) {
            assertEquals(record.get(m), r.get(m), m);
        }
        assertNotEquals(record, r);
        assertEquals("hello", redactor.redactRecord((ObjectNode) json("{\"representation\":\"hello\"}")).get("representation").asText());
    }

    @Test
    void fingerprintsAreKeyedDeterministicAndIdempotent() {
        String fp = redactor.seal("hunter2");
        assertTrue(fp.startsWith(SecretRedactor.SEALED_PREFIX));
        assertEquals(fp, new SecretRedactor(KEY, Set.of()).seal("hunter2"), "same key, same value: same fingerprint");
        assertNotEquals(fp, redactor.seal("hunter3"));
        byte[] other = KEY.clone();
        other[0] ^= 1;
        assertNotEquals(fp, new SecretRedactor(other, Set.of()).seal("hunter2"), "another key, another fingerprint");
        assertNotEquals(SecretRedactor.SEALED_PREFIX + Canonical.sha256Hex("hunter2"), fp, "not a plain hash a dictionary could test");
        // In the chain each record has its own key: the same value in two records cannot be compared.
        ObjectNode one = redactor.redactRecord((ObjectNode) json("{\"eventId\":\"e1\",\"representation\":{\"secret\":\"hunter2\","
                + "\"attributes\":{\"x.secret\":\"hunter2\"}}}"));
        ObjectNode two = redactor.redactRecord((ObjectNode) json("{\"eventId\":\"e2\",\"representation\":{\"secret\":\"hunter2\"}}"));
        assertNotEquals(one.at("/representation/secret"), two.at("/representation/secret"), "two records, one fingerprint");
        assertEquals(one.at("/representation/secret"), one.at("/representation/attributes/x.secret"), "one record, one key");
        assertEquals(one, redactor.redactRecord((ObjectNode) json("{\"eventId\":\"e1\",\"representation\":{\"secret\":\"hunter2\","
                + "\"attributes\":{\"x.secret\":\"hunter2\"}}}")), "deterministic: the sequencer seals a record again alike");

        JsonNode once = redact("{\"secret\":\"s\",\"credentials\":[{\"type\":\"password\",\"value\":\"v\"}],\"n\":\"" + RSA_PKCS8 + "\"}");
        assertEquals(once, redactor.redact(once), "sealing twice changes nothing");
        assertEquals(json("{\"password\":\"\",\"secret\":\"**redacted**\",\"clientSecret\":null,\"keyPassword\":true}"),
                redact("{\"password\":\"\",\"secret\":\"**redacted**\",\"clientSecret\":null,\"keyPassword\":true}"),
                "empty, legacy-redacted, null and boolean values stay");
        assertTrue(sealed(redact("{\"secret\":1234}").get("secret")), "numbers are sealed");
        JsonNode obj = redact("{\"secretData\":{\"value\":\"v\",\"salt\":\"s\"}}");
        assertTrue(sealed(obj.get("secretData")), "an object under a secret name is sealed whole");
    }

    @Test
    void operatorNamesAddToTheListCaseInsensitively() {
        String rep = "{\"attributes\":{\"my.pin\":\"1234\",\"Color\":\"blue\"},\"ClientSecret\":\"x\"}";
        assertEquals("1234", redact(rep).at("/attributes/my.pin").asText());
        assertTrue(sealed(redact(rep).get("ClientSecret")), "names compare case-insensitively");
        JsonNode r = new SecretRedactor(KEY, Set.of("My.PIN")).redact(json(rep));
        assertTrue(sealed(r.at("/attributes/my.pin")));
        assertEquals("blue", r.at("/attributes/Color").asText());
    }

    /** JSON string quoting for building test representations. */
    static final class AuditJson {
        static String quote(String s) {
            return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
        }
    }
}
