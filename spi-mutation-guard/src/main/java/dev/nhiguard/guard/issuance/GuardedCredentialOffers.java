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

/**
 * Keycloak's OID4VCI credential offers, with one refusal: a pre-authorized offer for a guarded subject of the realm
 * ({@link PreAuthorizedSubjects}), whoever makes it. Its code is a login credential: made by anyone holding a
 * {@code credential-offer-create} role, which a realm admin grants herself unheld, it gave a token of a service account
 * without its secret, or of an approver. Offers by authorization code (the user signs in) are Keycloak's, unchanged.
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
        String refusal = refusal(grantType, targetUsername);
        if (refusal != null) {
            throw new CredentialOfferException(Errors.NOT_ALLOWED, refusal);
        }
        return keycloaks.createCredentialOffer(user, grantType, credentialConfigurationIds, targetClientId, targetUsername,
                expireAt);
    }

    /** Why the offer is refused, or null. The target is found the way Keycloak finds it: by username in the realm. */
    private String refusal(String grantType, String targetUsername) {
        if (!PreAuthorizedCodeGrant.PRE_AUTH_GRANT_TYPE.equals(grantType) || targetUsername == null) {
            return null;
        }
        RealmModel realm = session.getContext().getRealm();
        return PreAuthorizedSubjects.refusal(session, realm,
                realm == null ? null : session.users().getUserByUsername(realm, targetUsername));
    }

    @Override
    public void close() {
        keycloaks.close();
    }
}
