package dev.nhiguard.agent.enforcement;

import java.time.Instant;

import dev.nhiguard.agent.registry.AgentRecord;

/**
 * Decides whether an agent may be issued a token: pure logic over the agent's record, its
 * owner's state and what the request proved. Anything unreadable refuses (fail closed).
 */
final class AgentVerdict {

    /** Owner as found in the realm at token time. */
    enum OwnerState { ACTIVE, DISABLED, MISSING }

    /**
     * What the token request proved about the client's key.
     *
     * @param authenticator      the client authenticator configured on the client (the one Keycloak just ran)
     * @param assertionKeyThumbprint RFC 7638 thumbprint of the client's registered JWK the client assertion names by kid, or null
     * @param assertionSubject   {@code sub} of the client assertion, or null
     * @param certificateThumbprint SHA-256 thumbprint of the TLS client certificate, or null
     * @param federatedSubject   the client's {@code jwt.credential.sub} attribute
     * @param federatedIssuer    the client's {@code jwt.credential.issuer} attribute
     */
    record Evidence(String authenticator, String assertionKeyThumbprint, String assertionSubject,
                    String certificateThumbprint, String federatedSubject, String federatedIssuer) {
    }

    /** A refusal: OAuth error code, and a machine-readable reason with a human detail. */
    record Refusal(String error, String reason, String detail) {
        String description() {
            return reason + ": " + detail;
        }
    }

    static final String CLIENT_JWT = "client-jwt";
    static final String TLS_CLIENT_AUTH = "client-x509";
    static final String FEDERATED_JWT = "federated-jwt";

    private AgentVerdict() {
    }

    /** Null when the token may be issued, otherwise why not. */
    static Refusal evaluate(AgentRecord agent, Instant now, OwnerState owner, Evidence evidence) {
        Refusal standing = standing(agent, now, owner);
        return standing != null ? standing : keyBinding(agent, evidence);
    }

    /** The agent's standing (status, purpose, expiry, owner): null when it may act, otherwise why not. */
    static Refusal standing(AgentRecord agent, Instant now, OwnerState owner) {
        if (agent.status() == null) {
            return new Refusal("unauthorized_client", "agent_state_unreadable", "the agent's status is missing or unknown");
        }
        switch (agent.status()) {
            case RETIRED:
                return new Refusal("unauthorized_client", "agent_retired", reasonOr(agent, "the agent is retired"));
            case SUSPENDED:
                return new Refusal("unauthorized_client", "agent_suspended", reasonOr(agent, "the agent is suspended"));
            case ACTIVE:
            default:
                break;
        }
        if (agent.purpose() == null || agent.purpose().isBlank()) {
            return new Refusal("unauthorized_client", "agent_incomplete", "the agent has no purpose");
        }
        if (agent.expiresAt() == null || !now.isBefore(agent.expiresAt())) {
            return new Refusal("unauthorized_client", "agent_expired",
                    agent.expiresAt() == null ? "the agent has no readable expiry" : "the agent expired at " + agent.expiresAt());
        }
        if (owner != OwnerState.ACTIVE) {
            return new Refusal("unauthorized_client", "agent_orphaned",
                    "the agent's owner " + agent.ownerType() + " " + agent.ownerId() + (owner != OwnerState.DISABLED ? " no longer exists"
                            : "group".equals(agent.ownerType()) ? " has no enabled member" : " is disabled"));
        }
        return null;
    }

    private static Refusal keyBinding(AgentRecord agent, Evidence e) {
        String bound = agent.bindingValue();
        if (agent.bindingType() == null || bound == null || bound.isBlank()) {
            return new Refusal("invalid_client", "key_binding_missing", "the agent has no key binding");
        }
        switch (agent.bindingType()) {
            case AgentRecord.BINDING_JWK:
                if (!CLIENT_JWT.equals(e.authenticator())) {
                    return mismatch("the client authenticated with " + e.authenticator() + ", the agent is bound to a private_key_jwt key");
                }
                if (!bound.equals(e.assertionKeyThumbprint())) {
                    return mismatch("the client assertion was not signed by the bound key");
                }
                return null;
            case AgentRecord.BINDING_MTLS:
                if (!TLS_CLIENT_AUTH.equals(e.authenticator())) {
                    return mismatch("the client authenticated with " + e.authenticator() + ", the agent is bound to a TLS client certificate");
                }
                if (!bound.equals(e.certificateThumbprint())) {
                    return mismatch("the TLS client certificate is not the bound certificate");
                }
                return null;
            case AgentRecord.BINDING_SPIFFE:
                if (!FEDERATED_JWT.equals(e.authenticator())) {
                    return mismatch("the client authenticated with " + e.authenticator() + ", the agent is bound to a SPIFFE ID");
                }
                if (!bound.equals(e.federatedSubject()) || !bound.equals(e.assertionSubject())
                        || agent.bindingIdp() == null || !agent.bindingIdp().equals(e.federatedIssuer())) {
                    return mismatch("the federated client assertion is not for the bound SPIFFE ID");
                }
                return null;
            default:
                return new Refusal("invalid_client", "key_binding_unknown", "unknown key binding type " + agent.bindingType());
        }
    }

    private static Refusal mismatch(String detail) {
        return new Refusal("invalid_client", "key_binding_mismatch", detail);
    }

    private static String reasonOr(AgentRecord agent, String fallback) {
        return agent.statusReason() == null || agent.statusReason().isBlank() ? fallback : agent.statusReason();
    }
}
