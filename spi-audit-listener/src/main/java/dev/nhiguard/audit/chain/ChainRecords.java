package dev.nhiguard.audit.chain;

import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import org.keycloak.events.Event;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;

/**
 * The record format (version 1). A record is a JSON object; its {@code hash} is the
 * lower-case hex SHA-256 of the RFC 8785 canonical JSON of the object without {@code hash}.
 * {@code prevHash} of record 1 is {@link #GENESIS}. See the module README for the fields.
 */
public final class ChainRecords {

    public static final int VERSION = 1;
    public static final String GENESIS = "0".repeat(64);

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ChainRecords() {
    }

    /** A record sealed into the chain: its canonical content (without hash) and its hash. */
    public record Sealed(long seq, String type, String actorUserId, String target, long time,
                         String content, String prevHash, String hash) {

        /** The record as exported: the content with its hash added. */
        public ObjectNode withHash() {
            ObjectNode node = (ObjectNode) parse(content);
            node.put("hash", hash);
            return node;
        }
    }

    /**
     * The draft of a record for an admin event; realm, seq and prevHash come at append. Drafts
     * hold what the producer sent: credentials are sealed by {@link SecretRedactor} when the
     * draft is staged or appended.
     */
    public static ObjectNode draft(AdminEvent e, boolean includeRepresentation) {
        ObjectNode n = F.objectNode();
        n.put("v", VERSION);
        n.put("realmId", e.getRealmId());
        putIfNotNull(n, "realm", e.getRealmName());
        n.put("time", e.getTime());
        putIfNotNull(n, "eventId", e.getId());
        n.put("category", "ADMIN");
        n.put("type", e.getResourceTypeAsString() != null ? e.getResourceTypeAsString() : "UNKNOWN");
        putIfNotNull(n, "operation", e.getOperationType() == null ? null : e.getOperationType().name());
        AuthDetails a = e.getAuthDetails();
        if (a != null) {
            ObjectNode actor = n.putObject("actor");
            putIfNotNull(actor, "realmId", a.getRealmId());
            putIfNotNull(actor, "userId", a.getUserId());
            putIfNotNull(actor, "clientId", a.getClientId());
            putIfNotNull(actor, "ipAddress", a.getIpAddress());
        }
        putIfNotNull(n, "target", e.getResourcePath());
        putIfNotNull(n, "error", e.getError());
        putDetails(n, e.getDetails());
        if (includeRepresentation && e.getRepresentation() != null) {
            n.set("representation", parseOrText(e.getRepresentation()));
        }
        return n;
    }

    /** The draft of a record for a user (login/token) event. */
    public static ObjectNode draft(Event e) {
        ObjectNode n = F.objectNode();
        n.put("v", VERSION);
        n.put("realmId", e.getRealmId());
        putIfNotNull(n, "realm", e.getRealmName());
        n.put("time", e.getTime());
        putIfNotNull(n, "eventId", e.getId());
        n.put("category", "USER");
        n.put("type", e.getType().name());
        ObjectNode actor = n.putObject("actor");
        putIfNotNull(actor, "realmId", e.getRealmId());
        putIfNotNull(actor, "userId", e.getUserId());
        putIfNotNull(actor, "clientId", e.getClientId());
        putIfNotNull(actor, "ipAddress", e.getIpAddress());
        putIfNotNull(actor, "sessionId", e.getSessionId());
        putIfNotNull(n, "target", e.getClientId());
        putIfNotNull(n, "error", e.getError());
        putDetails(n, e.getDetails());
        return n;
    }

    /** Seals a draft at position {@code seq} after a record whose hash is {@code prevHash}. */
    public static Sealed seal(ObjectNode draft, long seq, String prevHash) {
        ObjectNode n = draft.deepCopy();
        n.put("seq", seq);
        n.put("prevHash", prevHash);
        n.remove("hash");
        String content = Canonical.canonicalize(n);
        JsonNode actor = n.path("actor");
        return new Sealed(seq, n.path("type").asText(), actor.hasNonNull("userId") ? actor.get("userId").asText() : null,
                n.hasNonNull("target") ? n.get("target").asText() : null, n.path("time").asLong(),
                content, prevHash, Canonical.sha256Hex(content));
    }

    /** Parses JSON text into a tree. */
    public static JsonNode parse(String json) {
        try {
            return Canonical.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode parseOrText(String text) {
        try {
            JsonNode node = Canonical.JSON.readTree(text);
            return node == null ? TextNode.valueOf(text) : node;
        } catch (IOException e) {
            return TextNode.valueOf(text);
        }
    }

    private static void putDetails(ObjectNode n, Map<String, String> details) {
        if (details != null && !details.isEmpty()) {
            ObjectNode d = n.putObject("details");
            details.forEach((k, v) -> {
                if (v != null) {
                    d.put(k, v);
                }
            });
        }
    }

    private static void putIfNotNull(ObjectNode n, String field, String value) {
        if (value != null) {
            n.put(field, value);
        }
    }
}
