package dev.nhiguard.guard.issuance;

import jakarta.ws.rs.core.Response;

import org.keycloak.OAuthErrorException;
import org.keycloak.common.VerificationException;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferState;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.CredentialOfferStorage;
import org.keycloak.protocol.oid4vc.issuance.credentialoffer.preauth.PreAuthCodeHandler;
import org.keycloak.protocol.oid4vc.model.PreAuthCodeCtx;
import org.keycloak.services.ErrorResponseException;

/**
 * Keycloak's handler of OID4VCI pre-authorized codes, with the guard's refusal at redemption: a code whose user is now a
 * guarded subject ({@link PreAuthorizedSubjects}) gives no token (400 {@code unauthorized_client}), though it was made
 * while the user was not (a user promoted to approver after an offer of thirty days). Codes are made by Keycloak's.
 */
final class GuardedPreAuthCodes implements PreAuthCodeHandler {

    private final KeycloakSession session;
    private final PreAuthCodeHandler keycloaks;

    GuardedPreAuthCodes(KeycloakSession session, PreAuthCodeHandler keycloaks) {
        this.session = session;
        this.keycloaks = keycloaks;
    }

    @Override
    public String createPreAuthCode(PreAuthCodeCtx ctx) {
        return keycloaks.createPreAuthCode(ctx);
    }

    @Override
    public PreAuthCodeCtx verifyPreAuthCode(String preAuthCode) throws VerificationException {
        PreAuthCodeCtx ctx = keycloaks.verifyPreAuthCode(preAuthCode);
        RealmModel realm = session.getContext().getRealm();
        // The user the code names, and the one Keycloak signs in: the stored offer's (the same for codes it makes).
        CredentialOfferStorage offers = session.getProvider(CredentialOfferStorage.class);
        CredentialOfferState offer = ctx == null || offers == null || ctx.getCredentialsOfferId() == null ? null
                : offers.getOfferStateById(ctx.getCredentialsOfferId());
        String refusal = null;
        for (String userId : java.util.Arrays.asList(ctx == null ? null : ctx.getTargetUserId(),
                offer == null ? null : offer.getTargetUserId())) {
            if (refusal == null && userId != null && realm != null) {
                refusal = PreAuthorizedSubjects.refusal(session, realm, session.users().getUserById(realm, userId));
            }
        }
        if (refusal != null) {
            // Refused as an answer, not as a failed verification (which Keycloak logs as an error with its stack).
            throw new ErrorResponseException(OAuthErrorException.UNAUTHORIZED_CLIENT, refusal, Response.Status.BAD_REQUEST);
        }
        return ctx;
    }

    @Override
    public void close() {
        keycloaks.close();
    }
}
