package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.Operation;

/**
 * The catalogue operations that exist only so a rollback's restoring request is classified take
 * privileges away, and admission never holds them: no coverage entry names them.
 */
class RollbackInversesTest {

    static final List<String> INVERSES = List.of("role-composite-remove", "group-role-revoke",
            "client-scope-mapping-remove", "realm-default-remove", "agent-suspend");

    @Test
    void theInversesReducePrivilegesAndAdmissionNeverHoldsThem() {
        for (String id : INVERSES) {
            Operation op = Catalogue.get().byId(id).orElseThrow();
            assertTrue(op.privilegeReducing(), id);
            CoverageTable.entries().forEach((method, coverage) -> {
                if (coverage instanceof Coverage.Catalogue c) {
                    assertFalse(c.operations().contains(id), method + " would hold " + id);
                } else if (coverage instanceof Coverage.Guarded g) {
                    assertNotEquals(id, g.operation(), method + " would hold " + id);
                }
            });
        }
    }
}
