package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The rollback of an agent update puts back the delegation grant, second owner and DPoP setting it changed. */
class AgentImageRestoringTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void delegationSecondOwnerAndDpopAreRestored() throws Exception {
        JsonNode before = json("{\"owner\":{\"type\":\"user\",\"id\":\"u1\"},\"secondOwner\":{\"type\":\"group\",\"id\":\"g1\"},"
                + "\"delegation\":{\"owner\":true,\"users\":[\"u2\"],\"groups\":[],\"consented\":false},\"dpop\":false}");
        JsonNode body = json("{\"delegation\":{\"owner\":false},\"secondOwner\":null,\"dpop\":true}");
        JsonNode restore = AgentImage.restoring(before, body);
        assertEquals(before.get("delegation"), restore.get("delegation"));
        assertEquals("g1", restore.at("/secondOwner/id").asText());
        assertEquals("group", restore.at("/secondOwner/type").asText());
        assertEquals(false, restore.get("dpop").asBoolean());
    }

    @Test
    void aSecondOwnerThatWasAbsentIsRemovedAgain() throws Exception {
        JsonNode before = json("{\"secondOwner\":null}");
        JsonNode restore = AgentImage.restoring(before, json("{\"secondOwner\":{\"type\":\"user\",\"username\":\"x\"}}"));
        assertTrue(restore.has("secondOwner") && restore.get("secondOwner").isNull(), restore.toString());
    }

    @Test
    void anUnreadableDelegationCannotBeRestored() throws Exception {
        assertNull(AgentImage.restoring(json("{\"delegation\":\"garbage\"}"), json("{\"delegation\":{\"owner\":true}}")));
    }
}
