package dev.nhiguard.audit.store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.audit.chain.SecretRedactor;

/**
 * Where the fingerprint keys of sealed credentials come from: a server key of 32 random bytes,
 * created on first use in {@code NHI_AUDIT_SEAL_KEY} (its own transaction; concurrent creators
 * on several nodes meet on the primary key) and never exported; per realm, the key
 * HMAC-SHA256(server key, {@code "nhi-guard/audit-seal/v1\n" + realmId}), so a value gives the
 * same fingerprint within a realm and different ones in different realms. Owned by the listener
 * factory; the server key, once read from the database, is kept in memory (it never changes), and
 * so are the realms' redactors made with the keys derived from it.
 */
public final class RecordSealing {

    private static final Logger LOG = Logger.getLogger(RecordSealing.class);
    static final String KEY_ID = "server";
    private static final String REALM_KEY_LABEL = "nhi-guard/audit-seal/v1\n";

    private final Set<String> extraNames;
    /** What sealed a staged row: this module's version and the operator's names (see {@link #sealedWith()}). */
    private final String sealedWith;
    private final AtomicReference<byte[]> serverKey = new AtomicReference<>();
    /** Redactors by realm id: immutable, keyed by a pure function of the server key, so each is made once per node. */
    private final ConcurrentMap<String, SecretRedactor> redactors = new ConcurrentHashMap<>();

    /** @param extraNames member names sealed on top of {@link SecretRedactor}'s list (option {@code redact-fields}) */
    public RecordSealing(Collection<String> extraNames) {
        this.extraNames = Set.copyOf(extraNames);
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        extraNames.forEach(n -> names.add(n.toLowerCase(java.util.Locale.ROOT)));
        this.sealedWith = dev.nhiguard.audit.chain.Canonical.sha256Hex(dev.nhiguard.audit.ModuleVersion.get() + "\n" + String.join("\n", names))
                .substring(0, 16);
    }

    /**
     * Names the sealing a node applies (this module's version and {@code redact-fields}), kept with
     * a staged row: the sequencer chains a row's staged text as it is only when it would seal it the
     * same way; otherwise it seals the row again.
     */
    public String sealedWith() {
        return sealedWith;
    }

    /** The redactor for the records of a realm. */
    public SecretRedactor redactor(KeycloakSession session, String realmId) {
        SecretRedactor redactor = redactors.get(realmId);
        if (redactor == null) {
            redactor = new SecretRedactor(realmKey(serverKey(session), realmId), extraNames);
            SecretRedactor raced = redactors.putIfAbsent(realmId, redactor);
            return raced != null ? raced : redactor;
        }
        return redactor;
    }

    /** The key realm sinks' secrets are sealed with in the realm attribute (derived from the server key; never stored). */
    public byte[] realmSinkSecretKey(KeycloakSession session) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(serverKey(session), "HmacSHA256"));
            return mac.doFinal("nhi-guard/audit-realm-sink-secret/v1".getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static final String STAGED_ROW_KEY_LABEL = "nhi-guard/audit-staged-row/v1";
    /** The staged-row key, derived once per node. */
    private final AtomicReference<byte[]> stagedRowKey = new AtomicReference<>();
    /** An HMAC-SHA256 initialised once per node under that key; callers get clones of it. */
    private final AtomicReference<Mac> stagedRowMac = new AtomicReference<>();

    /**
     * A fresh HMAC-SHA256 for one staged row ({@code AuditChainStore}). Its key is derived from the operator's
     * checkpoint private key when one is configured, which is kept outside the database, so that a database writer
     * cannot stage a row the sequencer takes as the server's; otherwise from the server key, which is in the database
     * (then a writer who reads it can, and only a naive insert is caught). The key is derived once per node; each call
     * clones the initialised MAC (every staged record, token events included, takes one, and a clone costs less than a
     * provider lookup and a key schedule), or initialises one where the provider cannot clone (some FIPS providers).
     */
    public Mac stagedRowMac(KeycloakSession session, java.security.PrivateKey operatorKey) {
        try {
            byte[] key = stagedRowKey.get();
            if (key == null) {
                Mac derive = Mac.getInstance("HmacSHA256");
                derive.init(new SecretKeySpec(operatorKey != null ? operatorKey.getEncoded() : serverKey(session), "HmacSHA256"));
                stagedRowKey.compareAndSet(null, derive.doFinal(STAGED_ROW_KEY_LABEL.getBytes(StandardCharsets.UTF_8)));
                key = stagedRowKey.get();
            }
            Mac prototype = stagedRowMac.get();
            if (prototype == null) {
                prototype = Mac.getInstance("HmacSHA256");
                prototype.init(new SecretKeySpec(key, "HmacSHA256"));
                stagedRowMac.compareAndSet(null, prototype);
                prototype = stagedRowMac.get();
            }
            try {
                return (Mac) prototype.clone();
            } catch (CloneNotSupportedException e) {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                return mac;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    static byte[] realmKey(byte[] serverKey, String realmId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(serverKey, "HmacSHA256"));
            return mac.doFinal((REALM_KEY_LABEL + realmId).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private byte[] serverKey(KeycloakSession session) {
        byte[] key = serverKey.get();
        if (key != null) {
            return key;
        }
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        AuditSealKeyEntity k = em.find(AuditSealKeyEntity.class, KEY_ID);
        if (k == null) {
            RuntimeException failure = null;
            try {
                KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                    EntityManager other = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                    if (other.find(AuditSealKeyEntity.class, KEY_ID) == null) {
                        byte[] fresh = new byte[32];
                        new SecureRandom().nextBytes(fresh);
                        AuditSealKeyEntity e = new AuditSealKeyEntity();
                        e.setId(KEY_ID);
                        e.setSecret(Base64.getEncoder().encodeToString(fresh));
                        e.setCreatedAt(System.currentTimeMillis());
                        other.persist(e);
                        LOG.info("generated the audit chain's fingerprint key for sealed credentials");
                    }
                });
            } catch (RuntimeException e) {
                failure = e;
                LOG.debugf(e, "audit seal key not created here (created concurrently?)");
            }
            k = em.find(AuditSealKeyEntity.class, KEY_ID);
            if (k == null) {
                throw new IllegalStateException("cannot create the audit chain's fingerprint key", failure);
            }
        }
        key = Base64.getDecoder().decode(k.getSecret());
        if (key.length < 32) {
            throw new IllegalStateException("the audit chain's fingerprint key in NHI_AUDIT_SEAL_KEY is shorter than 32 bytes");
        }
        serverKey.compareAndSet(null, key);
        return serverKey.get();
    }
}
