package dev.nhiguard.agent.metrics;

import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;

import dev.nhiguard.agent.enforcement.AgentBindingExecutorFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The agent module's meters, node-local counters: suspensions by trigger (counted
 * after the commit that suspended) and refused agent tokens by reason. Both tag sets are small
 * fixed enumerations per realm. One instance per server, owned by the executor factory.
 */
public final class AgentMetrics {

    static final String SUSPENSIONS = "nhi.guard.agent.suspensions";
    static final String TOKEN_REFUSALS = "nhi.guard.agent.token.refusals";

    private final Meter.MeterProvider<Counter> suspensions;
    private final Meter.MeterProvider<Counter> refusals;

    private AgentMetrics(MeterRegistry registry) {
        suspensions = Counter.builder(SUSPENSIONS)
                .description("Agents suspended by the lifecycle, risk detection or a reported signal on this node, by trigger (expired, owner-inactive, dormant, "
                        + "auth-failure-burst, new-source-network, signal:<type> for reported signals)")
                .withRegistry(registry);
        refusals = Counter.builder(TOKEN_REFUSALS)
                .description("Tokens refused to agent clients on this node by the agent-binding executor, by reason")
                .withRegistry(registry);
    }

    public static AgentMetrics register(MeterRegistry registry) {
        return new AgentMetrics(registry);
    }

    /** The server's instance, or null when the executor factory is not deployed. */
    public static AgentMetrics of(KeycloakSessionFactory factory) {
        ProviderFactory<?> f = factory.getProviderFactory(ClientPolicyExecutorProvider.class, AgentBindingExecutorFactory.PROVIDER_ID);
        return f instanceof AgentBindingExecutorFactory executor ? executor.metrics() : null;
    }

    /** Counts a suspension once the session's transaction has committed it. */
    public static void suspendedAfterCommit(KeycloakSession session, String realmName, String trigger) {
        AgentMetrics metrics = of(session.getKeycloakSessionFactory());
        if (metrics == null) {
            return;
        }
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                metrics.suspensions.withTags("realm", realmName, "reason", trigger).increment();
            }

            @Override
            protected void rollbackImpl() {
            }
        });
    }

    /** A token was refused to an agent (nothing to commit: the request fails). */
    public void tokenRefused(String realmName, String reason) {
        refusals.withTags("realm", realmName, "reason", reason).increment();
    }
}
