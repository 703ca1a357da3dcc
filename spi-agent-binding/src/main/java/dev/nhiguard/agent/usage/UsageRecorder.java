package dev.nhiguard.agent.usage;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.store.ClientUsageEntity;

/**
 * Writes a client's last use, and the activity of its inventory index row, in one transaction of its own; concurrent
 * first writes from other nodes are tolerated.
 */
final class UsageRecorder {

    private static final Logger LOG = Logger.getLogger(UsageRecorder.class);

    private UsageRecorder() {
    }

    static void record(KeycloakSessionFactory factory, String realmId, String clientUuid, long at, String eventType, String ip) {
        try {
            KeycloakModelUtils.runJobInTransaction(factory, session -> upsert(session, realmId, clientUuid, at, eventType, ip));
        } catch (PersistenceException e) {
            // Another node inserted the row first; its value is as recent as ours within the interval.
            LOG.debugf(e, "realm %s client %s: usage row written concurrently", realmId, clientUuid);
        } catch (RuntimeException e) {
            LOG.warnf(e, "realm %s client %s: could not record last use", realmId, clientUuid);
        }
    }

    static void upsert(KeycloakSession session, String realmId, String clientUuid, long at, String eventType, String ip) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        ClientUsageEntity e = em.find(ClientUsageEntity.class, clientUuid);
        if (e == null) {
            e = new ClientUsageEntity();
            e.setClientId(clientUuid);
            e.setRealmId(realmId);
            e.setLastUsed(at);
            e.setLastEvent(eventType);
            e.setLastIp(ip);
            em.persist(e);
            em.flush();
        } else if (e.getLastUsed() < at) {
            e.setLastUsed(at);
            e.setLastEvent(eventType);
            e.setLastIp(ip);
        } else {
            return;
        }
        // The inventory index's activity follows the usage row in its transaction (no row yet: the index is built from usage).
        em.createQuery("update InventoryRowEntity r set r.lastActivity = :at where r.clientUuid = :client")
                .setParameter("at", at).setParameter("client", clientUuid).executeUpdate();
    }
}
