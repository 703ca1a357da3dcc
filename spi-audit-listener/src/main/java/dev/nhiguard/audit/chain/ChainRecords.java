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

    /**
     * The columns a record row keeps next to its content (event type, acting user, target, time),
     * read from a draft as {@link #seal} reads them, cut to the columns' lengths.
     */
    public record Columns(String type, String actorUserId, String target, long time) {

        public static Columns of(JsonNode draft) {
            JsonNode actor = draft.path("actor");
            String userId = actor.hasNonNull("userId") ? actor.get("userId").asText() : null;
            String target = draft.hasNonNull("target") ? draft.get("target").asText() : null;
            return new Columns(truncate(draft.path("type").asText(), 64), userId != null && userId.length() <= 36 ? userId : null,
                    truncate(target, 1024), draft.path("time").asLong());
        }

        private static String truncate(String s, int max) {
            return s == null || s.length() <= max ? s : s.substring(0, max);
        }
    }

    /**
     * Seals a staged draft, given as its canonical text (sealed and canonicalized when it was
     * staged), without reading it back into a tree: {@code prevHash} and {@code seq} are spliced
     * into the text at their places in RFC 8785's member order. The result equals
     * {@code seal(parse(canonicalDraft), seq, prevHash)}; returns null for a text this does not
     * splice (not an object of plain member names, or one that holds a seal field already), which
     * the caller then seals from the tree.
     */
    public static Sealed sealCanonical(String canonicalDraft, Columns columns, long seq, String prevHash) {
        String content = spliceSeal(canonicalDraft, seq, prevHash);
        if (content == null) {
            return null;
        }
        return new Sealed(seq, columns.type(), columns.actorUserId(), columns.target(), columns.time(), content, prevHash,
                Canonical.sha256Hex(content));
    }

    /** {@code canonicalObject} with {@code "prevHash"} and {@code "seq"} added in member order, or null (see {@link #sealCanonical}). */
    static String spliceSeal(String c, long seq, String prevHash) {
        int n = c.length();
        if (n < 2 || c.charAt(0) != '{' || c.charAt(n - 1) != '}') {
            return null;
        }
        String prevMember = "\"prevHash\":\"" + prevHash + "\"";
        String seqMember = "\"seq\":" + seq;
        StringBuilder out = new StringBuilder(n + prevMember.length() + seqMember.length() + 2);
        out.append('{');
        boolean prevDone = false;
        boolean seqDone = false;
        boolean first = true;
        int i = 1;
        if (n > 2) {
            while (true) {
                // A member: a name of plain characters (no escape), ':', a value.
                if (c.charAt(i) != '"') {
                    return null;
                }
                int nameEnd = i + 1;
                while (nameEnd < n && c.charAt(nameEnd) != '"') {
                    if (c.charAt(nameEnd) == '\\') {
                        return null;
                    }
                    nameEnd++;
                }
                if (nameEnd + 1 >= n || c.charAt(nameEnd + 1) != ':') {
                    return null;
                }
                String name = c.substring(i + 1, nameEnd);
                if (name.equals("prevHash") || name.equals("seq") || name.equals("hash")) {
                    return null;
                }
                if (!prevDone && name.compareTo("prevHash") > 0) {
                    first = member(out, prevMember, first);
                    prevDone = true;
                }
                if (!seqDone && name.compareTo("seq") > 0) {
                    first = member(out, seqMember, first);
                    seqDone = true;
                }
                int end = skipValue(c, nameEnd + 2);
                if (end < 0 || end >= n) {
                    return null;
                }
                first = member(out, c.substring(i, end), first);
                char sep = c.charAt(end);
                if (sep == '}') {
                    if (end != n - 1) {
                        return null;
                    }
                    break;
                }
                if (sep != ',') {
                    return null;
                }
                i = end + 1;
            }
        }
        if (!prevDone) {
            first = member(out, prevMember, first);
        }
        if (!seqDone) {
            member(out, seqMember, first);
        }
        return out.append('}').toString();
    }

    private static boolean member(StringBuilder out, String member, boolean first) {
        if (!first) {
            out.append(',');
        }
        out.append(member);
        return false;
    }

    /** Index just after the JSON value starting at {@code i}, or -1. */
    private static int skipValue(String c, int i) {
        int n = c.length();
        int depth = 0;
        while (i < n) {
            char ch = c.charAt(i);
            if (ch == '"') {
                i++;
                while (i < n && c.charAt(i) != '"') {
                    i += c.charAt(i) == '\\' ? 2 : 1;
                }
                if (i >= n) {
                    return -1;
                }
                i++;
            } else if (ch == '{' || ch == '[') {
                depth++;
                i++;
            } else if (ch == '}' || ch == ']') {
                if (depth == 0) {
                    return i;
                }
                depth--;
                i++;
            } else if (ch == ',' && depth == 0) {
                return i;
            } else {
                i++;
            }
            if (depth == 0 && i < n && (c.charAt(i) == ',' || c.charAt(i) == '}')) {
                return i;
            }
        }
        return -1;
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
