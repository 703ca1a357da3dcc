package dev.nhiguard.audit.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.TypedQuery;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.Canonical;
import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.chain.SecretRedactor;

/**
 * Reads and appends a realm's chain through the session's JPA entity manager. Every draft that
 * is staged or appended goes through {@link SecretRedactor#redactRecord} first, so credentials
 * are sealed before anything is stored or hashed.
 */
public final class AuditChainStore {

    private static final Logger LOG = Logger.getLogger(AuditChainStore.class);

    /** An append refused before anything was written: the record is larger than allowed. */
    public static final class RecordTooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RecordTooLargeException(String message) {
            super(message);
        }
    }

    /** Upper bound of what sealing adds to a draft: {@code "prevHash":"<64 hex>","seq":<long>} and separators. */
    static final int SEAL_OVERHEAD_BYTES = 128;

    private final KeycloakSession session;
    private final EntityManager em;
    private final Checkpoints checkpoints;
    private final RecordSealing sealing;

    /** A store that seals with {@link SecretRedactor}'s list only (no operator names). */
    public AuditChainStore(KeycloakSession session, Checkpoints checkpoints) {
        this(session, checkpoints, new RecordSealing(List.of()));
    }

    public AuditChainStore(KeycloakSession session, Checkpoints checkpoints, RecordSealing sealing) {
        this.session = session;
        this.em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        this.checkpoints = checkpoints;
        this.sealing = sealing;
    }

    /**
     * Appends drafts to a realm's chain inside the current transaction. The realm's head row
     * is locked (PESSIMISTIC_WRITE) until the transaction ends, so appends of one realm are
     * serialised across threads and nodes.
     */
    public List<ChainRecords.Sealed> append(String realmId, List<ObjectNode> drafts, int maxRecordBytes) {
        SecretRedactor redactor = sealing.redactor(session, realmId);
        List<Unsealed> unsealed = new ArrayList<>(drafts.size());
        for (ObjectNode draft : drafts) {
            unsealed.add((seq, prevHash) -> ChainRecords.seal(redactor.redactRecord(draft), seq, prevHash));
        }
        return appendLocked(realmId, lockHead(realmId), unsealed, maxRecordBytes);
    }

    /**
     * Stages drafts in the current transaction: plain inserts into {@code NHI_AUDIT_STAGED}, no
     * lock, written at once on the transaction's own connection (so a refused insert fails here,
     * as the append's own failure, and the change commits with its rows or not at all). They enter
     * the chain when {@link #sequenceStaged} moves them. A draft whose sealed record could exceed
     * {@code maxRecordBytes} is refused here, so every staged row can be sequenced.
     */
    public void stage(String realmId, List<ObjectNode> drafts, int maxRecordBytes, StageOrder order) {
        SecretRedactor redactor = sealing.redactor(session, realmId);
        javax.crypto.Mac mac = stagedRowMac(); // reset by each doFinal: one per call
        // One position for this call, then the draft's index: rows of one transaction share a staging
        // time and keep their order in the sequencer's (staging time, id) order.
        StageOrder.Position position = order.next();
        List<AuditRows.Staged> rows = new ArrayList<>(drafts.size());
        for (ObjectNode draft : drafts) {
            ObjectNode d = redactor.redactRecord(draft);
            d.remove(List.of("seq", "prevHash", "hash"));
            String content = Canonical.canonicalize(d);
            int bytes = content.getBytes(StandardCharsets.UTF_8).length + SEAL_OVERHEAD_BYTES;
            if (bytes > maxRecordBytes) {
                throw new RecordTooLargeException("audit record of realm " + realmId + " would be up to " + bytes
                        + " bytes, more than the limit of " + maxRecordBytes);
            }
            ChainRecords.Columns columns = ChainRecords.Columns.of(d);
            String id = position.idPrefix() + StageOrder.hex12(rows.size());
            rows.add(new AuditRows.Staged(id, realmId, position.stagedAt(), content, columns.type(), columns.actorUserId(),
                    columns.target(), columns.time(), sealing.sealedWith(), stagedRowMac(mac, realmId, id, position.stagedAt(), content,
                            columns.type(), columns.actorUserId(), columns.target(), columns.time(), sealing.sealedWith())));
        }
        new AuditRows(em).insertStaged(rows);
    }

    /**
     * Moves up to {@code batchSize} staged rows of the realm, oldest first and staged at or before
     * {@code stagedUpTo} (the first rows of the order, as staged order puts the earlier ones first), into its chain in
     * the current transaction: one head-row lock for the batch, the staged rows deleted in the
     * same transaction. The rows are read after the lock is held, so two nodes sequencing the
     * same realm never take the same rows. Returns how many rows were moved.
     */
    public int sequenceStaged(String realmId, int batchSize, long stagedUpTo) {
        if (em.createQuery("select s.id from AuditStagedEntity s where s.realmId = :realm and s.stagedAt <= :upTo", String.class)
                .setParameter("realm", realmId).setParameter("upTo", stagedUpTo).setMaxResults(1).getResultList().isEmpty()) {
            return 0; // nothing to do: do not queue for the lock
        }
        SecretRedactor redactor = sealing.redactor(session, realmId);
        javax.crypto.Mac mac = stagedRowMac(); // reset by each doFinal: one per call
        AuditHeadEntity head = lockHead(realmId);
        // Values, not managed entities: nothing to snapshot, and one delete for the batch.
        List<Object[]> rows = em.createQuery("select s.id, s.content, s.eventType, s.actorUserId, s.target, s.recordedAt, s.sealedWith,"
                        + " s.stagedAt, s.mac from AuditStagedEntity s where s.realmId = :realm and s.stagedAt <= :upTo"
                        + " order by s.stagedAt, s.id", Object[].class)
                .setParameter("realm", realmId).setParameter("upTo", stagedUpTo).setMaxResults(batchSize).getResultList();
        if (rows.isEmpty()) {
            return 0;
        }
        List<Unsealed> unsealed = new ArrayList<>(rows.size());
        List<String> ids = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            ids.add((String) row[0]);
            String content = (String) row[1];
            if (!java.security.MessageDigest.isEqual(stagedRowMac(mac, realmId, (String) row[0], (Long) row[7], content,
                            (String) row[2], (String) row[3], (String) row[4], (Long) row[5], (String) row[6])
                    .getBytes(StandardCharsets.US_ASCII), row[8] == null ? new byte[0] : ((String) row[8]).getBytes(StandardCharsets.US_ASCII))) {
                // Not staged by a server of this chain (written into the table, or altered there): chained only inside a
                // record that says so, never as the record it claims to be.
                LOG.warnf("audit chain of realm %s: staged row %s does not verify (not written by this server); chained as %s",
                        realmId, row[0], UNVERIFIED_STAGED_ROW);
                ObjectNode wrapper = unverifiedStagedRow(realmId, (String) row[0], content);
                unsealed.add((seq, prevHash) -> ChainRecords.seal(redactor.redactRecord(wrapper), seq, prevHash));
                continue;
            }
            // A row sealed otherwise when it was staged (another version, other redact-fields, or an
            // earlier version without the columns) is read back and sealed as this node seals.
            Unsealed fromTree = (seq, prevHash) -> ChainRecords.seal(redactor.redactRecord((ObjectNode) ChainRecords.parse(content)),
                    seq, prevHash);
            if (row[5] == null || !sealing.sealedWith().equals(row[6])) {
                unsealed.add(fromTree);
            } else {
                ChainRecords.Columns columns = new ChainRecords.Columns((String) row[2], (String) row[3], (String) row[4], (Long) row[5]);
                unsealed.add((seq, prevHash) -> {
                    ChainRecords.Sealed spliced = ChainRecords.sealCanonical(content, columns, seq, prevHash);
                    return spliced != null ? spliced : fromTree.seal(seq, prevHash);
                });
            }
        }
        // The size limit was applied when the row was staged; a row accepted then is never refused here.
        appendLocked(realmId, head, unsealed, Integer.MAX_VALUE);
        int deleted = new AuditRows(em).deleteStaged(ids);
        if (deleted != ids.size()) {
            // Rows are read under the head-row lock, so no other sequencer can have taken them.
            throw new IllegalStateException("sequenced " + ids.size() + " staged rows of realm " + realmId
                    + " but deleted " + deleted);
        }
        return rows.size();
    }

    /** Record type of a staged row whose authentication does not verify; the row's content is in {@code details.stagedContent}. */
    public static final String UNVERIFIED_STAGED_ROW = "AUDIT_STAGED_ROW_UNVERIFIED";

    /**
     * The key staged rows are authenticated with: from the operator's checkpoint key when one is configured (kept
     * outside the database), else from the server key ({@link RecordSealing#stagedRowMac}).
     */
    private javax.crypto.Mac stagedRowMac() {
        Checkpoints.SigningKey operator = checkpoints == null ? null : checkpoints.operatorKey();
        return sealing.stagedRowMac(session, operator == null ? null : operator.privateKey());
    }

    /**
     * HMAC-SHA256 (hex) of a staged row: its realm, id, staging time, the columns its chain record row takes without
     * reading the content back (type, actor, target, time, how it was sealed), then its content ({@code mac}: keyed,
     * reset after each use).
     */
    static String stagedRowMac(javax.crypto.Mac mac, String realmId, String id, long stagedAt, String content, String eventType,
            String actorUserId, String target, Long recordedAt, String sealedWith) {
        String head = String.join("\n", realmId, id, Long.toString(stagedAt), String.valueOf(eventType), String.valueOf(actorUserId),
                String.valueOf(target), String.valueOf(recordedAt), String.valueOf(sealedWith)) + "\n";
        mac.update(head.getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
    }

    /** The most of an unverified row's content its record carries (beyond it, only the hash). */
    static final int UNVERIFIED_CONTENT_MAX_CHARS = 64 * 1024;

    /** The record that chains an unverified staged row: what it held, marked as not vouched for by the server. */
    private ObjectNode unverifiedStagedRow(String realmId, String id, String content) {
        ObjectNode n = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        n.put("v", ChainRecords.VERSION);
        n.put("realmId", realmId);
        org.keycloak.models.RealmModel realm = session.realms().getRealm(realmId);
        if (realm != null) {
            n.put("realm", realm.getName());
        }
        n.put("time", org.keycloak.common.util.Time.currentTimeMillis());
        n.put("eventId", KeycloakModelUtils.generateId());
        n.put("category", "ADMIN");
        n.put("type", UNVERIFIED_STAGED_ROW);
        n.put("target", "audit-chain/staged/" + id);
        ObjectNode details = n.putObject("details");
        details.put("reason", "the staged row's authentication does not verify: it was not staged by a server of this chain, "
                + "or was altered after");
        details.put("stagedContentSha256", sha256(content));
        if (content.length() > UNVERIFIED_CONTENT_MAX_CHARS) {
            details.put("stagedContentOmitted", "longer than " + UNVERIFIED_CONTENT_MAX_CHARS + " characters: "
                    + content.length());
            return n;
        }
        com.fasterxml.jackson.databind.JsonNode parsed;
        try {
            parsed = ChainRecords.parse(content);
        } catch (RuntimeException e) {
            parsed = com.fasterxml.jackson.databind.node.TextNode.valueOf(content);
        }
        details.set("stagedContent", parsed);
        return n;
    }

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** How many records of the realm are staged and not yet in the chain. */
    public long stagedCount(String realmId) {
        return em.createQuery("select count(s) from AuditStagedEntity s where s.realmId = :realm", Long.class)
                .setParameter("realm", realmId).getSingleResult();
    }

    /** Realms with staged rows. */
    public List<String> stagedRealms() {
        return em.createQuery("select distinct s.realmId from AuditStagedEntity s", String.class).getResultList();
    }

    /** A record not yet in the chain: sealed at the position it is given. */
    @FunctionalInterface
    private interface Unsealed {
        ChainRecords.Sealed seal(long seq, String prevHash);
    }

    private List<ChainRecords.Sealed> appendLocked(String realmId, AuditHeadEntity head, List<Unsealed> records, int maxRecordBytes) {
        List<ChainRecords.Sealed> sealed = new ArrayList<>(records.size());
        List<AuditRows.Chained> rows = new ArrayList<>(records.size());
        long seq = head.getSeq();
        String prev = head.getHash();
        for (Unsealed record : records) {
            ChainRecords.Sealed s = record.seal(++seq, prev);
            int bytes = s.content().getBytes(StandardCharsets.UTF_8).length;
            if (bytes > maxRecordBytes) {
                throw new RecordTooLargeException("audit record of realm " + realmId + " would be " + bytes
                        + " bytes, more than the limit of " + maxRecordBytes);
            }
            rows.add(new AuditRows.Chained(realmId, s.seq(), s.time(), truncate(s.type(), 64),
                    s.actorUserId() != null && s.actorUserId().length() <= 36 ? s.actorUserId() : null, truncate(s.target(), 1024),
                    s.content(), s.prevHash(), s.hash()));
            sealed.add(s);
            prev = s.hash();
        }
        writeRecords(rows, head, seq, prev);
        // A checkpoint at every multiple of checkpoint-every-records the batch reaches, at that very record.
        for (ChainRecords.Sealed s : sealed) {
            if (checkpoints.due(s.seq() - 1, s.seq())) {
                checkpoints.write(session, em, realmId, s.seq(), s.hash());
            }
        }
        return sealed;
    }

    /**
     * Inserts the records and moves the head at once, on the transaction's own connection, without
     * a flush of the session: a flush would dirty-check every entity of the change being recorded
     * (a tenth of an admin write's samples), and waiting for the commit's flush would report a
     * refused write as Keycloak's 500 instead of the append's own failure. The head's update writes
     * every column of the object, so what this transaction changed on it before (a prune's anchor)
     * is written with it; the head then leaves the session (its row stays locked until the commit),
     * so nothing writes it twice and a later read in this transaction loads it anew.
     */
    private void writeRecords(List<AuditRows.Chained> rows, AuditHeadEntity head, long seq, String hash) {
        em.detach(head);
        head.setSeq(seq);
        head.setHash(hash);
        AuditRows writer = new AuditRows(em);
        writer.insertRecords(rows); // one JDBC batch (a sequencer's batch holds many records)
        writer.updateHead(head);
    }

    /** Writes a checkpoint at the realm's current head unless one exists there. */
    public void checkpointHead(String realmId) {
        AuditHeadEntity head = em.find(AuditHeadEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
        if (head == null || head.getSeq() == 0 || em.find(AuditCheckpointEntity.class, new AuditCheckpointEntity.Key(realmId, head.getSeq())) != null) {
            return;
        }
        checkpoints.write(session, em, realmId, head.getSeq(), head.getHash());
    }

    /** The latest checkpoint of the realm, or null. */
    public AuditCheckpointEntity latestCheckpoint(String realmId) {
        List<AuditCheckpointEntity> l = em.createQuery("select c from AuditCheckpointEntity c where c.realmId = :realm order by c.seq desc",
                AuditCheckpointEntity.class).setParameter("realm", realmId).setMaxResults(1).getResultList();
        return l.isEmpty() ? null : l.get(0);
    }

    /** The earliest checkpoint of the realm at or after {@code seq}, or null. */
    public AuditCheckpointEntity firstCheckpointAtOrAfter(String realmId, long seq) {
        List<AuditCheckpointEntity> l = em.createQuery("select c from AuditCheckpointEntity c where c.realmId = :realm and c.seq >= :seq order by c.seq",
                AuditCheckpointEntity.class).setParameter("realm", realmId).setParameter("seq", seq).setMaxResults(1).getResultList();
        return l.isEmpty() ? null : l.get(0);
    }

    /** Checkpoints with after < seq <= upTo, in order. */
    public List<AuditCheckpointEntity> checkpoints(String realmId, long after, long upTo, int limit) {
        return em.createQuery("select c from AuditCheckpointEntity c where c.realmId = :realm and c.seq > :after and c.seq <= :upTo order by c.seq",
                AuditCheckpointEntity.class).setParameter("realm", realmId).setParameter("after", after)
                .setParameter("upTo", upTo).setMaxResults(limit).getResultList();
    }

    /** Delivery state of every sink for the realm. */
    public List<SinkStateEntity> sinkStates(String realmId) {
        return em.createQuery("select s from SinkStateEntity s where s.realmId = :realm order by s.sinkId", SinkStateEntity.class)
                .setParameter("realm", realmId).getResultList();
    }

    public Checkpoints checkpointPolicy() {
        return checkpoints;
    }

    public KeycloakSession session() {
        return session;
    }

    private AuditHeadEntity lockHead(String realmId) {
        AuditHeadEntity head = em.find(AuditHeadEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
        if (head != null) {
            return head;
        }
        RuntimeException createFailure = null;
        try {
            // Created and committed on its own, so that concurrent first appends meet on the
            // primary key instead of failing the changes they record.
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                EntityManager other = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                if (other.find(AuditHeadEntity.class, realmId) == null) {
                    AuditHeadEntity h = new AuditHeadEntity();
                    h.setRealmId(realmId);
                    h.setSeq(0);
                    h.setHash(ChainRecords.GENESIS);
                    h.setAnchorSeq(0);
                    h.setAnchorHash(ChainRecords.GENESIS);
                    other.persist(h);
                }
            });
        } catch (RuntimeException e) {
            createFailure = e;
            LOG.debugf(e, "head row of realm %s not created here (created concurrently?)", realmId);
        }
        head = em.find(AuditHeadEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
        if (head == null) {
            throw new IllegalStateException("cannot create the audit chain head of realm " + realmId, createFailure);
        }
        return head;
    }

    /** The realm's head, or null when nothing was ever appended. */
    public AuditHeadEntity head(String realmId) {
        return em.find(AuditHeadEntity.class, realmId);
    }

    public AuditRecordEntity get(String realmId, long seq) {
        return em.find(AuditRecordEntity.class, new AuditRecordEntity.Key(realmId, seq));
    }

    /** Records after {@code after} in sequence order, optionally filtered. */
    public List<AuditRecordEntity> page(String realmId, long after, long upTo, int limit, String type, String actor, String targetPrefix) {
        StringBuilder q = new StringBuilder("select r from AuditRecordEntity r where r.realmId = :realm and r.seq > :after and r.seq <= :upTo");
        if (type != null) {
            q.append(" and r.eventType = :type");
        }
        if (actor != null) {
            q.append(" and r.actorUserId = :actor");
        }
        if (targetPrefix != null) {
            q.append(" and r.target like :target escape '!'");
        }
        q.append(" order by r.seq");
        TypedQuery<AuditRecordEntity> query = em.createQuery(q.toString(), AuditRecordEntity.class)
                .setParameter("realm", realmId).setParameter("after", after).setParameter("upTo", upTo)
                .setMaxResults(limit);
        if (type != null) {
            query.setParameter("type", type);
        }
        if (actor != null) {
            query.setParameter("actor", actor);
        }
        if (targetPrefix != null) {
            query.setParameter("target", targetPrefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
        }
        return query.getResultList();
    }

    /** Drops loaded records from the persistence context (bounded memory while streaming). */
    public void clear() {
        em.clear();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
