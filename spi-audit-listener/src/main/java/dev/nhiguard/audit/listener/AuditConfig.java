package dev.nhiguard.audit.listener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.keycloak.Config;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

import dev.nhiguard.audit.realmsink.DestinationAllowList;
import dev.nhiguard.audit.realmsink.RealmSinkConfig;
import dev.nhiguard.audit.realmsink.RealmSinkDelivery;
import dev.nhiguard.audit.realmsink.RealmSinks;
import dev.nhiguard.audit.sink.FileSink;
import dev.nhiguard.audit.sink.KafkaSink;
import dev.nhiguard.audit.sink.LogSink;
import dev.nhiguard.audit.sink.Sink;
import dev.nhiguard.audit.sink.SinkFormat;
import dev.nhiguard.audit.sink.SinkRunner;
import dev.nhiguard.audit.sink.SyslogSink;
import dev.nhiguard.audit.sink.WebhookSink;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.RecordSealing;

/** Server-wide settings of the audit chain listener ({@code --spi-events-listener--nhi-audit-chain--*}). */
record AuditConfig(Set<String> userEventTypes, Set<String> includedRealms, Set<String> excludedRealms,
                   boolean includeRepresentation, Set<String> redactFields, RecordSealing sealing, int maxRecordBytes,
                   Checkpoints checkpoints, int checkpointIntervalSeconds,
                   SinkRunner sinks, int sinkIntervalSeconds,
                   boolean tokenEventsBatched, boolean adminEventsStaged, int sequencerBatchSize, int sequencerIntervalSeconds, int sequencerGatherMillis,
                   int metricsReadIntervalSeconds, RealmSinks realmSinks, RealmSinkDelivery realmSinkDelivery) {

    static final List<String> DEFAULT_USER_EVENT_TYPES = List.of(
            "CLIENT_LOGIN", "CLIENT_LOGIN_ERROR",
            "TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR",
            "JWT_AUTHORIZATION_GRANT", "JWT_AUTHORIZATION_GRANT_ERROR",
            "CLIENT_REGISTER", "CLIENT_REGISTER_ERROR",
            "CLIENT_UPDATE", "CLIENT_UPDATE_ERROR",
            "CLIENT_DELETE", "CLIENT_DELETE_ERROR",
            // an admin signing in as a user: a session of someone else's, opened by the admin API
            "IMPERSONATE", "IMPERSONATE_ERROR",
            // a user changing how they sign in or are recovered themselves (account console, required actions):
            // the admin API holds these changes for privileged users, the account API does not ask an admin
            "UPDATE_PROFILE", "UPDATE_EMAIL", "UPDATE_PASSWORD", "UPDATE_TOTP", "REMOVE_TOTP", "UPDATE_CREDENTIAL",
            "REMOVE_CREDENTIAL", "RESET_PASSWORD", "FEDERATED_IDENTITY_LINK", "REMOVE_FEDERATED_IDENTITY",
            // a user granting a client access on their behalf (offline_access among the scopes), or taking it back
            "GRANT_CONSENT", "UPDATE_CONSENT", "REVOKE_GRANT",
            // a user deleting their own account; a user joining an organization by its invitation's link
            "DELETE_ACCOUNT", "INVITE_ORG",
            // a user who signed up (by the registration page or an invitation's link), and one disabled by anyone's wrong
            // passwords (a permanent lockout): who exists, and why an approver cannot sign in, is on the record
            "REGISTER", "USER_DISABLED_BY_PERMANENT_LOCKOUT",
            // an OID4VCI credential offer (its pre-authorized code signs its user in for whoever holds it), and the token
            // given for such a code
            "VERIFIABLE_CREDENTIAL_CREATE_OFFER", "VERIFIABLE_CREDENTIAL_CREATE_OFFER_ERROR",
            "VERIFIABLE_CREDENTIAL_PRE_AUTHORIZED_GRANT", "VERIFIABLE_CREDENTIAL_PRE_AUTHORIZED_GRANT_ERROR");
    static final int DEFAULT_MAX_RECORD_BYTES = 1_000_000;
    static final int DEFAULT_CHECKPOINT_EVERY = 1000;
    static final int DEFAULT_CHECKPOINT_INTERVAL = 5;
    static final int DEFAULT_SEQUENCER_BATCH = 500;
    static final int DEFAULT_SEQUENCER_INTERVAL = 5;
    static final int DEFAULT_SEQUENCER_GATHER_MILLIS = 100;
    static final int DEFAULT_METRICS_READ_INTERVAL = 10;
    static final int DEFAULT_REALM_SINKS_MAX = 5;

    static AuditConfig from(Config.Scope scope) {
        int max = scope.getInt("max-record-bytes", DEFAULT_MAX_RECORD_BYTES);
        if (max < 1024 || max > DEFAULT_MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("max-record-bytes must be between 1024 and " + DEFAULT_MAX_RECORD_BYTES + ", is " + max);
        }
        int every = scope.getInt("checkpoint-every-records", DEFAULT_CHECKPOINT_EVERY);
        int interval = scope.getInt("checkpoint-interval-seconds", DEFAULT_CHECKPOINT_INTERVAL);
        if (every < 0 || interval < 0) {
            throw new IllegalArgumentException("checkpoint-every-records and checkpoint-interval-seconds must not be negative");
        }
        Checkpoints.SigningKey operatorKey = null;
        String privateFile = scope.get("checkpoint-private-key-file");
        if (privateFile != null && !privateFile.isBlank()) {
            String publicFile = scope.get("checkpoint-public-key-file");
            String name = scope.get("checkpoint-key-name", "nhi-guard-audit");
            if (publicFile == null || publicFile.isBlank() || name.contains(" ") || name.contains("+")) {
                throw new IllegalArgumentException("checkpoint-private-key-file needs checkpoint-public-key-file and a key name without spaces or '+'");
            }
            try {
                operatorKey = Checkpoints.operatorKey(name, Files.readString(Path.of(privateFile)), Files.readString(Path.of(publicFile)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the checkpoint key files", e);
            }
        }
        List<Sink> sinks = new ArrayList<>();
        String url = scope.get("webhook-url");
        if (url != null && !url.isBlank()) {
            String secret = scope.get("webhook-secret");
            if (secret == null || secret.length() < 16) {
                throw new IllegalArgumentException("webhook-url needs a webhook-secret of at least 16 characters");
            }
            URI uri = URI.create(url.trim());
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("webhook-url must be http(s): " + url);
            }
            sinks.add(new WebhookSink(uri, secret, SinkFormat.of("webhook-format", scope.get("webhook-format")),
                    scope.getBoolean("webhook-legacy-signature", false)));
        }
        String file = scope.get("file-sink-path");
        if (file != null && !file.isBlank()) {
            sinks.add(new FileSink(Path.of(file.trim()), SinkFormat.of("file-sink-format", scope.get("file-sink-format"))));
        }
        String syslog = scope.get("syslog-address");
        if (syslog != null && !syslog.isBlank()) {
            int colon = syslog.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("syslog-address must be host:port, is " + syslog);
            }
            sinks.add(new SyslogSink(syslog.substring(0, colon).trim(), Integer.parseInt(syslog.substring(colon + 1).trim()),
                    scope.getInt("syslog-facility", 13), scope.get("syslog-hostname", "keycloak"),
                    SinkFormat.of("syslog-format", scope.get("syslog-format")), syslogTls(scope)));
        }
        String kafka = scope.get("kafka-bootstrap-servers");
        if (kafka != null && !kafka.isBlank()) {
            String topic = scope.get("kafka-topic", "nhi-audit-chain").trim();
            if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
                throw new IllegalArgumentException("kafka-topic must be 1-249 of a-z, A-Z, 0-9, '.', '_', '-', is " + topic);
            }
            int timeout = scope.getInt("kafka-delivery-timeout-seconds", 30);
            if (timeout < 2 || timeout > 300) {
                throw new IllegalArgumentException("kafka-delivery-timeout-seconds must be 2..300, is " + timeout);
            }
            sinks.add(new KafkaSink(kafka.trim(), topic, SinkFormat.of("kafka-format", scope.get("kafka-format")),
                    kafkaProperties(scope.get("kafka-properties-file")), timeout));
        }
        if (scope.getBoolean("log-sink", false)) {
            sinks.add(new LogSink(SinkFormat.of("log-sink-format", scope.get("log-sink-format"))));
        }
        int batch = scope.getInt("sink-batch-size", 100);
        int maxBackoff = scope.getInt("sink-max-backoff-seconds", 300);
        if (batch < 1 || batch > 1000 || maxBackoff < 1) {
            throw new IllegalArgumentException("sink-batch-size must be 1..1000 and sink-max-backoff-seconds at least 1");
        }
        int sinkInterval = scope.getInt("sink-interval-seconds", 5);
        if (sinkInterval < 1) {
            throw new IllegalArgumentException("sink-interval-seconds must be at least 1");
        }
        String tokenEvents = scope.get("token-events", "batched").trim();
        if (!"batched".equals(tokenEvents) && !"inline".equals(tokenEvents)) {
            throw new IllegalArgumentException("token-events must be batched or inline, is " + tokenEvents);
        }
        String adminEvents = scope.get("admin-events", "staged").trim();
        if (!"staged".equals(adminEvents) && !"inline".equals(adminEvents)) {
            throw new IllegalArgumentException("admin-events must be staged or inline, is " + adminEvents);
        }
        int sequencerBatch = scope.getInt("sequencer-batch-size", DEFAULT_SEQUENCER_BATCH);
        int sequencerInterval = scope.getInt("sequencer-interval-seconds", DEFAULT_SEQUENCER_INTERVAL);
        if (sequencerBatch < 1 || sequencerBatch > 1000 || sequencerInterval < 1) {
            throw new IllegalArgumentException("sequencer-batch-size must be 1..1000 and sequencer-interval-seconds at least 1");
        }
        int sequencerGather = scope.getInt("sequencer-gather-millis", DEFAULT_SEQUENCER_GATHER_MILLIS);
        if (sequencerGather < 0 || sequencerGather > 5000) {
            throw new IllegalArgumentException("sequencer-gather-millis must be 0..5000, is " + sequencerGather);
        }
        int metricsReadInterval = scope.getInt("metrics-read-interval-seconds", DEFAULT_METRICS_READ_INTERVAL);
        if (metricsReadInterval < 1) {
            throw new IllegalArgumentException("metrics-read-interval-seconds must be at least 1");
        }
        Set<String> redactFields = set(scope.getArray("redact-fields"), List.of());
        RecordSealing sealing = new RecordSealing(redactFields);
        DestinationAllowList allowList = DestinationAllowList.parse(List.copyOf(set(scope.getArray("realm-sinks-allowed-destinations"), List.of())),
                List.copyOf(set(scope.getArray("realm-sinks-allowed-networks"), List.of())));
        int realmSinksMax = scope.getInt("realm-sinks-max", DEFAULT_REALM_SINKS_MAX);
        if (realmSinksMax < 1 || realmSinksMax > RealmSinkConfig.MAX_SINKS_LIMIT) {
            throw new IllegalArgumentException("realm-sinks-max must be 1.." + RealmSinkConfig.MAX_SINKS_LIMIT + ", is " + realmSinksMax);
        }
        RealmSinks realmSinks = new RealmSinks(allowList, realmSinksMax, sealing, DestinationAllowList.SYSTEM);
        return new AuditConfig(
                set(scope.getArray("user-event-types"), DEFAULT_USER_EVENT_TYPES),
                set(scope.getArray("included-realms"), List.of()),
                set(scope.getArray("excluded-realms"), List.of()),
                scope.getBoolean("include-representation", true),
                redactFields, sealing,
                max, new Checkpoints(every, operatorKey), interval,
                sinks.isEmpty() ? null : new SinkRunner(sinks, batch, maxBackoff), sinkInterval,
                "batched".equals(tokenEvents), "staged".equals(adminEvents), sequencerBatch, sequencerInterval, sequencerGather, metricsReadInterval, realmSinks,
                realmSinks.enabled() ? new RealmSinkDelivery(realmSinks, new SinkRunner(List.of(), batch, maxBackoff)) : null);
    }

    /** The syslog sink's TLS socket factory, or null for plain TCP. */
    private static javax.net.ssl.SSLSocketFactory syslogTls(Config.Scope scope) {
        String trust = scope.get("syslog-tls-trust-file");
        if (!scope.getBoolean("syslog-tls", false)) {
            if (trust != null && !trust.isBlank()) {
                throw new IllegalArgumentException("syslog-tls-trust-file needs syslog-tls=true");
            }
            return null;
        }
        return SyslogSink.tlsFactory(trust == null || trust.isBlank() ? null : Path.of(trust.trim()));
    }

    /** Extra producer properties from a file (TLS, SASL, …); none when no file is given. */
    private static java.util.Map<String, String> kafkaProperties(String file) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        if (file == null || file.isBlank()) {
            return out;
        }
        java.util.Properties p = new java.util.Properties();
        try (java.io.Reader r = Files.newBufferedReader(Path.of(file.trim()))) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kafka-properties-file " + file, e);
        }
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** Whether events of this realm (by id or name) are chained. */
    boolean realmIncluded(String realmId, String realmName) {
        if (excludedRealms.contains(realmId) || (realmName != null && excludedRealms.contains(realmName))) {
            return false;
        }
        return includedRealms.isEmpty() || includedRealms.contains(realmId)
                || (realmName != null && includedRealms.contains(realmName));
    }

    static List<ProviderConfigProperty> metadata() {
        return ProviderConfigurationBuilder.create()
                .property().name("user-event-types").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("User (login/token) event types chained, comma-separated. Admin events are always chained.")
                .defaultValue(String.join(",", DEFAULT_USER_EVENT_TYPES)).add()
                .property().name("included-realms").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("Realms (names or ids) whose events are chained; empty = all realms.").add()
                .property().name("excluded-realms").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("Realms (names or ids) whose events are not chained; wins over included-realms.").add()
                .property().name("include-representation").type(ProviderConfigProperty.BOOLEAN_TYPE)
                .helpText("Record the representation Keycloak attaches to admin events.").defaultValue(true).add()
                .property().name("redact-fields").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("More member names (exact, case-insensitive) whose values are sealed in records, on top of the built-in list "
                        + "of credential names (see the module README, 'Secrets in the chain'); the built-in list cannot be narrowed.").add()
                .property().name("max-record-bytes").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Largest record (canonical JSON, bytes) appended; a change whose record is larger is refused.")
                .defaultValue(DEFAULT_MAX_RECORD_BYTES).add()
                .property().name("token-events").type(ProviderConfigProperty.LIST_TYPE).options("batched", "inline")
                .helpText("batched: user (token) events are staged without the realm's head-row lock and sequenced into the chain in batches "
                        + "shortly after their transaction commits; inline: appended under the head-row lock in their own transaction.")
                .defaultValue("batched").add()
                .property().name("admin-events").type(ProviderConfigProperty.LIST_TYPE).options("staged", "inline")
                .helpText("staged: admin events (and the guard's decisions) are staged in the change's transaction without the realm's "
                        + "head-row lock and sequenced into the chain right after it commits; every read of the chain sequences what is "
                        + "staged first. inline: appended under the head-row lock in the change's transaction.")
                .defaultValue("staged").add()
                .property().name("sequencer-batch-size").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Most staged records moved into a chain per transaction (1-1000).").defaultValue(DEFAULT_SEQUENCER_BATCH).add()
                .property().name("sequencer-gather-millis").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("How long the sequencer waits after the commit that wakes it before it moves the staged records into "
                        + "the chain (0-5000): the commits of that moment go in one batch under one head-row lock. Longer: less CPU "
                        + "per token event, a later chain entry (the event is durable in the staging table meanwhile).")
                .defaultValue(DEFAULT_SEQUENCER_GATHER_MILLIS).add()
                .property().name("sequencer-interval-seconds").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("How often a cluster-wide task sequences staged records left behind (e.g. by a stopped node).")
                .defaultValue(DEFAULT_SEQUENCER_INTERVAL).add()
                .property().name("metrics-read-interval-seconds").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Shortest time between two database readings of the chain heads, staged events and sink cursors for the "
                        + "metrics of one node (read when /metrics is scraped, with --metrics-enabled=true).")
                .defaultValue(DEFAULT_METRICS_READ_INTERVAL).add()
                .property().name("checkpoint-every-records").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Sign a checkpoint whenever a realm's chain crosses a multiple of this many records (0 = never).")
                .defaultValue(DEFAULT_CHECKPOINT_EVERY).add()
                .property().name("checkpoint-interval-seconds").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Sign a checkpoint of every realm whose chain grew, this often (cluster-wide task; 0 = never): the bound on how long "
                        + "a committed record can stay without a signed head that sinks and witnesses receive.")
                .defaultValue(DEFAULT_CHECKPOINT_INTERVAL).add()
                .property().name("checkpoint-private-key-file").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Operator's Ed25519 private key (PKCS#8 PEM) signing every realm's checkpoints; default: a key generated per realm.").add()
                .property().name("checkpoint-public-key-file").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Public key (X.509 PEM) of checkpoint-private-key-file.").add()
                .property().name("checkpoint-key-name").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Key name in signatures made with the operator's key.").defaultValue("nhi-guard-audit").add()
                .property().name("webhook-url").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("http(s) URL the webhook sink POSTs batches to (Standard Webhooks signatures).").add()
                .property().name("webhook-secret").type(ProviderConfigProperty.PASSWORD)
                .helpText("HMAC key of the webhook sink: whsec_<base64> (Standard Webhooks) or at least 16 characters.").add()
                .property().name("webhook-format").type(ProviderConfigProperty.LIST_TYPE).options("native", "cloudevents", "ocsf")
                .helpText("Format of the webhook sink's items.").defaultValue("native").add()
                .property().name("webhook-legacy-signature").type(ProviderConfigProperty.BOOLEAN_TYPE)
                .helpText("Also send the earlier X-NHI-Audit-Signature header (HMAC of the body only; not replay-safe).").defaultValue(false).add()
                .property().name("kafka-bootstrap-servers").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("host:port,... of the Kafka cluster the Kafka sink publishes to (key = realm id; idempotent producer, acks=all).").add()
                .property().name("kafka-topic").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Topic of the Kafka sink.").defaultValue("nhi-audit-chain").add()
                .property().name("kafka-format").type(ProviderConfigProperty.LIST_TYPE).options("native", "cloudevents", "ocsf")
                .helpText("Format of the Kafka sink's messages.").defaultValue("native").add()
                .property().name("kafka-properties-file").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Java properties file with more producer settings (security.protocol, ssl.*, sasl.*, client.id, linger.ms); "
                        + "the settings the sink fixes (idempotence, acks, timeouts, serializers, compression) are refused.").add()
                .property().name("kafka-delivery-timeout-seconds").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("How long a batch may wait for Kafka's acknowledgement before it counts as failed and is retried (2-300).")
                .defaultValue(30).add()
                .property().name("syslog-tls").type(ProviderConfigProperty.BOOLEAN_TYPE)
                .helpText("Send syslog over TLS (RFC 5425), the server's host name verified.").defaultValue(false).add()
                .property().name("syslog-tls-trust-file").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("PEM certificates the syslog sink trusts over TLS; default: the JVM's default trust.").add()
                .property().name("file-sink-format").type(ProviderConfigProperty.LIST_TYPE).options("native", "cloudevents", "ocsf")
                .helpText("Format of the file sink's lines.").defaultValue("native").add()
                .property().name("syslog-format").type(ProviderConfigProperty.LIST_TYPE).options("native", "cloudevents", "ocsf")
                .helpText("Format of the syslog sink's message bodies.").defaultValue("native").add()
                .property().name("realm-sinks-allowed-destinations").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("Where realms may configure sinks of their own (PUT audit-chain/realm-sinks): scheme://host[:port] entries, "
                        + "scheme http, https, syslog or syslog+tls, host an exact name, *.suffix or an IP literal, port a number or * (default: the scheme's). "
                        + "Empty (the default): realm sinks are off. A name must resolve to public addresses only, unless they lie in "
                        + "realm-sinks-allowed-networks; an IP literal entry allows that address as it is.").add()
                .property().name("realm-sinks-allowed-networks").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("CIDRs (10.20.0.0/16, fd00::/8) that allowed realm sink host names may resolve into although they are "
                        + "loopback, link-local or private. Default: none.").add()
                .property().name("realm-sinks-max").type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("Most sinks a realm may configure (1-20).").defaultValue(DEFAULT_REALM_SINKS_MAX).add()
                .property().name("log-sink-format").type(ProviderConfigProperty.LIST_TYPE).options("native", "cloudevents", "ocsf")
                .helpText("Format of the log sink's lines.").defaultValue("native").add()
                .build();
    }

    private static Set<String> set(String[] values, List<String> defaults) {
        if (values == null) {
            return Set.copyOf(defaults);
        }
        return Arrays.stream(values).map(String::trim).filter(v -> !v.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }
}
