package dev.nhiguard.agent.registry;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.keycloak.models.ClientModel;

/**
 * The agent metadata of one client. Its single source of truth is the client's attributes
 * (prefix {@code nhi.agent.}), so it travels with realm exports and is cached with the client.
 */
public record AgentRecord(String ownerType, String ownerId, String purpose, Instant createdAt, Instant expiresAt,
                          List<String> allowedScopes, String bindingType, String bindingValue, String bindingIdp,
                          Status status, String statusReason, Instant statusChangedAt) {

    public static final String MARKER = "nhi.agent";
    public static final String OWNER_TYPE = "nhi.agent.owner.type";
    public static final String OWNER_ID = "nhi.agent.owner.id";
    public static final String PURPOSE = "nhi.agent.purpose";
    public static final String CREATED = "nhi.agent.created";
    public static final String EXPIRES = "nhi.agent.expires";
    public static final String SCOPES = "nhi.agent.scopes";
    public static final String BINDING_TYPE = "nhi.agent.binding.type";
    public static final String BINDING_VALUE = "nhi.agent.binding.value";
    public static final String BINDING_IDP = "nhi.agent.binding.idp";
    public static final String STATUS = "nhi.agent.status";
    public static final String STATUS_REASON = "nhi.agent.status.reason";
    public static final String STATUS_AT = "nhi.agent.status.at";

    public static final String OWNER_USER = "user";
    public static final String OWNER_GROUP = "group";
    public static final String BINDING_JWK = "jwk";
    public static final String BINDING_MTLS = "mtls";
    public static final String BINDING_SPIFFE = "spiffe";

    /** Lifecycle state of an agent. RETIRED is final. */
    public enum Status { ACTIVE, SUSPENDED, RETIRED }

    /** Whether the client is an agent's client. */
    public static boolean isAgent(ClientModel client) {
        return "true".equals(client.getAttribute(MARKER));
    }

    /**
     * The record of an agent's client, or null if the client is not an agent. Unreadable values
     * are kept as null, which every consumer treats as "refuse" (fail closed).
     */
    public static AgentRecord of(ClientModel client) {
        if (!isAgent(client)) {
            return null;
        }
        String scopes = client.getAttribute(SCOPES);
        return new AgentRecord(client.getAttribute(OWNER_TYPE), client.getAttribute(OWNER_ID), client.getAttribute(PURPOSE),
                instant(client.getAttribute(CREATED)), instant(client.getAttribute(EXPIRES)),
                scopes == null || scopes.isBlank() ? List.of() : Arrays.asList(scopes.trim().split("\\s+")),
                client.getAttribute(BINDING_TYPE), client.getAttribute(BINDING_VALUE), client.getAttribute(BINDING_IDP),
                status(client.getAttribute(STATUS)), client.getAttribute(STATUS_REASON), instant(client.getAttribute(STATUS_AT)));
    }

    /** Writes every field to the client's attributes. */
    public void writeTo(ClientModel client) {
        Map<String, String> a = toAttributes();
        a.forEach((k, v) -> {
            if (v == null) {
                client.removeAttribute(k);
            } else {
                client.setAttribute(k, v);
            }
        });
    }

    Map<String, String> toAttributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put(MARKER, "true");
        a.put(OWNER_TYPE, ownerType);
        a.put(OWNER_ID, ownerId);
        a.put(PURPOSE, purpose);
        a.put(CREATED, createdAt == null ? null : createdAt.toString());
        a.put(EXPIRES, expiresAt == null ? null : expiresAt.toString());
        a.put(SCOPES, String.join(" ", allowedScopes));
        a.put(BINDING_TYPE, bindingType);
        a.put(BINDING_VALUE, bindingValue);
        a.put(BINDING_IDP, bindingIdp);
        a.put(STATUS, status == null ? null : status.name());
        a.put(STATUS_REASON, statusReason);
        a.put(STATUS_AT, statusChangedAt == null ? null : statusChangedAt.toString());
        return a;
    }

    public AgentRecord withStatus(Status newStatus, String reason, Instant at) {
        return new AgentRecord(ownerType, ownerId, purpose, createdAt, expiresAt, allowedScopes, bindingType, bindingValue,
                bindingIdp, newStatus, reason, at);
    }

    private static Instant instant(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    private static Status status(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Status.valueOf(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
