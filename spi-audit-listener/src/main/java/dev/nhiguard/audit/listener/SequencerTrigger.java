package dev.nhiguard.audit.listener;

import java.util.Set;
import java.util.TreeSet;

import org.keycloak.models.AbstractKeycloakTransaction;

/**
 * Enlisted after completion of a transaction that staged records: once that transaction
 * committed, asks the sequencer to move the staged rows into their chains. A rolled-back
 * transaction staged nothing and triggers nothing.
 */
final class SequencerTrigger extends AbstractKeycloakTransaction {

    static final String SESSION_KEY = SequencerTrigger.class.getName();

    private final Sequencer sequencer;
    private final Set<String> realmIds = new TreeSet<>();

    SequencerTrigger(Sequencer sequencer) {
        this.sequencer = sequencer;
    }

    void add(String realmId) {
        realmIds.add(realmId);
    }

    @Override
    protected void commitImpl() {
        sequencer.trigger(realmIds);
        realmIds.clear();
    }

    @Override
    protected void rollbackImpl() {
        realmIds.clear();
    }
}
