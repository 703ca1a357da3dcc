package dev.nhiguard.audit.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakTransaction;
import org.keycloak.services.ErrorResponseException;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.store.AuditChainStore;
import dev.nhiguard.audit.store.StageOrder;

/**
 * The records of one session's transaction, appended in the prepare phase of its commit.
 * Keycloak runs prepare participants before the database transaction commits and rolls the
 * whole transaction back when one of them throws: the change and its records commit together
 * or not at all. A transaction that is rolled back never reaches the prepare phase, so its
 * records are never written.
 */
final class PendingAppends implements KeycloakTransaction {

    private static final Logger LOG = Logger.getLogger(PendingAppends.class);
    static final String SESSION_KEY = PendingAppends.class.getName();

    private final KeycloakSession session;
    private final AuditConfig config;
    private final StageOrder stageOrder;
    /** Drafts by realm id; realms are appended in id order so two sessions never lock crosswise. */
    private final Map<String, List<ObjectNode>> drafts = new TreeMap<>();
    /** Drafts staged without the head-row lock (admin-events=staged, token-events=batched), by realm id, in arrival order. */
    private final Map<String, List<ObjectNode>> staged = new TreeMap<>();
    private boolean active;
    private boolean rollbackOnly;

    PendingAppends(KeycloakSession session, AuditConfig config, StageOrder stageOrder) {
        this.session = session;
        this.config = config;
        this.stageOrder = stageOrder;
    }

    void add(String realmId, ObjectNode draft) {
        drafts.computeIfAbsent(realmId, k -> new ArrayList<>()).add(draft);
    }

    void stage(String realmId, ObjectNode draft) {
        staged.computeIfAbsent(realmId, k -> new ArrayList<>()).add(draft);
    }

    @Override
    public void begin() {
        active = true;
    }

    @Override
    public void commit() {
        flushTheChange();
        try {
            AuditChainStore store = new AuditChainStore(session, config.checkpoints(), config.sealing());
            for (Map.Entry<String, List<ObjectNode>> realm : staged.entrySet()) {
                store.stage(realm.getKey(), realm.getValue(), config.maxRecordBytes(), stageOrder);
            }
            for (Map.Entry<String, List<ObjectNode>> realm : drafts.entrySet()) {
                store.append(realm.getKey(), realm.getValue(), config.maxRecordBytes());
            }
        } catch (AuditChainStore.RecordTooLargeException e) {
            LOG.warnf(e, "change refused: %s", e.getMessage());
            throw new ErrorResponseException("audit_record_too_large",
                    "The change was refused: its audit record exceeds the audit chain's size limit.",
                    Response.Status.BAD_REQUEST);
        } catch (RuntimeException e) {
            LOG.errorf(e, "change refused: appending to the audit chain of realm(s) %s failed",
                    drafts.isEmpty() ? staged.keySet() : drafts.keySet());
            throw new ErrorResponseException("audit_chain_unavailable",
                    "The change was refused: it could not be recorded in the audit chain.",
                    Response.Status.SERVICE_UNAVAILABLE);
        } finally {
            drafts.clear();
            staged.clear();
            active = false;
        }
    }

    /**
     * Writes the change's own pending rows before the records are appended, so that a change the
     * database refuses (a duplicate name: Keycloak flushes some updates only at commit) answers
     * 409 as it would without the audit chain, instead of being reported as a failed append.
     */
    private void flushTheChange() {
        if (drafts.isEmpty()) {
            // Staged records only: nothing is flushed or locked here, so the commit
            // writes the change and the staged rows together and reports a refused change as
            // Keycloak would without the audit chain.
            return;
        }
        try {
            session.getProvider(org.keycloak.connections.jpa.JpaConnectionProvider.class).getEntityManager().flush();
        } catch (RuntimeException e) {
            if (constraintViolation(e)) {
                LOG.debugf(e, "change refused by the database");
                drafts.clear();
                staged.clear();
                active = false;
                throw new ErrorResponseException("conflict",
                        "The change conflicts with existing data (for example a name that is already taken)",
                        Response.Status.CONFLICT);
            }
            throw e;
        }
    }

    private static boolean constraintViolation(Throwable t) {
        int causes = 0;
        for (Throwable c = t; c != null && causes < 32; c = c.getCause(), causes++) { // a cause chain may loop
            if (c instanceof java.sql.SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("23")) {
                return true;
            }
            if (c.getClass().getName().endsWith("ConstraintViolationException")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void rollback() {
        drafts.clear();
        staged.clear();
        active = false;
    }

    @Override
    public void setRollbackOnly() {
        rollbackOnly = true;
    }

    @Override
    public boolean getRollbackOnly() {
        return rollbackOnly;
    }

    @Override
    public boolean isActive() {
        return active;
    }
}
