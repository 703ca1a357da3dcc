package dev.nhiguard.agent.review;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.Approvers;
import dev.nhiguard.guard.replay.Replayer;

/**
 * The modules share no code: the agent module's review decisions repeat the guard's rules for who decides in person. Here,
 * where both modules are on the class path, the copies are held equal to the guard's.
 */
class ReviewsResourceCopiesTest {

    @Test
    void reviewDecisionsTakeTheGuardsDecisionClientsAndFlags() {
        assertEquals(Approvers.DECISION_CLIENTS, ReviewsResource.DECISION_CLIENTS);
        assertEquals(Catalogue.TOKEN_MINTING_FLAGS, ReviewsResource.TOKEN_MINTING_FLAGS);
        assertEquals(Replayer.BYPASS_ATTRIBUTE, ReviewsResource.GUARD_REPLAY);
    }
}
