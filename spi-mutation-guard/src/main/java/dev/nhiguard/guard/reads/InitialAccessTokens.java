package dev.nhiguard.guard.reads;

import java.util.List;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminRoot;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.audit.rest.AuthenticatedAdmin;
import dev.nhiguard.guard.changerequest.AuthState;
import dev.nhiguard.guard.changerequest.CredentialReaders;

/**
 * A client registered with an initial access token is held by whoever holds that token: its registrant chose the
 * client's secret (or read it in the registration's answer), and the token names no person. So the guard keeps two
 * links, in the rows that record who holds a credential ({@link CredentialReaders}): the admin who received the token
 * (its creator; for a held creation its requester, who alone receives the apply's answer) holds the token
 * (the row's subject is the token's id), and the token holds each client registered with it (the row's holder is the
 * token's id). {@link CredentialReaders#holds} follows them: the token's holder does not approve the requests of a
 * service account registered with it.
 */
public final class InitialAccessTokens {

    private InitialAccessTokens() {
    }

    /**
     * Records the admin of the request as holder of the token Keycloak's answer hands out, in the request's own
     * transaction (still open while the response filters run), before the token is committed.
     *
     * @throws RuntimeException when it could not be recorded (the token's creation must then roll back)
     */
    static void recordMinted(KeycloakSession request, String realmName, String tokenId) {
        RealmModel realm = openRealm(request, realmName);
        AdminAuth auth = AuthenticatedAdmin.of(request);
        if (auth == null) {
            auth = AdminRoot.authenticateRealmAdminRequest(request);
        }
        recordHolders(request, realm, tokenId, auth.getUser().getId(), AuthState.of(request, auth).impersonatorId());
    }

    /**
     * Records the token a client was registered with as the holder of the new client, in the registration's own
     * transaction (still open while the response filters run; the new client is not committed before it).
     *
     * @throws RuntimeException when it could not be recorded (the registration must then roll back)
     */
    static void recordRegistered(KeycloakSession request, String realmName, String clientId, String tokenId) {
        RealmModel realm = openRealm(request, realmName);
        ClientModel client = realm.getClientByClientId(clientId);
        if (client == null) {
            throw new IllegalStateException("a client registered with an initial access token cannot be found");
        }
        CredentialReaders.record(request, realm, List.of(client.getId()), tokenId);
    }

    /**
     * A held creation of an initial access token, applied: its requester holds it (only the requester receives the
     * apply's answer, which carries the token). In the apply's transaction.
     *
     * @param answer Keycloak's answer to the replay (the token's presentation), or null
     */
    public static void recordApplied(KeycloakSession s, RealmModel realm, String answer, String requesterId,
            String requesterImpersonatorId) {
        String tokenId = tokenId(answer);
        if (tokenId != null) {
            recordHolders(s, realm, tokenId, requesterId, requesterImpersonatorId);
        }
    }

    /** The realm, in a request whose transaction is still open. */
    private static RealmModel openRealm(KeycloakSession request, String realmName) {
        if (request == null || !request.getTransactionManager().isActive()) {
            throw new IllegalStateException("a request answered 2xx without an open transaction to record its holder in");
        }
        RealmModel realm = request.realms().getRealmByName(realmName);
        if (realm == null) {
            throw new IllegalStateException("realm " + realmName + " not found");
        }
        return realm;
    }

    private static void recordHolders(KeycloakSession s, RealmModel realm, String tokenId, String userId, String impersonatorId) {
        CredentialReaders.record(s, realm, List.of(tokenId), userId);
        if (impersonatorId != null && !impersonatorId.equals(userId)) {
            CredentialReaders.record(s, realm, List.of(tokenId), impersonatorId);
        }
    }

    /** The id of the token an answer of {@code POST clients-initial-access} presents, or null. */
    static String tokenId(String answer) {
        if (answer == null || answer.isBlank()) {
            return null;
        }
        try {
            JsonNode presented = org.keycloak.util.JsonSerialization.mapper.readTree(answer);
            JsonNode id = presented.path("id");
            return id.isTextual() && presented.path("token").isTextual() ? id.asText() : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
