package dev.nhiguard.audit.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 8785 canonical form, checked against the RFC's published examples and number vectors. */
class CanonicalTest {

    /** RFC 8785 section 3.2.2: whitespace, literals, numbers and string escapes. */
    @Test
    void rfc8785Section322Example() {
        String input = "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
                + "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
                + "  \"literals\": [null, true, false]\n}";
        String expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                + "\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assertEquals(expected, Canonical.canonicalize(input));
    }

    /** RFC 8785 section 3.2.3: property names sorted by UTF-16 code units. */
    @Test
    void rfc8785Section323Sorting() {
        String input = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
                + "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
                + "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
        String expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
                + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
                + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        assertEquals(expected, Canonical.canonicalize(input));
    }

    /** RFC 8785 appendix B: IEEE 754 doubles (as hex bits) and their canonical text. */
    @ParameterizedTest
    @CsvSource({
            "0000000000000000, 0",
            "8000000000000000, 0",
            "0000000000000001, 5e-324",
            "8000000000000001, -5e-324",
            "7fefffffffffffff, 1.7976931348623157e+308",
            "ffefffffffffffff, -1.7976931348623157e+308",
            "4340000000000000, 9007199254740992",
            "c340000000000000, -9007199254740992",
            "4430000000000000, 295147905179352830000",
            "44b52d02c7e14af5, 9.999999999999997e+22",
            "44b52d02c7e14af6, 1e+23",
            "44b52d02c7e14af7, 1.0000000000000001e+23",
            "444b1ae4d6e2ef4e, 999999999999999700000",
            "444b1ae4d6e2ef4f, 999999999999999900000",
            "444b1ae4d6e2ef50, 1e+21",
            "3eb0c6f7a0b5ed8c, 9.999999999999997e-7",
            "3eb0c6f7a0b5ed8d, 0.000001",
            "41b3de4355555553, 333333333.3333332",
            "41b3de4355555554, 333333333.33333325",
            "41b3de4355555555, 333333333.3333333",
            "41b3de4355555556, 333333333.3333334",
            "41b3de4355555557, 333333333.33333343",
            "becbf647612f3696, -0.0000033333333333333333",
            "43143ff3c1cb0959, 1424953923781206.2"
    })
    void rfc8785AppendixBNumbers(String bits, String expected) {
        double d = Double.longBitsToDouble(Long.parseUnsignedLong(bits, 16));
        assertEquals("[" + expected + "]", Canonical.canonicalize("[" + d + "]"));
    }

    /**
     * (Fourteenth red-team review.) An unpaired surrogate, which Keycloak stores as sent, is recorded as U+FFFD: the
     * record's text, its UTF-8 bytes (hashed, exported, streamed) and the records API then carry the same value.
     */
    @Test
    void unpairedSurrogatesAreRecordedAsTheReplacementCharacter() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String lone = "{\"description\":\"x\\ud800y\\udfffz\"}";
        assertEquals("{\"description\":\"x\ufffdy\ufffdz\"}", Canonical.canonicalize(json.readTree(lone)));
        // beside a pair, which takes the library's path: the pair is kept, the unpaired one replaced, in values and names
        String mixed = "{\"\\udc00k\":[\"\\ud83d\\ude00\",\"a\\ud800\"]}";
        String canonical = Canonical.canonicalize(json.readTree(mixed));
        assertEquals("{\"\ufffdk\":[\"\ud83d\ude00\",\"a\ufffd\"]}", canonical);
        assertEquals(canonical, new String(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.UTF_8), "its UTF-8 bytes read back as the same text");
        assertEquals(canonical, Canonical.canonicalize(canonical), "and canonicalise to themselves (the verifier's reading)");
        // A name's replacement sorts where U+FFFD sorts (after U+FF41), as the verifier's reading of the record does.
        String sorted = Canonical.canonicalize(json.readTree("{\"a\\ud800\":1,\"a\\uff41\":2}"));
        assertEquals("{\"a\uff41\":2,\"a\ufffd\":1}", sorted);
        assertEquals(sorted, Canonical.canonicalize(sorted));
    }

    /** Two names that differ only in unpaired surrogates would become one: the record is refused, not a member lost. */
    @Test
    void namesThatWouldCollideAreRefused() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Canonical.canonicalize(json.readTree("{\"x\\ud800\":1,\"x\\udc00\":2}")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Canonical.canonicalize(json.readTree("{\"x\\ufffd\":1,\"x\\ud800\":2,\"e\":\"\\ud83d\\ude00\"}")));
    }

    @Test
    void sha256OfUtf8Text() {
        // FIPS 180-2 test vector "abc"
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Canonical.sha256Hex("abc"));
    }

    /** The tree writer and the reference library agree on every tree, the RFC's own examples included. */
    @Test
    void treeWriterMatchesTheLibrary() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Random random = new java.util.Random(8785);
        for (int i = 0; i < 3000; i++) {
            com.fasterxml.jackson.databind.JsonNode tree = json.createObjectNode().set("v", randomNode(json, random, 0));
            assertEquals(Canonical.canonicalize(json.writeValueAsString(tree)), Canonical.canonicalize(tree), tree.toString());
        }
        String rfc = "{\"\\u20ac\":\"Euro\",\"\\r\":\"CR\",\"\\ud83d\\ude00\":\"Emoji\",\"1\":[1E30,4.50,6,2e-3,9007199254740993,-0],"
                + "\"s\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\\u007f\\u2028\"}";
        assertEquals(Canonical.canonicalize(rfc), Canonical.canonicalize(json.readTree(rfc)));
    }

    private static com.fasterxml.jackson.databind.JsonNode randomNode(com.fasterxml.jackson.databind.ObjectMapper json,
            java.util.Random r, int depth) {
        var f = json.getNodeFactory();
        switch (depth > 3 ? 2 + r.nextInt(6) : r.nextInt(8)) {
            case 0: {
                var o = f.objectNode();
                for (int i = r.nextInt(6); i > 0; i--) {
                    o.set(randomString(r), randomNode(json, r, depth + 1));
                }
                return o;
            }
            case 1: {
                var a = f.arrayNode();
                for (int i = r.nextInt(5); i > 0; i--) {
                    a.add(randomNode(json, r, depth + 1));
                }
                return a;
            }
            case 2: return f.textNode(randomString(r));
            case 3: return f.numberNode(r.nextBoolean() ? r.nextLong() : (long) r.nextInt());
            case 4: return f.numberNode(r.nextBoolean() ? r.nextDouble() * 1e6 : (double) r.nextInt(1000));
            case 5: return f.booleanNode(r.nextBoolean());
            case 6: return f.nullNode();
            default: return f.numberNode(r.nextInt(3) == 0 ? (1L << 53) + r.nextInt(3) - 1 : -(1L << 53) - r.nextInt(2));
        }
    }

    private static String randomString(java.util.Random r) {
        char[] pool = {'a', 'Z', '0', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', '\u0080',
                '\u00f6', '\u20ac', '\u2028', '\ufb33', '\uffff', ' ', '\''};
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(8); i > 0; i--) {
            if (r.nextInt(10) == 0) {
                b.append("\ud83d\ude00"); // a surrogate pair
            } else {
                b.append(pool[r.nextInt(pool.length)]);
            }
        }
        return b.toString();
    }
}
