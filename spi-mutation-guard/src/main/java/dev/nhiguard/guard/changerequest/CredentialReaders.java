package dev.nhiguard.guard.changerequest;

import java.util.List;

import jakarta.persistence.EntityManager;

import org.keycloak.common.util.Time;
import org.keycloak.connections.jpa.JpaConnectionProvider;
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

    private static final int IN_LIST_LIMIT = 500;

    private CredentialReaders() {
    }

    /**
     * Records that the user read the credential material of these clients (in the read record's
     * transaction). One row per client and reader: a reader already recorded for a client is not
     * recorded again, so the admin console listing clients over and over adds nothing after its
     * first list (two concurrent first reads may both insert; either row answers {@link #hasRead}).
     */
    public static void record(KeycloakSession s, RealmModel realm, java.util.Collection<String> clientUuids, String userId) {
        if (clientUuids.isEmpty()) {
            return;
        }
        java.util.Set<String> missing = new java.util.LinkedHashSet<>(clientUuids);
        List<String> asked = List.copyOf(missing);
        for (int from = 0; from < asked.size(); from += IN_LIST_LIMIT) { // databases limit a statement's parameters
            missing.removeAll(em(s).createQuery("select r.clientId from CredentialReadEntity r where r.userId = :user"
                            + " and r.clientId in :clients", String.class)
                    .setParameter("user", userId)
                    .setParameter("clients", asked.subList(from, Math.min(asked.size(), from + IN_LIST_LIMIT)))
                    .getResultList());
        }
        long now = Time.currentTimeMillis();
        for (String clientUuid : missing) {
            CredentialReadEntity e = new CredentialReadEntity();
            e.setId(KeycloakModelUtils.generateId());
            e.setRealmId(realm.getId());
            e.setClientId(clientUuid);
            e.setUserId(userId);
            e.setReadAt(now);
            em(s).persist(e);
        }
    }

    /** Whether the user has read the client's credential material. */
    public static boolean hasRead(KeycloakSession s, String clientUuid, String userId) {
        return !em(s).createQuery("select r.id from CredentialReadEntity r where r.clientId = :client and r.userId = :user", String.class)
                .setParameter("client", clientUuid).setParameter("user", userId).setMaxResults(1).getResultList().isEmpty();
    }

    /**
     * Whether the user read the client's credential material before {@code time} (epoch millis): then they may hold a
     * secret the client had at that time. A reader's first read is kept; later reads add nothing.
     */
    public static boolean readBefore(KeycloakSession s, String clientUuid, String userId, long time) {
        return !em(s).createQuery("select r.id from CredentialReadEntity r where r.clientId = :client and r.userId = :user"
                        + " and r.readAt < :time", String.class)
                .setParameter("client", clientUuid).setParameter("user", userId).setParameter("time", time)
                .setMaxResults(1).getResultList().isEmpty();
    }

    private static EntityManager em(KeycloakSession s) {
        return s.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
