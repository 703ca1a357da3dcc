package dev.nhiguard.agent.inventory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.keycloak.events.admin.AdminEvent;

class InventoryListenerScopeTest {

    @Test
    void adminChangesMapToTheRowsTheyMayAffect() {
        assertEquals(new InventoryListenerFactory.Scope("c1", false), InventoryListenerFactory.scope(event("clients/c1")));
        assertEquals(new InventoryListenerFactory.Scope("c1", false), InventoryListenerFactory.scope(event("clients/c1/client-secret")));
        assertEquals(new InventoryListenerFactory.Scope("c1", true), InventoryListenerFactory.scope(event("clients/c1/roles/r/composites")));
        assertEquals(new InventoryListenerFactory.Scope("a1", false), InventoryListenerFactory.scope(event("agents/a1")));
        assertEquals(new InventoryListenerFactory.Scope(null, true), InventoryListenerFactory.scope(event("roles-by-id/x/composites")));
        assertEquals(new InventoryListenerFactory.Scope(null, true), InventoryListenerFactory.scope(event("groups/g/role-mappings/realm")));
        assertEquals(new InventoryListenerFactory.Scope(null, true, true), InventoryListenerFactory.scope(event("partialImport")));
        // fine-grained admin permissions: a client's authorization policies, the realm's switch
        assertEquals(new InventoryListenerFactory.Scope("p1", true),
                InventoryListenerFactory.scope(event("clients/p1/authz/resource-server/policy/user")));
        AdminEvent realmUpdate = event(null);
        realmUpdate.setResourceType(org.keycloak.events.admin.ResourceType.REALM);
        realmUpdate.setOperationType(org.keycloak.events.admin.OperationType.UPDATE);
        assertEquals(new InventoryListenerFactory.Scope(null, true), InventoryListenerFactory.scope(realmUpdate));
        assertNull(InventoryListenerFactory.scope(event(null)));
        assertNull(InventoryListenerFactory.scope(event("client-scopes/s")));
        assertNull(InventoryListenerFactory.scope(event("clients")));
        AdminEvent read = event("clients/c1");
        read.setResourceTypeAsString("CREDENTIAL_READ");
        assertNull(InventoryListenerFactory.scope(read));
        AdminEvent failed = event("clients/c1");
        failed.setError("boom");
        assertNull(InventoryListenerFactory.scope(failed));
    }

    private static AdminEvent event(String path) {
        AdminEvent e = new AdminEvent();
        e.setRealmId("r");
        e.setResourcePath(path);
        return e;
    }
}
