package dev.nhiguard.guard.changerequest;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The inverse admin request of an applied definition or agent change, built from its before-image
 * ({@link Definitions}, {@link AgentImage}) and its body: a PUT of the prior representation, a
 * DELETE of what the request added, a POST of what it removed. Null where the before-image does
 * not suffice (deletes of whole definitions, creates, flows' structure). Pure: what it needs from
 * the realm comes through {@link Lookup}.
 */
final class DefinitionRollbacks {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What an inverse needs to know about the realm now. */
    interface Lookup {
        /** The id of the client scope's protocol mapper with this name, or null. */
        String clientScopeMapperId(String scopeId, String protocol, String name);

        /** A role's id by name, in the realm ({@code clientUuid} null) or in a client; null when none. */
        String roleId(String clientUuid, String name);

        /** The clientId of a client by its id, or null. */
        String clientId(String clientUuid);
    }

    private DefinitionRollbacks() {
    }

    /**
     * @param path the applied request's path from {@code /admin/realms/…}, raw, without query
     * @param rel  its decoded segments after the realm
     */
    static Rollbacks.Inverse inverse(String operation, String method, String path, List<String> rel, JsonNode before,
            JsonNode body, Lookup lookup) {
        String prefix = path.substring(0, path.length() - rawRelLength(path, rel.size()));
        String last = rel.isEmpty() ? "" : rel.get(rel.size() - 1);
        return switch (operation) {
            case "agent-update" -> {
                JsonNode restoring = AgentImage.restoring(before, body);
                yield restoring == null ? null : new Rollbacks.Inverse("PUT", path, restoring);
            }
            case "agent-resume" -> "SUSPENDED".equals(before.path("status").asText()) && path.endsWith("/resume")
                    ? new Rollbacks.Inverse("POST", path.substring(0, path.length() - "/resume".length()) + "/suspend",
                            JSON.createObjectNode().put("reason", "rollback of a resume"))
                    : null;
            case "role-composite-add" -> {
                if (!"composites".equals(last)) {
                    yield null; // a role created with composites: deleting the role is a request of its own
                }
                ArrayNode added = notIn(body, before.path("composites"), rel, lookup);
                yield added == null ? null : new Rollbacks.Inverse("DELETE", path, added);
            }
            case "role-update" -> {
                JsonNode role = before.path("role");
                if (!role.path("id").isTextual() || !"PUT".equals(method)) {
                    yield null;
                }
                ObjectNode rep = JSON.createObjectNode();
                rep.set("name", role.get("name"));
                rep.set("description", role.get("description"));
                rep.set("attributes", role.has("attributes") && !role.get("attributes").isNull()
                        ? role.get("attributes") : JSON.createObjectNode());
                // by id: a rename changed the name the applied request's path used
                yield new Rollbacks.Inverse("PUT", prefix + "/roles-by-id/" + role.get("id").asText(), rep);
            }
            case "group-role-grant" -> {
                Set<String> had = rel.contains("clients")
                        ? names(before.path("clientRoles").path(String.valueOf(lookup.clientId(last))))
                        : names(before.path("realmRoles"));
                ArrayNode added = addedByName(body, had);
                yield added == null ? null : new Rollbacks.Inverse("DELETE", path, added);
            }
            case "group-update" -> {
                JsonNode g = before.path("group");
                if (!g.path("id").isTextual() || !"PUT".equals(method) || "organizations".equals(rel.get(0))) {
                    // (an organization group's update also sets the description, which its image does not keep)
                    yield null;
                }
                // the prior name and attributes (Keycloak replaces the whole map); description is not guarded
                ObjectNode rep = JSON.createObjectNode().put("name", g.path("name").asText());
                rep.set("attributes", g.path("attributes").isObject() ? g.get("attributes") : JSON.createObjectNode());
                yield new Rollbacks.Inverse("PUT", prefix + "/groups/" + g.get("id").asText(), rep);
            }
            case "group-move" -> {
                JsonNode g = before.path("group");
                if (!g.path("id").isTextual() || "organizations".equals(rel.get(0))) {
                    // (an organization group's former parent may be the organization's internal group, no path's)
                    yield null;
                }
                ObjectNode rep = JSON.createObjectNode().put("id", g.get("id").asText()).put("name", g.path("name").asText());
                String parent = g.path("parentId").isTextual() ? g.get("parentId").asText() : null;
                yield new Rollbacks.Inverse("POST", parent == null ? prefix + "/groups" : prefix + "/groups/" + parent + "/children", rep);
            }
            case "client-scope-config" -> clientScope(method, path, rel, before, body, lookup);
            case "identity-provider-config" -> identityProvider(method, path, rel, before);
            case "component-config" -> "PUT".equals(method) && rel.size() == 2 && before.path("component").isObject()
                    ? new Rollbacks.Inverse("PUT", path, before.get("component")) : null;
            case "authentication-config" -> authentication(method, path, rel, before, body);
            case "client-policies-config" -> {
                String field = rel.size() == 2 ? rel.get(1) : "";
                yield "PUT".equals(method) && before.path(field).isObject() ? new Rollbacks.Inverse("PUT", path, before.get(field)) : null;
            }
            case "user-profile-config" -> "PUT".equals(method) && before.path("userProfile").isObject()
                    ? new Rollbacks.Inverse("PUT", path, before.get("userProfile")) : null;
            case "realm-default-client-scope" -> "PUT".equals(method) && !ids(before.path("scopes")).contains(last)
                    ? new Rollbacks.Inverse("DELETE", path, null) : null;
            case "realm-default-group" -> "PUT".equals(method) && !ids(before.path("groups")).contains(last)
                    ? new Rollbacks.Inverse("DELETE", path, null) : null;
            default -> null;
        };
    }

    private static Rollbacks.Inverse clientScope(String method, String path, List<String> rel, JsonNode before, JsonNode body,
            Lookup lookup) {
        JsonNode scope = before.path("clientScope");
        String scopeId = scope.path("id").asText(null);
        if (scopeId == null) {
            return null;
        }
        // /client-scopes/{id}[/protocol-mappers/models[/{mapper}] | /scope-mappings/realm | /scope-mappings/clients/{c}]
        String tail = String.join("/", rel.subList(2, rel.size()));
        if (tail.isEmpty()) {
            if (!"PUT".equals(method)) {
                return null; // a deleted scope: the clients that used it are not in its image
            }
            ObjectNode rep = scope.deepCopy();
            rep.remove("protocolMappers");
            return new Rollbacks.Inverse("PUT", path, rep);
        }
        if (tail.equals("protocol-mappers/models") && "POST".equals(method) && body != null && body.path("name").isTextual()) {
            String protocol = body.path("protocol").asText(scope.path("protocol").asText("openid-connect"));
            String id = lookup.clientScopeMapperId(scopeId, protocol, body.get("name").asText());
            return id == null || ids(scope.path("protocolMappers")).contains(id) ? null
                    : new Rollbacks.Inverse("DELETE", path + "/" + id, null);
        }
        if (rel.size() == 5 && rel.get(2).equals("protocol-mappers") && rel.get(3).equals("models")) {
            JsonNode prior = byId(scope.path("protocolMappers"), rel.get(4));
            if (prior == null) {
                return null;
            }
            return switch (method) {
                case "PUT" -> new Rollbacks.Inverse("PUT", path, prior);
                case "DELETE" -> new Rollbacks.Inverse("POST", path.substring(0, path.lastIndexOf('/')), prior);
                default -> null;
            };
        }
        if (tail.equals("scope-mappings/realm") && "POST".equals(method)) {
            ArrayNode added = addedByName(body, names(before.path("realmScopeMappings")));
            return added == null ? null : new Rollbacks.Inverse("DELETE", path, added);
        }
        if (rel.size() == 5 && tail.startsWith("scope-mappings/clients/") && "POST".equals(method)) {
            String clientId = lookup.clientId(rel.get(4));
            ArrayNode added = addedByName(body, names(before.path("clientScopeMappings").path(String.valueOf(clientId))));
            return added == null ? null : new Rollbacks.Inverse("DELETE", path, added);
        }
        return null;
    }

    private static Rollbacks.Inverse identityProvider(String method, String path, List<String> rel, JsonNode before) {
        // /identity-provider/instances/{alias}[/mappers/{mapper}]
        if (rel.size() == 3 && "PUT".equals(method) && before.path("identityProvider").isObject()) {
            return new Rollbacks.Inverse("PUT", path, before.get("identityProvider"));
        }
        if (rel.size() == 5 && rel.get(3).equals("mappers")) {
            JsonNode prior = byId(before.path("mappers"), rel.get(4));
            if (prior == null) {
                return null;
            }
            return switch (method) {
                case "PUT" -> new Rollbacks.Inverse("PUT", path, prior);
                case "DELETE" -> new Rollbacks.Inverse("POST", path.substring(0, path.lastIndexOf('/')), prior);
                default -> null;
            };
        }
        return null;
    }

    private static Rollbacks.Inverse authentication(String method, String path, List<String> rel, JsonNode before, JsonNode body) {
        if (!"PUT".equals(method) || rel.size() < 3) {
            return null;
        }
        return switch (rel.get(1)) {
            case "required-actions" -> rel.size() == 3 && before.path("requiredAction").isObject()
                    ? new Rollbacks.Inverse("PUT", path, before.get("requiredAction")) : null;
            case "config" -> rel.size() == 3 && before.path("config").isObject()
                    ? new Rollbacks.Inverse("PUT", path, before.get("config")) : null;
            case "flows" -> {
                // PUT /authentication/flows/{alias}/executions: an execution's requirement or priority
                if (rel.size() != 4 || !rel.get(3).equals("executions") || body == null || !body.path("id").isTextual()) {
                    yield null;
                }
                JsonNode prior = byId(before.path("executions"), body.get("id").asText());
                yield prior == null ? null : new Rollbacks.Inverse("PUT", path, JSON.createObjectNode()
                        .put("id", prior.get("id").asText()).put("requirement", prior.path("requirement").asText())
                        .put("priority", prior.path("priority").asInt()));
            }
            default -> null;
        };
    }

    /** Roles of a composite-add body not among the role's composites before, as {id, name}; null when none. */
    private static ArrayNode notIn(JsonNode body, JsonNode composites, List<String> rel, Lookup lookup) {
        if (body == null || !body.isArray()) {
            return null;
        }
        Set<String> had = ids(composites);
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode r : body) {
            String id = r.path("id").isTextual() ? r.get("id").asText()
                    : r.path("name").isTextual() ? lookup.roleId(r.path("clientRole").asBoolean(false)
                            ? r.path("containerId").asText(null) : null, r.get("name").asText()) : null;
            if (id == null) {
                return null; // a role that cannot be named is not removed blindly
            }
            if (!had.contains(id)) {
                ObjectNode o = out.addObject().put("id", id);
                if (r.path("name").isTextual()) {
                    o.put("name", r.get("name").asText());
                }
            }
        }
        return out.isEmpty() ? null : out;
    }

    /** Roles of a role-mapping body not among the names before; null when none. */
    /** The roles of a role-mapping body whose names were not held before, or null when none. */
    static ArrayNode addedByName(JsonNode body, Set<String> hadBefore) {
        if (body == null || !body.isArray()) {
            return null;
        }
        ArrayNode added = JSON.createArrayNode();
        body.forEach(r -> {
            if (!hadBefore.contains(r.path("name").asText())) {
                added.add(r);
            }
        });
        return added.isEmpty() ? null : added;
    }

    private static JsonNode byId(JsonNode array, String id) {
        for (JsonNode n : array) {
            if (id.equals(n.path("id").asText(null))) {
                return n;
            }
        }
        return null;
    }

    private static Set<String> ids(JsonNode array) {
        Set<String> out = new HashSet<>();
        array.forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    /** The texts of a JSON array, as a set. */
    static Set<String> names(JsonNode array) {
        Set<String> out = new HashSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Length of the last {@code segments} segments of a raw path, with their slashes. */
    private static int rawRelLength(String path, int segments) {
        int i = path.length();
        for (int k = 0; k < segments; k++) {
            i = path.lastIndexOf('/', i - 1);
        }
        return path.length() - i;
    }
}
