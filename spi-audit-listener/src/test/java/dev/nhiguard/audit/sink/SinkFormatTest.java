package dev.nhiguard.audit.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The sink formats (CloudEvents, OCSF), Standard Webhooks signing and the Kafka sink's fixed settings. */
class SinkFormatTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String H1 = "1".repeat(64);
    static final String H2 = "2".repeat(64);

    static SinkItem record(String category, String type, String operation, String error) {
        String line = "{\"actor\":{\"ipAddress\":\"10.0.0.1\",\"realmId\":\"r1\",\"userId\":\"u1\"},\"category\":\"" + category + "\","
                + (error == null ? "" : "\"error\":\"" + error + "\",") + "\"eventId\":\"e1\",\"hash\":\"" + H2 + "\","
                + (operation == null ? "" : "\"operation\":\"" + operation + "\",")
                + "\"prevHash\":\"" + H1 + "\",\"realm\":\"acme\",\"realmId\":\"r1\",\"seq\":7,\"target\":\"users/u9\",\"time\":1700000000123,"
                + "\"type\":\"" + type + "\",\"v\":1}";
        return new SinkItem(SinkItem.Kind.RECORD, "r1", 7, 1700000000123L, line);
    }

    /**
     * A record whose text holds U+2028, U+2029 or U+0085 (a role description an admin chose): JSON lets them stand raw
     * inside a string, and a receiver splitting lines on them broke the record in two. Every format writes them as
     * escapes, which read back as the same value.
     */
    @Test
    void lineSeparatorsInsideRecordsAreEscapedInEveryFormat() throws Exception {
        String line = "{\"description\":\"a\u2028b\u2029c\u0085d\",\"realmId\":\"r1\",\"seq\":7,\"time\":1700000000123,"
                + "\"type\":\"REALM_ROLE\",\"v\":1,\"hash\":\"" + H2 + "\"}";
        SinkItem item = new SinkItem(SinkItem.Kind.RECORD, "r1", 7, 1700000000123L, line);
        for (SinkFormat f : SinkFormat.values()) {
            String out = f.render(item);
            for (char c : new char[] {'\u2028', '\u2029', '\u0085'}) {
                assertEquals(-1, out.indexOf(c), f + " writes U+" + Integer.toHexString(c) + " raw: " + out);
            }
            assertEquals(1, out.lines().count(), f + ": " + out);
        }
        assertEquals("a\u2028b\u2029c\u0085d", JSON.readTree(SinkFormat.NATIVE.render(item)).get("description").asText(),
                "the escapes read back as the same text");
    }

    @Test
    void cloudEventCarriesTheRecordAndTheChainFields() throws Exception {
        SinkItem item = record("ADMIN", "USER", "CREATE", null);
        JsonNode ce = JSON.readTree(SinkFormat.CLOUDEVENTS.render(item));
        assertEquals("1.0", ce.get("specversion").asText());
        assertEquals("r1/7", ce.get("id").asText());
        assertEquals("/nhi-guard/audit-chain/r1", ce.get("source").asText());
        assertEquals("dev.nhiguard.audit.record.v1", ce.get("type").asText());
        assertEquals("2023-11-14T22:13:20.123Z", ce.get("time").asText());
        assertEquals("users/u9", ce.get("subject").asText());
        assertEquals("application/json", ce.get("datacontenttype").asText());
        assertEquals(7, ce.get("nhiseq").asLong());
        assertEquals(H1, ce.get("nhiprevhash").asText());
        assertEquals(H2, ce.get("nhihash").asText());
        assertEquals(JSON.readTree(item.line()), ce.get("data"));
        for (String name : new String[] {"nhiseq", "nhiprevhash", "nhihash", "nhirealmid"}) {
            assertEquals(true, name.matches("[a-z0-9]{1,20}"), "CloudEvents extension attribute name " + name);
        }
    }

    @Test
    void checkpointItemsInEachFormat() throws Exception {
        String line = "{\"checkpoint\":{\"realmId\":\"r1\",\"seq\":7,\"note\":\"n\\n\"}}";
        SinkItem cp = new SinkItem(SinkItem.Kind.CHECKPOINT, "r1", 7, 1700000000000L, line);
        assertEquals(line, SinkFormat.NATIVE.render(cp));
        JsonNode ce = JSON.readTree(SinkFormat.CLOUDEVENTS.render(cp));
        assertEquals("dev.nhiguard.audit.checkpoint.v1", ce.get("type").asText());
        assertEquals("r1/checkpoint/7", ce.get("id").asText());
        assertEquals("n\n", ce.get("data").get("note").asText());
        JsonNode ocsf = JSON.readTree(SinkFormat.OCSF.render(cp));
        assertEquals(6003, ocsf.get("class_uid").asInt());
        assertEquals(600399, ocsf.get("type_uid").asLong());
        assertEquals(line, ocsf.get("raw_data").asText());
        assertEquals("checkpoint", ocsf.get("unmapped").get("nhi").get("kind").asText());
    }

    @Test
    void ocsfClassesFollowWhatHappened() throws Exception {
        JsonNode login = JSON.readTree(SinkFormat.OCSF.render(record("USER", "CLIENT_LOGIN_ERROR", null, "invalid_client_credentials")));
        assertEquals(3002, login.get("class_uid").asInt());
        assertEquals(300201, login.get("type_uid").asLong());
        assertEquals(2, login.get("status_id").asInt());
        assertEquals("invalid_client_credentials", login.get("status_detail").asText());
        JsonNode account = JSON.readTree(SinkFormat.OCSF.render(record("ADMIN", "USER", "DELETE", null)));
        assertEquals(3001, account.get("class_uid").asInt());
        assertEquals(300106, account.get("type_uid").asLong());
        assertEquals("users/u9", account.get("user").get("uid").asText());
        JsonNode api = JSON.readTree(SinkFormat.OCSF.render(record("ADMIN", "REALM_ROLE", "UPDATE", null)));
        assertEquals(6003, api.get("class_uid").asInt());
        assertEquals(600303, api.get("type_uid").asLong());
        assertEquals("u1", api.get("actor").get("user").get("uid").asText());
        assertEquals("10.0.0.1", api.get("src_endpoint").get("ip").asText());
        assertEquals(1700000000123L, api.get("time").asLong());
        assertEquals(H2, api.get("unmapped").get("nhi").get("hash").asText());
        assertEquals(record("ADMIN", "REALM_ROLE", "UPDATE", null).line(), api.get("raw_data").asText());
        assertThrows(IllegalArgumentException.class, () -> SinkFormat.of("file-sink-format", "xml"));
    }

    @Test
    void standardWebhooksSignatureMatchesThePublishedExample() {
        // The example of the Standard Webhooks specification (secret, id, timestamp, payload, signature).
        byte[] key = WebhookSink.signingKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        String sig = Base64.getEncoder().encodeToString(WebhookSink.hmac(key, "msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}"));
        assertEquals("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig);
        assertEquals(WebhookSink.messageId("r1", 1, 2, "body\n"), WebhookSink.messageId("r1", 1, 2, "body\n"));
        assertNotEquals(WebhookSink.messageId("r1", 1, 2, "body\n"), WebhookSink.messageId("r1", 1, 2, "other\n"));
    }

    @Test
    void kafkaSinkRefusesToLoosenItsDeliverySettings() {
        for (String key : new String[] {"enable.idempotence", "acks", "max.in.flight.requests.per.connection", "transactional.id"}) {
            assertThrows(IllegalArgumentException.class, () -> new KafkaSink("127.0.0.1:1", "t", SinkFormat.NATIVE, Map.of(key, "x"), 5));
        }
    }
}
