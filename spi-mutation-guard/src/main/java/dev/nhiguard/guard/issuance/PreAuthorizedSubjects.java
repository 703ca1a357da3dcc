package dev.nhiguard.guard.issuance;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

import dev.nhiguard.guard.changerequest.GuardService;
import dev.nhiguard.guard.changerequest.TargetState;
import dev.nhiguard.guard.policy.GuardPolicy;

/**
 * Who an OID4VCI pre-authorized code may not sign in: a guarded subject of the realm (a service account's user, which
 * agents' users are, an approver, an administrator, an owner of a service account or agent). Such a code gives, to
 * whoever holds it, with no password and no client authentication, an access token for its user carrying the user's
 * roles. Asked when an offer is made and again when its code is redeemed (the user may have become privileged since).
 * A realm whose policy guards nothing is left to Keycloak, as admission leaves it.
 */
final class PreAuthorizedSubjects {

    private PreAuthorizedSubjects() {
    }

    /** Why a pre-authorized code must not sign the user in, or null. */
    static String refusal(KeycloakSession session, RealmModel realm, UserModel user) {
        if (realm == null || user == null) {
            return null; // Keycloak answers an unknown user or realm itself
        }
        GuardPolicy policy = GuardService.policy(realm);
        if (policy.guardsNothing()) {
            return null;
        }
        if (user.getServiceAccountClientLink() != null) {
            return "A pre-authorized credential offer for a service account's user would give its token without the"
                    + " client's credential (NHI Guard)";
        }
        TargetState state = new TargetState(session, realm, policy.approverRole());
        if (state.isPrivilegedUser(user.getId()) || state.isAccountOwner(user.getId())) {
            return "A pre-authorized credential offer for an approver, administrator or owner of a service account would"
                    + " give a token of theirs to whoever holds the code (NHI Guard); offer it by authorization code";
        }
        return null;
    }
}
