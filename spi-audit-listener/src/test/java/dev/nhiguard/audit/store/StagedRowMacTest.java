package dev.nhiguard.audit.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

/** The staged row's MAC covers its realm, id, staging time and content, and one Mac serves many rows. */
class StagedRowMacTest {

    private static Mac mac(String key) throws Exception {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return m;
    }

    @Test
    void everyFieldCountsAndTheMacIsReusable() throws Exception {
        Mac m = mac("a key of thirty-two bytes or more!");
        String base = AuditChainStore.stagedRowMac(m, "realm", "id-1", 42L, "{\"a\":1}");
        assertEquals(64, base.length());
        assertEquals(base, AuditChainStore.stagedRowMac(m, "realm", "id-1", 42L, "{\"a\":1}"), "same row, same Mac, same value");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "realm2", "id-1", 42L, "{\"a\":1}"), "realm");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "realm", "id-2", 42L, "{\"a\":1}"), "id");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "realm", "id-1", 43L, "{\"a\":1}"), "staging time");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "realm", "id-1", 42L, "{\"a\":2}"), "content");
        assertNotEquals(base, AuditChainStore.stagedRowMac(mac("another key of thirty-two bytes!!"), "realm", "id-1", 42L,
                "{\"a\":1}"), "key");
        // the separators keep fields apart: moving text between realm and id changes the value
        assertNotEquals(AuditChainStore.stagedRowMac(m, "ab", "c", 1L, "x"), AuditChainStore.stagedRowMac(m, "a", "bc", 1L, "x"));
    }
}
