package dev.nhiguard.audit.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The sequencer's splice of a staged draft's canonical text is exactly the record sealed from the tree. */
class SealCanonicalTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String PREV = "ab".repeat(32);

    private static void assertSameAsTree(ObjectNode draft, long seq) {
        ChainRecords.Sealed fromTree = ChainRecords.seal(draft, seq, PREV);
        ChainRecords.Sealed spliced = ChainRecords.sealCanonical(Canonical.canonicalize(draft), ChainRecords.Columns.of(draft), seq, PREV);
        assertEquals(fromTree, spliced, draft.toString());
    }

    @Test
    void recordsOfEveryKindSealAsFromTheTree() {
        SecretRedactor redactor = new SecretRedactor(SecretRedactorTest.KEY, Set.of());
        ObjectNode admin = redactor.redactRecord(ChainRecords.draft(ChainRecordsTest.adminEvent(
                "{\"clientId\":\"x,}\\\"y\",\"secret\":\"s3cr3t\",\"attributes\":{\"a\":[\"}\",\"{\",\"\\\\\"]},\"n\":[1,[2,{}],[]]}"), true));
        Event token = new Event();
        token.setId("t-1");
        token.setTime(1_700_000_000_000L);
        token.setRealmId("realm-1");
        token.setType(EventType.CLIENT_LOGIN);
        token.setClientId("billing-sync");
        token.setUserId("sa-user");
        token.setDetails(Map.of("grant_type", "client_credentials", "scope", "a b"));
        ObjectNode user = redactor.redactRecord(ChainRecords.draft(token));
        for (long seq : List.of(1L, 9L, 10L, 1234567890123L)) {
            assertSameAsTree(admin, seq);
            assertSameAsTree(user, seq);
        }
        assertSameAsTree(F.objectNode(), 1);
    }

    @Test
    void namesAroundTheSealFieldsKeepRfc8785Order() {
        for (String name : List.of("a", "p", "prev", "prevHas", "prevHasha", "prevHash0", "q", "s", "se", "seq0", "sequence", "sf", "t",
                "z", "A", "Z", "_", "~", "\u00e9", "\u4e2d", "1", "")) {
            ObjectNode d = F.objectNode();
            d.put(name, "v");
            assertSameAsTree(d, 7);
            d.put("type", "X");
            d.putObject("actor").put("userId", "u");
            assertSameAsTree(d, 8);
        }
    }

    @Test
    void randomTreesSealAsFromTheTree() {
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            ObjectNode d = F.objectNode();
            int members = random.nextInt(8);
            for (int m = 0; m < members; m++) {
                d.set(name(random), value(random, 3));
            }
            d.remove(List.of("seq", "prevHash", "hash"));
            assertSameAsTree(d, 1 + random.nextInt(1_000_000));
        }
    }

    @Test
    void aTextItCannotSpliceIsLeftToTheTree() {
        assertNull(ChainRecords.spliceSeal("{\"seq\":1}", 2, PREV), "a seal field present already");
        assertNull(ChainRecords.spliceSeal("{\"hash\":\"x\"}", 2, PREV));
        assertNull(ChainRecords.spliceSeal("{\"a\\\"b\":1}", 2, PREV), "an escaped member name");
        assertNull(ChainRecords.spliceSeal("[1]", 2, PREV));
        assertNull(ChainRecords.spliceSeal("{\"a\":\"unterminated}", 2, PREV));
        assertNull(ChainRecords.spliceSeal("", 2, PREV));
    }

    private static String name(Random random) {
        String[] names = {"v", "realmId", "time", "type", "actor", "target", "details", "representation", "p", "prevHas", "sequence", "s",
                "t", "\u00e9t\u00e9", "a b", "x"};
        return names[random.nextInt(names.length)];
    }

    private static JsonNode value(Random random, int depth) {
        int kind = random.nextInt(depth > 0 ? 8 : 5);
        return switch (kind) {
            case 0 -> F.textNode(text(random));
            case 1 -> F.numberNode(random.nextInt(2_000_000) - 1_000_000L);
            case 2 -> F.booleanNode(random.nextBoolean());
            case 3 -> F.nullNode();
            case 4 -> F.textNode("");
            case 5, 6 -> {
                ObjectNode o = F.objectNode();
                for (int m = random.nextInt(4); m > 0; m--) {
                    o.set(text(random), value(random, depth - 1));
                }
                yield o;
            }
            default -> {
                ArrayNode a = F.arrayNode();
                for (int m = random.nextInt(4); m > 0; m--) {
                    a.add(value(random, depth - 1));
                }
                yield a;
            }
        };
    }

    private static String text(Random random) {
        String alphabet = "ab,:{}[]\"\\\n\t\u0001\u00e9\u4e2d ";
        StringBuilder s = new StringBuilder();
        for (int i = random.nextInt(6); i > 0; i--) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }
}
