package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Set;

import org.junit.jupiter.api.Test;

class GateNamesTest {

    @Test
    void everyTextOfEveryConditionOfEveryPolicyCounts() {
        String policies = "{\"policies\":["
                + "{\"name\":\"frozen\",\"enabled\":true,\"conditions\":[{\"condition\":\"client-roles\",\"configuration\":{\"roles\":[\"frozen\",\" spaced \"]}}],\"profiles\":[\"block\"]},"
                + "{\"name\":\"off\",\"enabled\":false,\"conditions\":[{\"condition\":\"client-scopes\",\"configuration\":{\"type\":\"Default\",\"scopes\":[\"strict\"]}},"
                + "{\"condition\":\"client-roles\",\"configuration\":{\"roles\":[\"trusted\"],\"is-negative-logic\":true}}]}]}";
        // The policy's and profiles' own names are not conditions; a disabled policy's conditions count (enabling it is a realm change).
        assertEquals(Set.of("frozen", "spaced", "strict", "Default", "trusted"), GateNames.clientPolicyValues(policies));
    }

    @Test
    void noPoliciesNameNothingAndUnreadablePoliciesNameEverything() {
        assertEquals(Set.of(), GateNames.clientPolicyValues(null));
        assertEquals(Set.of(), GateNames.clientPolicyValues("{\"policies\":[]}"));
        assertNull(GateNames.clientPolicyValues("{not json"), "unreadable: null, which names every role and scope");
    }
}
