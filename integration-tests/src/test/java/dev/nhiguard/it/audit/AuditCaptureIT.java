package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The chain holds a record for every committed change and none for a change that did not
 * commit; a change whose record cannot be appended is refused and not persisted.
 */
@ExtendWith(KeycloakExtension.class)
class AuditCaptureIT {

    @Test
    void committedClientCreateAppendsExactlyOneRecordWithActorAndRepresentation(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-capture");
        long before = a.headSeq(realm);

        HttpAdmin.Response created = a.http.post(a.base(realm) + "/clients", a.token(),
                "{\"clientId\":\"nightly-export\",\"serviceAccountsEnabled\":true,\"publicClient\":false,\"secret\":\"do-not-log-me\"}");
        assertEquals(201, created.status(), created.body());
        String id = a.clientUuid(realm, "nightly-export");

        List<JsonNode> records = a.recordsAfter(realm, before, "type=CLIENT");
        assertEquals(1, records.size(), records.toString());
        JsonNode r = records.get(0);
        assertEquals("ADMIN", r.get("category").asText());
        assertEquals("CREATE", r.get("operation").asText());
        assertEquals("clients/" + id, r.get("target").asText());
        assertEquals(a.adminUserId(), r.at("/actor/userId").asText());
        assertEquals("127.0.0.1", r.at("/actor/ipAddress").asText());
        assertFalse(r.at("/actor/realmId").asText().isEmpty());
        assertEquals("nightly-export", r.at("/representation/clientId").asText());
        assertTrue(r.at("/representation/secret").asText().startsWith("**sealed** hmac-sha256:"),
                "Keycloak masks the secret itself, and the chain seals its mask like any secret (a secret may be the mask's text)");
        assertFalse(r.toString().contains("do-not-log-me"), "secrets are not chained");
        assertEquals(64, r.get("hash").asText().length());

        JsonNode single = a.http.get(a.base(realm) + "/audit-chain/records/" + r.get("seq").asLong(), a.token()).json();
        assertEquals(r, single);
        assertTrue(a.verify(realm).get("ok").asBoolean(), a.verify(realm).toString());
    }

    @Test
    void changeRolledBackAfterItsEventLeavesNoRecord(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-rollback");
        long before = a.headSeq(realm);

        // Keycloak sends the CREATE admin event, then validates the client and rolls back.
        HttpAdmin.Response invalid = a.http.post(a.base(realm) + "/clients", a.token(),
                "{\"clientId\":\"bad-redirects\",\"redirectUris\":[\"javascript:alert(1)\"]}");
        assertEquals(400, invalid.status(), invalid.body());
        assertNull(a.clientUuid(realm, "bad-redirects"));

        // A duplicate create is refused with 409.
        HttpAdmin.Response dup = a.http.post(a.base(realm) + "/clients", a.token(), "{\"clientId\":\"" + AuditRealms.SA_CLIENT + "\"}");
        assertEquals(409, dup.status(), dup.body());

        assertEquals(before, a.headSeq(realm), "no record for changes that did not commit: " + a.recordsAfter(realm, before, null));

        // The chain carries on from where it was.
        assertEquals(201, a.http.post(a.base(realm) + "/clients", a.token(), "{\"clientId\":\"good-one\"}").status());
        assertEquals(before + 1, a.headSeq(realm));
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void userUpdateThatCommitsItselfIsRecordedOnce(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-user");
        String erin = a.userId(realm, "erin");
        long before = a.headSeq(realm);

        HttpAdmin.Response r = a.http.put(a.base(realm) + "/users/" + erin, a.token(),
                "{\"username\":\"erin\",\"email\":\"erin.new@example.org\",\"firstName\":\"Erin\",\"lastName\":\"Example\"}");
        assertEquals(204, r.status(), r.body());

        List<JsonNode> records = a.recordsAfter(realm, before, null);
        assertEquals(1, records.size(), records.toString());
        assertEquals("USER", records.get(0).get("type").asText());
        assertEquals("UPDATE", records.get(0).get("operation").asText());
        assertEquals("users/" + erin, records.get(0).get("target").asText());
        assertEquals("erin.new@example.org", records.get(0).at("/representation/email").asText());
    }

    /**
     * Keycloak answers these admin writes 204 without an admin event (a red-team review changed the
     * login page's texts and a credential's label without a trace); the chain records them as
     * {@code ADMIN_WRITE_UNRECORDED}, with the admin and the path, no body.
     */
    @Test
    void writesKeycloakRecordsNoEventForAreChainedToo(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-unrecorded");
        String erin = a.userId(realm, "erin");
        assertEquals(204, a.http.put(a.base(realm) + "/users/" + erin + "/reset-password", a.token(),
                "{\"type\":\"password\",\"value\":\"erin-label-pass\",\"temporary\":false}").status());
        String credential = a.http.get(a.base(realm) + "/users/" + erin + "/credentials", a.token()).json().get(0).path("id").asText();
        long before = a.headSeq(realm);

        HttpAdmin.Response text = a.http.send("PUT", a.base(realm) + "/localization/en/loginTitle", a.token(), "text/plain",
                "Sign in here (changed)");
        HttpAdmin.Response label = a.http.send("PUT", a.base(realm) + "/users/" + erin + "/credentials/" + credential + "/userLabel",
                a.token(), "text/plain", "erin's laptop");
        assertEquals(204, text.status(), text.body());
        assertEquals(204, label.status(), label.body());

        List<JsonNode> records = a.recordsAfter(realm, before, "type=ADMIN_WRITE_UNRECORDED");
        assertEquals(2, records.size(), a.recordsAfter(realm, before, null).toString());
        assertEquals("localization/en/loginTitle", records.get(0).get("target").asText());
        assertEquals("users/" + erin + "/credentials/" + credential + "/userLabel", records.get(1).get("target").asText());
        for (JsonNode r : records) {
            assertEquals("UPDATE", r.get("operation").asText(), r.toString());
            assertEquals(a.adminUserId(), r.at("/actor/userId").asText(), r.toString());
            assertEquals("PUT", r.at("/details/method").asText(), r.toString());
        }
        assertFalse(records.toString().contains("erin's laptop"), "no body in the record");
        assertTrue(a.verify(realm).get("ok").asBoolean(), a.verify(realm).toString());
    }

    @Test
    void clientCreateWhoseRecordCannotBeAppendedIsRefusedAndNotPersisted(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-refuse");
        long before = a.headSeq(realm);

        // The test server limits records to 256 KiB; this representation is larger.
        ObjectNode client = AuditRealms.JSON.createObjectNode();
        client.put("clientId", "too-big");
        client.putObject("attributes").put("notes", "x".repeat(300_000));
        HttpAdmin.Response r = a.http.post(a.base(realm) + "/clients", a.token(), client.toString());

        assertEquals(400, r.status(), r.body());
        assertEquals("audit_record_too_large", r.json().path("error").asText(), r.body());
        assertNull(a.clientUuid(realm, "too-big"), "the refused client must not exist");
        assertEquals(before, a.headSeq(realm));
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void userUpdateWhoseRecordCannotBeAppendedIsRefusedAndNotPersisted(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-refuse-user");
        String erin = a.userId(realm, "erin");
        long before = a.headSeq(realm);

        ObjectNode rep = AuditRealms.JSON.createObjectNode();
        rep.put("username", "erin");
        rep.put("email", "erin.changed@example.org");
        rep.put("firstName", "Erin");
        rep.put("lastName", "x".repeat(300_000).substring(0, 10));
        rep.putObject("attributes").putArray("padding").add("y".repeat(300_000));
        HttpAdmin.Response r = a.http.put(a.base(realm) + "/users/" + erin, a.token(), rep.toString());

        assertEquals(400, r.status(), r.body());
        assertEquals("audit_record_too_large", r.json().path("error").asText(), r.body());
        JsonNode after = a.http.get(a.base(realm) + "/users/" + erin, a.token()).json();
        assertEquals("erin@example.org", after.get("email").asText(), "the refused change must not be persisted");
        assertEquals(before, a.headSeq(realm));
    }

    @Test
    void clientCredentialsLoginsAndFailuresAreChained(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-login");
        long before = a.headSeq(realm);

        a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
        HttpAdmin.Response wrong = a.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", Map.of(
                "grant_type", "client_credentials", "client_id", AuditRealms.SA_CLIENT, "client_secret", "wrong"));
        assertEquals(401, wrong.status(), wrong.body());

        List<JsonNode> records = a.recordsAfter(realm, before, null);
        assertEquals(List.of("CLIENT_LOGIN", "CLIENT_LOGIN_ERROR"), records.stream().map(r -> r.get("type").asText()).toList(), records.toString());
        assertEquals("USER", records.get(0).get("category").asText());
        assertEquals(AuditRealms.SA_CLIENT, records.get(0).get("target").asText());
        assertEquals("client_credentials", records.get(0).at("/details/grant_type").asText());
        assertFalse(records.get(1).path("error").asText().isEmpty());
        assertTrue(a.verify(realm).get("ok").asBoolean());
    }

    @Test
    void excludedRealmIsNotChained(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        HttpAdmin.Response created = a.http.post("/admin/realms", a.token(),
                "{\"realm\":\"audit-excluded\",\"enabled\":true,\"attributes\":{\"nhi.guard.policy\":\"{\\\"guardedOperations\\\":[]}\"}}");
        assertTrue(created.status() == 201 || created.status() == 409, created.body());
        assertEquals(201, a.http.post("/admin/realms/audit-excluded/clients", a.token(), "{\"clientId\":\"c-" + System.nanoTime() + "\"}").status());
        assertEquals(0, a.headSeq("audit-excluded"));
    }
}
