package dev.nhiguard.agent.lifecycle;

import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.agent.ClusterTasks;
import dev.nhiguard.agent.ModuleVersion;

/**
 * Global event listener {@value #PROVIDER_ID}: when an admin disables or deletes a user or
 * deletes a group, the agents it owned are suspended (after the change committed, in their own
 * transaction). It also schedules the cluster-aware lifecycle pass over every realm.
 */
public final class LifecycleListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-lifecycle";
    static final String TASK_NAME = "nhi-agent-lifecycle";
    static final String INTERVAL = "interval-seconds";

    private static final Logger LOG = Logger.getLogger(LifecycleListenerFactory.class);

    private long intervalSeconds;
    private KeycloakSessionFactory sessionFactory;

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new EventListenerProvider() {
            @Override
            public void onEvent(Event event) {
            }

            @Override
            public void onEvent(AdminEvent event, boolean includeRepresentation) {
                String leftGroup = groupLeft(event);
                if (leftGroup != null) {
                    afterCommit(event.getRealmId(), s -> new LifecycleRun(s, s.getContext().getRealm(), null).suspendAgentsOfEmptiedGroup(leftGroup),
                            "group " + leftGroup + " lost a member");
                    return;
                }
                String ownerId = ownerAffected(event);
                if (ownerId == null) {
                    return;
                }
                String realmId = event.getRealmId();
                if (event.getResourceType() == ResourceType.USER && event.getOperationType() == OperationType.UPDATE
                        && stillEnabled(session, realmId, ownerId)) {
                    // An update that leaves the user enabled cannot make its agents orphans: no work after commit.
                    return;
                }
                session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                    @Override
                    protected void commitImpl() {
                        try {
                            KeycloakModelUtils.runJobInTransaction(sessionFactory, s -> {
                                RealmModel realm = s.realms().getRealm(realmId);
                                if (realm == null) {
                                    return;
                                }
                                s.getContext().setRealm(realm);
                                if (event.getResourceType() == ResourceType.USER && event.getOperationType() == OperationType.UPDATE) {
                                    UserModel u = s.users().getUserById(realm, ownerId);
                                    if (u == null || u.isEnabled()) {
                                        return;
                                    }
                                }
                                LifecycleRun run = new LifecycleRun(s, realm, null);
                                List<String> suspended = new java.util.ArrayList<>(run.suspendAgentsOf(ownerId));
                                UserModel disabled = event.getResourceType() == ResourceType.USER ? s.users().getUserById(realm, ownerId) : null;
                                if (disabled != null) {
                                    // a disabled member may have been an owner group's last enabled one
                                    disabled.getGroupsStream().map(org.keycloak.models.GroupModel::getId).toList()
                                            .forEach(g -> suspended.addAll(run.suspendAgentsOfEmptiedGroup(g)));
                                }
                                if (!suspended.isEmpty()) {
                                    LOG.infof("realm %s: owner %s inactive, suspended agents %s", realm.getName(), ownerId, suspended);
                                }
                            });
                        } catch (RuntimeException e) {
                            LOG.warnf(e, "realm %s: could not suspend the agents of owner %s", realmId, ownerId);
                        }
                    }

                    @Override
                    protected void rollbackImpl() {
                    }
                });
            }

            @Override
            public void close() {
            }

            private void afterCommit(String realmId, java.util.function.Function<KeycloakSession, List<String>> work, String what) {
                session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                    @Override
                    protected void commitImpl() {
                        try {
                            KeycloakModelUtils.runJobInTransaction(sessionFactory, s -> {
                                RealmModel realm = s.realms().getRealm(realmId);
                                if (realm == null) {
                                    return;
                                }
                                s.getContext().setRealm(realm);
                                List<String> suspended = work.apply(s);
                                if (!suspended.isEmpty()) {
                                    LOG.infof("realm %s: %s, suspended agents %s", realm.getName(), what, suspended);
                                }
                            });
                        } catch (RuntimeException e) {
                            LOG.warnf(e, "realm %s: could not check the agents after %s", realmId, what);
                        }
                    }

                    @Override
                    protected void rollbackImpl() {
                    }
                });
            }
        };
    }

    /** The group a user left (admin event: group membership deleted), or null. */
    static String groupLeft(AdminEvent event) {
        if (event.getResourcePath() == null || event.getError() != null
                || event.getResourceType() != ResourceType.GROUP_MEMBERSHIP || event.getOperationType() != OperationType.DELETE) {
            return null;
        }
        String[] path = event.getResourcePath().split("/");
        return path.length == 4 && "users".equals(path[0]) && "groups".equals(path[2]) ? path[3] : null;
    }

    /** Whether the user is enabled as the event's own transaction sees it (the update included). */
    private static boolean stillEnabled(KeycloakSession session, String realmId, String userId) {
        RealmModel realm = session.realms().getRealm(realmId);
        UserModel user = realm == null ? null : session.users().getUserById(realm, userId);
        return user != null && user.isEnabled();
    }

    /** The user or group id an admin event may have made inactive, or null. */
    static String ownerAffected(AdminEvent event) {
        if (event.getResourcePath() == null || event.getError() != null) {
            return null;
        }
        String[] path = event.getResourcePath().split("/");
        if (path.length != 2) {
            return null;
        }
        if (event.getResourceType() == ResourceType.USER && "users".equals(path[0])
                && (event.getOperationType() == OperationType.UPDATE || event.getOperationType() == OperationType.DELETE)) {
            return path[1];
        }
        if (event.getResourceType() == ResourceType.GROUP && "groups".equals(path[0]) && event.getOperationType() == OperationType.DELETE) {
            return path[1];
        }
        return null;
    }

    @Override
    public void init(Config.Scope config) {
        intervalSeconds = config.getLong(INTERVAL, 3600L);
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        this.sessionFactory = factory;
        if (intervalSeconds <= 0) {
            LOG.warnf("%s: scheduled lifecycle pass disabled (%s=%d)", PROVIDER_ID, INTERVAL, intervalSeconds);
            return;
        }
        ClusterTasks.scheduleAfterMigration(factory, new NhiAgentLifecycleTask(), intervalSeconds, TASK_NAME);
    }

    /** The scheduled pass (a named class: see {@link ClusterTasks}). */
    static final class NhiAgentLifecycleTask implements ScheduledTask {
        @Override
        public void run(KeycloakSession session) {
            runAllRealms(session);
        }
    }

    static void runAllRealms(KeycloakSession session) {
        session.realms().getRealmsStream().forEach(realm -> {
            try {
                session.getContext().setRealm(realm);
                LifecycleRun.Result r = new LifecycleRun(session, realm, null).run();
                if (!r.suspended().isEmpty() || !r.deferred().isEmpty()) {
                    LOG.infof("realm %s: lifecycle pass suspended %s, deferred by rate limit %s", realm.getName(), r.suspended(), r.deferred());
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "realm %s: lifecycle pass failed", realm.getName());
            }
        });
    }

    @Override
    public boolean isGlobal() {
        return true;
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return ProviderConfigurationBuilder.create()
                .property().name(INTERVAL).type("int").defaultValue(3600)
                .helpText("Seconds between cluster-wide lifecycle passes over every realm; 0 disables the scheduled pass.")
                .add().build();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get(), "intervalSeconds", Long.toString(intervalSeconds));
    }
}
