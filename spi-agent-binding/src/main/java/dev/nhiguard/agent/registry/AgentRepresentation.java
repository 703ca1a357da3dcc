package dev.nhiguard.agent.registry;

import java.util.List;

/** An agent as the REST API shows it. Times are ISO-8601 instants. */
public record AgentRepresentation(String id, String name, String clientId, Owner owner, String purpose,
                                  String createdAt, String expiresAt, List<String> allowedScopes, KeyBinding keyBinding,
                                  boolean tokenExchange, String status, String statusReason, String statusChangedAt,
                                  String serviceAccountUserId, boolean enabled) {

    /** The owner: a user (name = username) or a group (name = path). */
    public record Owner(String type, String id, String name) {
    }

    /** The key the agent must prove: a JWK thumbprint, a certificate thumbprint or a SPIFFE ID. */
    public record KeyBinding(String type, String thumbprint, String spiffeId, String identityProvider) {
    }
}
