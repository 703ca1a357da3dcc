package dev.nhiguard.audit.rest;

import org.keycloak.common.util.Encode;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.representations.AccessToken;
import org.keycloak.services.managers.RealmManager;
import org.keycloak.services.resources.admin.AdminAuth;

/**
 * The admin Keycloak has already authenticated for this request. Keycloak's admin root locator
 * ({@code AdminRoot#getRealmsAdmin}) verifies the bearer token and, on success, stores the
 * token and the user session it belongs to in the session's context before any resource below it
 * is matched. A filter that runs after matching takes the admin from there instead of verifying
 * the token's signature a second time; when anything is missing or inconsistent it answers null
 * and the caller authenticates the request itself.
 */
public final class AuthenticatedAdmin {

    private AuthenticatedAdmin() {
    }

    /** The admin of the request's verified bearer token, or null when Keycloak has not authenticated one. */
    public static AdminAuth of(KeycloakSession session) {
        KeycloakContext context = session.getContext();
        if (!(context.getBearerToken() instanceof AccessToken token) || token.getIssuer() == null
                || token.getIssuedFor() == null) {
            return null;
        }
        String issuer = token.getIssuer();
        RealmModel realm = new RealmManager(session).getRealmByName(Encode.decodePath(issuer.substring(issuer.lastIndexOf('/') + 1)));
        UserSessionModel userSession = context.getUserSession();
        if (realm == null || userSession == null || !realm.getId().equals(userSession.getRealm().getId())) {
            return null;
        }
        // A token with a session id belongs to that session; one without (client credentials) to the
        // transient session Keycloak created for it while authenticating.
        boolean sessionMatches = token.getSessionId() == null
                ? userSession.getPersistenceState() == UserSessionModel.SessionPersistenceState.TRANSIENT
                : token.getSessionId().equals(userSession.getId());
        if (!sessionMatches) {
            return null;
        }
        // The user is the session's, as Keycloak's own admin authentication takes it: a token's sub may say
        // otherwise (a pairwise-subject mapper on the client it was issued to), and Keycloak does not compare them.
        UserModel user = userSession.getUser();
        if (user == null) {
            return null;
        }
        ClientModel client = realm.getClientByClientId(token.getIssuedFor());
        return client == null ? null : new AdminAuth(realm, token, user, client);
    }

    /**
     * The admin of a token Keycloak verified for the request, in another session (one of its own,
     * after the request's): realm by issuer, user as Keycloak took it (the user of the token's
     * session; a token without one, by subject), client by {@code azp}; null when one of them no
     * longer exists.
     */
    public static AdminAuth of(KeycloakSession session, AccessToken token) {
        if (token.getIssuer() == null || token.getIssuedFor() == null) {
            return null;
        }
        String issuer = token.getIssuer();
        RealmModel realm = new RealmManager(session).getRealmByName(Encode.decodePath(issuer.substring(issuer.lastIndexOf('/') + 1)));
        if (realm == null) {
            return null;
        }
        session.getContext().setRealm(realm);
        UserSessionModel userSession = token.getSessionId() == null ? null
                : session.sessions().getUserSession(realm, token.getSessionId());
        if (userSession == null && token.getSessionId() != null) {
            userSession = session.sessions().getOfflineUserSession(realm, token.getSessionId());
        }
        UserModel user = userSession != null ? userSession.getUser()
                : token.getSubject() == null ? null : session.users().getUserById(realm, token.getSubject());
        ClientModel client = realm.getClientByClientId(token.getIssuedFor());
        return user == null || client == null ? null : new AdminAuth(realm, token, user, client);
    }
}
