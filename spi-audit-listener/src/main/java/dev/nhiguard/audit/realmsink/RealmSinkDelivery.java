package dev.nhiguard.audit.realmsink;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import dev.nhiguard.audit.sink.Sink;
import dev.nhiguard.audit.sink.SinkRunner;
import dev.nhiguard.audit.store.Checkpoints;

/**
 * The cluster-aware delivery round of realm sinks: every realm with sinks of its own, each sink
 * delivered that realm's records and checkpoints only, through the server sinks' runner (delivery
 * state locked per sink and realm, at-least-once, in order, back-off).
 */
public final class RealmSinkDelivery {

    private final RealmSinks realmSinks;
    private final SinkRunner runner;
    /** Webhook sinks (and their HTTP clients) kept between rounds on this node; dropped when their configuration goes. */
    private final Map<String, Sink> cache = new ConcurrentHashMap<>();

    public RealmSinkDelivery(RealmSinks realmSinks, SinkRunner runner) {
        this.realmSinks = realmSinks;
        this.runner = runner;
    }

    public void deliverAll(KeycloakSession session, Checkpoints checkpoints, Consumer<String> failed) {
        Set<String> used = new HashSet<>();
        List<RealmModel> realms = session.realms().getRealmsStream()
                .filter(r -> r.getAttribute(RealmSinkConfig.ATTRIBUTE) != null).toList();
        for (RealmModel realm : realms) {
            for (Sink sink : realmSinks.deliverable(session, realm, cache, used)) {
                runner.deliverOne(session, checkpoints, sink, realm.getId(), failed);
            }
        }
        cache.keySet().retainAll(used);
    }
}
