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

    /**
     * How long a round may start deliveries: realm admins run these receivers, and the round runs on the thread that also
     * runs the checkpoints, the operator's sinks and the guard's expiry. A delivery under way finishes (within the
     * webhook's own timeouts); the sinks not reached go first next round.
     */
    static final long ROUND_BUDGET_MILLIS = 3_000;

    /** Where the next round starts in the list of realm sinks, so that a slow one early in it starves none after it. */
    private final java.util.concurrent.atomic.AtomicInteger nextStart = new java.util.concurrent.atomic.AtomicInteger();

    public void deliverAll(KeycloakSession session, Checkpoints checkpoints, Consumer<String> failed) {
        long deadline = System.currentTimeMillis() + ROUND_BUDGET_MILLIS;
        Set<String> used = new HashSet<>();
        List<RealmModel> realms = session.realms().getRealmsStream()
                .filter(r -> r.getAttribute(RealmSinkConfig.ATTRIBUTE) != null).toList();
        List<Map.Entry<String, Sink>> all = new java.util.ArrayList<>();
        for (RealmModel realm : realms) {
            for (Sink sink : realmSinks.deliverable(session, realm, cache, used)) {
                all.add(Map.entry(realm.getId(), sink));
            }
        }
        cache.keySet().retainAll(used);
        int start = all.isEmpty() ? 0 : Math.floorMod(nextStart.get(), all.size());
        for (int i = 0; i < all.size(); i++) {
            int at = (start + i) % all.size();
            if (i > 0 && System.currentTimeMillis() >= deadline) {
                nextStart.set(at); // the rest first next round
                return;
            }
            runner.deliverOne(session, checkpoints, all.get(at).getValue(), all.get(at).getKey(), failed, deadline);
        }
        nextStart.set(start + 1);
    }
}
