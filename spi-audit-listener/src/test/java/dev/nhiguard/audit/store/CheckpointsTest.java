package dev.nhiguard.audit.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import dev.nhiguard.audit.chain.CheckpointNotes;

class CheckpointsTest {

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    @Test
    void operatorKeyFromPemFilesSignsVerifiableCheckpoints() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Checkpoints.SigningKey key = Checkpoints.operatorKey("acme-audit",
                pem("PRIVATE KEY", kp.getPrivate().getEncoded()), pem("PUBLIC KEY", kp.getPublic().getEncoded()));
        String note = CheckpointNotes.sign(CheckpointNotes.text("r", 3, "ef".repeat(32), 9), key.name(), key.privateKey(), key.publicKey());
        assertEquals(3, CheckpointNotes.verify(note, "acme-audit", kp.getPublic()).size());
    }

    @Test
    void operatorKeyThatIsNotEd25519IsRefused() throws Exception {
        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        assertThrows(IllegalArgumentException.class, () -> Checkpoints.operatorKey("k",
                pem("PRIVATE KEY", rsa.getPrivate().getEncoded()), pem("PUBLIC KEY", rsa.getPublic().getEncoded())));
    }

    @Test
    void checkpointIsDueWhenTheChainCrossesAMultiple() {
        Checkpoints every5 = new Checkpoints(5, null);
        assertTrue(every5.due(4, 5));
        assertTrue(every5.due(3, 7));
        assertFalse(every5.due(5, 9));
        assertTrue(every5.due(9, 10));
        assertFalse(new Checkpoints(0, null).due(1, 100));
    }
}
