package dev.nhiguard.it.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** Many concurrent writers (admin changes and token requests) make one gap-free chain that verifies. */
class AuditConcurrencyIT {

    static final int WRITERS = 8;
    static final int CHANGES = 8;
    static final int LOGINS = 4;

    static void hammer(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-concurrent");
        long before = a.headSeq(realm);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < CHANGES; i++) {
                        int status = a.http.post(a.base(realm) + "/roles", a.token(), "{\"name\":\"w" + writer + "-" + i + "\"}").status();
                        assertEquals(201, status);
                        if (i < LOGINS) {
                            a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        long head = a.headSeq(realm);
        assertEquals(before + WRITERS * (CHANGES + LOGINS), head, "one record per change and per login");
        List<JsonNode> records = a.recordsAfter(realm, 0, null);
        for (int i = 0; i < records.size(); i++) {
            assertEquals(i + 1, records.get(i).get("seq").asLong(), "no gap");
        }
        assertEquals(WRITERS * CHANGES, records.stream().filter(r -> r.get("type").asText().equals("REALM_ROLE")).count());
        assertEquals(WRITERS * LOGINS, records.stream().filter(r -> r.get("type").asText().equals("CLIENT_LOGIN")).count());
        JsonNode v = a.verify(realm);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertEquals(head, v.get("checked").asLong());
    }

    /**
     * Concurrent client-credentials requests only: their events are staged without the head
     * lock and sequenced in batches; every request gives exactly one record, in one gap-free
     * chain that verifies, and nothing stays staged.
     */
    @Test
    @ExtendWith(KeycloakExtension.class)
    void concurrentTokenRequestsAreSequencedIntoOneChain(KeycloakTarget keycloak) throws Exception {
        AuditRealms a = new AuditRealms(keycloak);
        String realm = a.createRealm("audit-token-batch");
        long before = a.headSeq(realm);
        int threads = 8;
        int perThread = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        a.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        JsonNode head = a.head(realm); // waits until nothing is staged
        assertEquals(0, head.get("staged").asLong());
        assertEquals(before + threads * perThread, head.get("seq").asLong(), "one record per token request");
        List<JsonNode> records = a.recordsAfter(realm, 0, null);
        for (int i = 0; i < records.size(); i++) {
            assertEquals(i + 1, records.get(i).get("seq").asLong(), "no gap");
        }
        List<JsonNode> logins = records.stream().filter(r -> r.get("type").asText().equals("CLIENT_LOGIN")).toList();
        assertEquals(threads * perThread, logins.size());
        assertEquals(logins.size(), logins.stream().map(r -> r.get("eventId").asText()).distinct().count(), "every event once");
        JsonNode v = a.verify(realm);
        assertTrue(v.get("ok").asBoolean(), v.toString());
        assertEquals(head.get("seq").asLong(), v.get("checked").asLong());
    }

    @Test
    @ExtendWith(KeycloakExtension.class)
    void concurrentWritersOnH2MakeOneVerifiableChain(KeycloakTarget keycloak) throws Exception {
        hammer(keycloak);
    }

    @Test
    @ExtendWith(PostgresKeycloak.class)
    void concurrentWritersOnPostgresMakeOneVerifiableChain(PostgresKeycloak.Server pg) throws Exception {
        hammer(pg.keycloak);
    }
}
