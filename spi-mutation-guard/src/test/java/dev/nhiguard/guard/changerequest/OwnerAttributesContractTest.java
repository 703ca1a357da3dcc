package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.nhiguard.agent.inventory.Inventory;
import dev.nhiguard.agent.registry.AgentRecord;

/**
 * The guard reads a requesting service account's owner from the client attributes the agent
 * module writes; the modules share no classes at run time, so this test holds the two to one
 * contract (the agent module is a test-scoped dependency only).
 */
class OwnerAttributesContractTest {

    @Test
    void theGuardReadsTheOwnerKeysTheAgentModuleWrites() {
        assertEquals(AgentRecord.OWNER_TYPE, OwnerAttributes.AGENT_OWNER_TYPE);
        assertEquals(AgentRecord.OWNER_ID, OwnerAttributes.AGENT_OWNER_ID);
        assertEquals(dev.nhiguard.agent.registry.AgentOwners.OWNER2_TYPE, OwnerAttributes.AGENT_OWNER2_TYPE);
        assertEquals(dev.nhiguard.agent.registry.AgentOwners.OWNER2_ID, OwnerAttributes.AGENT_OWNER2_ID);
        assertEquals(AgentRecord.OWNER_USER, OwnerAttributes.USER);
        assertEquals(AgentRecord.MARKER, OwnerAttributes.AGENT_MARKER);
        assertEquals(AgentRecord.OWNER_GROUP, OwnerAttributes.GROUP);
        assertEquals(Inventory.OWNER_TYPE, OwnerAttributes.OWNER_TYPE);
        assertEquals(Inventory.OWNER_ID, OwnerAttributes.OWNER_ID);
    }

    /** An apply's owner mails wait for the realm's lock to be released through the session attribute the guard sets. */
    @Test
    void ownerMailsFindTheAttributeAnApplySets() {
        assertEquals(RealmWriteLock.AFTER_THE_LOCK, dev.nhiguard.agent.notify.OwnerMail.Outbox.AFTER_THE_LOCK);
    }
}
