package dev.nhiguard.guard.sealing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.audit.chain.SecretRedactor;

/** Every credential the guard seals in a change request is redacted by the audit chain, so the two lists cannot drift. */
class SealedFieldsContractTest {

    static final ObjectMapper JSON = new ObjectMapper();
    final SecretRedactor redactor = new SecretRedactor(key(), List.of());

    static byte[] key() {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) 3);
        return k;
    }

    @Test
    void everySealedNameIsASecretNameOfTheChain() {
        for (String name : SealedFields.NAMES) {
            assertTrue(redactor.isSecretName(name), "the chain does not redact '" + name + "'");
        }
        for (String suffix : SealedFields.SUFFIXES) {
            String name = "someThing" + suffix;
            assertTrue(SealedFields.isSecretName(name));
            assertTrue(redactor.isSecretName(name), "the chain does not redact names ending in '" + suffix + "'");
        }
    }

    @Test
    void everyCredentialShapeTheGuardSealsIsRedactedByTheChain() throws Exception {
        for (String type : SealedFields.CREDENTIAL_TYPES) {
            for (String shape : List.of("{\"type\":\"" + type + "\",\"value\":\"clear-1\"}",
                    "{\"credentials\":[{\"type\":\"" + type + "\",\"value\":\"clear-1\"}]}",
                    "{\"value\":\"clear-1\",\"temporary\":false}")) {
                JsonNode body = JSON.readTree(shape);
                JsonNode guard = new Sealer(key(), "r").seal(body);
                assertFalse(guard.toString().contains("clear-1"), "guard: " + shape);
                assertFalse(redactor.redact(body.deepCopy()).toString().contains("clear-1"), "chain: " + shape);
            }
        }
        for (String name : SealedFields.CREDENTIAL_VALUE_NAMES) {
            assertTrue(SecretRedactor.CREDENTIAL_VALUE_NAMES.contains(name), name);
        }
        assertEquals(SecretRedactor.KEYCLOAK_MASK, SealedFields.KEYCLOAK_MASK);
    }

    @Test
    void whatTheGuardSealsInABodyTheChainRedactsToo() throws Exception {
        JsonNode body = JSON.readTree(SealerTest.EVERYTHING.replace('\'', '"'));
        String chained = redactor.redact(body.deepCopy()).toString();
        for (String clear : SealerTest.CLEAR) {
            assertFalse(chained.contains(clear), clear + " left in clear by the chain: " + chained);
        }
    }
}
