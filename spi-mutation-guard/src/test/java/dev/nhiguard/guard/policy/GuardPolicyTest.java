package dev.nhiguard.guard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.OperationKind;

class GuardPolicyTest {

    @Test
    void absentAttributeMeansDefaults() throws Exception {
        GuardPolicy p = GuardPolicy.fromAttribute(null);
        assertEquals(1, p.approvalsRequired());
        assertEquals("nhi-approver", p.approverRole());
        assertEquals(86400, p.expirySeconds());
        assertEquals(300, p.stepUpMaxAgeSeconds());
        assertEquals(0, p.cooldownSeconds(OperationKind.CLIENT));
        assertEquals(900, p.cooldownSeconds(OperationKind.CREDENTIAL));
        assertEquals(900, p.cooldownSeconds(OperationKind.RECOVERY));
        assertTrue(p.guards(Catalogue.get().byId("client-update").orElseThrow()));
        assertFalse(p.guards(Catalogue.get().byId("service-account-realm-role-revoke").orElseThrow()));
    }

    @Test
    void emptyGuardedOperationsGuardsNothing() throws Exception {
        GuardPolicy p = GuardPolicy.parse("{\"guardedOperations\":[]}");
        assertTrue(p.guardsNothing());
        assertTrue(Catalogue.get().operations().stream().noneMatch(p::guards));
    }

    @Test
    void explicitListCanGuardPrivilegeReducingOperations() throws Exception {
        GuardPolicy p = GuardPolicy.parse("{\"guardedOperations\":[\"service-account-realm-role-revoke\"],"
                + "\"cooldownSeconds\":{\"credential\":0},\"approvalsRequired\":2}");
        assertTrue(p.guards(Catalogue.get().byId("service-account-realm-role-revoke").orElseThrow()));
        assertFalse(p.guards(Catalogue.get().byId("client-update").orElseThrow()));
        assertEquals(0, p.cooldownSeconds(OperationKind.CREDENTIAL));
        assertEquals(900, p.cooldownSeconds(OperationKind.RECOVERY));
        assertEquals(2, p.approvalsRequired());
    }

    @Test
    void invalidPoliciesAreRefusedWithAClearMessage() {
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("[]"));
        PolicyException e = assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"guardedOperations\":[\"nope\"]}"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"approvalsRequired\":0}"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"approvalsRequired\":\"1\"}"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"cooldownSeconds\":{\"bogus\":1}}"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"cooldownSeconds\":{\"credential\":-1}}"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"approverRole\":\"\"}"));
        // Keycloak grants a realm's default role directly to every user it creates: every one of them would approve.
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"approverRealm\":\"master\",\"approverRole\":\"default-roles-master\"}"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"extra\":1}"));
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"stepUpMaxAgeSeconds\":1.5}"));
    }

    @Test
    void effectivePolicyRoundTrips() throws Exception {
        GuardPolicy p = GuardPolicy.parse("{\"approverRole\":\"x\",\"stepUpMinimumLevel\":2,\"stepUpAcr\":\"gold\"}");
        GuardPolicy again = GuardPolicy.parse(p.toJson().toString());
        assertEquals(p.toJson(), again.toJson());
    }

    @Test
    void secretRollbackRetentionDefaultsToAWeekAndCanBeTurnedOff() throws Exception {
        assertEquals(7 * 24 * 3600, GuardPolicy.fromAttribute(null).secretRollbackRetentionSeconds());
        assertEquals(0, GuardPolicy.parse("{\"secretRollbackRetentionSeconds\":0}").secretRollbackRetentionSeconds());
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"secretRollbackRetentionSeconds\":-1}"));
        assertEquals(100, GuardPolicy.fromAttribute(null).maxOpenPerRequester());
        assertEquals(3, GuardPolicy.parse("{\"maxOpenPerRequester\":3}").maxOpenPerRequester());
        assertThrows(PolicyException.class, () -> GuardPolicy.parse("{\"maxOpenPerRequester\":0}"));
        assertEquals(3600, GuardPolicy.parse("{\"secretRollbackRetentionSeconds\":3600}").toJson()
                .path("secretRollbackRetentionSeconds").asLong());
    }
}
