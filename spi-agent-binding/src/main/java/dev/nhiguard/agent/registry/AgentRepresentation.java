package dev.nhiguard.agent.registry;

import java.util.List;
import java.util.Map;


/**
 * An agent as the REST API shows it. Times are ISO-8601 instants. {@code usage}: what the agent
 * must send to get a token (built from the stored binding; no secret in it).
 */
public record AgentRepresentation(String id, String name, String clientId, Owner owner, String purpose,
                                  String createdAt, String expiresAt, List<String> allowedScopes, KeyBinding keyBinding,
                                  boolean tokenExchange, String status, String statusReason, String statusChangedAt,
                                  String serviceAccountUserId, boolean enabled, Owner secondOwner, String ownerLatched,
                                  DelegationView delegation, boolean dpop, Map<String, Object> usage) {

    /** The owner: a user (name = username) or a group (name = path). */
    public record Owner(String type, String id, String name) {
    }

    /** The key the agent must prove: a JWK thumbprint, a certificate thumbprint or a SPIFFE ID. */
    public record KeyBinding(String type, String thumbprint, String spiffeId, String identityProvider, String alg) {
    }

    /** Whom the agent may act for in token exchange. */
    public record DelegationView(boolean owner, List<Named> users, List<Named> groups, boolean consented) {
    }

    /** A user (name = username) or group (name = path); name null when it no longer exists. */
    public record Named(String id, String name) {
    }
}
