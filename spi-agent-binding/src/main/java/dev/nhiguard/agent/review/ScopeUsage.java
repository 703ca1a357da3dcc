package dev.nhiguard.agent.review;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.review.store.ReviewUsageEntity;

/**
 * What a service account's tokens were actually issued for: the scopes in the {@code scope} of
 * its token responses ({@value #SCOPE}) and the clients its tokens were exchanged for
 * ({@value #AUDIENCE}), with when each was first and last seen.
 */
final class ScopeUsage {

    static final String SCOPE = "SCOPE";
    static final String AUDIENCE = "AUDIENCE";

    private static final Logger LOG = Logger.getLogger(ScopeUsage.class);

    /** Names used by one client since a time, by kind. */
    record Used(Set<String> scopes, Set<String> audiences) {
    }

    private ScopeUsage() {
    }

    static Used since(KeycloakSession session, String clientUuid, long sinceMillis) {
        List<Object[]> rows = em(session).createQuery("select u.kind, u.name from ReviewUsageEntity u where u.clientId = :client"
                        + " and u.lastSeen >= :since", Object[].class)
                .setParameter("client", clientUuid).setParameter("since", sinceMillis).getResultList();
        Set<String> scopes = new HashSet<>();
        Set<String> audiences = new HashSet<>();
        for (Object[] r : rows) {
            (SCOPE.equals(r[0]) ? scopes : audiences).add((String) r[1]);
        }
        return new Used(scopes, audiences);
    }

    /** Records one use in its own transaction; a concurrent first insert by another node is tolerated. */
    static void record(KeycloakSessionFactory factory, String realmId, String clientUuid, String kind, String name, long at) {
        try {
            KeycloakModelUtils.runJobInTransaction(factory, s -> upsert(s, realmId, clientUuid, kind, name, at));
        } catch (PersistenceException e) {
            LOG.debugf(e, "realm %s client %s: %s %s usage written concurrently", realmId, clientUuid, kind, name);
        } catch (RuntimeException e) {
            LOG.warnf(e, "realm %s client %s: could not record %s %s usage", realmId, clientUuid, kind, name);
        }
    }

    private static void upsert(KeycloakSession session, String realmId, String clientUuid, String kind, String name, long at) {
        EntityManager em = em(session);
        List<ReviewUsageEntity> found = em.createQuery("select u from ReviewUsageEntity u where u.clientId = :client and u.kind = :kind"
                        + " and u.name = :name", ReviewUsageEntity.class)
                .setParameter("client", clientUuid).setParameter("kind", kind).setParameter("name", name).getResultList();
        if (found.isEmpty()) {
            ReviewUsageEntity e = new ReviewUsageEntity();
            e.setId(UUID.randomUUID().toString());
            e.setRealmId(realmId);
            e.setClientId(clientUuid);
            e.setKind(kind);
            e.setName(name);
            e.setFirstSeen(at);
            e.setLastSeen(at);
            em.persist(e);
            em.flush();
        } else if (found.get(0).getLastSeen() < at) {
            found.get(0).setLastSeen(at);
        }
    }

    private static EntityManager em(KeycloakSession session) {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
