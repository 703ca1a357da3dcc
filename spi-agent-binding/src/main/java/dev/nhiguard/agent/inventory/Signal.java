package dev.nhiguard.agent.inventory;

import java.util.Iterator;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A risk signal posted to {@code /nhi/signals}. */
record Signal(String type, String clientId, String detail) {

    static final String LEAKED_SECRET = "leaked-secret";
    static final String AUTH_FAILURE_BURST = "auth-failure-burst";
    static final String NEW_SOURCE_NETWORK = "new-source-network";
    static final Set<String> TYPES = Set.of(LEAKED_SECRET, AUTH_FAILURE_BURST, NEW_SOURCE_NETWORK);

    /** Strict: one JSON value (no trailing data), no duplicate member names. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static Signal parse(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("request body must be a JSON object {type, clientId, detail}");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("type", "clientId", "detail").contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "'");
            }
        }
        String type = text(root, "type");
        if (type == null || !TYPES.contains(type)) {
            throw new IllegalArgumentException("type must be one of " + String.join(", ", new java.util.TreeSet<>(TYPES)));
        }
        String clientId = text(root, "clientId");
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("clientId is required");
        }
        String detail = text(root, "detail");
        if (detail != null && detail.length() > 500) {
            throw new IllegalArgumentException("detail must be at most 500 characters");
        }
        return new Signal(type, clientId, detail);
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return v.textValue();
    }
}
