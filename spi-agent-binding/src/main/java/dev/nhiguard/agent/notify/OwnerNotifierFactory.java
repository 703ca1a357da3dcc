package dev.nhiguard.agent.notify;

import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import dev.nhiguard.agent.ModuleVersion;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.registry.AgentsResource;

/**
 * Global event listener {@value #PROVIDER_ID}: when an agent is suspended — by an admin or
 * automatically, for any reason — its owner is told by email after the suspension committed.
 * It reads the {@code AGENT} admin events every suspension emits.
 */
public final class OwnerNotifierFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-owner-mail";

    private static final Logger LOG = Logger.getLogger(OwnerNotifierFactory.class);

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        OwnerMail.Outbox outbox = new OwnerMail.Outbox(session);
        return new EventListenerProvider() {
            @Override
            public void onEvent(Event event) {
            }

            @Override
            public void onEvent(AdminEvent event, boolean includeRepresentation) {
                String clientUuid = suspendedAgent(event);
                if (clientUuid == null) {
                    return;
                }
                RealmModel realm = session.realms().getRealm(event.getRealmId());
                if (realm == null || !OwnerMail.canSend(realm)) {
                    return;
                }
                ClientModel client = realm.getClientById(clientUuid);
                AgentRecord agent = client == null ? null : AgentRecord.of(client);
                if (agent == null) {
                    return;
                }
                OwnerMail.Mail mail = OwnerMail.suspended(session, realm, client, agent);
                if (mail.userIds().isEmpty()) {
                    LOG.debugf("realm %s: agent %s suspended; its owner has no active person with email", realm.getName(), client.getClientId());
                }
                outbox.afterCommit(mail);
            }

            @Override
            public void close() {
            }
        };
    }

    /** The client id of the agent an admin event reports suspended, or null. */
    static String suspendedAgent(AdminEvent event) {
        if (!AgentsResource.RESOURCE_TYPE.equals(event.getResourceTypeAsString()) || event.getOperationType() != OperationType.ACTION
                || event.getError() != null || event.getDetails() == null || !"suspended".equals(event.getDetails().get("action"))) {
            return null;
        }
        String path = event.getResourcePath();
        if (path == null || !path.startsWith("agents/") || path.indexOf('/', 7) >= 0 || path.length() == 7) {
            return null;
        }
        return path.substring(7);
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
