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
 * Who holds a client's or a user's credential: who has read a client's credential material through the admin API
 * (secret, rotated secret, a representation or installation carrying it, a stored private key or keystore), and who
 * set it, or set how a user signs in ({@link dev.nhiguard.guard.reads.WrittenCredentials}); a row's client id is then
 * the user's id. A reader of a
 * service account's credential can make requests as the service account, and so would be
 * requester and approver at once: such a reader does not approve the service account's change
 * requests. Reads are kept, not forgotten when the secret is regenerated, since a reader may also
 * have held key material that a new secret does not replace.
 */
public final class CredentialReaders {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(CredentialReaders.class);
    private static final int IN_LIST_LIMIT = 500;

    private CredentialReaders() {
    }

    /**
     * Records that the user read the credential material of these clients (in the read record's
     * transaction). One row per client and reader: a reader already recorded for a client is not
     * recorded again, so the admin console listing clients over and over adds nothing after its
     * first list (two concurrent first reads may both insert; either row answers {@link #holds}).
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
        if (missing.isEmpty()) {
            return;
        }
        // A service account's reads and writes are its client's: whoever holds the client holds them, also once the
        // service account is turned off and its user deleted.
        String through = serviceAccountClient(s, realm, userId);
        if (through != null && !through.equals(userId)) {
            record(s, realm, missing, through);
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

    /** At most this many identities are followed from one; beyond, the user is taken to hold it (fail closed). */
    static final int MAX_FOLLOWED = 1000;

    /**
     * Whether the user holds the credential of a client or user ({@code subjectId}): read or set it, directly or through
     * an identity whose credential they hold, to any depth. A read or write made with a service account's token is
     * recorded under the service account's user, and one made by a person under that person, so whoever holds that
     * service account's secret, or set that person's password, holds what it read or set too.
     */
    public static boolean holds(KeycloakSession s, RealmModel realm, String subjectId, String userId) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.Deque<String> subjects = new java.util.ArrayDeque<>(List.of(subjectId));
        while (!subjects.isEmpty()) {
            String subject = subjects.poll();
            if (!seen.add(subject)) {
                continue;
            }
            if (seen.size() > MAX_FOLLOWED) {
                LOG.warnf("Holders of %s in realm %s: more than %d identities followed; %s is taken to hold it", subjectId,
                        realm.getName(), MAX_FOLLOWED, userId);
                return true;
            }
            List<String> holders = em(s).createQuery("select r.userId from CredentialReadEntity r where r.clientId = :client",
                    String.class).setParameter("client", subject).getResultList();
            if (holders.contains(userId)) {
                return true;
            }
            for (String holder : holders) {
                subjects.add(holder); // a person whose sign-in someone else set
                String through = serviceAccountClient(s, realm, holder);
                if (through != null) {
                    subjects.add(through);
                }
            }
        }
        return false;
    }

    /**
     * The identities recorded as holding the credential of a client or user ({@code subjectId}) directly, having read or
     * set it: at most {@code limit} user ids, in the order of their first record; one more than {@code limit} tells the
     * caller that there are more.
     */
    public static List<String> directHolders(KeycloakSession s, String subjectId, int limit) {
        return em(s).createQuery("select r.userId from CredentialReadEntity r where r.clientId = :client order by r.readAt, r.id",
                String.class).setParameter("client", subjectId).setMaxResults(limit + 1).getResultList()
                .stream().distinct().toList();
    }

    /** The client whose service account the user is (in the client's realm or the administration realm), or null. */
    private static String serviceAccountClient(KeycloakSession s, RealmModel realm, String userId) {
        org.keycloak.models.UserModel user = s.users().getUserById(realm, userId);
        if (user == null) {
            RealmModel admin = s.realms().getRealmByName(org.keycloak.Config.getAdminRealm());
            user = admin == null || admin.equals(realm) ? null : s.users().getUserById(admin, userId);
        }
        return user == null ? null : user.getServiceAccountClientLink();
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
