package dev.nhiguard.guard.issuance;

import java.util.List;

import org.keycloak.events.Errors;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.protocol.oid4vc.issuance.CredentialOfferException;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferProvider;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferState;
import org.keycloak.protocol.oid4vc.model.PreAuthorizedCodeGrant;

import dev.nhiguard.guard.changerequest.GuardService;
import dev.nhiguard.guard.changerequest.TargetState;
import dev.nhiguard.guard.policy.GuardPolicy;

/**
 * Keycloak's OID4VCI credential offers, with one refusal: a pre-authorized offer made by one user for a guarded
 * subject of the realm (a service account's user, which agents' users are, an approver, an administrator, an owner of
 * a service account or agent). Its pre-authorized code is a login credential: whoever holds it gets, with no password and
 * no client authentication, an access token for the offer's user carrying that user's roles. Made by anyone holding a
 * {@code credential-offer-create} role, which a realm admin grants herself unheld, it would give a token of a service
 * account without its secret, or of an approver. A self-issued offer (the signed-in user for themselves) and offers
 * by authorization code (the user signs in) are Keycloak's, unchanged, and so is every offer in a realm whose policy
 * guards nothing.
 */
final class GuardedCredentialOffers implements CredentialOfferProvider {

    private final KeycloakSession session;
    private final CredentialOfferProvider keycloaks;

    GuardedCredentialOffers(KeycloakSession session, CredentialOfferProvider keycloaks) {
        this.session = session;
        this.keycloaks = keycloaks;
    }

    @Override
    public CredentialOfferState createCredentialOffer(UserModel user, String grantType, List<String> credentialConfigurationIds,
            String targetClientId, String targetUsername, Integer expireAt) {
        String refusal = refusal(user, grantType, targetUsername);
        if (refusal != null) {
            throw new CredentialOfferException(Errors.NOT_ALLOWED, refusal);
        }
        return keycloaks.createCredentialOffer(user, grantType, credentialConfigurationIds, targetClientId, targetUsername,
                expireAt);
    }

    /** Why the offer is refused, or null. The target is found the way Keycloak finds it: by username in the realm. */
    private String refusal(UserModel issuer, String grantType, String targetUsername) {
        if (!PreAuthorizedCodeGrant.PRE_AUTH_GRANT_TYPE.equals(grantType) || targetUsername == null) {
            return null;
        }
        RealmModel realm = session.getContext().getRealm();
        UserModel target = realm == null ? null : session.users().getUserByUsername(realm, targetUsername);
        if (target == null || (issuer != null && target.getId().equals(issuer.getId()))) {
            return null; // Keycloak answers an unknown user itself; a self-issued offer needs the user's own sign-in
        }
        GuardPolicy policy = GuardService.policy(realm);
        if (policy.guardsNothing()) {
            return null; // the realm's policy guards no operation (as admission does)
        }
        if (target.getServiceAccountClientLink() != null) {
            return "A pre-authorized credential offer for a service account's user would give its token without the"
                    + " client's credential (NHI Guard)";
        }
        TargetState state = new TargetState(session, realm, policy.approverRole());
        if (state.isPrivilegedUser(target.getId()) || state.isAccountOwner(target.getId())) {
            return "A pre-authorized credential offer for an approver, administrator or owner of a service account would"
                    + " give a token of theirs to whoever holds the code (NHI Guard); offer it by authorization code";
        }
        return null;
    }

    @Override
    public void close() {
        keycloaks.close();
    }
}
