package dev.nhiguard.guard.notify;

import java.util.Map;

import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import dev.nhiguard.guard.ModuleVersion;

/**
 * Tells people about change requests by email: the realm's approvers when a request needs
 * them, the requester when it is decided, applied, failed or expired. Global, so it works in
 * every realm without configuration; sends only after the transition committed, through the
 * realm's SMTP settings (a realm without SMTP settings gets no mail).
 */
public final class ChangeRequestNotifierFactory implements EventListenerProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-guard-notifier";

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new ChangeRequestNotifier(session);
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
