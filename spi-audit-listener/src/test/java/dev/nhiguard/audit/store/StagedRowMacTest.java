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

    private static String mac(Mac m, String realm, String id, long stagedAt, String content) {
        return AuditChainStore.stagedRowMac(m, realm, id, stagedAt, content, "USER", "u-1", "users/u-1", 7L, "v1");
    }

    @Test
    void theRecordRowsColumnsCount() throws Exception {
        Mac m = mac("a key of thirty-two bytes or more!");
        String base = AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "USER", "u-1", "users/u-1", 7L, "v1");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "ROLE", "u-1", "users/u-1", 7L, "v1"), "type");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "USER", "u-2", "users/u-1", 7L, "v1"), "actor");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "USER", "u-1", "users/u-2", 7L, "v1"), "target");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "USER", "u-1", "users/u-1", 8L, "v1"), "time");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "USER", "u-1", "users/u-1", 7L, "v2"), "sealing");
        assertNotEquals(base, AuditChainStore.stagedRowMac(m, "r", "i", 1L, "c", "USER", null, "users/u-1", 7L, "v1"), "no actor");
    }

    @Test
    void everyFieldCountsAndTheMacIsReusable() throws Exception {
        Mac m = mac("a key of thirty-two bytes or more!");
        String base = mac(m, "realm", "id-1", 42L, "{\"a\":1}");
        assertEquals(64, base.length());
        assertEquals(base, mac(m, "realm", "id-1", 42L, "{\"a\":1}"), "same row, same Mac, same value");
        assertNotEquals(base, mac(m, "realm2", "id-1", 42L, "{\"a\":1}"), "realm");
        assertNotEquals(base, mac(m, "realm", "id-2", 42L, "{\"a\":1}"), "id");
        assertNotEquals(base, mac(m, "realm", "id-1", 43L, "{\"a\":1}"), "staging time");
        assertNotEquals(base, mac(m, "realm", "id-1", 42L, "{\"a\":2}"), "content");
        assertNotEquals(base, mac(mac("another key of thirty-two bytes!!"), "realm", "id-1", 42L,
                "{\"a\":1}"), "key");
        // the separators keep fields apart: moving text between realm and id changes the value
        assertNotEquals(mac(m, "ab", "c", 1L, "x"), mac(m, "a", "bc", 1L, "x"));
    }
}
