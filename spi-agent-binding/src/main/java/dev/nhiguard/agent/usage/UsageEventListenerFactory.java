package dev.nhiguard.agent.usage;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.keycloak.Config;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import dev.nhiguard.agent.ModuleVersion;
import dev.nhiguard.agent.registry.AgentClock;

/**
 * Global event listener {@value #PROVIDER_ID}: records when a client last obtained a token
 * (client credentials, token exchange, refresh), after the request committed, at most once per
 * {@code interval-seconds} per client on each node.
 */
public final class UsageEventListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-usage";
    static final String INTERVAL = "interval-seconds";
    static final int MAX_TRACKED = 100_000;

    private long intervalMillis;
    /** Per-node write throttle only; the database row is the shared truth. */
    private final Map<String, Long> lastWritten = new ConcurrentHashMap<>();
    private KeycloakSessionFactory sessionFactory;

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new EventListenerProvider() {
            @Override
            public void onEvent(Event event) {
                if (event.getType() == null || !dev.nhiguard.agent.IssuedTokens.EVENTS.contains(event.getType()) || event.getError() != null
                        || event.getClientId() == null || event.getRealmId() == null) {
                    return;
                }
                RealmModel realm = session.realms().getRealm(event.getRealmId());
                ClientModel client = realm == null ? null : realm.getClientByClientId(event.getClientId());
                if (client == null || !client.isServiceAccountsEnabled()) {
                    return;
                }
                long now = AgentClock.now(session, realm).toEpochMilli();
                String clientUuid = client.getId();
                String key = realm.getId() + "/" + clientUuid; // a client id reused in another realm is another client
                Long previous = lastWritten.get(key);
                if (previous != null && now - previous < intervalMillis) {
                    return;
                }
                if (lastWritten.size() >= MAX_TRACKED) {
                    lastWritten.clear();
                }
                lastWritten.put(key, now);
                String realmId = realm.getId();
                String type = event.getType().name();
                String ip = event.getIpAddress();
                session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                    @Override
                    protected void commitImpl() {
                        UsageRecorder.record(sessionFactory, realmId, clientUuid, now, type, ip);
                    }

                    @Override
                    protected void rollbackImpl() {
                        lastWritten.remove(key, now);
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

    @Override
    public void init(Config.Scope config) {
        intervalMillis = config.getLong(INTERVAL, 600L) * 1000L;
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        this.sessionFactory = factory;
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
                .property().name(INTERVAL).type("int").defaultValue(600)
                .helpText("Record a client's last use at most once per this many seconds per node.")
                .add().build();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get(), "intervalSeconds", Long.toString(intervalMillis / 1000));
    }
}
