package dev.nhiguard.agent.inventory;

import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleContainerModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.agent.ClusterTasks;
import dev.nhiguard.agent.ModuleVersion;

/**
 * Global listener {@value #PROVIDER_ID}: keeps the inventory index ({@link InventoryIndex}) in
 * step with identity changes, in the changing transaction. Provider events: a service account's
 * role granted or revoked, group joined or left (whoever does it: admin API, narrowing, review,
 * import), a client created (by any path: admin API, dynamic registration, import), updated or
 * removed, a role or group removed, a realm removed. Admin events:
 * any change under {@code clients/{id}} or {@code agents/{id}} marks that row; role, composite
 * and group changes mark the realm's privilege data (recomputed in SQL on the next page); a partial
 * import marks every row of the realm (recomputed in bounded batches).
 *
 * <p>It also schedules the cluster-aware check of every built index ({@link InventoryIndex#check},
 * every {@value #CHECK_INTERVAL} seconds, default 300): the one place that counts a realm's service
 * accounts against its rows, for accounts that appear without any event.
 */
public final class InventoryListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-inventory";

    static final String CHECK_INTERVAL = "index-check-interval-seconds";
    static final String CHECK_TASK = "nhi-agent-inventory-check";

    private static final Logger LOG = Logger.getLogger(InventoryListenerFactory.class);

    private long checkIntervalSeconds;

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new EventListenerProvider() {
            @Override
            public void onEvent(Event event) {
            }

            @Override
            public void onEvent(AdminEvent event, boolean includeRepresentation) {
                Scope scope = scope(event);
                if (scope == null || !session.getTransactionManager().isActive()) {
                    return;
                }
                if (scope.client() != null) {
                    InventoryIndex.touch(session, event.getRealmId(), scope.client());
                }
                if (scope.everything()) {
                    InventoryIndex.everythingChanged(session, event.getRealmId());
                } else if (scope.realm()) {
                    InventoryIndex.realmChanged(session, event.getRealmId());
                }
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * What an admin change may have changed in the index: one client's row, the realm's privilege
     * data, both, or (a partial import) every row.
     */
    record Scope(String client, boolean realm, boolean everything) {
        Scope(String client, boolean realm) {
            this(client, realm, false);
        }
    }

    /**
     * Resource type of the admin events the mutation guard records for reads of client credentials
     * ({@code GET clients} listing confidential clients, secrets, installations): a read changes nothing.
     * Counting them as changes marked every listed row, and the next page refreshed them all (the
     * unfiltered page's 950 ms at 10,000 accounts, right after a {@code GET /clients?max=1000}).
     */
    static final String CREDENTIAL_READ = "CREDENTIAL_READ";

    /** Null when the change cannot affect the index (or failed, or was a read). */
    static Scope scope(AdminEvent event) {
        String path = event.getResourcePath();
        if (event.getError() != null || event.getRealmId() == null || CREDENTIAL_READ.equals(event.getResourceTypeAsString())) {
            return null;
        }
        if (event.getResourceType() == org.keycloak.events.admin.ResourceType.REALM
                && event.getOperationType() == org.keycloak.events.admin.OperationType.UPDATE) {
            // the realm's own settings: fine-grained admin permissions switched on or off
            return new Scope(null, true);
        }
        if (path == null) {
            return null;
        }
        String[] p = path.split("/");
        switch (p[0]) {
            case "clients":
                if (p.length < 2) {
                    return null;
                }
                // a client's roles and their composites may sit in any service account's closure; its authorization
                // policies may be fine-grained admin permissions (the admin-permissions client, or v1's management client)
                return new Scope(p[1], p.length >= 3 && ("roles".equals(p[2]) || "authz".equals(p[2])));
            case "agents":
                return p.length < 2 ? null : new Scope(p[1], false);
            case "roles":
            case "roles-by-id":
            case "groups":
                return new Scope(null, true);
            case "partialImport":
                return new Scope(null, true, true);
            default:
                return null;
        }
    }

    @Override
    public void init(Config.Scope config) {
        checkIntervalSeconds = config.getLong(CHECK_INTERVAL, 300L);
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        factory.register(InventoryListenerFactory::onProviderEvent);
        if (checkIntervalSeconds <= 0) {
            LOG.warnf("%s: scheduled inventory index check disabled (%s=%d)", PROVIDER_ID, CHECK_INTERVAL, checkIntervalSeconds);
            return;
        }
        ClusterTasks.scheduleAfterMigration(factory, new NhiAgentInventoryCheckTask(), checkIntervalSeconds, CHECK_TASK);
    }

    /** The scheduled check (a named class: see {@link ClusterTasks}). */
    static final class NhiAgentInventoryCheckTask implements ScheduledTask {
        @Override
        public void run(KeycloakSession session) {
            checkAllIndexes(session);
        }
    }

    /** The scheduled check: every realm whose index was built, each in transactions of its own. */
    static void checkAllIndexes(KeycloakSession session) {
        KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
        for (String realmId : InventoryIndex.indexedRealms(session)) {
            try {
                InventoryIndex.check(factory, realmId);
            } catch (RuntimeException e) {
                LOG.warnf(e, "realm %s: inventory index check failed", realmId);
            }
        }
    }

    static void onProviderEvent(ProviderEvent event) {
        try {
            if (event instanceof RoleModel.RoleGrantedEvent e) {
                serviceAccountChanged(e.getKeycloakSession(), e.getRealm(), e.getUser());
            } else if (event instanceof RoleModel.RoleRevokedEvent e) {
                serviceAccountChanged(e.getKeycloakSession(), e.getRealm(), e.getUser());
            } else if (event instanceof GroupModel.GroupMemberJoinEvent e) {
                serviceAccountChanged(e.getKeycloakSession(), e.getRealm(), e.getUser());
            } else if (event instanceof GroupModel.GroupMemberLeaveEvent e) {
                serviceAccountChanged(e.getKeycloakSession(), e.getRealm(), e.getUser());
            } else if (event instanceof ClientModel.ClientCreationEvent e) {
                // Its service account, if any, is created later in the transaction: the marks look when it commits.
                ClientModel c = e.getCreatedClient();
                if (e.getKeycloakSession() != null) {
                    InventoryIndex.touch(e.getKeycloakSession(), c.getRealm().getId(), c.getId());
                }
            } else if (event instanceof ClientModel.ClientUpdatedEvent e) {
                ClientModel c = e.getUpdatedClient();
                InventoryIndex.touch(e.getKeycloakSession(), c.getRealm().getId(), c.getId());
            } else if (event instanceof ClientModel.ClientRemovedEvent e) {
                InventoryIndex.removed(e.getKeycloakSession(), e.getClient().getRealm().getId(), e.getClient().getId());
            } else if (event instanceof RoleContainerModel.RoleRemovedEvent e) {
                RealmModel realm = realmOf(e.getRole());
                if (realm != null) {
                    InventoryIndex.realmChanged(e.getKeycloakSession(), realm.getId());
                }
            } else if (event instanceof GroupModel.GroupRemovedEvent e) {
                InventoryIndex.realmChanged(e.getKeycloakSession(), e.getRealm().getId());
            } else if (event instanceof RealmModel.RealmRemovedEvent e) {
                InventoryIndex.realmRemoved(e.getKeycloakSession(), e.getRealm().getId());
            }
        } catch (RuntimeException e) {
            // Provider events veto by throwing; the index must never stop an identity change. The page's self-check repairs.
            LOG.warnf(e, "could not mark the inventory index after %s", event.getClass().getSimpleName());
        }
    }

    private static void serviceAccountChanged(KeycloakSession session, RealmModel realm, UserModel user) {
        if (realm != null && user != null && user.getServiceAccountClientLink() != null) {
            InventoryIndex.touch(session, realm.getId(), user.getServiceAccountClientLink());
        }
    }

    private static RealmModel realmOf(RoleModel role) {
        if (role == null) {
            return null;
        }
        RoleContainerModel c = role.getContainer();
        return c instanceof RealmModel r ? r : c instanceof ClientModel client ? client.getRealm() : null;
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
                .property().name(CHECK_INTERVAL).type("int").defaultValue(300)
                .helpText("Seconds between cluster-wide checks of the inventory indexes (service accounts counted against rows); "
                        + "0 disables the scheduled check.")
                .add().build();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get(), "indexCheckIntervalSeconds", Long.toString(checkIntervalSeconds));
    }
}
