package dev.nhiguard.agent.risk;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;
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
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import dev.nhiguard.agent.ModuleVersion;

/**
 * Global event listener {@value #PROVIDER_ID}: detects risk from Keycloak's own events of
 * service-account clients. A failed client authentication at any endpoint ({@link RiskEvents#isFailedClientAuthentication};
 * refusals by the binding executor do not count) is counted in the database within Keycloak's error-event
 * transaction; a token issued to the client ({@link RiskEvents#isTokenIssued}: client credentials, token exchange,
 * refresh) is checked for a new source network after the token request committed, in its own transaction.
 */
public final class RiskEventListenerFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-risk";
    /** Per-node memory of (client, network) pairs already in the database; only saves queries. */
    static final int MAX_REMEMBERED = 100_000;
    static final long REMEMBER_MILLIS = 3_600_000L;

    private static final Logger LOG = Logger.getLogger(RiskEventListenerFactory.class);

    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private KeycloakSessionFactory sessionFactory;

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new EventListenerProvider() {
            @Override
            public void onEvent(Event event) {
                if (RiskEvents.isFailedClientAuthentication(event)) {
                    failed(session, event);
                } else if (RiskEvents.isTokenIssued(event)) {
                    issued(session, event);
                }
            }

            @Override
            public void onEvent(AdminEvent event, boolean includeRepresentation) {
            }

            @Override
            public void close() {
            }
        };
    }

    private static ClientModel serviceAccountClient(KeycloakSession session, Event event) {
        if (event.getRealmId() == null || event.getClientId() == null) {
            return null;
        }
        RealmModel realm = session.realms().getRealm(event.getRealmId());
        ClientModel client = realm == null ? null : realm.getClientByClientId(event.getClientId());
        return client != null && client.isServiceAccountsEnabled() ? client : null;
    }

    private static void failed(KeycloakSession session, Event event) {
        ClientModel client = serviceAccountClient(session, event);
        if (client == null) {
            return;
        }
        RealmModel realm = session.realms().getRealm(event.getRealmId());
        try {
            new RiskDetector(session, realm).authenticationFailed(client, event.getError());
        } catch (RuntimeException e) {
            // the token response is already an error; detection must not turn it into a 500
            LOG.warnf(e, "realm %s: could not count the failed authentication of client %s", realm.getName(), client.getClientId());
        }
    }

    private void issued(KeycloakSession session, Event event) {
        String prefix = SourceNetworks.prefixOf(event.getIpAddress());
        ClientModel client = prefix == null ? null : serviceAccountClient(session, event);
        if (client == null) {
            return;
        }
        String key = client.getId() + "|" + prefix;
        long now = System.currentTimeMillis();
        Long at = seen.get(key);
        if (at != null && now - at < REMEMBER_MILLIS) {
            return;
        }
        String realmId = event.getRealmId();
        String clientUuid = client.getId();
        String ip = event.getIpAddress();
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                try {
                    boolean settled = KeycloakModelUtils.runJobInTransactionWithResult(sessionFactory, s -> {
                        RealmModel realm = s.realms().getRealm(realmId);
                        ClientModel c = realm == null ? null : realm.getClientById(clientUuid);
                        if (c == null) {
                            return false;
                        }
                        s.getContext().setRealm(realm);
                        return new RiskDetector(s, realm).tokenIssued(c, ip);
                    });
                    if (!settled) {
                        return; // not learnt (its action deferred): checked again at its next token
                    }
                    if (seen.size() >= MAX_REMEMBERED) {
                        seen.clear();
                    }
                    seen.put(key, now);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "realm %s: could not check the source network of client %s", realmId, clientUuid);
                }
            }

            @Override
            protected void rollbackImpl() {
            }
        });
    }

    @Override
    public boolean isGlobal() {
        return true;
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        this.sessionFactory = factory;
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get());
    }
}
