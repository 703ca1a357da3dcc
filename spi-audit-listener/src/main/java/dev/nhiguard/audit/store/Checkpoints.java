package dev.nhiguard.audit.store;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.audit.chain.CheckpointNotes;

/**
 * Signed checkpoints: when they are due, which key signs them (the operator's, else a key
 * generated per realm and stored in {@code NHI_AUDIT_KEY}), and writing them.
 */
public final class Checkpoints {

    private static final Logger LOG = Logger.getLogger(Checkpoints.class);

    /** A signing key and the name it signs under. */
    public record SigningKey(String name, PrivateKey privateKey, PublicKey publicKey) {
    }

    private final int everyRecords;
    private final SigningKey operatorKey;

    /**
     * @param everyRecords a checkpoint whenever the chain crosses a multiple of this (0 = never)
     * @param operatorKey  the operator's key for every realm, or null for per-realm keys
     */
    public Checkpoints(int everyRecords, SigningKey operatorKey) {
        this.everyRecords = everyRecords;
        this.operatorKey = operatorKey;
    }

    /** The operator's key for every realm (kept outside the database), or null when each realm has a stored key. */
    public SigningKey operatorKey() {
        return operatorKey;
    }

    boolean due(long oldSeq, long newSeq) {
        return everyRecords > 0 && newSeq > oldSeq && oldSeq / everyRecords != newSeq / everyRecords;
    }

    /** Loads an operator key: a PKCS#8 PEM (or base64 DER) Ed25519 private key and its public key. */
    public static SigningKey operatorKey(String name, String privatePem, String publicPem) {
        try {
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = kf.generatePrivate(new PKCS8EncodedKeySpec(pemBody(privatePem)));
            PublicKey pub = kf.generatePublic(new X509EncodedKeySpec(pemBody(publicPem)));
            return new SigningKey(name, priv, pub);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint key is not an Ed25519 PKCS#8/X.509 key pair: " + e.getMessage(), e);
        }
    }

    private static byte[] pemBody(String pem) {
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").trim());
    }

    static String realmKeyName(String realmId) {
        return "nhi-guard-audit-" + realmId;
    }

    /** The key signing the realm's checkpoints; a realm key is generated on first use. */
    public SigningKey key(KeycloakSession session, String realmId) {
        if (operatorKey != null) {
            return operatorKey;
        }
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        AuditKeyEntity k = em.find(AuditKeyEntity.class, realmId);
        if (k == null) {
            RuntimeException failure = null;
            try {
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                    EntityManager other = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                    if (other.find(AuditKeyEntity.class, realmId) == null) {
                        other.persist(generate(realmId));
                    }
                });
            } catch (RuntimeException e) {
                failure = e;
                LOG.debugf(e, "checkpoint key of realm %s not created here (created concurrently?)", realmId);
            }
            k = em.find(AuditKeyEntity.class, realmId);
            if (k == null) {
                throw new IllegalStateException("cannot create the checkpoint key of realm " + realmId, failure);
            }
        }
        try {
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            return new SigningKey(k.getKeyName(),
                    kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(k.getPrivateKey()))),
                    kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(k.getPublicKey()))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("stored checkpoint key of realm " + realmId + " is unreadable", e);
        }
    }

    private static AuditKeyEntity generate(String realmId) {
        try {
            KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            AuditKeyEntity e = new AuditKeyEntity();
            e.setRealmId(realmId);
            e.setKeyName(realmKeyName(realmId));
            e.setPublicKey(Base64.getEncoder().encodeToString(kp.getPublic().getEncoded()));
            e.setPrivateKey(Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded()));
            e.setCreatedAt(System.currentTimeMillis());
            LOG.infof("generated Ed25519 checkpoint key %s for realm %s", e.getKeyName(), realmId);
            return e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 unavailable", e);
        }
    }

    /** Signs and stores a checkpoint of records 1..seq (the caller holds the head lock). */
    AuditCheckpointEntity write(KeycloakSession session, EntityManager em, String realmId, long seq, String hash) {
        SigningKey key = key(session, realmId);
        long now = System.currentTimeMillis();
        AuditCheckpointEntity c = new AuditCheckpointEntity();
        c.setRealmId(realmId);
        c.setSeq(seq);
        c.setCreatedAt(now);
        c.setKeyName(key.name());
        c.setNote(CheckpointNotes.sign(CheckpointNotes.text(realmId, seq, hash, now), key.name(), key.privateKey(), key.publicKey()));
        em.persist(c);
        return c;
    }

    /** Checkpoints every realm whose head moved past its latest checkpoint, each in its own transaction. */
    public void checkpointMovedHeads(KeycloakSession session) {
        List<String> realms = session.getProvider(JpaConnectionProvider.class).getEntityManager()
                .createQuery("select h.realmId from AuditHeadEntity h where h.seq > coalesce("
                        + "(select max(c.seq) from AuditCheckpointEntity c where c.realmId = h.realmId), 0)", String.class)
                .getResultList();
        for (String realmId : realms) {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(),
                    s -> new AuditChainStore(s, this).checkpointHead(realmId));
        }
    }
}
