package dev.nhiguard.agent.registry;

import java.util.List;

import jakarta.persistence.EntityManager;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * Finds agents' clients by their marker attribute. Keycloak's own client attribute search only
 * accepts a configured list of searchable attributes, so this reads the client attribute table.
 */
public final class AgentQueries {

    private AgentQueries() {
    }

    /** Ids of the realm's agent clients, ordered by clientId. */
    public static List<String> agentClientIds(KeycloakSession session, RealmModel realm) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        return em.createQuery("select a.client.id from ClientAttributeEntity a"
                        + " where a.name = :name and a.client.realmId = :realm order by a.client.clientId", String.class)
                .setParameter("name", AgentRecord.MARKER)
                .setParameter("realm", realm.getId())
                .getResultList();
    }
}
