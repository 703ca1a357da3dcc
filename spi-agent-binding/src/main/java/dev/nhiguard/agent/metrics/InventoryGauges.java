package dev.nhiguard.agent.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.inventory.Inventory;
import dev.nhiguard.agent.inventory.InventoryIndex;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * The inventory's flags as gauges, read from the inventory index only ({@link InventoryIndex#counts}:
 * one COUNT per flag and realm, never an evaluation of the realm's accounts, never a refresh or a
 * build in a scrape), at most once per read interval on this node. A realm whose index was never
 * built (no inventory page yet) has no series; a realm whose index has changes marked and not yet
 * folded in reports the counts as they stand and {@code index_up_to_date} 0.
 */
public final class InventoryGauges {

    static final String FLAGGED = "nhi.guard.agent.inventory.flagged";
    static final String UP_TO_DATE = "nhi.guard.agent.inventory.index.up.to.date";
    static final String READING_AGE = "nhi.guard.metrics.reading.age";

    /** Per realm name: flag counts, and whether the index was up to date when read. */
    record Reading(Map<String, InventoryIndex.Counts> byRealm) {
    }

    private final MultiGauge flagged;
    private final MultiGauge upToDate;
    private final CachedReading<Reading> reading;

    private InventoryGauges(MeterRegistry registry, KeycloakSessionFactory factory, long readIntervalMillis) {
        flagged = MultiGauge.builder(FLAGGED)
                .description("Service accounts per inventory flag and realm, counted on the inventory index (read at most once per read "
                        + "interval per node; realms whose index was never built have no series)")
                .register(registry);
        upToDate = MultiGauge.builder(UP_TO_DATE)
                .description("1 when the realm's inventory index had no changes waiting to be folded in at the reading; 0: the counts "
                        + "are the index as it stood, the next inventory page refreshes it")
                .register(registry);
        reading = new CachedReading<>("agent binding inventory", () -> read(factory), this::show, readIntervalMillis,
                System::currentTimeMillis);
        Gauge.builder(READING_AGE, this, InventoryGauges::readingAgeSeconds).baseUnit("seconds").tag("module", "agent-binding")
                .description("Seconds since the module's gauges were last read from the database (NaN before the first reading); "
                        + "growing well beyond the read interval means readings fail")
                .register(registry);
    }

    public static InventoryGauges register(MeterRegistry registry, KeycloakSessionFactory factory, long readIntervalMillis) {
        return new InventoryGauges(registry, factory, readIntervalMillis);
    }

    private static Reading read(KeycloakSessionFactory factory) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            Map<String, InventoryIndex.Counts> byRealm = new TreeMap<>();
            for (String realmId : InventoryIndex.indexedRealms(session)) {
                RealmModel realm = session.realms().getRealm(realmId);
                if (realm == null) {
                    continue;
                }
                session.getContext().setRealm(realm);
                InventoryIndex.Counts counts = new InventoryIndex(session, realm).counts();
                if (counts != null) {
                    byRealm.put(realm.getName(), counts);
                }
            }
            return new Reading(byRealm);
        });
    }

    /** A new reading: the rows follow the realms it holds (series of vanished realms are removed). */
    private void show(Reading r) {
        List<MultiGauge.Row<?>> flags = new ArrayList<>();
        List<MultiGauge.Row<?>> fresh = new ArrayList<>();
        for (String realm : r.byRealm().keySet()) {
            for (String flag : new java.util.TreeSet<>(Inventory.FLAGS)) {
                flags.add(MultiGauge.Row.of(Tags.of("realm", realm, "flag", flag), this, g -> g.count(realm, flag)));
            }
            fresh.add(MultiGauge.Row.of(Tags.of("realm", realm), this, g -> g.upToDate(realm)));
        }
        flagged.register(flags, false);
        upToDate.register(fresh, false);
    }

    private double count(String realm, String flag) {
        Reading r = reading.get();
        InventoryIndex.Counts c = r == null ? null : r.byRealm().get(realm);
        Long n = c == null ? null : c.flagged().get(flag);
        return n == null ? Double.NaN : n;
    }

    private double upToDate(String realm) {
        Reading r = reading.get();
        InventoryIndex.Counts c = r == null ? null : r.byRealm().get(realm);
        return c == null ? Double.NaN : c.upToDate() ? 1 : 0;
    }

    private double readingAgeSeconds() {
        reading.get();
        long at = reading.succeededAt();
        return at == 0 ? Double.NaN : (System.currentTimeMillis() - at) / 1000.0;
    }
}
