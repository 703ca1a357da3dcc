package dev.nhiguard.audit.listener;

import java.util.List;

import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakTransactionManager;
import org.keycloak.models.utils.KeycloakModelUtils;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.store.AuditChainStore;

/** Chains the session's admin events and selected user events into their realm's audit chain. */
final class AuditEventListenerProvider implements EventListenerProvider {

    private final KeycloakSession session;
    private final AuditConfig config;

    AuditEventListenerProvider(KeycloakSession session, AuditConfig config) {
        this.session = session;
        this.config = config;
    }

    @Override
    public void onEvent(Event event) {
        if (event.getType() == null || event.getRealmId() == null
                || !config.userEventTypes().contains(event.getType().name())
                || !config.realmIncluded(event.getRealmId(), event.getRealmName())) {
            return;
        }
        record(event.getRealmId(), ChainRecords.draft(event));
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        if (event.getRealmId() == null || !config.realmIncluded(event.getRealmId(), event.getRealmName())) {
            return;
        }
        record(event.getRealmId(), ChainRecords.draft(event, config.includeRepresentation(), config.redactFields()));
    }

    private void record(String realmId, ObjectNode draft) {
        KeycloakTransactionManager tm = session.getTransactionManager();
        if (tm.isActive()) {
            PendingAppends pending = session.getAttribute(PendingAppends.SESSION_KEY, PendingAppends.class);
            if (pending == null) {
                pending = new PendingAppends(session, config);
                tm.enlistPrepare(pending);
                session.setAttribute(PendingAppends.SESSION_KEY, pending);
            }
            pending.add(realmId, draft);
        } else {
            // The change was committed already (or happened outside a transaction): the event
            // is recorded in a transaction of its own.
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(),
                    s -> new AuditChainStore(s, config.checkpoints()).append(realmId, List.of(draft), config.maxRecordBytes()));
        }
    }

    @Override
    public void close() {
    }
}
