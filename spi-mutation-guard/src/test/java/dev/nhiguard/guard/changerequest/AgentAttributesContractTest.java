package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.nhiguard.agent.registry.AgentRecord;

/**
 * The guard's before-image of an agent reads the client attributes the agent module writes; the
 * modules share no classes at run time, so this test holds the keys to one contract (the agent
 * module is a test-scoped dependency only).
 */
class AgentAttributesContractTest {

    @Test
    void theAgentImageReadsTheKeysTheAgentModuleWrites() {
        assertEquals(AgentRecord.MARKER, AgentImage.MARKER);
        assertEquals(AgentRecord.OWNER_TYPE, AgentImage.OWNER_TYPE);
        assertEquals(AgentRecord.OWNER_ID, AgentImage.OWNER_ID);
        assertEquals(AgentRecord.PURPOSE, AgentImage.PURPOSE);
        assertEquals(AgentRecord.EXPIRES, AgentImage.EXPIRES);
        assertEquals(AgentRecord.SCOPES, AgentImage.SCOPES);
        assertEquals(AgentRecord.BINDING_TYPE, AgentImage.BINDING_TYPE);
        assertEquals(AgentRecord.BINDING_VALUE, AgentImage.BINDING_VALUE);
        assertEquals(AgentRecord.BINDING_IDP, AgentImage.BINDING_IDP);
        assertEquals(AgentRecord.STATUS, AgentImage.STATUS);
        assertEquals(AgentRecord.STATUS_REASON, AgentImage.STATUS_REASON);
        assertEquals(dev.nhiguard.agent.registry.AgentOwners.OWNER2_TYPE, AgentImage.OWNER2_TYPE);
        assertEquals(dev.nhiguard.agent.registry.AgentOwners.OWNER2_ID, AgentImage.OWNER2_ID);
        assertEquals(dev.nhiguard.agent.registry.AgentOwners.LATCH, AgentImage.OWNER_LATCH);
        assertEquals(dev.nhiguard.agent.registry.Delegation.ATTRIBUTE, AgentImage.DELEGATION);
        assertEquals(dev.nhiguard.agent.registry.AgentRegistry.DPOP, AgentImage.DPOP);
        assertEquals(AgentRecord.BINDING_JWK, "jwk");
        assertEquals(AgentRecord.BINDING_MTLS, "mtls");
        assertEquals(AgentRecord.BINDING_SPIFFE, "spiffe");
    }
}
