package dev.nhiguard.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;

class GroupLeftTest {

    static AdminEvent event(ResourceType type, OperationType op, String path) {
        AdminEvent e = new AdminEvent();
        e.setResourceType(type);
        e.setOperationType(op);
        e.setResourcePath(path);
        return e;
    }

    @Test
    void aRemovedMembershipNamesTheGroupLeft() {
        assertEquals("g1", LifecycleListenerFactory.groupLeft(event(ResourceType.GROUP_MEMBERSHIP, OperationType.DELETE, "users/u1/groups/g1")));
    }

    @Test
    void otherEventsNameNoGroup() {
        assertNull(LifecycleListenerFactory.groupLeft(event(ResourceType.GROUP_MEMBERSHIP, OperationType.CREATE, "users/u1/groups/g1")));
        assertNull(LifecycleListenerFactory.groupLeft(event(ResourceType.GROUP, OperationType.DELETE, "groups/g1")));
        assertNull(LifecycleListenerFactory.groupLeft(event(ResourceType.GROUP_MEMBERSHIP, OperationType.DELETE, "users/u1")));
        AdminEvent failed = event(ResourceType.GROUP_MEMBERSHIP, OperationType.DELETE, "users/u1/groups/g1");
        failed.setError("forbidden");
        assertNull(LifecycleListenerFactory.groupLeft(failed));
    }
}
