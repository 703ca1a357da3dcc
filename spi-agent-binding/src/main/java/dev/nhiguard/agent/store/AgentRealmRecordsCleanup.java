package dev.nhiguard.agent.store;

import java.util.List;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;

import jakarta.persistence.EntityManager;

/**
 * The agent module's records of a realm — usage, lifecycle actions (suspensions and their reasons), owner notices,
 * authentication failures, networks, access-review campaigns with their items and narrowings, and the inventory
 * index — are keyed by the realm's id. A realm created later with the same id (an import of an export keeps ids)
 * would find them: an old narrowing could be revalidated, an old campaign's deadline could act on the new realm's
 * clients. So a deleted realm takes them along, in the deletion's transaction, and a realm that is created starts
 * without any (records left by a deletion this module did not see: deployed later, or a database restored from
 * before the deletion). The audit chain keeps what happened.
 */
public final class AgentRealmRecordsCleanup implements ProviderEventListener {

    private final List<String> entities;

    /**
     * @param entities the entities (by JPQL name, each with a {@code realmId}) of the one entity provider that
     *                 registers this listener: a provider switched off takes its listener along
     */
    public AgentRealmRecordsCleanup(List<String> entities) {
        this.entities = List.copyOf(entities);
    }

    @Override
    public void onEvent(ProviderEvent event) {
        if (event instanceof RealmModel.RealmRemovedEvent removed) {
            delete(removed.getKeycloakSession(), removed.getRealm().getId());
        } else if (event instanceof RealmModel.RealmPostCreateEvent created) {
            delete(created.getKeycloakSession(), created.getCreatedRealm().getId());
        }
    }

    private void delete(KeycloakSession session, String realmId) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        for (String entity : entities) {
            em.createQuery("delete from " + entity + " e where e.realmId = :realm").setParameter("realm", realmId).executeUpdate();
        }
    }
}
