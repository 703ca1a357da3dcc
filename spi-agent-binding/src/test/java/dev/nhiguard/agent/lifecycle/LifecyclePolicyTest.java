package dev.nhiguard.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LifecyclePolicyTest {

    @Test
    void absentFieldsTakeDefaults() {
        LifecyclePolicy p = LifecyclePolicy.parse("{\"dormantDays\":30,\"suspendDormant\":false}");
        assertEquals(30, p.dormantDays());
        assertEquals(false, p.suspendDormant());
        assertEquals(LifecyclePolicy.DEFAULTS.rotationDays(), p.rotationDays());
        assertEquals(LifecyclePolicy.DEFAULTS.maxActionsPerHour(), p.maxActionsPerHour());
    }

    @Test
    void aBurstOfFailedAuthenticationsOnlyFlagsAnAgentUnlessThePolicySaysSuspend() {
        assertEquals("review", LifecyclePolicy.DEFAULTS.authFailureAction(),
                "a burst needs no credential: by default it must not stop the agent");
        assertEquals("suspend", LifecyclePolicy.parse("{\"authFailureAction\":\"suspend\"}").authFailureAction());
    }

    @Test
    void roundTrips() {
        LifecyclePolicy p = new LifecyclePolicy(10, 20, false, true, false, 3, 14, 5, 60, "suspend", "suspend", 0);
        assertEquals(p, LifecyclePolicy.parse(p.toJson()));
    }

    @Test
    void badPoliciesAreRefusedOnWriteAndIgnoredWhenStored() {
        for (String bad : new String[] {"{\"dormantDays\":0}", "{\"dormantDays\":\"x\"}", "{\"maxActionsPerHour\":-1}",
                "{\"suspendDormant\":\"yes\"}", "{\"expiryWarningDays\":366}", "{\"expiryWarningDays\":-1}", "{\"authFailureThreshold\":1001}", "{\"authFailureWindowSeconds\":5}", "{\"newNetworkAction\":\"delete\"}", "{\"authFailureAction\":\"off\"}", "{\"authFailureAction\":true}", "{\"newNetworkAction\":1}", "{\"networkLearningDays\":-1}", "{\"other\":1}", "[]", "nope"}) {
            assertThrows(IllegalArgumentException.class, () -> LifecyclePolicy.parse(bad), bad);
            assertEquals(LifecyclePolicy.DEFAULTS, LifecyclePolicy.stored(bad), bad);
        }
        assertEquals(LifecyclePolicy.DEFAULTS, LifecyclePolicy.stored(null));
    }
}
