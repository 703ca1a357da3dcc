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
 * Writes a client's last use in a transaction of its own (concurrent first writes from other nodes are tolerated), then,
 * in another, the activity of its inventory index row. Two transactions: a failure of the index's write (a lock wait
 * on a row a refresh holds, a deadlock victim on MySQL) never costs the recorded use; a row left behind is marked by
 * the index's scheduled check.
 */
final class UsageRecorder {

    private static final Logger LOG = Logger.getLogger(UsageRecorder.class);

    private UsageRecorder() {
    }

    static void record(KeycloakSessionFactory factory, String realmId, String clientUuid, long at, String eventType, String ip) {
        boolean written;
        try {
            written = KeycloakModelUtils.runJobInTransactionWithResult(factory,
                    session -> upsert(session, realmId, clientUuid, at, eventType, ip));
        } catch (PersistenceException e) {
            // Another node inserted the row first; its value is as recent as ours within the interval.
            LOG.debugf(e, "realm %s client %s: usage row written concurrently", realmId, clientUuid);
            return;
        } catch (RuntimeException e) {
            LOG.warnf(e, "realm %s client %s: could not record last use", realmId, clientUuid);
            return;
        }
        if (!written) {
            return;
        }
        try {
            KeycloakModelUtils.runJobInTransaction(factory, session -> session.getProvider(JpaConnectionProvider.class).getEntityManager()
                    .createQuery("update InventoryRowEntity r set r.lastActivity = :at where r.clientUuid = :client and r.realmId = :realm"
                            + " and r.lastActivity < :at")
                    .setParameter("at", at).setParameter("client", clientUuid).setParameter("realm", realmId).executeUpdate());
        } catch (RuntimeException e) {
            LOG.warnf(e, "realm %s client %s: last use recorded, the inventory index row's activity left to the index check",
                    realmId, clientUuid);
        }
    }

    /** The client's usage row at {@code at}; false when it already held a later use (nothing written). */
    static boolean upsert(KeycloakSession session, String realmId, String clientUuid, long at, String eventType, String ip) {
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
            return true;
        }
        // A row of another realm: the client's id was reused (a realm deleted and its export imported again); its use
        // there says nothing of this realm.
        if (e.getLastUsed() < at || !realmId.equals(e.getRealmId())) {
            e.setRealmId(realmId);
            e.setLastUsed(at);
            e.setLastEvent(eventType);
            e.setLastIp(ip);
            return true;
        }
        return false;
    }
}
