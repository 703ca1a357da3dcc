package dev.nhiguard.audit.listener;

import java.util.List;

import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakTransactionManager;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.store.AuditChainStore;

/** Chains the session's admin events and selected user events into their realm's audit chain. */
final class AuditEventListenerProvider implements EventListenerProvider {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(AuditEventListenerProvider.class);

    /** Session attribute: an admin event of this session was chained (or staged). */
    static final String ADMIN_EVENT_RECORDED = AuditEventListenerProvider.class.getName() + ".adminEventRecorded";

    private final KeycloakSession session;
    private final AuditConfig config;
    private final Sequencer sequencer;

    AuditEventListenerProvider(KeycloakSession session, AuditConfig config, Sequencer sequencer) {
        this.session = session;
        this.config = config;
        this.sequencer = sequencer;
    }

    @Override
    public void onEvent(Event event) {
        if (event.getType() == null || event.getRealmId() == null
                || !config.userEventTypes().contains(event.getType().name())
                || !config.realmIncluded(event.getRealmId(), event.getRealmName())) {
            return;
        }
        if (config.tokenEventsBatched()) {
            stage(event.getRealmId(), ChainRecords.draft(event));
        } else {
            record(event.getRealmId(), ChainRecords.draft(event));
        }
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        if (event.getRealmId() == null) {
            return;
        }
        // Keycloak's stored copy, in every realm (one left out of the chain too). A failure there must not cost the
        // change its record below: Keycloak swallows a listener's exception and commits the change.
        try {
            StoredAdminEventRedaction.apply(session, event, includeRepresentation, config.sealing());
        } catch (RuntimeException e) {
            LOG.warnf(e, "The representation of admin event %s (realm %s) could not be sealed in Keycloak's event store",
                    event.getId(), event.getRealmName());
        }
        if (config.realmIncluded(event.getRealmId(), event.getRealmName())) {
            chain(event.getRealmId(), ChainRecords.draft(event, config.includeRepresentation()));
            // The request's own admin event made its record: UnrecordedWriteFilter then adds none. A user event (an
            // impersonation's IMPERSONATE, which names the impersonated user) does not count.
            session.setAttribute(ADMIN_EVENT_RECORDED, Boolean.TRUE);
        }
        if (CreatedRealmContents.isRealmCreation(event)) {
            RealmModel created = CreatedRealmContents.created(session, event);
            if (created != null && config.realmIncluded(created.getId(), created.getName())) {
                ObjectNode contents;
                try {
                    contents = CreatedRealmContents.draft(session, event, created, config.maxRecordBytes());
                } catch (RuntimeException e) {
                    LOG.warnf(e, "The contents of realm %s, created by an admin, could not be read for its first record",
                            created.getName());
                    contents = CreatedRealmContents.bare(event, created);
                    contents.with("details").put("error", "the realm's contents could not be read: " + e.getClass().getSimpleName());
                }
                chain(created.getId(), contents);
            }
        }
    }

    private void chain(String realmId, ObjectNode draft) {
        if (config.adminEventsStaged()) {
            stage(realmId, draft);
        } else {
            record(realmId, draft);
        }
    }

    /**
     * A user event (token-events=batched) or an admin event (admin-events=staged): staged in the
     * prepare phase of the event's transaction, without the head-row lock, and sequenced into the
     * chain after the commit.
     */
    private void stage(String realmId, ObjectNode draft) {
        KeycloakTransactionManager tm = session.getTransactionManager();
        if (tm.isActive()) {
            pending(tm).stage(realmId, draft);
            SequencerTrigger trigger = session.getAttribute(SequencerTrigger.SESSION_KEY, SequencerTrigger.class);
            if (trigger == null) {
                trigger = new SequencerTrigger(sequencer);
                tm.enlistAfterCompletion(trigger);
                session.setAttribute(SequencerTrigger.SESSION_KEY, trigger);
            }
            trigger.add(realmId);
        } else {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(),
                    s -> new AuditChainStore(s, config.checkpoints(), config.sealing()).stage(realmId, List.of(draft), config.maxRecordBytes(),
                            sequencer.stageOrder()));
            sequencer.trigger(realmId);
        }
    }

    private PendingAppends pending(KeycloakTransactionManager tm) {
        PendingAppends pending = session.getAttribute(PendingAppends.SESSION_KEY, PendingAppends.class);
        if (pending == null) {
            pending = new PendingAppends(session, config, sequencer.stageOrder());
            tm.enlistPrepare(pending);
            session.setAttribute(PendingAppends.SESSION_KEY, pending);
        }
        return pending;
    }

    private void record(String realmId, ObjectNode draft) {
        KeycloakTransactionManager tm = session.getTransactionManager();
        if (tm.isActive()) {
            pending(tm).add(realmId, draft);
        } else {
            // The change was committed already (or happened outside a transaction): the event
            // is recorded in a transaction of its own.
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(),
                    s -> new AuditChainStore(s, config.checkpoints(), config.sealing()).append(realmId, List.of(draft), config.maxRecordBytes()));
        }
    }

    @Override
    public void close() {
    }
}
