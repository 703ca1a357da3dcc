package dev.nhiguard.audit.realmsink;

import java.util.ArrayList;
import java.util.List;

import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.sink.Sink;
import dev.nhiguard.audit.sink.SyslogSink;
import dev.nhiguard.audit.sink.WebhookSink;
import dev.nhiguard.audit.store.RecordSealing;

/**
 * A realm's own sinks: read, replaced (validated against the operator's allow-list, the
 * destination resolved and checked, secrets sealed) and turned into sinks for delivery, where
 * the stored configuration is read and checked again, and each destination once more before
 * every delivery. Realm sinks carry only their realm's records and checkpoints; they have their
 * own delivery state ({@link RealmSinkConfig.Sink#stateKey()}), never a server sink's.
 */
public final class RealmSinks {

    private static final Logger LOG = Logger.getLogger(RealmSinks.class);
    /** Realm syslog sinks: facility 13 (log audit), HOSTNAME as the server sink's default. */
    private static final int SYSLOG_FACILITY = 13;
    private static final String SYSLOG_HOSTNAME = "keycloak";

    private final DestinationAllowList allowList;
    private final int maxSinks;
    private final RecordSealing sealing;
    private final DestinationAllowList.Resolver resolver;

    public RealmSinks(DestinationAllowList allowList, int maxSinks, RecordSealing sealing, DestinationAllowList.Resolver resolver) {
        this.allowList = allowList;
        this.maxSinks = maxSinks;
        this.sealing = sealing;
        this.resolver = resolver;
    }

    /** Whether the operator allows any realm sink destination. */
    public boolean enabled() {
        return allowList.enabled();
    }

    /** The stored sinks of the realm, as stored (sealed secrets); empty when none. */
    public List<RealmSinkConfig.Sink> stored(RealmModel realm) {
        String text = realm.getAttribute(RealmSinkConfig.ATTRIBUTE);
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return RealmSinkConfig.parse(text, RealmSinkConfig.MAX_SINKS_LIMIT);
    }

    /** What GET shows: the stored sinks with their secrets masked. */
    public ObjectNode shown(RealmModel realm) {
        return RealmSinkConfig.shown(stored(realm));
    }

    /**
     * Replaces the realm's sinks with those of the body, or refuses ({@link RealmSinkConfig.Invalid},
     * nothing changed). An empty list removes every realm sink and is always accepted.
     *
     * @return the configuration as now shown (secrets masked)
     */
    public ObjectNode replace(KeycloakSession session, RealmModel realm, String body) {
        List<RealmSinkConfig.Sink> asked = RealmSinkConfig.parse(body, maxSinks);
        if (!asked.isEmpty() && !allowList.enabled()) {
            throw new RealmSinkConfig.Invalid("Realm sinks are not enabled on this server: its allow-list of realm sink destinations "
                    + "(realm-sinks-allowed-destinations) is empty");
        }
        List<RealmSinkConfig.Sink> current;
        try {
            current = stored(realm);
        } catch (RealmSinkConfig.Invalid e) {
            current = List.of(); // an unreadable stored configuration keeps no secret
        }
        RealmSinkSecrets secrets = asked.stream().noneMatch(RealmSinkConfig.Sink::webhook) ? null
                : new RealmSinkSecrets(sealing.realmSinkSecretKey(session), realm.getId());
        List<RealmSinkConfig.Sink> out = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
            RealmSinkConfig.Sink s = asked.get(i);
            String at = "sinks[" + i + "]";
            String refusal = allowList.refusal(s.url(), resolver);
            if (refusal != null) {
                throw new RealmSinkConfig.Invalid("'" + at + ".url' is refused: " + refusal);
            }
            if (!s.webhook()) {
                out.add(s);
                continue;
            }
            String ref;
            if (s.secretRef() != null) {
                if (secrets.open(s.secretRef()) == null) {
                    throw new RealmSinkConfig.Invalid("'" + at + ".secretRef' is not a secret sealed for this realm");
                }
                ref = s.secretRef();
            } else if (RealmSinkConfig.MASK.equals(s.secret())) {
                ref = current.stream().filter(c -> c.id().equals(s.id()) && c.secretRef() != null
                        && secrets.open(c.secretRef()) != null).map(RealmSinkConfig.Sink::secretRef).findFirst()
                        .orElseThrow(() -> new RealmSinkConfig.Invalid("'" + at + ".secret' is the mask, but no secret is stored for sink '"
                                + s.id() + "'; give the secret"));
            } else {
                ref = secrets.seal(s.secret());
            }
            out.add(s.withSecretRef(ref));
        }
        if (out.isEmpty()) {
            realm.removeAttribute(RealmSinkConfig.ATTRIBUTE);
        } else {
            realm.setAttribute(RealmSinkConfig.ATTRIBUTE, RealmSinkConfig.stored(out));
        }
        return RealmSinkConfig.shown(out);
    }

    /**
     * The realm's sinks ready to deliver: the stored configuration read again (it may have been
     * written by other means than our endpoint), each destination re-checked before every delivery.
     * A sink whose secret does not open is left out, and said so in the log.
     *
     * @param cache webhook sinks kept between rounds, by realm, state key, format and sealed secret
     * @param used  hears the cache keys of the sinks returned
     */
    List<Sink> deliverable(KeycloakSession session, RealmModel realm, java.util.Map<String, Sink> cache, java.util.Set<String> used) {
        List<RealmSinkConfig.Sink> stored;
        try {
            stored = stored(realm);
        } catch (RealmSinkConfig.Invalid e) {
            LOG.warnf("realm %s: stored realm sink configuration (%s) is invalid and not delivered to: %s", realm.getName(),
                    RealmSinkConfig.ATTRIBUTE, e.getMessage());
            return List.of();
        }
        if (stored.isEmpty()) {
            return List.of();
        }
        RealmSinkSecrets secrets = new RealmSinkSecrets(sealing.realmSinkSecretKey(session), realm.getId());
        List<Sink> out = new ArrayList<>();
        for (RealmSinkConfig.Sink s : stored) {
            if (!s.webhook()) {
                String key = realm.getId() + "\n" + s.stateKey() + "\n" + s.format() + "\n" + s.tlsTrust();
                Sink syslog;
                try {
                    syslog = cache.computeIfAbsent(key, k -> new CheckedSink(s, new SyslogSink(s.url().getHost(), s.url().getPort(),
                            SYSLOG_FACILITY, SYSLOG_HOSTNAME, s.format(), "syslog+tls".equalsIgnoreCase(s.url().getScheme())
                                    ? SyslogSink.tlsFactory(s.tlsTrust()) : null)));
                } catch (IllegalArgumentException e) {
                    LOG.warnf("realm %s: realm sink %s cannot set up TLS and is not delivered to: %s", realm.getName(), s.id(), e.getMessage());
                    continue;
                }
                used.add(key);
                out.add(syslog);
                continue;
            }
            String secret = s.secretRef() == null ? null : secrets.open(s.secretRef());
            if (secret == null) {
                LOG.warnf("realm %s: realm sink %s has no secret sealed for this realm; not delivered to", realm.getName(), s.id());
                continue;
            }
            String key = realm.getId() + "\n" + s.stateKey() + "\n" + s.format() + "\n" + s.secretRef();
            used.add(key);
            out.add(cache.computeIfAbsent(key, k -> new CheckedSink(s, new WebhookSink(s.url(), secret, s.format(), false))));
        }
        return out;
    }

    /** A realm sink whose destination is checked against the allow-list, resolved again, before each delivery. */
    private final class CheckedSink implements Sink {
        private final RealmSinkConfig.Sink config;
        private final Sink delegate;

        CheckedSink(RealmSinkConfig.Sink config, Sink delegate) {
            this.config = config;
            this.delegate = delegate;
        }

        @Override
        public String id() {
            return config.stateKey();
        }

        @Override
        public String deliver(String realmId, long first, long last, List<dev.nhiguard.audit.sink.SinkItem> items) {
            String refusal = allowList.refusal(config.url(), resolver);
            if (refusal != null) {
                return "destination refused: " + refusal;
            }
            return delegate.deliver(realmId, first, last, items);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
