package dev.nhiguard.agent.review;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.events.Details;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.timer.ScheduledTask;

import dev.nhiguard.agent.ClusterTasks;
import dev.nhiguard.agent.ModuleVersion;
import dev.nhiguard.agent.registry.AgentClock;

/**
 * Global event listener {@value #PROVIDER_ID}: records which scopes service-account tokens
 * carried and which clients they were exchanged for (after the token request committed, in its
 * own transaction, at most once per {@code usage-interval-seconds} per client, name and node),
 * and schedules the cluster-aware review pass (deadlines and scheduled campaigns) over every realm.
 */
public final class ReviewListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-review";
    static final String TASK_NAME = "nhi-agent-review";
    static final String INTERVAL = "interval-seconds";
    static final String USAGE_INTERVAL = "usage-interval-seconds";
    static final int MAX_TRACKED = 100_000;

    private static final Logger LOG = Logger.getLogger(ReviewListenerFactory.class);

    private long intervalSeconds;
    private long usageIntervalMillis;
    /** Per-node write throttle only; the database rows are the shared truth. */
    private final Map<String, Long> lastWritten = new ConcurrentHashMap<>();
    private KeycloakSessionFactory sessionFactory;

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new EventListenerProvider() {
            @Override
            public void onEvent(Event event) {
                if (event.getType() == null || !dev.nhiguard.agent.IssuedTokens.EVENTS.contains(event.getType()) || event.getError() != null
                        || event.getClientId() == null || event.getRealmId() == null || event.getDetails() == null) {
                    return;
                }
                RealmModel realm = session.realms().getRealm(event.getRealmId());
                ClientModel client = realm == null ? null : realm.getClientByClientId(event.getClientId());
                if (client == null || !client.isServiceAccountsEnabled()) {
                    return;
                }
                long now = AgentClock.now(session, realm).toEpochMilli();
                List<String[]> uses = new ArrayList<>();
                names(event.getDetails().get(Details.SCOPE)).forEach(n -> uses.add(new String[] {ScopeUsage.SCOPE, n}));
                names(event.getDetails().get(Details.AUDIENCE)).forEach(n -> uses.add(new String[] {ScopeUsage.AUDIENCE, n}));
                List<String[]> due = new ArrayList<>();
                for (String[] use : uses) {
                    String key = client.getId() + "|" + use[0] + "|" + use[1];
                    Long previous = lastWritten.get(key);
                    if (previous != null && now - previous < usageIntervalMillis) {
                        continue;
                    }
                    if (lastWritten.size() >= MAX_TRACKED) {
                        lastWritten.clear();
                    }
                    lastWritten.put(key, now);
                    due.add(use);
                }
                if (due.isEmpty()) {
                    return;
                }
                String realmId = realm.getId();
                String clientUuid = client.getId();
                session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                    @Override
                    protected void commitImpl() {
                        for (String[] use : due) {
                            ScopeUsage.record(sessionFactory, realmId, clientUuid, use[0], use[1], now);
                        }
                    }

                    @Override
                    protected void rollbackImpl() {
                        for (String[] use : due) {
                            lastWritten.remove(clientUuid + "|" + use[0] + "|" + use[1], now);
                        }
                    }
                });
            }

            @Override
            public void onEvent(AdminEvent event, boolean includeRepresentation) {
            }

            @Override
            public void close() {
            }
        };
    }

    private static List<String> names(String spaceSeparated) {
        if (spaceSeparated == null || spaceSeparated.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String n : spaceSeparated.trim().split("\\s+")) {
            if (!n.isEmpty() && n.length() <= 255 && out.size() < 64) {
                out.add(n);
            }
        }
        return out;
    }

    @Override
    public void init(Config.Scope config) {
        intervalSeconds = config.getLong(INTERVAL, 300L);
        usageIntervalMillis = config.getLong(USAGE_INTERVAL, 600L) * 1000L;
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        this.sessionFactory = factory;
        if (intervalSeconds <= 0) {
            LOG.warnf("%s: scheduled review pass disabled (%s=%d): review deadlines are not enforced", PROVIDER_ID, INTERVAL, intervalSeconds);
            return;
        }
        ClusterTasks.scheduleAfterMigration(factory, new NhiAgentReviewTask(), intervalSeconds, TASK_NAME);
    }

    /** The scheduled pass (a named class: see {@link ClusterTasks}). */
    static final class NhiAgentReviewTask implements ScheduledTask {
        @Override
        public void run(KeycloakSession session) {
            runAllRealms(session);
        }
    }

    /** One transaction per realm, so a realm whose pass fails rolls back alone. */
    static void runAllRealms(KeycloakSession session) {
        KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
        List<String> realmIds = session.realms().getRealmsStream().map(RealmModel::getId).toList();
        for (String realmId : realmIds) {
            try {
                KeycloakModelUtils.runJobInTransaction(factory, s -> {
                    RealmModel realm = s.realms().getRealm(realmId);
                    if (realm == null) {
                        return;
                    }
                    s.getContext().setRealm(realm);
                    Campaigns.PassResult r = new Campaigns(s, realm, null).pass();
                    if (!r.contained().isEmpty() || r.started() != null || !r.deferred().isEmpty()) {
                        LOG.infof("realm %s: review pass started campaign %s, contained %s, deferred by rate limit %s",
                                realm.getName(), r.started(), r.contained(), r.deferred());
                    }
                });
            } catch (RuntimeException e) {
                LOG.warnf(e, "realm %s: review pass failed", realmId);
            }
        }
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
                .property().name(INTERVAL).type("int").defaultValue(300)
                .helpText("Seconds between cluster-wide review passes (deadlines, scheduled campaigns); 0 disables them.").add()
                .property().name(USAGE_INTERVAL).type("int").defaultValue(600)
                .helpText("Record a scope or audience a client's tokens carried at most once per this many seconds per node.").add()
                .build();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get(), "intervalSeconds", Long.toString(intervalSeconds),
                "usageIntervalSeconds", Long.toString(usageIntervalMillis / 1000));
    }
}
