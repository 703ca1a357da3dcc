package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The formats SIEMs ingest, on the PostgreSQL-backed server: its file sink writes CloudEvents 1.0
 * (structured JSON), its webhook sink OCSF. Each copy carries the chain fields and the
 * checkpoints, and the offline verifier accepts the copy as it arrived.
 */
@ExtendWith(PostgresKeycloak.class)
class AuditSinkFormatsIT {

    @Test
    void cloudEventsAndOcsfCopiesCarryTheChainAndVerify(PostgresKeycloak.Server pg, @TempDir Path dir) throws Exception {
        AuditRealms a = new AuditRealms(pg.keycloak);
        String realm = a.createRealm("audit-formats");
        String realmId = a.http.get(a.base(realm), a.token()).json().get("id").asText();
        AuditWebhookIT.Receiver receiver = new AuditWebhookIT.Receiver(realmId);
        receiver.start(pg.webhookPort, pg.webhookSecret);
        try {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"siem-role\"}").status());
            assertEquals(201, a.http.post(a.base(realm) + "/users", a.token(), "{\"username\":\"siem-user\",\"enabled\":true}").status());
            a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
            assertEquals(401, a.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", java.util.Map.of("grant_type",
                    "client_credentials", "client_id", AuditRealms.SA_CLIENT, "client_secret", "wrong-secret")).status());
            a.awaitSequenced(realm);
            long head = a.headSeq(realm);
            String vkey = a.http.get(a.base(realm) + "/audit-chain/checkpoints/key", a.token()).json().get("verifierKey").asText();

            // CloudEvents in the file: every record and the checkpoint at the head.
            List<JsonNode> events = new ArrayList<>();
            AuditWebhookIT.await("the CloudEvents file holds the checkpoint at " + head, () -> {
                events.clear();
                try {
                    if (Files.exists(pg.cloudEventsFile)) {
                        for (String line : AuditFileSinkIT.finishedLines(pg.cloudEventsFile)) {
                            JsonNode n = AuditRealms.JSON.readTree(line);
                            if (realmId.equals(n.path("nhirealmid").asText())) {
                                events.add(n);
                            }
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return events.stream().anyMatch(n -> n.path("type").asText().endsWith("checkpoint.v1") && n.path("nhiseq").asLong() == head);
            });
            JsonNode roleEvent = events.stream().filter(n -> "REALM_ROLE".equals(n.path("data").path("type").asText())).findFirst().orElseThrow();
            long roleSeq = roleEvent.get("nhiseq").asLong();
            JsonNode stored = a.http.get(a.base(realm) + "/audit-chain/records/" + roleSeq, a.token()).json();
            assertEquals("1.0", roleEvent.get("specversion").asText());
            assertEquals(realmId + "/" + roleSeq, roleEvent.get("id").asText());
            assertEquals("/nhi-guard/audit-chain/" + realmId, roleEvent.get("source").asText());
            assertEquals("dev.nhiguard.audit.record.v1", roleEvent.get("type").asText());
            assertEquals(Instant.ofEpochMilli(stored.get("time").asLong()).toString(), roleEvent.get("time").asText());
            assertEquals(stored.get("target").asText(), roleEvent.get("subject").asText());
            assertEquals("application/json", roleEvent.get("datacontenttype").asText());
            assertEquals(stored.get("prevHash").asText(), roleEvent.get("nhiprevhash").asText());
            assertEquals(stored.get("hash").asText(), roleEvent.get("nhihash").asText());
            assertEquals(stored, roleEvent.get("data"));
            Path ceCopy = dir.resolve("ce.jsonl");
            Files.write(ceCopy, events.stream().map(JsonNode::toString).toList());
            AuditTrustedHeadIT.Run ce = AuditTrustedHeadIT.jar("--realm", realmId, "--redeliveries", ceCopy.toString(), vkey);
            assertEquals(0, ce.exit(), ce.output());
            assertTrue(ce.output().startsWith("OK " + head + " records") && ce.output().contains("signed up to seq " + head), ce.output());
            List<String> cut = new ArrayList<>();
            for (JsonNode n : events) {
                if (n.get("nhiseq").asLong() < head - 1) {
                    cut.add(n.toString());
                }
            }
            Path ceCut = dir.resolve("ce-cut.jsonl");
            Files.write(ceCut, cut);
            Path checkpoint = dir.resolve("head.note");
            Files.writeString(checkpoint, events.stream().filter(n -> n.path("type").asText().endsWith("checkpoint.v1")
                    && n.path("nhiseq").asLong() == head).findFirst().orElseThrow().get("data").get("note").asText());
            AuditTrustedHeadIT.Run truncated = AuditTrustedHeadIT.jar("--realm", realmId, "--redeliveries", "--checkpoint", checkpoint.toString(),
                    ceCut.toString(), vkey);
            assertEquals(3, truncated.exit(), truncated.output());

            // OCSF through the webhook: classes by what happened, chain fields in unmapped.nhi.
            AuditWebhookIT.await("the webhook received record " + head, () -> receiver.highest() >= head);
            List<JsonNode> ocsf = new ArrayList<>();
            synchronized (receiver.siemCopy) {
                for (String line : receiver.siemCopy) {
                    JsonNode n = AuditRealms.JSON.readTree(line);
                    if (realmId.equals(n.path("unmapped").path("nhi").path("realmId").asText())) {
                        ocsf.add(n);
                    }
                }
            }
            JsonNode role = ocsfOf(ocsf, roleSeq);
            assertEquals(6003, role.get("class_uid").asInt());
            assertEquals(600301, role.get("type_uid").asLong());
            assertEquals(stored.get("hash").asText(), role.get("unmapped").get("nhi").get("hash").asText());
            assertEquals("1.3.0", role.get("metadata").get("version").asText());
            JsonNode userCreate = ocsf.stream().filter(n -> n.path("class_uid").asInt() == 3001).findFirst().orElseThrow();
            assertEquals(300101, userCreate.get("type_uid").asLong());
            assertTrue(userCreate.get("user").get("uid").asText().startsWith("users/"), userCreate.toString());
            List<JsonNode> logins = ocsf.stream().filter(n -> n.path("class_uid").asInt() == 3002).toList();
            assertTrue(logins.stream().anyMatch(n -> n.get("status_id").asInt() == 1), logins.toString());
            assertTrue(logins.stream().anyMatch(n -> n.get("status_id").asInt() == 2), "the failed client login is a failure: " + logins);
            Path ocsfCopy = dir.resolve("ocsf.jsonl");
            Files.write(ocsfCopy, ocsf.stream().map(JsonNode::toString).toList());
            AuditTrustedHeadIT.Run ocsfRun = AuditTrustedHeadIT.jar("--realm", realmId, "--redeliveries", ocsfCopy.toString(), vkey);
            assertEquals(0, ocsfRun.exit(), ocsfRun.output());
            assertTrue(ocsfRun.output().startsWith("OK " + head + " records"), ocsfRun.output());
        } finally {
            receiver.stop();
        }
    }

    private static JsonNode ocsfOf(List<JsonNode> ocsf, long seq) {
        return ocsf.stream().filter(n -> "record".equals(n.path("unmapped").path("nhi").path("kind").asText())
                && n.path("unmapped").path("nhi").path("seq").asLong() == seq).findFirst().orElseThrow();
    }
}
