package dev.nhiguard.guard.changerequest;

import java.util.Arrays;
import java.util.Iterator;

import org.keycloak.models.ClientModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An agent as the agent API shows it (owner, purpose, expiry, allowed scopes, key binding,
 * token exchange, status), read from the client attributes the agent module writes; the modules
 * share no classes at run time, so {@code AgentAttributesContractTest} holds the keys to the agent
 * module's. The key binding carries the public key (JWK or certificate subject) so a rollback can
 * bind the prior key again; an agent holds no secret (its client authenticates by key).
 */
final class AgentImage {

    static final String MARKER = "nhi.agent";
    static final String OWNER_TYPE = "nhi.agent.owner.type";
    static final String OWNER_ID = "nhi.agent.owner.id";
    static final String PURPOSE = "nhi.agent.purpose";
    static final String EXPIRES = "nhi.agent.expires";
    static final String SCOPES = "nhi.agent.scopes";
    static final String BINDING_TYPE = "nhi.agent.binding.type";
    static final String BINDING_VALUE = "nhi.agent.binding.value";
    static final String BINDING_IDP = "nhi.agent.binding.idp";
    static final String STATUS = "nhi.agent.status";
    static final String STATUS_REASON = "nhi.agent.status.reason";
    /** Where the agent module keeps a jwk binding's public key, an mtls binding's subject, and token exchange. */
    static final String JWKS = "jwks.string";
    static final String SUBJECT_DN = "x509.subjectdn";
    static final String TOKEN_EXCHANGE = "standard.token.exchange.enabled";
    /** Second owner, owner latch, delegation grant (whom the agent may act for) and DPoP binding. */
    static final String OWNER2_TYPE = "nhi.agent.owner2.type";
    static final String OWNER2_ID = "nhi.agent.owner2.id";
    static final String OWNER_LATCH = "nhi.agent.owner.latched";
    static final String DELEGATION = "nhi.agent.delegation";
    static final String DPOP = "dpop.bound.access.tokens";

    /** The agent API's update fields a rollback restores (name and clientId cannot change). */
    private static final java.util.List<String> RESTORABLE = java.util.List.of("owner", "purpose", "expiresAt",
            "allowedScopes", "keyBinding", "tokenExchange", "secondOwner", "delegation", "dpop");

    private static final ObjectMapper JSON = new ObjectMapper();

    private AgentImage() {
    }

    /** The agent's image, or null when the client is not an agent's. */
    static JsonNode of(ClientModel c) {
        if (c == null || !"true".equals(c.getAttribute(MARKER))) {
            return null;
        }
        ObjectNode o = JSON.createObjectNode();
        o.putObject("owner").put("type", c.getAttribute(OWNER_TYPE)).put("id", c.getAttribute(OWNER_ID));
        o.put("purpose", c.getAttribute(PURPOSE));
        o.put("expiresAt", c.getAttribute(EXPIRES));
        ArrayNode scopes = o.putArray("allowedScopes");
        String s = c.getAttribute(SCOPES);
        if (s != null && !s.isBlank()) {
            Arrays.stream(s.trim().split("\\s+")).forEach(scopes::add);
        }
        String type = c.getAttribute(BINDING_TYPE);
        ObjectNode kb = o.putObject("keyBinding").put("type", type);
        switch (type == null ? "" : type) {
            case "jwk" -> {
                kb.put("thumbprint", c.getAttribute(BINDING_VALUE));
                kb.set("jwk", firstKey(c.getAttribute(JWKS)));
            }
            case "mtls" -> kb.put("thumbprint", c.getAttribute(BINDING_VALUE)).put("subjectDn", c.getAttribute(SUBJECT_DN));
            case "spiffe" -> kb.put("spiffeId", c.getAttribute(BINDING_VALUE)).put("identityProvider", c.getAttribute(BINDING_IDP));
            default -> kb.put("value", c.getAttribute(BINDING_VALUE));
        }
        o.put("tokenExchange", "true".equals(c.getAttribute(TOKEN_EXCHANGE)));
        if (c.getAttribute(OWNER2_ID) == null) {
            o.putNull("secondOwner");
        } else {
            o.putObject("secondOwner").put("type", c.getAttribute(OWNER2_TYPE)).put("id", c.getAttribute(OWNER2_ID));
        }
        o.set("delegation", delegation(c.getAttribute(DELEGATION)));
        o.put("dpop", "true".equals(c.getAttribute(DPOP)));
        o.put("ownerLatched", c.getAttribute(OWNER_LATCH));
        o.put("status", c.getAttribute(STATUS));
        o.put("statusReason", c.getAttribute(STATUS_REASON));
        o.put("enabled", c.isEnabled());
        return o;
    }

    /** The stored delegation grant; absent means the agent module's default, owner only. */
    private static JsonNode delegation(String stored) {
        if (stored == null || stored.isBlank()) {
            ObjectNode d = JSON.createObjectNode().put("owner", true);
            d.putArray("users");
            d.putArray("groups");
            return d.put("consented", false);
        }
        try {
            return JSON.readTree(stored);
        } catch (java.io.IOException e) {
            return JSON.getNodeFactory().textNode(stored);
        }
    }

    private static JsonNode firstKey(String jwks) {
        if (jwks == null) {
            return null;
        }
        try {
            JsonNode keys = JSON.readTree(jwks).path("keys");
            if (!keys.isArray() || keys.size() != 1 || !(keys.get(0) instanceof ObjectNode key)) {
                return null;
            }
            // a public key only: private or symmetric members are never kept
            dev.nhiguard.guard.reads.ClientCredentialMaterial.PRIVATE_JWK_MEMBERS.forEach(key::remove);
            return key;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * The agent-update body that puts back the fields the update changed, as they were; null when
     * one of them cannot be restored from the image (a key binding whose public key was not readable).
     */
    static JsonNode restoring(JsonNode before, JsonNode body) {
        if (before == null || body == null || !body.isObject()) {
            return null;
        }
        ObjectNode out = JSON.createObjectNode();
        for (Iterator<String> it = body.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!RESTORABLE.contains(f)) {
                continue;
            }
            JsonNode was = before.get(f);
            if (f.equals("keyBinding")) {
                JsonNode kb = binding(was);
                if (kb == null) {
                    return null;
                }
                out.set(f, kb);
            } else if (f.equals("owner")) {
                if (was == null || !was.path("type").isTextual() || !was.path("id").isTextual()) {
                    return null;
                }
                out.putObject("owner").put("type", was.get("type").asText()).put("id", was.get("id").asText());
            } else if (f.equals("secondOwner") && (was == null || was.isNull())) {
                out.putNull(f); // the agent API clears the second owner with null
            } else if (f.equals("secondOwner")) {
                out.putObject(f).put("type", was.path("type").asText()).put("id", was.path("id").asText());
            } else if (f.equals("delegation") && !(was != null && was.isObject())) {
                return null;
            } else if (was == null || was.isNull()) {
                return null; // the agent API cannot clear a field
            } else {
                out.set(f, was);
            }
        }
        return out.isEmpty() ? null : out;
    }

    /** The prior key binding as the agent API takes it. */
    private static JsonNode binding(JsonNode was) {
        if (was == null) {
            return null;
        }
        ObjectNode kb = JSON.createObjectNode();
        switch (was.path("type").asText("")) {
            case "jwk" -> {
                if (!was.path("jwk").isObject()) {
                    return null;
                }
                kb.put("type", "jwk").set("jwk", was.get("jwk"));
            }
            case "mtls" -> {
                if (!was.path("thumbprint").isTextual() || !was.path("subjectDn").isTextual()) {
                    return null;
                }
                kb.put("type", "mtls").put("thumbprint", was.get("thumbprint").asText())
                        .put("subjectDn", was.get("subjectDn").asText());
            }
            case "spiffe" -> {
                if (!was.path("spiffeId").isTextual() || !was.path("identityProvider").isTextual()) {
                    return null;
                }
                kb.put("type", "spiffe").put("spiffeId", was.get("spiffeId").asText())
                        .put("identityProvider", was.get("identityProvider").asText());
            }
            default -> {
                return null;
            }
        }
        return kb;
    }
}
