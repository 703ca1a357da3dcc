package dev.nhiguard.guard.changerequest;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;

import jakarta.persistence.EntityManager;

/**
 * The guard's records of a realm — its change requests (with their approvals, history and sealed material) and its
 * credential-read records — are keyed by the realm's id. A realm created later with the same id (an import of an
 * export) would find them: an approval given in the old realm would apply in the new one. So a deleted realm takes
 * them along, in the deletion's transaction (the request whose apply deletes the realm stays, so that its apply can be
 * recorded; nothing can be done with it afterwards), and a realm that is created starts without any (records left by
 * a deletion this module did not see: deployed later, or a database restored from before the deletion).
 */
public final class RealmRecordsCleanup implements ProviderEventListener {

    /** Session attribute naming the change request whose replay runs in this session. */
    static final String APPLYING = "nhi.guard.applying";

    @Override
    public void onEvent(ProviderEvent event) {
        if (event instanceof RealmModel.RealmRemovedEvent removed) {
            KeycloakSession session = removed.getKeycloakSession();
            delete(session, removed.getRealm().getId(), session.getAttribute(APPLYING) instanceof String id ? id : "");
            // The realm's write lock row stays: an apply deleting its realm holds it from another transaction, which
            // waits for this one (RealmWriteLock).
        } else if (event instanceof RealmModel.RealmPostCreateEvent created) {
            delete(created.getKeycloakSession(), created.getCreatedRealm().getId(), "");
            RealmWriteLock.create(created.getKeycloakSession(), created.getCreatedRealm().getId());
        }
    }

    private static void delete(KeycloakSession session, String realmId, String keep) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        for (String entity : new String[] {"ApprovalEntity", "HistoryEntity"}) {
            em.createQuery("delete from " + entity + " e where e.changeRequestId in (select c.id from ChangeRequestEntity c "
                    + "where c.realmId = :realm and c.id <> :keep)")
                    .setParameter("realm", realmId).setParameter("keep", keep).executeUpdate();
        }
        em.createQuery("delete from ChangeRequestEntity c where c.realmId = :realm and c.id <> :keep")
                .setParameter("realm", realmId).setParameter("keep", keep).executeUpdate();
        em.createQuery("delete from CredentialReadEntity r where r.realmId = :realm")
                .setParameter("realm", realmId).executeUpdate();
        // a realm created again under the same id is seen afresh by the approver bootstrap
        em.createQuery("delete from BootstrapSightEntity b where b.realmId = :realm")
                .setParameter("realm", realmId).executeUpdate();
    }
}
