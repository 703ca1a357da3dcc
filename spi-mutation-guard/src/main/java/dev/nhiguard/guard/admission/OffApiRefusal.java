package dev.nhiguard.guard.admission;

import java.util.Map;
import java.util.function.Predicate;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.models.RealmModel;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.Policies;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;

/**
 * The refusal of a write made on a path the guard cannot hold (it replays admin requests only):
 * client registration, SCIM. Refused (403 {@code change_refused}) when the realm's policy guards
 * the operation and the operation's predicate holds; an unreadable policy refuses with 503.
 */
final class OffApiRefusal {

    private static final Logger LOG = Logger.getLogger(OffApiRefusal.class);

    private OffApiRefusal() {
    }

    /**
     * @param through what the write went through, as the answer names it ("client registration", "SCIM")
     * @param applies whether the operation's predicate holds, given the policy (its approver role decides who is privileged)
     * @return whether the write was refused
     */
    static boolean refuseIfGuarded(ContainerRequestContext ctx, RealmModel realm, String operation, String through,
            Predicate<GuardPolicy> applies) {
        GuardPolicy policy;
        try {
            policy = Policies.of(realm);
        } catch (PolicyException e) {
            ctx.abortWith(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable", e.getMessage(), null));
            return true;
        }
        if (!policy.guards(Catalogue.get().byId(operation).orElseThrow()) || !applies.test(policy)) {
            return false;
        }
        LOG.warnf("Mutation guard refused a write through %s in realm %s: %s", through, realm.getName(), operation);
        ctx.abortWith(GuardErrors.response(Response.Status.FORBIDDEN, "change_refused", "The guarded operation " + operation
                + " cannot be made through " + through + "; make it through the admin REST API, where it is held for approval",
                Map.of("operation", operation)));
        return true;
    }
}
