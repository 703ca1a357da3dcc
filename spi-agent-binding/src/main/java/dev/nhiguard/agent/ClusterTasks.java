package dev.nhiguard.agent;

import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.services.scheduled.ClusterAwareScheduledTaskRunner;
import org.keycloak.timer.ScheduledTask;
import org.keycloak.timer.TimerProvider;

/**
 * Schedules the module's periodic passes once the database migration ran, through Keycloak's
 * {@link ClusterAwareScheduledTaskRunner}: one node per interval across the cluster. That runner
 * keys its cluster-wide lock on the task's simple class name, so a task must be a named class: a
 * lambda's generated name differs between nodes (every node would run it), an anonymous class
 * has none (all of them would share one key). Such tasks are refused here.
 */
public final class ClusterTasks {

    private ClusterTasks() {
    }

    /** Schedules {@code task} every {@code intervalSeconds} under the timer name {@code name}. */
    public static void scheduleAfterMigration(KeycloakSessionFactory factory, ScheduledTask task, long intervalSeconds, String name) {
        requireNamed(task);
        long ms = intervalSeconds * 1000L;
        factory.register(event -> {
            if (event instanceof PostMigrationEvent) {
                KeycloakModelUtils.runJobInTransaction(factory, session -> session.getProvider(TimerProvider.class)
                        .schedule(new ClusterAwareScheduledTaskRunner(factory, task, ms), ms, name));
            }
        });
    }

    /** The task's class gives the cluster-wide key: it must be a named class, the same on every node. */
    static void requireNamed(ScheduledTask task) {
        Class<?> c = task.getClass();
        if (c.isSynthetic() || c.isHidden() || c.isAnonymousClass() || c.getSimpleName().isEmpty()) {
            throw new IllegalArgumentException("scheduled task " + c.getName()
                    + " has no stable class name: its cluster-wide key would not be the same on every node");
        }
    }
}
