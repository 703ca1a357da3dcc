package dev.nhiguard.guard.changerequest;

import java.util.Iterator;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.sealing.Sealer;

/** Before/after of a held change: the proposed after-image and a field-level diff between them. */
public final class JsonDiff {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonDiff() {
    }

    /**
     * The target as it would be after the request, where the request's body is a (partial)
     * representation of the target; null where the operation is not such an update.
     */
    public static JsonNode proposedAfter(String operationId, JsonNode before, JsonNode body) {
        if (before == null || body == null) {
            return null;
        }
        return switch (operationId) {
            case "client-update" -> mergeUnder(before, "client", body);
            // An attributes map removes the email and names it leaves out: the diff shows it.
            case "privileged-user-update", "service-account-user-attributes" ->
                    mergeUnder(before, "user", dev.nhiguard.guard.catalogue.Catalogue.asKeycloakApplies(body));
            // Keycloak's realm update removes the attributes a given attributes map leaves out.
            case "realm-security-settings" -> merge(before, body, true);
            case "realm-events-config" -> merge(before, body);
            case "guard-policy-update" -> JSON.createObjectNode().put("policy", body.toString());
            case "realm-guard-policy-attribute" -> JSON.createObjectNode()
                    .put("policy", body.path("attributes").path("nhi.guard.policy").asText(null));
            case "service-account-realm-role-grant", "approver-role-grant" -> roles(before, body, true);
            case "service-account-realm-role-revoke", "approver-role-revoke" -> roles(before, body, false);
            // The agent API's update sets exactly the fields it is given (owner, purpose, expiry, key binding …).
            case "agent-update" -> merge(before, body);
            case "agent-resume" -> before.isObject() ? ((ObjectNode) before.deepCopy()).put("status", "ACTIVE") : null;
            case "component-config" -> before.path("component").isObject() && body.isObject()
                    ? ((ObjectNode) before.deepCopy()).set("component",
                            component(before.get("component"), body, before.get(DECLARED_CONFIG))) : null;
            default -> null;
        };
    }

    private static JsonNode mergeUnder(JsonNode before, String field, JsonNode body) {
        ObjectNode copy = before.deepCopy();
        copy.set(field, merge(before.path(field), body));
        return copy;
    }

    private static JsonNode merge(JsonNode base, JsonNode patch) {
        return merge(base, patch, false);
    }

    private static JsonNode merge(JsonNode base, JsonNode patch, boolean attributesReplaced) {
        if (!base.isObject() || !patch.isObject()) {
            return patch;
        }
        ObjectNode out = ((ObjectNode) base).deepCopy();
        for (Iterator<String> it = patch.fieldNames(); it.hasNext();) {
            String f = it.next();
            JsonNode v = patch.get(f);
            if (v.isNull()) {
                continue; // Keycloak leaves fields it gets as null unchanged
            }
            if ("attributes".equals(f) && out.path(f).isObject() && v.isObject() && !attributesReplaced) {
                ObjectNode attrs = ((ObjectNode) out.get(f)).deepCopy();
                v.fields().forEachRemaining(e -> attrs.set(e.getKey(), e.getValue()));
                out.set(f, attrs);
            } else {
                out.set(f, v);
            }
        }
        return out;
    }

    /**
     * A component after Keycloak's update ({@code RepresentationToModel#updateComponent}): the names given replace
     * theirs; a config key given an empty list, or a first value that is blank, is removed (its provider then falls
     * back to its default: an empty {@code enabled} turns a disabled key back on, seventeenth review); other values
     * replace the key's, without the blank ones and Keycloak's secret mask (a list of only those keeps the key as it
     * is); keys the body leaves out stay, and so do keys the provider does not declare ({@code declaredConfig} of the
     * before-image, where known).
     */
    static JsonNode component(JsonNode before, JsonNode body, JsonNode declaredConfig) {
        java.util.Set<String> declared = null;
        if (declaredConfig != null && declaredConfig.isArray()) {
            declared = new java.util.HashSet<>();
            for (JsonNode k : declaredConfig) {
                declared.add(k.asText());
            }
        }
        java.util.Set<String> known = declared;
        ObjectNode out = ((ObjectNode) before).deepCopy();
        for (String f : java.util.List.of("name", "parentId", "providerType", "providerId", "subType")) {
            if (body.hasNonNull(f)) {
                out.set(f, body.get(f));
            }
        }
        if (!body.path("config").isObject()) {
            return out;
        }
        ObjectNode config = out.path("config").isObject() ? (ObjectNode) out.get("config") : out.putObject("config");
        body.get("config").fields().forEachRemaining(e -> {
            if (known != null && !known.contains(e.getKey())) {
                return; // not a key of the provider's: Keycloak's update skips it
            }
            // Keycloak reads a single value as a list of one (KeycloakReading), and null as no list
            JsonNode values = e.getValue().isArray() || e.getValue().isNull() ? e.getValue() : JSON.createArrayNode().add(e.getValue());
            JsonNode first = values.isArray() && !values.isEmpty() ? values.get(0) : null;
            // A sealed value (shown as an object) is a value the request supplies: the guard seals Keycloak's mask too, so
            // whether it keeps the stored secret is not known here (the dry run, where there is one, shows the effect).
            if (first == null || first.isNull() || (!first.isObject() && first.asText().trim().isEmpty())) {
                config.remove(e.getKey());
                return;
            }
            ArrayNode kept = JSON.createArrayNode();
            values.forEach(v -> {
                if (v.isObject() || (!v.isNull() && !v.asText().trim().isEmpty() && !SECRET_MASK.equals(v.asText()))) {
                    kept.add(v);
                }
            });
            if (!kept.isEmpty()) {
                config.set(e.getKey(), kept);
            }
        });
        return out;
    }

    private static final String SECRET_MASK = "**********";

    /** The member of a component's before-image listing the config keys its provider declares. */
    static final String DECLARED_CONFIG = "declaredConfig";

    private static JsonNode roles(JsonNode before, JsonNode body, boolean add) {
        ObjectNode copy = before.deepCopy();
        TreeSet<String> names = new TreeSet<>();
        before.path("realmRoles").forEach(n -> names.add(n.asText()));
        body.forEach(r -> {
            String name = r.path("name").asText(null);
            if (name != null) {
                if (add) {
                    names.add(name);
                } else {
                    names.remove(name);
                }
            }
        });
        ArrayNode a = copy.putArray("realmRoles");
        names.forEach(a::add);
        return copy;
    }

    /** Read-only members of the before-images Keycloak ignores on update; never shown as changes. */
    static final java.util.Set<String> IGNORED = java.util.Set.of("/client/access", "/client/id", "/user/access");

    /**
     * Field-level differences as {op: add|remove|replace, path: JSON pointer, from, to}. Credentials
     * are shown by where they are ({@link SealedView}), never compared by value: a credential the
     * request supplies is {@code "sealed":"supplied"} whatever it equals, one the target keeps is no
     * change, one removed is {@code "sealed":"removed"}; arrays compare as sets (an order-only change
     * is none); read-only members ({@link #IGNORED}) are left out.
     */
    public static ArrayNode diff(JsonNode before, JsonNode after) {
        ArrayNode out = JSON.createArrayNode();
        if (after == null) {
            return out;
        }
        walk("", before, after, out);
        return out;
    }

    private static void walk(String path, JsonNode a, JsonNode b, ArrayNode out) {
        if (IGNORED.contains(path)) {
            return;
        }
        boolean aMissing = a == null || a.isMissingNode();
        boolean bMissing = b == null || b.isMissingNode();
        if (Sealer.isSealed(a) || Sealer.isSealed(b) || SealedView.isShown(a) || SealedView.isShown(b)) {
            // Credentials never compare by value here: what is shown is where one is (see SealedView).
            JsonNode sa = aMissing ? null : Sealer.isSealed(a) ? SealedView.image(a) : a;
            JsonNode sb = bMissing ? null : Sealer.isSealed(b) ? SealedView.image(b) : b;
            if (sa != null && sa.equals(sb)) {
                return;
            }
            ObjectNode o = out.addObject().put("op", aMissing ? "add" : bMissing ? "remove" : "replace").put("path", path)
                    .put("sealed", bMissing ? "removed" : SealedView.isShown(sb) ? sb.get(Sealer.SEALED).asText() : "replaced");
            if (!aMissing && !SealedView.isShown(sa)) {
                o.set("from", sa);
            }
            if (!bMissing && !SealedView.isShown(sb)) {
                o.set("to", sb);
            }
            return;
        }
        if (aMissing) {
            out.addObject().put("op", "add").put("path", path).set("to", b);
            return;
        }
        if (bMissing) {
            out.addObject().put("op", "remove").put("path", path).set("from", a);
            return;
        }
        if (a.equals(b)) {
            return;
        }
        if (a.isArray() && b.isArray() && CanonicalJson.unordered(a).equals(CanonicalJson.unordered(b))) {
            return; // the same set in another order
        }
        if (a.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                walk(path + "/" + k.replace("~", "~0").replace("/", "~1"), a.get(k), b.get(k), out);
            }
            return;
        }
        ObjectNode o = out.addObject().put("op", "replace").put("path", path);
        o.set("from", a);
        o.set("to", b);
    }
}
