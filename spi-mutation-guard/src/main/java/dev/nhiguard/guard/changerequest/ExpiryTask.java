package dev.nhiguard.guard.changerequest;

import java.util.List;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * Marks open change requests past their expiry as EXPIRED, and releases claims of applies that
 * never finished (APPLYING for longer than the claim timeout: the applying node stopped before
 * its replay transaction committed, and since the replayed change and the APPLIED transition
 * commit together, nothing of it was applied) back to APPROVED. Scheduled through Keycloak's
 * {@code ClusterAwareScheduledTaskRunner}, so one node of a cluster runs it per interval.
 */
public final class ExpiryTask implements ScheduledTask {

    private static final Logger LOG = Logger.getLogger(ExpiryTask.class);
    static final int BATCH = 500;

    private final long claimTimeoutMillis;

    public ExpiryTask(long claimTimeoutSeconds) {
        this.claimTimeoutMillis = claimTimeoutSeconds * 1000;
    }

    @Override
    public void run(KeycloakSession session) {
        ChangeRequestStore store = new ChangeRequestStore(session);
        for (ChangeRequestEntity cr : store.lockStaleClaims(Time.currentTimeMillis() - claimTimeoutMillis, BATCH)) {
            store.transition(cr, State.APPROVED, null, "CLAIM_RELEASED", "apply claimed at "
                    + java.time.Instant.ofEpochMilli(cr.getUpdatedAt()) + " did not finish; nothing of it was applied");
            LOG.warnf("Change request %s in realm %s: apply claimed at %s did not finish; released back to APPROVED",
                    cr.getId(), cr.getRealmId(), java.time.Instant.ofEpochMilli(cr.getUpdatedAt()));
            org.keycloak.models.RealmModel realm = session.realms().getRealm(cr.getRealmId());
            if (realm != null) {
                GuardService.emitSystem(session, realm, cr, "CLAIM_RELEASED");
            }
        }
        List<ChangeRequestEntity> due = store.lockExpired(Time.currentTimeMillis(), BATCH);
        for (ChangeRequestEntity cr : due) {
            store.transition(cr, State.EXPIRED, null, "EXPIRED", "expired at " + java.time.Instant.ofEpochMilli(cr.getExpiresAt()));
            LOG.infof("Change request %s in realm %s expired (%s)", cr.getId(), cr.getRealmId(), cr.getOperation());
            org.keycloak.models.RealmModel realm = session.realms().getRealm(cr.getRealmId());
            if (realm != null) {
                GuardService.emitSystem(session, realm, cr, "EXPIRED");
            }
        }
    }

    @Override
    public String getTaskName() {
        return "nhi-guard-change-request-expiry";
    }
}
