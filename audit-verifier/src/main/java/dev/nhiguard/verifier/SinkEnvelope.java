package dev.nhiguard.verifier;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes the native lines out of an input line in one of the server's sink formats
 * (spi-audit-listener {@code SinkFormat}): a native line is itself; a CloudEvent carries the
 * record as {@code data}, or the checkpoint as {@code data} ({@code {"checkpoint":data}}); an
 * OCSF event carries the native line as {@code raw_data}; a JSON array is a batch of CloudEvents.
 *
 * <p>Only the native line is hashed and signed. The envelope's attributes that restate it (the
 * chain fields, the id, the target and time) are what a SIEM indexes, so each one present must
 * say what the native line says, else the line is refused: a forged {@code nhihash} beside a
 * genuine {@code data} was accepted until the seventeenth review. Fields an OCSF event derives
 * for its own schema (actor, api, user, resources, class, status, …) are not compared.
 */
final class SinkEnvelope {

    /** The format of an input line. One input holds one format: a sink writes one, the export is native. */
    enum Format { NATIVE, CLOUDEVENTS, OCSF }

    static final String CE_SOURCE_PREFIX = "/nhi-guard/audit-chain/";

    private SinkEnvelope() {
    }

    /** The format of a parsed input line (a JSON array is a CloudEvents batch). */
    static Format format(Object parsed) {
        if (parsed instanceof List) {
            return Format.CLOUDEVENTS;
        }
        if (parsed instanceof Map<?, ?> obj) {
            if (obj.containsKey("specversion")) {
                return Format.CLOUDEVENTS;
            }
            if (obj.containsKey("class_uid")) {
                return Format.OCSF;
            }
        }
        return Format.NATIVE;
    }

    /** The native lines an input line carries; IllegalArgumentException says why an envelope is refused. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> nativeLines(Object parsed) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (parsed instanceof List<?> list) {
            for (Object o : list) {
                if (format(o) != Format.CLOUDEVENTS || o instanceof List) {
                    throw new IllegalArgumentException("a JSON array holds something other than CloudEvents");
                }
                out.add(cloudEvent((Map<String, Object>) o));
            }
            return out;
        }
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("line is not a JSON object");
        }
        Map<String, Object> obj = (Map<String, Object>) parsed;
        out.add(switch (format(obj)) {
            case CLOUDEVENTS -> cloudEvent(obj);
            case OCSF -> ocsf(obj);
            case NATIVE -> obj;
        });
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cloudEvent(Map<String, Object> ce) {
        Object type = ce.get("type");
        if (!(ce.get("data") instanceof Map<?, ?> dataMap)) {
            throw new IllegalArgumentException("CloudEvent without a JSON object as data");
        }
        Map<String, Object> data = (Map<String, Object>) dataMap;
        if (AuditVerifier.CE_RECORD_TYPE.equals(type)) {
            String realmId = text(data.get("realmId"));
            String seq = text(data.get("seq"));
            agree(ce, "id", realmId + "/" + seq, "CloudEvent");
            agree(ce, "source", CE_SOURCE_PREFIX + realmId, "CloudEvent");
            agree(ce, "nhirealmid", realmId, "CloudEvent");
            agree(ce, "nhiseq", seq, "CloudEvent");
            agree(ce, "nhiprevhash", text(data.get("prevHash")), "CloudEvent");
            agree(ce, "nhihash", text(data.get("hash")), "CloudEvent");
            agree(ce, "subject", text(data.get("target")), "CloudEvent");
            agree(ce, "time", rfc3339(data.get("time")), "CloudEvent");
            return data;
        }
        if (AuditVerifier.CE_CHECKPOINT_TYPE.equals(type)) {
            String realmId = text(data.get("realmId"));
            String seq = text(data.get("seq"));
            agree(ce, "id", realmId + "/checkpoint/" + seq, "CloudEvent");
            agree(ce, "source", CE_SOURCE_PREFIX + realmId, "CloudEvent");
            agree(ce, "nhirealmid", realmId, "CloudEvent");
            agree(ce, "nhiseq", seq, "CloudEvent");
            agree(ce, "subject", "audit-chain/checkpoints/" + seq, "CloudEvent");
            if (ce.containsKey("nhihash") || ce.containsKey("nhiprevhash")) {
                throw new IllegalArgumentException("a checkpoint CloudEvent states a record hash (nhihash, nhiprevhash), which it does not sign");
            }
            Map<String, Object> cp = new LinkedHashMap<>();
            cp.put("checkpoint", data);
            return cp;
        }
        throw new IllegalArgumentException("CloudEvent of unknown type " + type);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> ocsf(Map<String, Object> event) {
        if (!(event.get("raw_data") instanceof String raw)) {
            throw new IllegalArgumentException("OCSF event without raw_data");
        }
        if (!(Json.parse(raw) instanceof Map<?, ?> innerMap) || format(innerMap) != Format.NATIVE) {
            throw new IllegalArgumentException("OCSF raw_data is not a native line");
        }
        Map<String, Object> inner = (Map<String, Object>) innerMap;
        Map<String, Object> nhi = event.get("unmapped") instanceof Map<?, ?> u && u.get("nhi") instanceof Map<?, ?> n
                ? (Map<String, Object>) n : Map.of();
        Map<String, Object> meta = event.get("metadata") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        if (inner.get("checkpoint") instanceof Map<?, ?> cpMap) {
            Map<String, Object> cp = (Map<String, Object>) cpMap;
            String realmId = text(cp.get("realmId"));
            String seq = text(cp.get("seq"));
            agree(nhi, "realmId", realmId, "OCSF unmapped.nhi");
            agree(nhi, "seq", seq, "OCSF unmapped.nhi");
            agree(nhi, "kind", "checkpoint", "OCSF unmapped.nhi");
            agree(nhi, "note", text(cp.get("note")), "OCSF unmapped.nhi");
            absent(nhi, "OCSF unmapped.nhi", "prevHash", "hash");
            agree(meta, "uid", realmId + "/checkpoint/" + seq, "OCSF metadata");
            agree(meta, "sequence", seq, "OCSF metadata");
            agree(meta, "log_name", AuditVerifier.ORIGIN_PREFIX + realmId, "OCSF metadata");
            return inner;
        }
        String realmId = text(inner.get("realmId"));
        String seq = text(inner.get("seq"));
        agree(nhi, "realmId", realmId, "OCSF unmapped.nhi");
        agree(nhi, "seq", seq, "OCSF unmapped.nhi");
        agree(nhi, "kind", "record", "OCSF unmapped.nhi");
        agree(nhi, "prevHash", text(inner.get("prevHash")), "OCSF unmapped.nhi");
        agree(nhi, "hash", text(inner.get("hash")), "OCSF unmapped.nhi");
        absent(nhi, "OCSF unmapped.nhi", "note");
        String eventId = text(inner.get("eventId"));
        agree(meta, "uid", eventId != null ? eventId : realmId + "/" + seq, "OCSF metadata");
        agree(meta, "sequence", seq, "OCSF metadata");
        agree(meta, "log_name", AuditVerifier.ORIGIN_PREFIX + realmId, "OCSF metadata");
        agree(event, "time", millis(inner.get("time")), "OCSF");
        return inner;
    }

    /** The attribute, when the envelope has it, must be {@code expected} (null: the native line has no such value). */
    private static void agree(Map<String, Object> envelope, String name, String expected, String where) {
        if (!envelope.containsKey(name)) {
            return; // a SIEM may drop what it does not index; only what it keeps must agree
        }
        String stated = text(envelope.get(name));
        if (stated == null || !stated.equals(expected)) {
            throw new IllegalArgumentException(where + " " + name + " is " + stated + ", the line it carries says " + expected);
        }
    }

    private static void absent(Map<String, Object> envelope, String where, String... names) {
        for (String name : names) {
            if (envelope.containsKey(name)) {
                throw new IllegalArgumentException(where + " has " + name + ", which the line it carries does not state");
            }
        }
    }

    /** A string or a number as text (the number's source text), else null. */
    private static String text(Object v) {
        if (v instanceof String s) {
            return s;
        }
        return v instanceof Json.Num n ? n.text() : null;
    }

    /** Epoch milliseconds as the server writes them in an OCSF event (a whole number), else null. */
    private static String millis(Object time) {
        if (!(time instanceof Json.Num n)) {
            return null;
        }
        try {
            return Long.toString(new BigDecimal(n.text()).longValue());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Epoch milliseconds as the server writes them in a CloudEvent's time (RFC 3339), else null. */
    private static String rfc3339(Object time) {
        String ms = millis(time);
        return ms == null ? null : Instant.ofEpochMilli(Long.parseLong(ms)).toString();
    }
}
