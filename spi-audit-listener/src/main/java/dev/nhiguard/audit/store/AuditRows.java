package dev.nhiguard.audit.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;

import jakarta.persistence.EntityManager;

import org.hibernate.Session;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.persister.entity.AbstractEntityPersister;

/**
 * The audit chain's hot writes — a staged row on every recorded request, a sequencer batch's records, the head and
 * the staged rows' delete — as plain JDBC statements on the transaction's own connection: written at once, with no
 * flush of the session (which would dirty-check every entity of the change being recorded) and none of Hibernate's
 * per-row entity work (a stateless session, the entity's field tracker, the mutation coordinator), which took about
 * half of a token's staging time. The values are bound as Hibernate binds these columns (strings with
 * {@code setString}, as its varchar type does, so a database's {@code TEXT} or {@code CLOB} mapping of the content
 * column reads them the same); table names are the persistence unit's own, schema included ({@code --db-schema}).
 * Reads stay with JPA.
 */
final class AuditRows {

    /** A row of {@code NHI_AUDIT_STAGED}. */
    record Staged(String id, String realmId, long stagedAt, String content, String eventType, String actorUserId, String target,
            Long recordedAt, String sealedWith, String mac) {
    }

    /** A row of {@code NHI_AUDIT_RECORD}. */
    record Chained(String realmId, long seq, long recordedAt, String eventType, String actorUserId, String target, String content,
            String prevHash, String hash) {
    }

    private final EntityManager em;

    AuditRows(EntityManager em) {
        this.em = em;
    }

    void insertStaged(List<Staged> rows) {
        String sql = "insert into " + table(AuditStagedEntity.class)
                + " (ID, REALM_ID, STAGED_AT, CONTENT, EVENT_TYPE, ACTOR_USER_ID, TARGET, RECORDED_AT, SEALED_WITH, MAC)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        logged(sql, rows.size());
        run(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (Staged r : rows) {
                    ps.setString(1, r.id());
                    ps.setString(2, r.realmId());
                    ps.setLong(3, r.stagedAt());
                    ps.setString(4, r.content());
                    string(ps, 5, r.eventType());
                    string(ps, 6, r.actorUserId());
                    string(ps, 7, r.target());
                    if (r.recordedAt() == null) {
                        ps.setNull(8, Types.BIGINT);
                    } else {
                        ps.setLong(8, r.recordedAt());
                    }
                    string(ps, 9, r.sealedWith());
                    string(ps, 10, r.mac());
                    execute(ps, rows.size());
                }
                finish(ps, rows.size());
            }
        });
    }

    void insertRecords(List<Chained> rows) {
        String sql = "insert into " + table(AuditRecordEntity.class)
                + " (REALM_ID, SEQ, RECORDED_AT, EVENT_TYPE, ACTOR_USER_ID, TARGET, CONTENT, PREV_HASH, HASH)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        logged(sql, rows.size());
        run(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (Chained r : rows) {
                    ps.setString(1, r.realmId());
                    ps.setLong(2, r.seq());
                    ps.setLong(3, r.recordedAt());
                    ps.setString(4, r.eventType());
                    string(ps, 5, r.actorUserId());
                    string(ps, 6, r.target());
                    ps.setString(7, r.content());
                    ps.setString(8, r.prevHash());
                    ps.setString(9, r.hash());
                    execute(ps, rows.size());
                }
                finish(ps, rows.size());
            }
        });
    }

    /** Writes every column of the head row (its sequence and hash, and the prune anchor this transaction may have moved). */
    void updateHead(AuditHeadEntity head) {
        String sql = "update " + table(AuditHeadEntity.class) + " set SEQ = ?, HASH = ?, ANCHOR_SEQ = ?, ANCHOR_HASH = ? where REALM_ID = ?";
        logged(sql, 1);
        run(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setLong(1, head.getSeq());
                ps.setString(2, head.getHash());
                ps.setLong(3, head.getAnchorSeq());
                ps.setString(4, head.getAnchorHash());
                ps.setString(5, head.getRealmId());
                if (ps.executeUpdate() != 1) {
                    throw new SQLException("the audit head row of realm " + head.getRealmId() + " is missing");
                }
            }
        });
    }

    /** Deletes staged rows by id (one batch); returns how many went. */
    int deleteStaged(List<String> ids) {
        String sql = "delete from " + table(AuditStagedEntity.class) + " where ID = ?";
        logged(sql, ids.size());
        int[] deleted = {0};
        run(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                for (String id : ids) {
                    ps.setString(1, id);
                    ps.addBatch();
                }
                for (int n : ps.executeBatch()) {
                    // A driver that cannot count a batch's rows says SUCCESS_NO_INFO (-2): then each id counts once.
                    deleted[0] += n == java.sql.Statement.SUCCESS_NO_INFO ? 1 : n;
                }
            }
        });
        return deleted[0];
    }

    /**
     * The statements this class sends beside Hibernate, logged at DEBUG as Hibernate logs its own under
     * {@code org.hibernate.SQL} (one line per row of a batch), so that a statement count covers them too
     * ({@code ./benchmark.sh statements}).
     */
    static final String SQL_LOG_CATEGORY = "dev.nhiguard.audit.sql";

    private static final org.jboss.logging.Logger SQL_LOG = org.jboss.logging.Logger.getLogger(SQL_LOG_CATEGORY);

    private static void logged(String sql, int rows) {
        if (SQL_LOG.isDebugEnabled()) {
            for (int i = 0; i < rows; i++) {
                SQL_LOG.debug(sql);
            }
        }
    }

    private static void string(PreparedStatement ps, int index, String value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value);
        }
    }

    /** One row: executed at once; several: added to the statement's batch. */
    private static void execute(PreparedStatement ps, int rows) throws SQLException {
        if (rows == 1) {
            if (ps.executeUpdate() != 1) {
                throw new SQLException("an audit row was not inserted");
            }
        } else {
            ps.addBatch();
        }
    }

    private static void finish(PreparedStatement ps, int rows) throws SQLException {
        if (rows > 1) {
            for (int n : ps.executeBatch()) {
                if (n != 1 && n != java.sql.Statement.SUCCESS_NO_INFO) {
                    throw new SQLException("an audit row was not inserted");
                }
            }
        }
    }

    /** The table an entity is mapped to, as the persistence unit names it (with its schema when one is set). */
    private String table(Class<?> entity) {
        SessionFactoryImplementor factory = em.getEntityManagerFactory().unwrap(SessionFactoryImplementor.class);
        return ((AbstractEntityPersister) factory.getMappingMetamodel().getEntityDescriptor(entity)).getTableName();
    }

    @FunctionalInterface
    private interface Work {
        void execute(Connection connection) throws SQLException;
    }

    /** Runs the statements on the transaction's own connection; a failure reaches the caller as Hibernate reports it. */
    private void run(Work work) {
        em.unwrap(Session.class).doWork(work::execute);
    }
}
