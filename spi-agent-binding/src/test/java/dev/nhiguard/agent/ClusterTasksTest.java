package dev.nhiguard.agent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.keycloak.models.KeycloakSession;
import org.keycloak.timer.ScheduledTask;

class ClusterTasksTest {

    static final class NamedTask implements ScheduledTask {
        @Override
        public void run(KeycloakSession session) {
        }
    }

    static void pass(KeycloakSession session) {
    }

    @Test
    void aTaskWithoutAStableClassNameIsRefused() {
        ScheduledTask lambda = s -> { };
        ScheduledTask reference = ClusterTasksTest::pass;
        ScheduledTask anonymous = new ScheduledTask() {
            @Override
            public void run(KeycloakSession session) {
            }
        };
        assertThrows(IllegalArgumentException.class, () -> ClusterTasks.requireNamed(lambda));
        assertThrows(IllegalArgumentException.class, () -> ClusterTasks.requireNamed(reference));
        assertThrows(IllegalArgumentException.class, () -> ClusterTasks.requireNamed(anonymous));
        assertDoesNotThrow(() -> ClusterTasks.requireNamed(new NamedTask()));
    }
}
