package dev.nhiguard.agent.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.nhiguard.agent.enforcement.AgentVerdict.Evidence;
import dev.nhiguard.agent.enforcement.AgentVerdict.OwnerState;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.registry.AgentRecord.Status;

class AgentVerdictTest {

    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    static final String TP = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    static AgentRecord agent(Status status, Instant expires, String bindingType, String value, String idp) {
        return new AgentRecord("user", "u1", "p", NOW.minusSeconds(10), expires, List.of(), bindingType, value, idp, status, null, null);
    }

    static AgentRecord jwkAgent(Status status) {
        return agent(status, NOW.plusSeconds(60), AgentRecord.BINDING_JWK, TP, null);
    }

    static Evidence jwt(String thumbprint) {
        return new Evidence("client-jwt", thumbprint, "client", null, null, null);
    }

    static String reason(AgentVerdict.Refusal r) {
        return r == null ? null : r.reason();
    }

    @Test
    void activeAgentWithBoundKeyPasses() {
        assertNull(AgentVerdict.evaluate(jwkAgent(Status.ACTIVE), NOW, OwnerState.ACTIVE, jwt(TP)));
    }

    @Test
    void stateRefusals() {
        assertEquals("agent_suspended", reason(AgentVerdict.evaluate(jwkAgent(Status.SUSPENDED), NOW, OwnerState.ACTIVE, jwt(TP))));
        assertEquals("agent_retired", reason(AgentVerdict.evaluate(jwkAgent(Status.RETIRED), NOW, OwnerState.ACTIVE, jwt(TP))));
        assertEquals("agent_state_unreadable", reason(AgentVerdict.evaluate(jwkAgent(null), NOW, OwnerState.ACTIVE, jwt(TP))));
        assertEquals("agent_orphaned", reason(AgentVerdict.evaluate(jwkAgent(Status.ACTIVE), NOW, OwnerState.DISABLED, jwt(TP))));
        assertEquals("agent_orphaned", reason(AgentVerdict.evaluate(jwkAgent(Status.ACTIVE), NOW, OwnerState.MISSING, jwt(TP))));
    }

    @Test
    void expiryIsExclusiveAndMissingExpiryRefuses() {
        AgentRecord a = agent(Status.ACTIVE, NOW, AgentRecord.BINDING_JWK, TP, null);
        assertEquals("agent_expired", reason(AgentVerdict.evaluate(a, NOW, OwnerState.ACTIVE, jwt(TP))));
        assertNull(AgentVerdict.evaluate(a, NOW.minusMillis(1), OwnerState.ACTIVE, jwt(TP)));
        AgentRecord none = agent(Status.ACTIVE, null, AgentRecord.BINDING_JWK, TP, null);
        assertEquals("agent_expired", reason(AgentVerdict.evaluate(none, NOW, OwnerState.ACTIVE, jwt(TP))));
    }

    @Test
    void keyBindingMismatches() {
        AgentRecord a = jwkAgent(Status.ACTIVE);
        assertEquals("key_binding_mismatch", reason(AgentVerdict.evaluate(a, NOW, OwnerState.ACTIVE,
                new Evidence("client-secret", null, null, null, null, null))));
        assertEquals("key_binding_mismatch", reason(AgentVerdict.evaluate(a, NOW, OwnerState.ACTIVE, jwt("other"))));
        assertEquals("key_binding_mismatch", reason(AgentVerdict.evaluate(a, NOW, OwnerState.ACTIVE, jwt(null))));
        assertEquals("key_binding_missing", reason(AgentVerdict.evaluate(agent(Status.ACTIVE, NOW.plusSeconds(5), null, null, null),
                NOW, OwnerState.ACTIVE, jwt(TP))));
    }

    @Test
    void mtlsAndSpiffe() {
        AgentRecord m = agent(Status.ACTIVE, NOW.plusSeconds(60), AgentRecord.BINDING_MTLS, TP, null);
        assertNull(AgentVerdict.evaluate(m, NOW, OwnerState.ACTIVE, new Evidence("client-x509", null, null, TP, null, null)));
        assertEquals("key_binding_mismatch", reason(AgentVerdict.evaluate(m, NOW, OwnerState.ACTIVE,
                new Evidence("client-x509", null, null, "x", null, null))));

        String id = "spiffe://example.org/agent";
        AgentRecord s = agent(Status.ACTIVE, NOW.plusSeconds(60), AgentRecord.BINDING_SPIFFE, id, "spiffe-idp");
        assertNull(AgentVerdict.evaluate(s, NOW, OwnerState.ACTIVE, new Evidence("federated-jwt", null, id, null, id, "spiffe-idp")));
        assertEquals("key_binding_mismatch", reason(AgentVerdict.evaluate(s, NOW, OwnerState.ACTIVE,
                new Evidence("federated-jwt", null, id, null, "spiffe://example.org/other", "spiffe-idp"))));
        assertEquals("key_binding_mismatch", reason(AgentVerdict.evaluate(s, NOW, OwnerState.ACTIVE,
                new Evidence("federated-jwt", null, id, null, id, "another-idp"))));
    }
}
