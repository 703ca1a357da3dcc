package dev.nhiguard.guard.changerequest;

import org.keycloak.models.RealmModel;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;

/** Reads a realm's guard policy; an unreadable policy is an error the guard fails closed on. */
public final class Policies {

    private Policies() {
    }

    public static GuardPolicy of(RealmModel realm) throws PolicyException {
        try {
            return GuardPolicy.fromAttribute(realm.getAttribute(Catalogue.POLICY_ATTRIBUTE));
        } catch (PolicyException e) {
            throw new PolicyException("The guard policy of realm " + realm.getName() + " is unreadable: " + e.getMessage(), e);
        }
    }
}
