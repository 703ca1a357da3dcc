package dev.nhiguard.guard.changerequest;

import java.util.List;

import jakarta.persistence.EntityManager;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;

/**
 * Relations as Keycloak stores them, where its own views filter them:
 * <ul>
 * <li>Links between clients and client scopes (default and optional), whatever the two protocols. Keycloak's view of a
 * client's scopes ({@code ClientModel#getClientScopes}) lists only scopes of the client's protocol, and from its cache: a
 * scope linked while both were OpenID Connect and then switched to SAML drops out of that view, and shapes the client's
 * tokens again once switched back (twenty-fourth red-team review: the guard, reading that view, saw no service account
 * behind the scope, so mappers added to it and its switch back passed unheld, and the approver of the client's service
 * account was shown nothing of it).</li>
 * <li>A user's group memberships, whatever the group's type. Keycloak's {@code UserModel#getGroupsStream} lists realm
 * groups only, while an owner group's members are counted from the membership table (reviews, mails, the owner's
 * standing): a member of an organization group named as a service account's owner was no owner to the guard, and a
 * realm admin reset that person's password unheld and decided the account's review as them (same review).</li>
 * </ul>
 * Read in the request's transaction: what it wrote is seen.
 */
final class StoredLinks {

    private StoredLinks() {
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

    /** The ids of the groups the user is a member of, of any type (realm and organization groups). */
    static List<String> groupsOf(KeycloakSession session, String userId) {
        return em(session).createQuery("select m.groupId from UserGroupMembershipEntity m where m.user.id = :user", String.class)
                .setParameter("user", userId).getResultList();
    }

    private static EntityManager em(KeycloakSession session) {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
