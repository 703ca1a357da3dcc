package dev.nhiguard.agent.registry;

import java.util.ArrayList;
import java.util.List;

import org.keycloak.models.ClientModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Whom an agent may act for through token exchange (RFC 8693 {@code may_act} semantics): its
 * owners (the owner user(s), or the members of the owner group), named users, members of named
 * groups, and users who consented to the agent's client in Keycloak's consent store. Kept as
 * JSON in the client attribute {@value #ATTRIBUTE}; absent means the default, owner only; an
 * unreadable value grants nobody (fail closed).
 */
public record Delegation(boolean owner, List<String> userIds, List<String> groupIds, boolean consented) {

    public static final String ATTRIBUTE = "nhi.agent.delegation";
    public static final Delegation OWNER_ONLY = new Delegation(true, List.of(), List.of(), false);
    public static final Delegation NOBODY = new Delegation(false, List.of(), List.of(), false);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The agent's delegation grant as stored on its client. */
    public static Delegation of(ClientModel client) {
        return parse(client.getAttribute(ATTRIBUTE));
    }

    static Delegation parse(String stored) {
        if (stored == null || stored.isBlank()) {
            return OWNER_ONLY;
        }
        try {
            JsonNode n = JSON.readTree(stored);
            if (n == null || !n.isObject()) {
                return NOBODY;
            }
            return new Delegation(n.path("owner").asBoolean(false), texts(n.path("users")), texts(n.path("groups")),
                    n.path("consented").asBoolean(false));
        } catch (java.io.IOException | RuntimeException e) {
            return NOBODY;
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) {
            array.forEach(v -> {
                if (v.isTextual()) {
                    out.add(v.textValue());
                }
            });
        }
        return List.copyOf(out);
    }

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("owner", owner);
        com.fasterxml.jackson.databind.node.ArrayNode users = o.putArray("users");
        userIds.forEach(users::add);
        com.fasterxml.jackson.databind.node.ArrayNode groups = o.putArray("groups");
        groupIds.forEach(groups::add);
        o.put("consented", consented);
        return o.toString();
    }

    public void writeTo(ClientModel client) {
        client.setAttribute(ATTRIBUTE, toJson());
    }
}
