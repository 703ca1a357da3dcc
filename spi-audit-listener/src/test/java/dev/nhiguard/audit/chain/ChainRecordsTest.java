package dev.nhiguard.audit.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;
import org.keycloak.events.admin.OperationType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

class ChainRecordsTest {

    static AdminEvent adminEvent(String representation) {
        AdminEvent e = new AdminEvent();
        e.setId("ev-1");
        e.setTime(1_700_000_000_123L);
        e.setRealmId("realm-1");
        e.setOperationType(OperationType.UPDATE);
        e.setResourceTypeAsString("CHANGE_REQUEST");
        e.setResourcePath("mutation-guard/change-requests/42");
        e.setRepresentation(representation);
        AuthDetails a = new AuthDetails();
        a.setRealmId("master-id");
        a.setUserId("user-1");
        a.setClientId("admin-cli-id");
        a.setIpAddress("127.0.0.1");
        e.setAuthDetails(a);
        e.setDetails(Map.of("decision", "approved"));
        return e;
    }

    @Test
    void adminRecordCarriesActorTargetOperationAndSealedRepresentation() {
        ObjectNode draft = ChainRecords.draft(adminEvent("{\"clientId\":\"x\",\"secret\":\"s3cr3t\",\"nested\":[{\"password\":\"p\"}]}"),
                true);
        SecretRedactor redactor = new SecretRedactor(SecretRedactorTest.KEY, Set.of());
        ChainRecords.Sealed s = ChainRecords.seal(redactor.redactRecord(draft), 1, ChainRecords.GENESIS);
        JsonNode n = ChainRecords.parse(s.content());
        assertEquals(1, n.get("v").asInt());
        assertEquals("realm-1", n.get("realmId").asText());
        assertEquals(1, n.get("seq").asLong());
        assertEquals("ADMIN", n.get("category").asText());
        assertEquals("CHANGE_REQUEST", n.get("type").asText());
        assertEquals("UPDATE", n.get("operation").asText());
        assertEquals("user-1", n.at("/actor/userId").asText());
        assertEquals("master-id", n.at("/actor/realmId").asText());
        assertEquals("127.0.0.1", n.at("/actor/ipAddress").asText());
        assertEquals("mutation-guard/change-requests/42", n.get("target").asText());
        assertEquals("approved", n.at("/details/decision").asText());
        assertEquals("x", n.at("/representation/clientId").asText());
        SecretRedactor record = redactor.forRecord(n.get("eventId").asText());
        assertEquals(record.seal("s3cr3t"), n.at("/representation/secret").asText(), "sealed under the record's own key");
        assertEquals(record.seal("p"), n.at("/representation/nested/0/password").asText());
        assertNotEquals(redactor.seal("s3cr3t"), n.at("/representation/secret").asText(), "not under the realm's key");
        assertFalse(s.content().contains("s3cr3t"));
        assertFalse(n.has("hash"));
        assertEquals(ChainRecords.GENESIS, n.get("prevHash").asText());
        assertEquals("CHANGE_REQUEST", s.type());
        assertEquals("user-1", s.actorUserId());
    }

    @Test
    void hashIsSha256OfCanonicalContentWithoutHash() {
        ChainRecords.Sealed s = ChainRecords.seal(ChainRecords.draft(adminEvent(null), true), 7, "ab".repeat(32));
        assertEquals(Canonical.canonicalize(s.content()), s.content(), "stored content is canonical");
        assertEquals(Canonical.sha256Hex(s.content()), s.hash());
        ObjectNode exported = s.withHash();
        assertEquals(s.hash(), exported.get("hash").asText());
        exported.remove("hash");
        assertEquals(s.hash(), Canonical.sha256Hex(Canonical.canonicalize(exported)), "a third party recomputes the hash from the export");
    }

    @Test
    void knownRecordHasKnownHash() {
        // Pins the format: any change of field names, canonical form or hashing breaks this.
        ChainRecords.Sealed s = ChainRecords.seal(ChainRecords.draft(adminEvent("{\"a\":1}"), true), 1, ChainRecords.GENESIS);
        String expected = "{\"actor\":{\"clientId\":\"admin-cli-id\",\"ipAddress\":\"127.0.0.1\",\"realmId\":\"master-id\",\"userId\":\"user-1\"},"
                + "\"category\":\"ADMIN\",\"details\":{\"decision\":\"approved\"},\"eventId\":\"ev-1\",\"operation\":\"UPDATE\","
                + "\"prevHash\":\"" + ChainRecords.GENESIS + "\",\"realmId\":\"realm-1\",\"representation\":{\"a\":1},\"seq\":1,"
                + "\"target\":\"mutation-guard/change-requests/42\",\"time\":1700000000123,\"type\":\"CHANGE_REQUEST\",\"v\":1}";
        assertEquals(expected, s.content());
        assertEquals(Canonical.sha256Hex(expected), s.hash());
    }

    @Test
    void representationIsLeftOutWhenNotIncluded() {
        JsonNode n = ChainRecords.parse(ChainRecords.seal(ChainRecords.draft(adminEvent("{\"a\":1}"), false), 1, ChainRecords.GENESIS).content());
        assertFalse(n.has("representation"));
    }

    @Test
    void nonJsonRepresentationIsKeptAsText() {
        JsonNode n = ChainRecords.parse(ChainRecords.seal(ChainRecords.draft(adminEvent("not json {"), true), 1, ChainRecords.GENESIS).content());
        assertEquals("not json {", n.get("representation").asText());
    }

    @Test
    void userEventRecordNamesClientAsTarget() {
        Event e = new Event();
        e.setId("u-1");
        e.setTime(5);
        e.setType(EventType.CLIENT_LOGIN);
        e.setRealmId("realm-1");
        e.setClientId("billing-sync");
        e.setUserId("sa-user");
        e.setIpAddress("10.0.0.1");
        e.setDetails(Map.of("grant_type", "client_credentials"));
        JsonNode n = ChainRecords.parse(ChainRecords.seal(ChainRecords.draft(e), 3, "cd".repeat(32)).content());
        assertEquals("USER", n.get("category").asText());
        assertEquals("CLIENT_LOGIN", n.get("type").asText());
        assertEquals("billing-sync", n.get("target").asText());
        assertEquals("sa-user", n.at("/actor/userId").asText());
        assertEquals("client_credentials", n.at("/details/grant_type").asText());
        assertTrue(n.path("operation").isMissingNode());
        assertNull(n.get("error"));
    }
}
