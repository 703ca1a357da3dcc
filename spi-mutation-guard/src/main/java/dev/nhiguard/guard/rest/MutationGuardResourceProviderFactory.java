package dev.nhiguard.guard.rest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

import org.keycloak.services.scheduled.ClusterAwareScheduledTaskRunner;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.timer.TimerProvider;

import dev.nhiguard.guard.ModuleVersion;
import dev.nhiguard.guard.backstop.ModelBackstop;
import dev.nhiguard.guard.changerequest.ApproverBootstrapTask;
import dev.nhiguard.guard.changerequest.AutoApplyTask;
import dev.nhiguard.guard.changerequest.ExpiryTask;
import dev.nhiguard.guard.metrics.GuardMetrics;
import io.micrometer.core.instrument.Metrics;

/**
 * Mounts {@code /admin/realms/{realm}/mutation-guard}, registers the model backstop and schedules
 * the guard's periodic tasks. Keycloak loads it only while the guard is on: the operator's switch
 * is Keycloak's own provider switch (see {@link dev.nhiguard.guard.admission.GuardSwitch}).
 */
public final class MutationGuardResourceProviderFactory implements AdminRealmResourceProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "mutation-guard";

    private static final Logger LOG = Logger.getLogger(MutationGuardResourceProviderFactory.class);

    private long expiryIntervalSeconds = 60;
    private long metricsReadIntervalSeconds = 10;
    private List<ApproverBootstrapTask.Appointment> bootstrapApprovers = List.of();
    /** When this node's HTTP admission filter last ran (ms), 0 if never: the filter's proof of life. */
    private final AtomicLong filterLastSeen = new AtomicLong();
    /** The guard's meters in Micrometer's global registry (exposed by Keycloak with --metrics-enabled). */
    private GuardMetrics metrics;

    @Override
    public AdminRealmResourceProvider create(KeycloakSession session) {
        return new AdminRealmResourceProvider() {
            @Override
            public Object getResource(KeycloakSession s, RealmModel realm, AdminPermissionEvaluator auth, AdminEventBuilder adminEvent) {
                return new MutationGuardResource(s, realm, auth, MutationGuardResourceProviderFactory.this);
            }

            @Override
            public void close() {
            }
        };
    }

    /** The operator's bootstrap appointments (server option {@code bootstrap-approvers}), as configured. */
    public List<ApproverBootstrapTask.Appointment> bootstrapApprovers() {
        return bootstrapApprovers;
    }

    @Override
    public void init(Config.Scope config) {
        expiryIntervalSeconds = config.getLong("expiry-interval-seconds", 60L);
        if (expiryIntervalSeconds < 1) {
            throw new IllegalArgumentException("expiry-interval-seconds must be at least 1");
        }
        metricsReadIntervalSeconds = config.getLong("metrics-read-interval-seconds", 10L);
        if (metricsReadIntervalSeconds < 1) {
            throw new IllegalArgumentException("metrics-read-interval-seconds must be at least 1");
        }
        bootstrapApprovers = ApproverBootstrapTask.Appointment.parse(config.get("bootstrap-approvers"));
        if (!bootstrapApprovers.isEmpty()) {
            LOG.warnf("Mutation guard: the operator names bootstrap approvers %s; they are appointed while their realm has "
                    + "too few approvers", bootstrapApprovers);
        }
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        metrics = GuardMetrics.register(Metrics.globalRegistry, factory, metricsReadIntervalSeconds * 1000);
        long interval = expiryIntervalSeconds * 1000;
        // The guard's tables exist only once the database migration (custom changelogs included) ran.
        factory.register(event -> {
            if (event instanceof PostMigrationEvent) {
                try (KeycloakSession session = factory.create()) {
                    TimerProvider timer = session.getProvider(TimerProvider.class);
                    timer.schedule(new ClusterAwareScheduledTaskRunner(factory, new ExpiryTask(), interval), interval);
                    timer.schedule(new ClusterAwareScheduledTaskRunner(factory, new AutoApplyTask(), interval), interval);
                    if (!bootstrapApprovers.isEmpty()) {
                        timer.schedule(new ClusterAwareScheduledTaskRunner(factory,
                                new ApproverBootstrapTask(bootstrapApprovers), interval), interval);
                    }
                }
            }
        });
        factory.register(new ModelBackstop());
        factory.register(new dev.nhiguard.guard.changerequest.RealmRecordsCleanup());
        LOG.infof("NHI mutation guard enabled; admission layers: HTTP admission filter on /admin/** writes, deny by "
                + "default (JAX-RS provider %s; active once it has seen a request, see GET /admin/realms/{realm}/mutation-guard/status); "
                + "model-level backstop on provider events (role grants, group joins, client changes) for every path",
                "dev.nhiguard.guard.admission.AdmissionFilter");
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    /** This server's meters; null before postInit. */
    public GuardMetrics metrics() {
        return metrics;
    }

    /** Called by the admission filter on every admin request it sees; logs the first one. */
    public void filterSeen() {
        long now = System.currentTimeMillis();
        if (filterLastSeen.getAndSet(now) == 0) {
            LOG.info("NHI mutation guard: HTTP admission filter is active");
        }
    }

    public long filterLastSeen() {
        return filterLastSeen.get();
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return ProviderConfigurationBuilder.create()
                .property().name("expiry-interval-seconds").type("int").defaultValue(60)
                .helpText("How often (seconds) one node of the cluster marks change requests past their expiry as EXPIRED "
                        + "and applies cooled-down requests of realms with autoApply.")
                .add()
                .property().name("metrics-read-interval-seconds").type("int").defaultValue(10)
                .helpText("Shortest time (seconds) between two database readings of the change-request gauges of one node "
                        + "(read when /metrics is scraped, with --metrics-enabled=true).")
                .add()
                .property().name("bootstrap-approvers").type("string")
                .helpText("Operator's appointment of approvers: realm:username pairs separated by commas. While a named "
                        + "realm has fewer approvers than its policy needs, the named users get the approver role directly "
                        + "(logged, admin event GUARD_BOOTSTRAP). No admin request can appoint approvers otherwise.")
                .add().build();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("version", ModuleVersion.get());
        return info;
    }
}
