package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The read-only REST API: cursor paging, filters, single records, export, errors, permissions. */
@ExtendWith(KeycloakExtension.class)
class AuditChainApiIT {

    @Test
    void cursorPagingFiltersAndExportAgree(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-api");
        for (int i = 0; i < 7; i++) {
            assertEquals(201, a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"role-" + i + "\"}").status());
        }
        a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
        long head = a.headSeq(realm);

        // pages of 3 follow the cursor and together give 1..head without gaps
        List<Long> seqs = new ArrayList<>();
        long cursor = 0;
        while (true) {
            HttpAdmin.Response r = a.http.get(a.base(realm) + "/audit-chain/records?limit=3&after=" + cursor, a.token());
            assertEquals(200, r.status(), r.body());
            r.json().get("records").forEach(n -> seqs.add(n.get("seq").asLong()));
            if (r.json().get("next").isNull()) {
                break;
            }
            cursor = r.json().get("next").asLong();
        }
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= head; s++) {
            expected.add(s);
        }
        assertEquals(expected, seqs);

        List<JsonNode> roles = a.recordsAfter(realm, 0, "type=REALM_ROLE");
        assertEquals(7, roles.size());
        assertTrue(roles.stream().allMatch(r -> r.get("operation").asText().equals("CREATE")));
        assertEquals(1, a.recordsAfter(realm, 0, "target=roles/role-3").size());
        assertEquals(7, a.recordsAfter(realm, 0, "actor=" + a.adminUserId() + "&type=REALM_ROLE").size());
        assertEquals(1, a.recordsAfter(realm, 0, "type=CLIENT_LOGIN").size());

        HttpAdmin.Response export = a.http.get(a.base(realm) + "/audit-chain/export", a.token());
        assertEquals(200, export.status());
        assertTrue(export.header("content-type").startsWith("application/jsonl"), export.header("content-type"));
        // record lines, in order; checkpoint lines ({"checkpoint":…}) sit between them
        List<String> lines = export.body().lines().filter(l -> !l.startsWith("{\"checkpoint\"")).toList();
        assertEquals(head, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = new HttpAdmin.Response(200, java.util.Map.of(), lines.get(i)).json();
            assertEquals(i + 1, line.get("seq").asLong());
            assertEquals(a.http.get(a.base(realm) + "/audit-chain/records/" + (i + 1), a.token()).json(), line);
        }
    }

    @Test
    void badInputIsRefusedWithKeycloakErrors(KeycloakTarget keycloak) {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-api-bad");
        for (String q : List.of("records?after=-1", "records?after=abc", "records?limit=0", "records?limit=1001",
                "records/0", "records/x", "verify?from=0", "verify?from=5&to=2")) {
            HttpAdmin.Response r = a.http.get(a.base(realm) + "/audit-chain/" + q, a.token());
            assertEquals(400, r.status(), q + ": " + r.body());
            assertEquals("invalid_request", r.json().path("error").asText(), q + ": " + r.body());
            assertTrue(r.json().has("error_description"), q + ": " + r.body());
        }
        HttpAdmin.Response missing = a.http.get(a.base(realm) + "/audit-chain/records/999999", a.token());
        assertEquals(404, missing.status(), missing.body());
        assertEquals(405, a.http.delete(a.base(realm) + "/audit-chain/records/1", a.token()).status(), "records cannot be deleted");
        JsonNode first = a.http.get(a.base(realm) + "/audit-chain/records/1", a.token()).json();
        // Keycloak's JAX-RS answers 404 rather than 405 since the resource has a PUT of its own (realm-sinks)
        int put = a.http.put(a.base(realm) + "/audit-chain/records/1", a.token(), "{}").status();
        assertTrue(put == 405 || put == 404, "records cannot be edited: " + put);
        assertEquals(first, a.http.get(a.base(realm) + "/audit-chain/records/1", a.token()).json());
    }

    @Test
    void readingTheChainNeedsViewEvents(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String dana = http.passwordGrant("nhi-demo", "admin-cli", "dana", "dana-demo-pass", null).get("access_token").asText();
        for (String q : List.of("head", "records", "records/1", "verify", "export")) {
            assertEquals(403, http.get("/admin/realms/nhi-demo/audit-chain/" + q, dana).status(), q);
        }
        assertEquals(401, http.get("/admin/realms/nhi-demo/audit-chain/records", null).status());
    }
}
