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

import dev.nhiguard.testing.KeycloakCluster;
import dev.nhiguard.testing.KeycloakClusterExtension;

/**
 * Two Keycloak nodes on one PostgreSQL append to one realm's chain at the same time: the chain
 * neither forks nor gaps, and it verifies through either node.
 */
@ExtendWith(KeycloakClusterExtension.class)
class AuditClusterIT {

    static final int WRITERS_PER_NODE = 4;
    static final int CHANGES = 6;
    static final int LOGINS = 3;

    @Test
    void writersOnTwoNodesMakeOneGapFreeChain(KeycloakCluster cluster) throws Exception {
        List<AuditRealms> nodes = List.of(new AuditRealms(cluster.node(0)), new AuditRealms(cluster.node(1)));
        String realm = nodes.get(0).createRealm("audit-cluster");
        long before = nodes.get(1).headSeq(realm);

        ExecutorService pool = Executors.newFixedThreadPool(2 * WRITERS_PER_NODE);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int n = 0; n < 2; n++) {
                AuditRealms node = nodes.get(n);
                for (int w = 0; w < WRITERS_PER_NODE; w++) {
                    String writer = "n" + n + "w" + w;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < CHANGES; i++) {
                            int status = node.http.post(node.base(realm) + "/roles", node.token(),
                                    "{\"name\":\"" + writer + "-" + i + "\"}").status();
                            assertEquals(201, status);
                            if (i < LOGINS) {
                                node.http.clientCredentials(realm, AuditRealms.SA_CLIENT, AuditRealms.SA_SECRET);
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }

        int writers = 2 * WRITERS_PER_NODE;
        long head = nodes.get(0).headSeq(realm);
        assertEquals(before + writers * (CHANGES + LOGINS), head, "one record per change and per login, from both nodes");
        List<JsonNode> records = nodes.get(1).recordsAfter(realm, 0, null);
        assertEquals(head, records.size());
        for (int i = 0; i < records.size(); i++) {
            assertEquals(i + 1, records.get(i).get("seq").asLong(), "no gap and no fork");
        }
        // token events of both nodes were staged and sequenced (by either node): each exactly once
        assertEquals(writers * LOGINS, records.stream().filter(r -> r.get("type").asText().equals("CLIENT_LOGIN")).count());
        assertEquals(writers * CHANGES, records.stream().filter(r -> r.get("type").asText().equals("REALM_ROLE")).count());
        assertEquals(records.size(), records.stream().map(r -> r.get("eventId").asText()).distinct().count(), "every event once");
        for (AuditRealms node : nodes) {
            assertEquals(0, node.rawHead(realm).get("staged").asLong());
            JsonNode v = node.verify(realm);
            assertTrue(v.get("ok").asBoolean(), v.toString());
            assertEquals(head, v.get("checked").asLong());
        }
    }
}
