package dev.nhiguard.guard.canonical;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.erdtman.jcs.JsonCanonicalizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** RFC 8785 canonical JSON and the change-request digest over {method, path, body}. */
public final class CanonicalJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CanonicalJson() {
    }

    /**
     * The RFC 8785 form of a JSON text. The library reads only an object or an array at the top;
     * a scalar (Keycloak takes a bare JSON string as the body of, for example, an organization's
     * new member) is canonicalized as the one element of an array.
     */
    public static String canonicalize(String json) {
        try {
            String t = json.strip();
            if (!t.startsWith("{") && !t.startsWith("[")) {
                String wrapped = new JsonCanonicalizer("[" + t + "]").getEncodedString();
                return wrapped.substring(1, wrapped.length() - 1);
            }
            return new JsonCanonicalizer(json).getEncodedString();
        } catch (IOException e) {
            throw new IllegalArgumentException("not canonicalizable JSON: " + e.getMessage(), e);
        }
    }

    public static String canonicalize(JsonNode node) {
        try {
            return canonicalize(JSON.writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * A copy of the node with every array's elements in canonical order, at every depth: two
     * states that differ only in the order of arrays become equal. Keycloak's representations list
     * set-valued fields (client scopes, protocol mappers, redirect URIs, …) in whatever order the
     * cache or the database returns, which differs between nodes and restarts.
     */
    public static JsonNode unordered(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isObject()) {
            ObjectNode o = JSON.createObjectNode();
            node.fields().forEachRemaining(e -> o.set(e.getKey(), unordered(e.getValue())));
            return o;
        }
        if (node.isArray()) {
            // Sorted by the canonical form of each element (wrapped: RFC 8785 texts here are objects or arrays).
            java.util.TreeMap<String, java.util.List<JsonNode>> sorted = new java.util.TreeMap<>();
            node.forEach(item -> {
                JsonNode u = unordered(item);
                sorted.computeIfAbsent(canonicalize(JSON.createArrayNode().add(u)), k -> new java.util.ArrayList<>()).add(u);
            });
            ArrayNode a = JSON.createArrayNode();
            sorted.values().forEach(a::addAll);
            return a;
        }
        return node;
    }

    /**
     * The canonical {id, method, path, body} document a digest is taken over. The request's id
     * makes each request's digest its own: two requests with the same body (one a guess at the
     * other's credential, sealed to the same fingerprint) never share a digest.
     */
    public static String requestDocument(String id, String method, String path, JsonNode body) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("method", method);
        o.put("path", path);
        o.set("body", body == null ? JSON.nullNode() : body);
        return canonicalize(o);
    }

    /** Lower-case hex SHA-256 of the canonical {id, method, path, body}. */
    public static String digest(String id, String method, String path, JsonNode body) {
        return sha256Hex(requestDocument(id, method, path, body));
    }

    public static String sha256Hex(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
