package dev.nhiguard.guard.sealing;

import java.security.SecureRandom;
import java.util.Base64;

import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.guard.store.GuardSealKeyEntity;

/**
 * Where the guard's seal key comes from: 32 random bytes in {@code NHI_GUARD_SEAL_KEY}, created on
 * first use in a transaction of its own; nodes creating it concurrently meet on the primary key,
 * and the loser reads the winner's row. Never exported, returned by no API.
 */
public final class Sealing {

    private static final Logger LOG = Logger.getLogger(Sealing.class);
    static final String KEY_ID = "server";

    private Sealing() {
    }

    /** The sealer of a realm's change requests. */
    public static Sealer sealer(KeycloakSession session, String realmId) {
        return new Sealer(serverKey(session), realmId);
    }

    private static byte[] serverKey(KeycloakSession session) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        GuardSealKeyEntity k = em.find(GuardSealKeyEntity.class, KEY_ID);
        if (k == null) {
            RuntimeException failure = null;
            try {
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                    EntityManager other = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                    if (other.find(GuardSealKeyEntity.class, KEY_ID) == null) {
                        byte[] fresh = new byte[32];
                        new SecureRandom().nextBytes(fresh);
                        GuardSealKeyEntity e = new GuardSealKeyEntity();
                        e.setId(KEY_ID);
                        e.setSecret(Base64.getEncoder().encodeToString(fresh));
                        e.setCreatedAt(System.currentTimeMillis());
                        other.persist(e);
                        LOG.info("generated the mutation guard's seal key for credentials in change requests");
                    }
                });
            } catch (RuntimeException e) {
                failure = e;
                LOG.debugf(e, "guard seal key not created here (created concurrently?)");
            }
            k = em.find(GuardSealKeyEntity.class, KEY_ID);
            if (k == null) {
                throw new IllegalStateException("cannot create the mutation guard's seal key", failure);
            }
        }
        byte[] key = Base64.getDecoder().decode(k.getSecret());
        if (key.length < 32) {
            throw new IllegalStateException("the seal key in NHI_GUARD_SEAL_KEY is shorter than 32 bytes");
        }
        return key;
    }
}
