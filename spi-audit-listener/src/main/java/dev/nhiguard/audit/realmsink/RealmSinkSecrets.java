package dev.nhiguard.audit.realmsink;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a realm sink's secret for storage in the realm attribute: {@value #PREFIX}{@code <base64(nonce || AES-256-GCM ciphertext)>},
 * the realm bound as associated data, so a sealed secret opens only in the realm it was sealed
 * for. The nonce is derived from the secret (HMAC, synthetic-IV style): the same secret gives the
 * same sealed text, so a configuration shown to approvers tells an unchanged secret from a
 * changed one without showing either. Keys derive from the audit chain's server key.
 */
final class RealmSinkSecrets {

    static final String PREFIX = "nhi-sealed:v1:";
    private static final int NONCE = 12;

    private final byte[] encryptionKey;
    private final byte[] nonceKey;
    private final byte[] aad;

    /** @param key 32 bytes or more, derived from the server key for realm sink secrets */
    RealmSinkSecrets(byte[] key, String realmId) {
        this.encryptionKey = hmac(key, "aes-256-gcm");
        this.nonceKey = hmac(key, "nonce\n" + realmId);
        this.aad = ("nhi-guard/audit-realm-sink/v1\n" + realmId).getBytes(StandardCharsets.UTF_8);
    }

    String seal(String clear) {
        try {
            byte[] nonce = Arrays.copyOf(hmac(nonceKey, clear), NONCE);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(clear.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE + ct.length).put(nonce).put(ct).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    /** The clear secret, or null when the text is not a secret sealed for this realm with this server's key. */
    String open(String sealed) {
        if (sealed == null || !sealed.startsWith(PREFIX)) {
            return null;
        }
        try {
            byte[] all = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            if (all.length <= NONCE + 16) {
                return null;
            }
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"), new GCMParameterSpec(128, all, 0, NONCE));
            c.updateAAD(aad);
            return new String(c.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
