package dev.nhiguard.audit.sink;

import java.time.Instant;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How a sink writes an item: {@code native} (the record as exported, the checkpoint line as in
 * the export), {@code cloudevents} (a CloudEvents 1.0 event in structured JSON mode) or
 * {@code ocsf} (an OCSF 1.3 event). Every format keeps the record byte for byte recoverable, so
 * a SIEM copy verifies: CloudEvents carry it as {@code data}, OCSF as {@code raw_data} (the
 * native line); the chain fields are also attributes of their own ({@code nhiseq},
 * {@code nhiprevhash}, {@code nhihash}, {@code nhirealmid}; OCSF: {@code unmapped.nhi}).
 */
public enum SinkFormat {
    NATIVE, CLOUDEVENTS, OCSF;

    static final ObjectMapper JSON = new ObjectMapper();
    public static final String CE_RECORD_TYPE = "dev.nhiguard.audit.record.v1";
    public static final String CE_CHECKPOINT_TYPE = "dev.nhiguard.audit.checkpoint.v1";
    static final String OCSF_VERSION = "1.3.0";

    /** Parses an option value: native, cloudevents or ocsf (case-insensitive). */
    public static SinkFormat of(String option, String value) {
        if (value == null || value.isBlank()) {
            return NATIVE;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " must be native, cloudevents or ocsf, is " + value);
        }
    }

    /** Content type of one item in this format. */
    public String contentType() {
        return this == CLOUDEVENTS ? "application/cloudevents+json" : "application/json";
    }

    /**
     * The item as one line of JSON in this format. Characters that some readers take for a line break inside a JSON
     * string (U+0085, U+2028, U+2029; JSON lets them stand raw) are written as escapes: the same JSON value, so the
     * record's hash is unchanged, and no reader splits a record that names them into two lines.
     */
    public String render(SinkItem item) {
        if (this == NATIVE) {
            return lineSafe(item.line());
        }
        try {
            JsonNode n = JSON.readTree(item.line());
            return lineSafe((this == CLOUDEVENTS ? cloudEvent(item, n) : ocsf(item, n)).toString());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("sink item is not JSON", e);
        }
    }

    /** JSON text with U+0085, U+2028 and U+2029 escaped (they can occur only inside strings, where an escape means the same). */
    static String lineSafe(String json) {
        StringBuilder out = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '\u0085' || c == '\u2028' || c == '\u2029') {
                if (out == null) {
                    out = new StringBuilder(json.length() + 16).append(json, 0, i);
                }
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? json : out.toString();
    }

    private static ObjectNode cloudEvent(SinkItem item, JsonNode n) {
        ObjectNode ce = JSON.createObjectNode();
        ce.put("specversion", "1.0");
        ce.put("source", "/nhi-guard/audit-chain/" + item.realmId());
        if (item.checkpoint()) {
            JsonNode cp = n.get("checkpoint");
            ce.put("id", item.realmId() + "/checkpoint/" + item.seq());
            ce.put("type", CE_CHECKPOINT_TYPE);
            ce.put("time", Instant.ofEpochMilli(item.time()).toString());
            ce.put("subject", "audit-chain/checkpoints/" + item.seq());
            ce.put("datacontenttype", "application/json");
            ce.put("nhirealmid", item.realmId());
            ce.put("nhiseq", item.seq());
            ce.set("data", cp);
            return ce;
        }
        ce.put("id", item.realmId() + "/" + item.seq());
        ce.put("type", CE_RECORD_TYPE);
        ce.put("time", Instant.ofEpochMilli(n.path("time").asLong()).toString());
        if (n.hasNonNull("target")) {
            ce.put("subject", n.get("target").asText());
        }
        ce.put("datacontenttype", "application/json");
        ce.put("nhirealmid", item.realmId());
        ce.put("nhiseq", item.seq());
        ce.put("nhiprevhash", n.path("prevHash").asText());
        ce.put("nhihash", n.path("hash").asText());
        ce.set("data", n);
        return ce;
    }

    private static ObjectNode ocsf(SinkItem item, JsonNode n) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode meta = JSON.createObjectNode();
        meta.put("version", OCSF_VERSION);
        ObjectNode product = meta.putObject("product");
        product.put("name", "Keycloak NHI Guard audit chain");
        product.put("vendor_name", "NHI Guard");
        meta.put("log_name", "nhi-guard/audit-chain/" + item.realmId());
        meta.put("sequence", item.seq());
        ObjectNode nhi = JSON.createObjectNode();
        nhi.put("realmId", item.realmId());
        nhi.put("seq", item.seq());
        if (item.checkpoint()) {
            // No OCSF class describes a signed log head: an API Activity "Other" of the audit chain itself.
            classify(o, 6, 6003, 99, "Other");
            o.put("time", item.time());
            meta.put("uid", item.realmId() + "/checkpoint/" + item.seq());
            o.putObject("api").put("operation", "audit-chain.checkpoint");
            o.putObject("src_endpoint").put("svc_name", "keycloak");
            o.put("status_id", 1).put("status", "Success");
            nhi.put("kind", "checkpoint");
            nhi.put("note", n.path("checkpoint").path("note").asText());
        } else {
            String category = n.path("category").asText();
            String type = n.path("type").asText();
            String op = n.path("operation").asText("");
            boolean failed = n.hasNonNull("error");
            if ("USER".equals(category)) {
                // Authentication: a client's login or token request (the record's type says which grant).
                classify(o, 3, 3002, 1, "Logon");
                ObjectNode user = o.putObject("user");
                putText(user, "uid", n.path("actor").path("userId"));
                putText(user, "name", n.path("target"));
                o.putObject("service").put("name", n.path("target").asText("-"));
                o.put("auth_protocol", "OAUTH 2.0").put("auth_protocol_id", 99);
            } else if ("USER".equals(type) || "CLIENT".equals(type) || "AGENT".equals(type)) {
                int activity = switch (op) {
                    case "CREATE" -> 1;
                    case "DELETE" -> 6;
                    default -> 99;
                };
                classify(o, 3, 3001, activity, activity == 1 ? "Create" : activity == 6 ? "Delete" : "Other");
                ObjectNode user = o.putObject("user");
                user.put("uid", n.path("target").asText());
                user.put("type", type);
            } else {
                int activity = switch (op) {
                    case "CREATE" -> 1;
                    case "UPDATE" -> 3;
                    case "DELETE" -> 4;
                    default -> 99;
                };
                classify(o, 6, 6003, activity, switch (activity) {
                    case 1 -> "Create";
                    case 3 -> "Update";
                    case 4 -> "Delete";
                    default -> "Other";
                });
            }
            ObjectNode api = o.putObject("api");
            api.put("operation", (op.isEmpty() ? "" : op + " ") + type);
            if (n.hasNonNull("target")) {
                o.putArray("resources").addObject().put("uid", n.get("target").asText()).put("type", type);
            }
            o.put("time", n.path("time").asLong());
            meta.put("uid", n.path("eventId").asText(item.realmId() + "/" + item.seq()));
            JsonNode actor = n.path("actor");
            ObjectNode a = o.putObject("actor");
            ObjectNode au = a.putObject("user");
            putText(au, "uid", actor.path("userId"));
            putText(au, "domain", actor.path("realmId"));
            if (actor.hasNonNull("clientId")) {
                a.put("app_uid", actor.get("clientId").asText());
            }
            if (actor.hasNonNull("sessionId")) {
                a.putObject("session").put("uid", actor.get("sessionId").asText());
            }
            ObjectNode src = o.putObject("src_endpoint");
            putText(src, "ip", actor.path("ipAddress"));
            o.put("status_id", failed ? 2 : 1).put("status", failed ? "Failure" : "Success");
            if (failed) {
                o.put("status_detail", n.get("error").asText());
            }
            nhi.put("kind", "record");
            nhi.put("prevHash", n.path("prevHash").asText());
            nhi.put("hash", n.path("hash").asText());
        }
        o.put("severity_id", 1).put("severity", "Informational");
        o.set("metadata", meta);
        o.putObject("unmapped").set("nhi", nhi);
        o.put("raw_data", item.line());
        return o;
    }

    private static void classify(ObjectNode o, int category, int classUid, int activity, String activityName) {
        o.put("category_uid", category);
        o.put("class_uid", classUid);
        o.put("activity_id", activity);
        o.put("activity_name", activityName);
        o.put("type_uid", classUid * 100L + activity);
    }

    private static void putText(ObjectNode o, String name, JsonNode value) {
        if (value != null && !value.isMissingNode() && !value.isNull()) {
            o.put(name, value.asText());
        }
    }
}
