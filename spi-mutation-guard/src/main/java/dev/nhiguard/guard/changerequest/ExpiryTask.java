package dev.nhiguard.guard.changerequest;

import java.util.List;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * Marks open change requests past their expiry as EXPIRED. Scheduled through Keycloak's
 * {@code ClusterAwareScheduledTaskRunner}, so one node of a cluster runs it per interval.
 */
public final class ExpiryTask implements ScheduledTask {

    private static final Logger LOG = Logger.getLogger(ExpiryTask.class);
    static final int BATCH = 500;

    @Override
    public void run(KeycloakSession session) {
        ChangeRequestStore store = new ChangeRequestStore(session);
        List<ChangeRequestEntity> due = store.lockExpired(Time.currentTimeMillis(), BATCH);
        for (ChangeRequestEntity cr : due) {
            store.transition(cr, State.EXPIRED, null, "EXPIRED", "expired at " + java.time.Instant.ofEpochMilli(cr.getExpiresAt()));
            LOG.infof("Change request %s in realm %s expired (%s)", cr.getId(), cr.getRealmId(), cr.getOperation());
            org.keycloak.models.RealmModel realm = session.realms().getRealm(cr.getRealmId());
            if (realm != null) {
                GuardService.emitSystem(session, realm, cr, "EXPIRED");
            }
        }
        // Replaced client secrets kept for a rollback: destroyed once the realm's retention after apply has passed.
        for (ChangeRequestEntity cr : store.lockWithRollbackMaterial(BATCH)) {
            org.keycloak.models.RealmModel realm = session.realms().getRealm(cr.getRealmId());
            dev.nhiguard.guard.policy.GuardPolicy policy;
            try {
                policy = realm == null ? null : Policies.of(realm);
            } catch (dev.nhiguard.guard.policy.PolicyException e) {
                continue; // an unreadable policy destroys nothing; the next run tries again
            }
            if (policy == null || SecretRollback.expired(cr, policy)) {
                cr.setRollbackMaterial(null);
                store.history(cr, null, "ROLLBACK_SECRET_DESTROYED", cr.getState(), cr.getState(),
                        "the replaced secret kept for a rollback was destroyed (retention ended)");
                LOG.infof("Change request %s in realm %s: the replaced secret kept for a rollback was destroyed", cr.getId(),
                        cr.getRealmId());
            }
        }
    }

    @Override
    public String getTaskName() {
        return "nhi-guard-change-request-expiry";
    }
}
