package dev.nhiguard.agent.enforcement;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.component.ComponentModelScope;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProviderFactory;

import dev.nhiguard.agent.ModuleVersion;
import dev.nhiguard.agent.metrics.AgentMetrics;
import dev.nhiguard.agent.metrics.InventoryGauges;
import io.micrometer.core.instrument.Metrics;

/**
 * Client-policy executor {@value #PROVIDER_ID}: refuses tokens to expired, suspended, retired
 * and orphaned agents and to agents that did not prove their bound key. Shipped as a global
 * policy in the security profile {@value #SECURITY_PROFILE} at the root of this JAR.
 */
public final class AgentBindingExecutorFactory implements ClientPolicyExecutorProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-binding";
    public static final String SECURITY_PROFILE = "nhi-agent-security-profile";
    static final String CLOCK_OFFSETS_ENABLED = "clock-offsets-enabled";
    static final String METRICS_READ_INTERVAL = "metrics-read-interval-seconds";
    static final long DEFAULT_METRICS_READ_INTERVAL = 60;

    private static final Logger LOG = Logger.getLogger(AgentBindingExecutorFactory.class);

    private boolean clockOffsetsEnabled;
    /** False for the per-realm instances Keycloak's component factory creates for client policies. */
    private boolean serverInstance;
    private volatile SecurityProfileCheck.Status startupStatus;
    /** The agent module's meters in Micrometer's global registry; only on the server instance. */
    private AgentMetrics metrics;
    private long metricsReadIntervalSeconds = DEFAULT_METRICS_READ_INTERVAL;
    /** Held here: Micrometer's gauges keep only a weak reference to the object they read. */
    private InventoryGauges inventoryGauges;

    @Override
    public ClientPolicyExecutorProvider create(KeycloakSession session) {
        return new AgentBindingExecutor(session);
    }

    @Override
    public void init(Config.Scope config) {
        clockOffsetsEnabled = config.getBoolean(CLOCK_OFFSETS_ENABLED, false);
        metricsReadIntervalSeconds = config.getLong(METRICS_READ_INTERVAL, DEFAULT_METRICS_READ_INTERVAL);
        if (metricsReadIntervalSeconds < 1) {
            throw new IllegalArgumentException(METRICS_READ_INTERVAL + " must be at least 1");
        }
        serverInstance = !(config instanceof ComponentModelScope);
        if (clockOffsetsEnabled && serverInstance) {
            LOG.warnf("%s: realm clock offsets (realm attribute nhi.clock.offset-seconds) are ENABLED; this is for test servers only", PROVIDER_ID);
        }
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        if (!serverInstance) {
            return;
        }
        metrics = AgentMetrics.register(Metrics.globalRegistry);
        inventoryGauges = InventoryGauges.register(Metrics.globalRegistry, factory, metricsReadIntervalSeconds * 1000);
        factory.register(event -> {
            if (event instanceof PostMigrationEvent) {
                KeycloakModelUtils.runJobInTransaction(factory, session -> {
                    SecurityProfileCheck.Status status = SecurityProfileCheck.check(session);
                    startupStatus = status;
                    if (status.enforced()) {
                        LOG.infof("%s: agent token-time enforcement active (security profile %s)", PROVIDER_ID, status.securityProfile());
                    } else {
                        LOG.warnf("%s: AGENT TOKEN-TIME ENFORCEMENT IS NOT ACTIVE: %s. Suspended, expired, retired and orphaned agents "
                                + "and agents without their bound key will still get tokens.", PROVIDER_ID, status.detail());
                    }
                });
            }
        });
    }

    /** This server's meters; null before postInit and on per-realm instances. */
    public AgentMetrics metrics() {
        return metrics;
    }

    public boolean clockOffsetsEnabled() {
        return clockOffsetsEnabled;
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getHelpText() {
        return "Refuses tokens to agents that are expired, suspended, retired or orphaned, or that did not authenticate with their bound key.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return List.of();
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return ProviderConfigurationBuilder.create()
                .property().name(CLOCK_OFFSETS_ENABLED).type("boolean").defaultValue(false)
                .helpText("Test servers only: honour the realm attribute nhi.clock.offset-seconds as a shift of the agent clock.")
                .add()
                .property().name(METRICS_READ_INTERVAL).type("int").defaultValue(DEFAULT_METRICS_READ_INTERVAL)
                .helpText("At most one reading of the inventory flag gauges per this many seconds on this node (one COUNT per flag and "
                        + "realm on the inventory index).")
                .add().build();
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("version", ModuleVersion.get());
        SecurityProfileCheck.Status s = startupStatus;
        info.put("tokenTimeEnforcement", s == null ? "unknown (server starting)" : s.enforced() ? "active" : "NOT ACTIVE");
        if (s != null) {
            info.put("securityProfile", String.valueOf(s.securityProfile()));
            info.put("detail", s.detail());
        }
        info.put("clockOffsetsEnabled", Boolean.toString(clockOffsetsEnabled));
        return info;
    }
}
