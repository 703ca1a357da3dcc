package dev.nhiguard.guard.metrics;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;

import dev.nhiguard.guard.changerequest.State;
import dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * The mutation guard's meters. Counters count on this node what happened on it (after the
 * commit that made it true); gauges show the shared state of the change-request table, read
 * with grouped queries at scrape time, at most once per read interval on this node. One instance
 * per server, owned by {@link MutationGuardResourceProviderFactory}.
 */
public final class GuardMetrics {

    static final String CHANGE_REQUESTS = "nhi.guard.change.requests";
    static final String OLDEST_PENDING = "nhi.guard.change.requests.oldest.pending.age";
    static final String APPLIES = "nhi.guard.change.requests.applies";
    static final String APPLY_FAILURES = "nhi.guard.change.requests.apply.failures";
    static final String READING_AGE = "nhi.guard.metrics.reading.age";

    private static final Logger LOG = Logger.getLogger(GuardMetrics.class);

    /** Change requests per realm name and state; oldest PENDING creation time (ms) per realm name, absent if none. */
    record Reading(Map<String, Map<State, Long>> byRealmAndState, Map<String, Long> oldestPendingCreatedAt) {
    }

    private final Meter.MeterProvider<Counter> applies;
    private final Meter.MeterProvider<Counter> applyFailures;
    private final MultiGauge changeRequests;
    private final MultiGauge oldestPending;
    private final CachedReading<Reading> reading;

    private GuardMetrics(MeterRegistry registry, KeycloakSessionFactory factory, long readIntervalMillis) {
        applies = Counter.builder(APPLIES)
                .description("Change requests applied on this node (counted after the commit)")
                .withRegistry(registry);
        applyFailures = Counter.builder(APPLY_FAILURES)
                .description("Applies Keycloak refused or that did not commit on this node; the request became FAILED")
                .withRegistry(registry);
        changeRequests = MultiGauge.builder(CHANGE_REQUESTS)
                .description("Change requests by realm and state (read from the database at most once per read interval per node)")
                .register(registry);
        oldestPending = MultiGauge.builder(OLDEST_PENDING).baseUnit("seconds")
                .description("Age of the oldest PENDING change request of the realm, 0 if none")
                .register(registry);
        reading = new CachedReading<>("mutation guard", () -> read(factory), this::show, readIntervalMillis,
                System::currentTimeMillis);
        Gauge.builder(READING_AGE, this, GuardMetrics::readingAgeSeconds).baseUnit("seconds").tag("module", "mutation-guard")
                .description("Seconds since the module's gauges were last read from the database (NaN before the first reading); "
                        + "growing well beyond the read interval means readings fail")
                .register(registry);
    }

    /**
     * Registers the guard's meters with the registry; the gauges read through the factory's
     * sessions, at most once per {@code readIntervalMillis}.
     */
    public static GuardMetrics register(MeterRegistry registry, KeycloakSessionFactory factory, long readIntervalMillis) {
        return new GuardMetrics(registry, factory, readIntervalMillis);
    }

    /** The server's instance, or null when the guard's factory is not deployed. */
    public static GuardMetrics of(KeycloakSessionFactory factory) {
        Object f = factory.getProviderFactory(AdminRealmResourceProvider.class, MutationGuardResourceProviderFactory.PROVIDER_ID);
        return f instanceof MutationGuardResourceProviderFactory guard ? guard.metrics() : null;
    }

    /** Counts once the session's transaction has committed; nothing when it rolls back. */
    public static void afterCommit(KeycloakSession session, Consumer<GuardMetrics> count) {
        GuardMetrics metrics = of(session.getKeycloakSessionFactory());
        if (metrics == null) {
            return;
        }
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                count.accept(metrics);
            }

            @Override
            protected void rollbackImpl() {
            }
        });
    }

    public void applied(String realmName) {
        applies.withTags("realm", realmName).increment();
    }

    public void applyFailed(String realmName) {
        applyFailures.withTags("realm", realmName).increment();
    }

    private static Reading read(KeycloakSessionFactory factory) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            var em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
            List<Object[]> counts = em.createQuery("select r.name, c.state, count(c) from ChangeRequestEntity c, RealmEntity r "
                    + "where r.id = c.realmId group by r.name, c.state", Object[].class).getResultList();
            List<Object[]> oldest = em.createQuery("select r.name, min(c.createdAt) from ChangeRequestEntity c, RealmEntity r "
                    + "where r.id = c.realmId and c.state = :pending group by r.name", Object[].class)
                    .setParameter("pending", State.PENDING.name()).getResultList();
            return reading(counts, oldest);
        });
    }

    /** Rows of (realm name, state name, count) and (realm name, oldest created-at): every state of a realm that has requests. */
    static Reading reading(List<Object[]> counts, List<Object[]> oldestPending) {
        Map<String, Map<State, Long>> byRealm = new TreeMap<>();
        for (Object[] row : counts) {
            State state;
            try {
                state = State.valueOf((String) row[1]);
            } catch (IllegalArgumentException e) {
                LOG.debugf("change requests in unknown state %s not counted", row[1]);
                continue;
            }
            Map<State, Long> states = byRealm.computeIfAbsent((String) row[0], k -> {
                Map<State, Long> zero = new EnumMap<>(State.class);
                for (State s : State.values()) {
                    zero.put(s, 0L);
                }
                return zero;
            });
            states.merge(state, ((Number) row[2]).longValue(), Long::sum);
        }
        Map<String, Long> oldest = new TreeMap<>();
        for (Object[] row : oldestPending) {
            if (row[1] != null) {
                oldest.put((String) row[0], ((Number) row[1]).longValue());
            }
        }
        return new Reading(byRealm, oldest);
    }

    /** A new reading: the rows follow the realms it holds (series of vanished realms are removed). */
    private void show(Reading r) {
        List<MultiGauge.Row<?>> counts = new ArrayList<>();
        List<MultiGauge.Row<?>> ages = new ArrayList<>();
        for (Map.Entry<String, Map<State, Long>> realm : r.byRealmAndState().entrySet()) {
            String name = realm.getKey();
            for (State state : realm.getValue().keySet()) {
                counts.add(MultiGauge.Row.of(Tags.of("realm", name, "state", state.name()), this, m -> m.count(name, state)));
            }
            ages.add(MultiGauge.Row.of(Tags.of("realm", name), this, m -> m.oldestPendingAgeSeconds(name)));
        }
        changeRequests.register(counts, false);
        oldestPending.register(ages, false);
    }

    private double count(String realm, State state) {
        Reading r = reading.get();
        Map<State, Long> states = r == null ? null : r.byRealmAndState().get(realm);
        return states == null ? Double.NaN : states.getOrDefault(state, 0L);
    }

    private double oldestPendingAgeSeconds(String realm) {
        Reading r = reading.get();
        if (r == null || !r.byRealmAndState().containsKey(realm)) {
            return Double.NaN;
        }
        Long created = r.oldestPendingCreatedAt().get(realm);
        return created == null ? 0 : Math.max(0, System.currentTimeMillis() - created) / 1000.0;
    }

    private double readingAgeSeconds() {
        reading.get();
        long at = reading.succeededAt();
        return at == 0 ? Double.NaN : (System.currentTimeMillis() - at) / 1000.0;
    }
}
