package dev.nhiguard.guard.changerequest;

import java.util.List;

import org.keycloak.common.ClientConnection;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * Applies approved requests whose cooldown has ended, in realms whose policy sets
 * {@code autoApply} (requests approved without cooldown are applied right after the approval
 * commits). Runs through {@code ClusterAwareScheduledTaskRunner}; the apply locks the request's row,
 * so a concurrent manual apply finds it APPLIED.
 */
public final class AutoApplyTask implements ScheduledTask {

    static final int BATCH = 50;

    /** The connection the replay's admin events record for scheduled applies. */
    private static final ClientConnection SCHEDULER = new ClientConnection() {
        @Override public String getRemoteAddr() { return "127.0.0.1"; }
        @Override public String getRemoteHost() { return "nhi-guard-auto-apply"; }
        @Override public int getRemotePort() { return 0; }
        @Override public String getLocalAddr() { return "127.0.0.1"; }
        @Override public int getLocalPort() { return 0; }
    };

    @Override
    public void run(KeycloakSession session) {
        List<ChangeRequestEntity> due = new ChangeRequestStore(session).cooledDown(Time.currentTimeMillis(), BATCH);
        for (ChangeRequestEntity cr : due) {
            RealmModel realm = session.realms().getRealm(cr.getRealmId());
            GuardPolicy policy;
            try {
                policy = realm == null ? null : Policies.of(realm);
            } catch (PolicyException e) {
                policy = null; // unreadable policy: nothing is applied automatically
            }
            if (policy != null && policy.autoApply()) {
                GuardService.autoApply(session.getKeycloakSessionFactory(), cr.getRealmId(), cr.getId(), SCHEDULER);
            }
        }
    }

    @Override
    public String getTaskName() {
        return "nhi-guard-auto-apply";
    }
}
