package dev.nhiguard.audit.chain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.erdtman.jcs.JsonCanonicalizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** RFC 8785 canonical JSON and the SHA-256 hex digest the chain uses. */
public final class Canonical {

    static final ObjectMapper JSON = new ObjectMapper();

    private Canonical() {
    }

    /** The RFC 8785 canonical form of a JSON text. */
    public static String canonicalize(String json) {
        try {
            return new JsonCanonicalizer(json).getEncodedString();
        } catch (IOException e) {
            throw new IllegalArgumentException("not canonicalizable JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The RFC 8785 canonical form of a JSON tree. The records the chain seals hold strings,
     * booleans, nulls and integers, which are written straight from the tree (members sorted by
     * UTF-16 code units, strings escaped as RFC 8785 says); a tree with anything else (a
     * fraction, an integer beyond 2^53, a surrogate in a string) takes the reference
     * implementation's path, text and back, so the output is the library's in every case.
     */
    public static String canonicalize(JsonNode node) {
        StringBuilder out = new StringBuilder(512);
        if (write(node, out)) {
            return out.toString();
        }
        try {
            return canonicalize(JSON.writeValueAsString(wellFormed(node)));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final long MAX_EXACT = 1L << 53;

    /** Writes {@code node} canonically; false when it holds something only the library writes. */
    private static boolean write(JsonNode node, StringBuilder out) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                String[] names = new String[node.size()];
                java.util.Iterator<String> it = node.fieldNames();
                for (int i = 0; i < names.length; i++) {
                    names[i] = it.next();
                }
                java.util.Arrays.sort(names); // String order is UTF-16 code-unit order
                out.append('{');
                for (int i = 0; i < names.length; i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    if (hasSurrogate(names[i]) || !string(names[i], out)) {
                        return false; // a name's replaced surrogate changes its order: the library sorts the replaced names
                    }
                    out.append(':');
                    if (!write(node.get(names[i]), out)) {
                        return false;
                    }
                }
                out.append('}');
                return true;
            }
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    if (!write(node.get(i), out)) {
                        return false;
                    }
                }
                out.append(']');
                return true;
            }
            case STRING -> {
                return string(node.textValue(), out);
            }
            case BOOLEAN -> {
                out.append(node.booleanValue());
                return true;
            }
            case NULL -> {
                out.append("null");
                return true;
            }
            case NUMBER -> {
                if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                    return false;
                }
                long v = node.longValue();
                if (v > MAX_EXACT || v < -MAX_EXACT) {
                    return false;
                }
                out.append(v); // an integer below 2^53 is its own ES6 number form
                return true;
            }
            default -> {
                return false; // binary, POJO, missing
            }
        }
    }

    private static boolean string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        return false; // a pair: the library writes it
                    } else if (Character.isSurrogate(c)) {
                        out.append(REPLACEMENT);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        return true;
    }

    /**
     * What an unpaired surrogate in a string (a {@code \\ud800} escape Keycloak stores as sent) is recorded as: U+FFFD, as
     * UTF-8 encoding would replace it anyway. Recorded as the code unit, the hash (over UTF-8 bytes, which carry {@code ?}
     * for it) and the exported text would differ from the records API's, and strict JSON readers refuse the record.
     */
    static final char REPLACEMENT = '\uFFFD';

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code node}, or a copy of it whose strings and member names hold {@link #REPLACEMENT} for unpaired surrogates.
     *
     * @throws IllegalArgumentException when two member names of one object differ only in unpaired surrogates: replaced,
     *         they would be one name and a member would be lost; the record is refused (and the change with it)
     */
    static JsonNode wellFormed(JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                com.fasterxml.jackson.databind.node.ObjectNode copy = null;
                for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                    java.util.Map.Entry<String, JsonNode> e = it.next();
                    String name = wellFormed(e.getKey());
                    JsonNode value = wellFormed(e.getValue());
                    if (copy == null && (!name.equals(e.getKey()) || value != e.getValue())) {
                        copy = JSON.createObjectNode();
                        for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> before = node.fields(); before.hasNext();) {
                            java.util.Map.Entry<String, JsonNode> b = before.next();
                            if (b.getKey().equals(e.getKey())) {
                                break;
                            }
                            copy.set(b.getKey(), b.getValue());
                        }
                    }
                    if (copy != null) {
                        if (copy.has(name)) {
                            throw new IllegalArgumentException("two member names differ only in unpaired surrogates");
                        }
                        copy.set(name, value);
                    }
                }
                return copy == null ? node : copy;
            }
            case ARRAY -> {
                com.fasterxml.jackson.databind.node.ArrayNode copy = null;
                for (int i = 0; i < node.size(); i++) {
                    JsonNode value = wellFormed(node.get(i));
                    if (copy == null && value != node.get(i)) {
                        copy = JSON.createArrayNode();
                        for (int j = 0; j < i; j++) {
                            copy.add(node.get(j));
                        }
                    }
                    if (copy != null) {
                        copy.add(value);
                    }
                }
                return copy == null ? node : copy;
            }
            case STRING -> {
                String text = node.textValue();
                String fixed = wellFormed(text);
                return fixed.equals(text) ? node : com.fasterxml.jackson.databind.node.TextNode.valueOf(fixed);
            }
            default -> {
                return node;
            }
        }
    }

    private static String wellFormed(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = false;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    if (out != null) {
                        out.append(c).append(s.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
                lone = true;
            } else if (Character.isLowSurrogate(c)) {
                lone = true;
            }
            if (lone && out == null) {
                out = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (out != null) {
                out.append(lone ? REPLACEMENT : c);
            }
        }
        return out == null ? s : out.toString();
    }

    /** Lower-case hex SHA-256 of the UTF-8 bytes of {@code text}. */
    public static String sha256Hex(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
