package dev.nhiguard.audit.sink;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import org.keycloak.connections.jpa.JpaConnectionProvider;

import dev.nhiguard.audit.store.AuditChainStore;
import dev.nhiguard.audit.store.AuditHeadEntity;
import dev.nhiguard.audit.store.AuditRecordEntity;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.SinkStateEntity;

/**
 * Pushes each realm's chain to an HTTP endpoint, driven from the chain table: the delivered
 * position per realm lives in {@code NHI_AUDIT_SINK_STATE}, so delivery is in order,
 * at-least-once and resumable by any node. Each POST carries consecutive records as JSON Lines,
 * signed with HMAC-SHA256. Failures back off exponentially.
 */
public final class WebhookSink {

    public static final String SINK_ID = "webhook";
    private static final Logger LOG = Logger.getLogger(WebhookSink.class);
    private static final int MAX_BATCHES_PER_RUN = 20;

    private final URI url;
    private final byte[] secret;
    private final int batchSize;
    private final int maxBackoffSeconds;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public WebhookSink(URI url, String secret, int batchSize, int maxBackoffSeconds) {
        this.url = url;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.batchSize = batchSize;
        this.maxBackoffSeconds = maxBackoffSeconds;
    }

    /** One delivery round over every realm with a chain, each realm in its own transaction. */
    public void deliverAll(KeycloakSession session, Checkpoints checkpoints) {
        List<String> realms = session.getProvider(JpaConnectionProvider.class).getEntityManager()
                .createQuery("select h.realmId from AuditHeadEntity h where h.seq > coalesce((select s.deliveredSeq from SinkStateEntity s "
                        + "where s.sinkId = :sink and s.realmId = h.realmId), 0)", String.class)
                .setParameter("sink", SINK_ID).getResultList();
        for (String realmId : realms) {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> deliver(s, checkpoints, realmId));
        }
    }

    private void deliver(KeycloakSession session, Checkpoints checkpoints, String realmId) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        SinkStateEntity state = lockState(session, em, realmId);
        long now = System.currentTimeMillis();
        if (state.getNextAttemptAt() > now) {
            return;
        }
        AuditChainStore store = new AuditChainStore(session, checkpoints);
        AuditHeadEntity head = store.head(realmId);
        for (int i = 0; i < MAX_BATCHES_PER_RUN && head != null && state.getDeliveredSeq() < head.getSeq(); i++) {
            List<AuditRecordEntity> records = store.page(realmId, state.getDeliveredSeq(), head.getSeq(), batchSize, null, null, null);
            if (records.isEmpty()) {
                return;
            }
            StringBuilder body = new StringBuilder();
            for (AuditRecordEntity r : records) {
                String content = r.getContent();
                body.append(content, 0, content.length() - 1).append(",\"hash\":\"").append(r.getHash()).append("\"}\n");
            }
            long first = records.get(0).getSeq();
            long last = records.get(records.size() - 1).getSeq();
            String failure = post(realmId, first, last, body.toString());
            if (failure == null) {
                state.setDeliveredSeq(last);
                state.setAttempts(0);
                state.setNextAttemptAt(0);
                state.setLastError(null);
            } else {
                int attempts = state.getAttempts() + 1;
                long backoff = Math.min((long) maxBackoffSeconds, 1L << Math.min(attempts, 20));
                state.setAttempts(attempts);
                state.setNextAttemptAt(System.currentTimeMillis() + backoff * 1000);
                state.setLastError(failure.length() > 1000 ? failure.substring(0, 1000) : failure);
                LOG.warnf("audit webhook delivery of realm %s records %d..%d failed (attempt %d, next in %d s): %s",
                        realmId, first, last, attempts, backoff, failure);
                return;
            }
        }
    }

    private SinkStateEntity lockState(KeycloakSession session, EntityManager em, String realmId) {
        SinkStateEntity.Key key = new SinkStateEntity.Key(SINK_ID, realmId);
        SinkStateEntity state = em.find(SinkStateEntity.class, key, LockModeType.PESSIMISTIC_WRITE);
        if (state != null) {
            return state;
        }
        RuntimeException failure = null;
        try {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                EntityManager other = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                if (other.find(SinkStateEntity.class, key) == null) {
                    SinkStateEntity n = new SinkStateEntity();
                    n.setSinkId(SINK_ID);
                    n.setRealmId(realmId);
                    other.persist(n);
                }
            });
        } catch (RuntimeException e) {
            failure = e;
            LOG.debugf(e, "sink state of realm %s not created here (created concurrently?)", realmId);
        }
        state = em.find(SinkStateEntity.class, key, LockModeType.PESSIMISTIC_WRITE);
        if (state == null) {
            throw new IllegalStateException("cannot create the webhook sink state of realm " + realmId, failure);
        }
        return state;
    }

    /** POSTs one batch; null when the endpoint accepted it (2xx), else why not. */
    private String post(String realmId, long first, long last, String body) {
        try {
            HttpRequest request = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/jsonl")
                    .header("X-NHI-Audit-Realm", realmId)
                    .header("X-NHI-Audit-First-Seq", Long.toString(first))
                    .header("X-NHI-Audit-Last-Seq", Long.toString(last))
                    .header("X-NHI-Audit-Signature", "sha256=" + hmac(body))
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                    .build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2 ? null : "HTTP " + response.statusCode();
        } catch (IOException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    String hmac(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
