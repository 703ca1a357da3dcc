package dev.nhiguard.guard.changerequest;

import jakarta.persistence.EntityManager;

import org.keycloak.common.util.Time;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.guard.store.CredentialReadEntity;

/**
 * Who has read a client's credential material through the admin API (secret, rotated secret,
 * a representation or installation carrying it, a stored private key or keystore). A reader of a
 * service account's credential can make requests as the service account, and so would be
 * requester and approver at once: such a reader does not approve the service account's change
 * requests. Reads are kept, not forgotten when the secret is regenerated, since a reader may also
 * have held key material that a new secret does not replace.
 */
public final class CredentialReaders {

    private CredentialReaders() {
    }

    /** Records that the user read the client's credential material (in the read record's transaction). */
    public static void record(KeycloakSession s, RealmModel realm, ClientModel client, String userId) {
        CredentialReadEntity e = new CredentialReadEntity();
        e.setId(KeycloakModelUtils.generateId());
        e.setRealmId(realm.getId());
        e.setClientId(client.getId());
        e.setUserId(userId);
        e.setReadAt(Time.currentTimeMillis());
        em(s).persist(e);
    }

    /** Whether the user has read the client's credential material. */
    public static boolean hasRead(KeycloakSession s, String clientUuid, String userId) {
        return !em(s).createQuery("select r.id from CredentialReadEntity r where r.clientId = :client and r.userId = :user", String.class)
                .setParameter("client", clientUuid).setParameter("user", userId).setMaxResults(1).getResultList().isEmpty();
    }

    private static EntityManager em(KeycloakSession s) {
        return s.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
