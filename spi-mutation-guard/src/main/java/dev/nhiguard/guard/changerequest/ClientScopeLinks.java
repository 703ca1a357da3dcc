package dev.nhiguard.guard.changerequest;

import java.util.List;

import jakarta.persistence.EntityManager;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;

/**
 * The links between clients and client scopes (default and optional) as Keycloak stores them, whatever the two
 * protocols. Keycloak's own view of a client's scopes ({@code ClientModel#getClientScopes}) lists only scopes of the
 * client's protocol, and from its cache: a scope linked while both were OpenID Connect and then switched to SAML drops
 * out of that view, and shapes the client's tokens again once switched back (twenty-fourth red-team review: the
 * guard, reading that view, saw no service account behind the scope, so mappers added to it and its switch back
 * passed unheld, and the approver of the client's service account was shown nothing of it). Read in the request's
 * transaction: links it made are seen.
 */
final class ClientScopeLinks {

    private ClientScopeLinks() {
    }

    /** The ids of the clients linked to the scope, at most {@code limit}. */
    static List<String> clientsOf(KeycloakSession session, String scopeId, int limit) {
        return em(session).createQuery("select m.clientId from ClientScopeClientMappingEntity m where m.clientScopeId = :scope",
                String.class).setParameter("scope", scopeId).setMaxResults(limit).getResultList();
    }

    /** The ids of the scopes linked to the client. */
    static List<String> scopesOf(KeycloakSession session, String clientUuid) {
        return em(session).createQuery("select m.clientScopeId from ClientScopeClientMappingEntity m where m.clientId = :client",
                String.class).setParameter("client", clientUuid).getResultList();
    }

    private static EntityManager em(KeycloakSession session) {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
