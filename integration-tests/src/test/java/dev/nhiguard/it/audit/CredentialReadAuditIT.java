package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Credential reads are recorded (issue 11): every successful admin read of a client's live
 * credential material — the secret, the client representation and the client list that carry it,
 * an adapter installation file, a keystore download — is one {@code CREDENTIAL_READ} record in the
 * realm's audit chain naming the reader and the client, never the secret. Reads of nothing secret,
 * refused reads and reads of things that do not exist record nothing.
 */
@ExtendWith({KeycloakExtension.class, PostgresKeycloak.class})
class CredentialReadAuditIT {

    static final String TYPE = "CREDENTIAL_READ";

    @Test
    void everyReadOfAClientsCredentialIsOneRecordWithTheReaderAndNoSecret(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String secret = "cr-secret-" + UUID.randomUUID().toString().replace("-", "");
        String realm = createRealm(a, secret);
        String base = a.base(realm);
        String reader = a.adminUserId();
        String masterId = a.http.get("/admin/realms/master", a.token()).json().get("id").asText();
        long start = a.headSeq(realm);

        // 1. The list by clientId (how kcadm and scripts find a client): it carries the secret.
        HttpAdmin.Response found = ok(a.http.get(base + "/clients?clientId=cr-robot", a.token()));
        assertTrue(found.body().contains(secret), "the list carries the secret: " + found.body());
        String robot = found.json().get(0).get("id").asText();
        String spa = ok(a.http.get(base + "/clients?clientId=cr-spa", a.token())).json().get(0).get("id").asText();
        String client = base + "/clients/" + robot;
        // 2. The secret itself.
        assertEquals(secret, ok(a.http.get(client + "/client-secret", a.token())).json().get("value").asText());
        // 3. The client representation.
        assertEquals(secret, ok(a.http.get(client, a.token())).json().get("secret").asText());
        // 4. An adapter installation file.
        HttpAdmin.Response installation = ok(a.http.get(client + "/installation/providers/keycloak-oidc-keycloak-json", a.token()));
        assertTrue(installation.body().contains(secret), installation.body());
        // 5. A generated key pair (the answer carries the new private key: a read of its own, beside Keycloak's
        //    own event of the write), then a keystore download of the stored private key.
        ok(a.http.post(client + "/certificates/jwt.credential/generate", a.token(), null));
        HttpAdmin.Response keystore = ok(a.http.post(client + "/certificates/jwt.credential/download", a.token(),
                "{\"format\":\"PKCS12\",\"keyAlias\":\"robot\",\"keyPassword\":\"kp-cr-123456\",\"storePassword\":\"sp-cr-123456\","
                        + "\"realmCertificate\":false}"));
        assertFalse(keystore.body().isEmpty());
        // 6. The whole client list: one record per listed client whose representation carries credential material.
        HttpAdmin.Response list = ok(a.http.get(base + "/clients?first=0&max=100", a.token()));
        List<String> listedWithSecrets = new ArrayList<>();
        for (JsonNode c : list.json()) {
            boolean material = !c.path("secret").asText("").isEmpty();
            var names = c.path("attributes").fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                material |= (n.endsWith(".private.key") || n.equals("client.secret.rotated")) && !c.at("/attributes/" + n.replace("/", "~1")).asText("").isEmpty();
            }
            if (material) {
                listedWithSecrets.add(c.get("id").asText());
            }
        }
        assertTrue(listedWithSecrets.contains(robot) && !listedWithSecrets.contains(spa), list.body());

        List<JsonNode> reads = a.recordsAfter(realm, start, "type=" + TYPE);
        List<String> expected = new ArrayList<>(List.of(
                "GET clients|clients/" + robot + "|client-representation|secret",
                "GET clients/" + robot + "/client-secret|clients/" + robot + "/client-secret|secret|secret",
                "GET clients/" + robot + "|clients/" + robot + "|client-representation|secret",
                "GET clients/" + robot + "/installation/providers/keycloak-oidc-keycloak-json|clients/" + robot
                        + "/installation/providers/keycloak-oidc-keycloak-json|installation|secret",
                "POST clients/" + robot + "/certificates/jwt.credential/generate|clients/" + robot
                        + "/certificates/jwt.credential/generate|private-key|jwt.credential.private.key",
                "POST clients/" + robot + "/certificates/jwt.credential/download|clients/" + robot
                        + "/certificates/jwt.credential/download|keystore|jwt.credential.private.key"));
        for (String id : listedWithSecrets) {
            expected.add("GET clients|clients/" + id + "|client-representation|"
                    + (id.equals(robot) ? "secret,jwt.credential.private.key" : null));
        }
        List<String> actual = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            JsonNode r = reads.get(i);
            String exposed = r.at("/details/exposed").asText();
            boolean other = i >= 6 && !r.at("/details/clientUuid").asText().equals(robot);
            actual.add(r.at("/details/endpoint").asText() + "|" + r.get("target").asText() + "|" + r.at("/details/material").asText()
                    + "|" + (other ? null : exposed));
            assertEquals("ACTION", r.get("operation").asText(), r.toString());
            assertEquals(reader, r.at("/actor/userId").asText(), "the reader: " + r);
            assertEquals(masterId, r.at("/actor/realmId").asText(), "the reader's realm: " + r);
            assertFalse(r.at("/actor/clientId").asText().isEmpty(), "the client of the reader's token: " + r);
            assertFalse(r.at("/actor/ipAddress").asText().isEmpty(), "the reader's address: " + r);
            String uuid = r.at("/details/clientUuid").asText();
            assertTrue(r.get("target").asText().startsWith("clients/" + uuid), r.toString());
            if (uuid.equals(robot)) {
                assertEquals("cr-robot", r.at("/details/clientId").asText(), r.toString());
            }
        }
        assertEquals(expected, actual, "one record per read, in order: " + reads);
        assertEquals("keycloak-oidc-keycloak-json", reads.get(3).at("/details/installationProvider").asText(), reads.get(3).toString());
        assertEquals("jwt.credential", reads.get(4).at("/details/certificateAttribute").asText(), reads.get(4).toString());

        // Nothing secret read, refused, not found, masked, ambiguous: no record.
        long before = a.headSeq(realm);
        ok(a.http.get(base + "/users", a.token()));
        ok(a.http.get(base + "/clients/" + spa, a.token()));
        ok(a.http.get(base + "/clients/" + robot + "/roles", a.token()));
        assertEquals(404, a.http.get(client + "/client-secret/rotated", a.token()).status(), "no rotated secret");
        assertEquals(404, a.http.get(base + "/clients/" + UUID.randomUUID() + "/client-secret", a.token()).status());
        String peeker = a.http.passwordGrant(realm, "admin-cli", "peeker", "peeker-pass", null).get("access_token").asText();
        HttpAdmin.Response forbidden = a.http.get(client + "/client-secret", peeker);
        assertEquals(403, forbidden.status(), forbidden.body());
        assertEquals(403, a.http.get(client, peeker).status());
        HttpAdmin.Response ambiguous = a.http.get(base + "/clients/" + robot + ";v=1/client-secret", a.token());
        assertFalse(ambiguous.body().contains(secret), "an ambiguous path hands out no unrecorded secret: " + ambiguous.status()
                + " " + ambiguous.body());
        assertNotEquals(200, ambiguous.status(), ambiguous.body());
        assertEquals(List.of(), a.recordsAfter(realm, before, "type=" + TYPE), "no record for reads of nothing secret");

        // A partial export masks the secret but carries the stored private key (twenty-second red-team review): one
        // record for cr-robot, naming the key only.
        long beforeExport = a.headSeq(realm);
        HttpAdmin.Response export = ok(a.http.post(base + "/partial-export?exportClients=true", a.token(), null));
        assertTrue(export.body().contains("cr-robot") && !export.body().contains(secret), "partial export masks the secret");
        assertTrue(export.body().contains("jwt.credential.private.key"), "and carries the private key");
        List<String> exported = new ArrayList<>();
        a.recordsAfter(realm, beforeExport, "type=" + TYPE).forEach(r -> exported.add(r.get("target").asText() + "|"
                + r.at("/details/material").asText() + "|" + r.at("/details/exposed").asText()));
        assertEquals(List.of("clients/" + robot + "|realm-export|jwt.credential.private.key"), exported);

        // The secret appears nowhere we keep: the records, the export, Keycloak's admin events.
        Map<String, String> surfaces = new LinkedHashMap<>();
        surfaces.put("records", a.recordsAfter(realm, 0, null).toString());
        surfaces.put("export", ok(a.http.get(base + "/audit-chain/export", a.token())).body());
        String events = ok(a.http.get(base + "/admin-events?max=5000", a.token())).body();
        assertTrue(events.contains(TYPE), "Keycloak's admin events have the reads too: " + events);
        surfaces.put("admin events", events);
        surfaces.forEach((name, text) -> assertEquals(0, AuditSecretRedactionIT.count(text, secret), "the secret in " + name));
        JsonNode verify = a.verify(realm);
        assertTrue(verify.get("ok").asBoolean(), verify.toString());
    }

    /**
     * The record must not be lost: when the realm's chain refuses the append (its head row made
     * unwritable in PostgreSQL, as in {@code AuditTamperIT}), a credential read is answered 503 and
     * the secret is not sent; other reads are unaffected; once the chain accepts appends again the
     * read is recorded and answered.
     */
    @Test
    void aCredentialReadThatCannotBeRecordedIsWithheld(PostgresKeycloak.Server pg) throws Exception {
        AuditRealms a = new AuditRealms(pg.keycloak);
        String secret = "cr-withheld-" + UUID.randomUUID().toString().replace("-", "");
        String realm = createRealm(a, secret);
        String base = a.base(realm);
        String realmId = a.http.get(base, a.token()).json().get("id").asText();
        String robot = ok(a.http.get(base + "/clients?clientId=cr-robot", a.token())).json().get(0).get("id").asText();
        long head = a.headSeq(realm);
        String trigger = "nhi_audit_refuse_" + realmId.replace("-", "_");
        // Nothing can be recorded for this realm: staging its records fails.
        pg.ddl("CREATE FUNCTION " + trigger + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "RAISE EXCEPTION 'audit record refused by test'; END $$",
                "CREATE TRIGGER " + trigger + " BEFORE INSERT ON nhi_audit_staged FOR EACH ROW WHEN (NEW.realm_id = '"
                        + realmId + "') EXECUTE FUNCTION " + trigger + "()");
        try {
            for (String path : List.of("/clients/" + robot + "/client-secret", "/clients/" + robot, "/clients",
                    "/clients/" + robot + "/installation/providers/keycloak-oidc-keycloak-json")) {
                HttpAdmin.Response r = a.http.get(base + path, a.token());
                assertEquals(503, r.status(), path + ": " + r.body());
                assertEquals("credential_read_not_recorded", r.json().path("error").asText(), r.body());
                assertFalse(r.body().contains(secret), path + " sent the secret: " + r.body());
            }
            ok(a.http.get(base + "/users", a.token()));
        } finally {
            pg.ddl("DROP TRIGGER " + trigger + " ON nhi_audit_staged", "DROP FUNCTION " + trigger + "()");
        }
        assertEquals(head, a.headSeq(realm), "nothing was recorded while refused");
        assertEquals(secret, ok(a.http.get(base + "/clients/" + robot + "/client-secret", a.token())).json().get("value").asText());
        assertEquals(head + 1, a.headSeq(realm));
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    /**
     * A private key in a client's key set ({@code jwks.string}, meant for public keys; the guard refuses a write that puts
     * one there, so it comes from before: here the realm's creation) is carried by the client's representation, the list
     * and a partial export: each such read is recorded naming {@code jwks.string}, while a key set of public keys is no
     * credential (twenty-fourth red-team review: these reads went unrecorded).
     */
    @Test
    void aPrivateKeyInAClientsKeySetIsACredentialRead(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        java.security.interfaces.RSAPrivateCrtKey key = (java.security.interfaces.RSAPrivateCrtKey) generator.generateKeyPair().getPrivate();
        ObjectNode publicJwk = AuditRealms.JSON.createObjectNode().put("kty", "RSA").put("kid", "ks-1").put("use", "sig")
                .put("alg", "RS256").put("n", b64(key.getModulus())).put("e", b64(key.getPublicExponent()));
        ObjectNode privateJwk = publicJwk.deepCopy().put("d", b64(key.getPrivateExponent())).put("p", b64(key.getPrimeP()))
                .put("q", b64(key.getPrimeQ())).put("dp", b64(key.getPrimeExponentP())).put("dq", b64(key.getPrimeExponentQ()))
                .put("qi", b64(key.getCrtCoefficient()));
        String name = "keyset-reads-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode realm = AuditRealms.JSON.createObjectNode().put("realm", name).put("enabled", true)
                .put("adminEventsEnabled", true).put("adminEventsDetailsEnabled", true);
        realm.putObject("attributes").put("nhi.guard.policy", "{\"guardedOperations\":[]}");
        var clients = realm.putArray("clients");
        for (String[] c : new String[][] {{"ks-private", privateJwk.toString()}, {"ks-public", publicJwk.toString()}}) {
            ObjectNode client = clients.addObject().put("clientId", c[0]).put("publicClient", false)
                    .put("clientAuthenticatorType", "client-jwt").put("serviceAccountsEnabled", true).put("standardFlowEnabled", false);
            client.putObject("attributes").put("use.jwks.string", "true").put("jwks.string", "{\"keys\":[" + c[1] + "]}");
        }
        HttpAdmin.Response created = a.http.post("/admin/realms", a.token(), realm.toString());
        assertEquals(201, created.status(), created.body());
        String base = a.base(name);
        String d = privateJwk.get("d").asText();
        long start = a.headSeq(name);

        HttpAdmin.Response found = ok(a.http.get(base + "/clients?clientId=ks-private", a.token()));
        assertTrue(found.body().contains(d), "the list carries the private key");
        String withKey = found.json().get(0).get("id").asText();
        assertTrue(ok(a.http.get(base + "/clients/" + withKey, a.token())).body().contains(d), "so does the representation");
        String publicOnly = ok(a.http.get(base + "/clients?clientId=ks-public", a.token())).json().get(0).get("id").asText();
        ok(a.http.get(base + "/clients/" + publicOnly, a.token()));
        HttpAdmin.Response export = ok(a.http.post(base + "/partial-export?exportClients=true", a.token(), null));
        assertTrue(export.body().contains(d), "and a partial export");

        List<String> reads = new ArrayList<>();
        for (JsonNode r : a.recordsAfter(name, start, "type=" + TYPE)) {
            String target = r.get("target").asText();
            List<String> exposed = List.of(r.at("/details/exposed").asText().split(","));
            assertFalse(target.startsWith("clients/" + publicOnly) && exposed.contains("jwks.string"), "a public key set is no credential: " + r);
            if (exposed.contains("jwks.string")) {
                reads.add(r.at("/details/endpoint").asText() + "|" + target + "|" + r.at("/details/material").asText());
            }
            assertFalse(r.toString().contains(d), "no record carries the key: " + r);
        }
        assertEquals(List.of("GET clients|clients/" + withKey + "|client-representation",
                "GET clients/" + withKey + "|clients/" + withKey + "|client-representation",
                "POST partial-export|clients/" + withKey + "|realm-export"), reads, "one record naming jwks.string per read that carries it");
        assertTrue(a.verify(name).get("ok").asBoolean());
    }

    private static String b64(java.math.BigInteger i) {
        byte[] bytes = i.toByteArray();
        int skip = bytes.length > 1 && bytes[0] == 0 ? 1 : 0;
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOfRange(bytes, skip, bytes.length));
    }

    private static HttpAdmin.Response ok(HttpAdmin.Response r) {
        assertEquals(200, r.status(), r.body());
        return r;
    }

    /**
     * A realm of its own (guard policy guarding nothing: reads are recorded whatever the guard
     * holds), admin events stored with details, a confidential client with a service account and a
     * known secret, a public client, and a user who may view users but not clients.
     */
    private static String createRealm(AuditRealms a, String secret) {
        String name = "cred-reads-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode realm = AuditRealms.JSON.createObjectNode();
        realm.put("realm", name);
        realm.put("enabled", true);
        realm.put("adminEventsEnabled", true);
        realm.put("adminEventsDetailsEnabled", true);
        realm.putObject("attributes").put("nhi.guard.policy", "{\"guardedOperations\":[]}");
        var clients = realm.putArray("clients");
        ObjectNode robot = clients.addObject();
        robot.put("clientId", "cr-robot");
        robot.put("secret", secret);
        robot.put("publicClient", false);
        robot.put("serviceAccountsEnabled", true);
        robot.put("standardFlowEnabled", false);
        ObjectNode spa = clients.addObject();
        spa.put("clientId", "cr-spa");
        spa.put("publicClient", true);
        spa.putArray("redirectUris").add("http://localhost/*");
        ObjectNode peeker = realm.putArray("users").addObject();
        peeker.put("username", "peeker");
        peeker.put("enabled", true);
        peeker.put("email", "peeker@example.org");
        peeker.put("firstName", "Pee");
        peeker.put("lastName", "Ker");
        peeker.putArray("credentials").addObject().put("type", "password").put("value", "peeker-pass").put("temporary", false);
        peeker.putObject("clientRoles").putArray("realm-management").add("view-users");
        HttpAdmin.Response r = a.http.post("/admin/realms", a.token(), realm.toString());
        assertEquals(201, r.status(), r.body());
        return name;
    }
}
