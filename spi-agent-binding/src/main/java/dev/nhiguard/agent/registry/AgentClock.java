package dev.nhiguard.agent.registry;

import java.time.Instant;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;

import dev.nhiguard.agent.enforcement.AgentBindingExecutorFactory;

/**
 * The time agent expiry and lifecycle decisions use: Keycloak's clock, shifted by the realm
 * attribute {@value #REALM_OFFSET_ATTRIBUTE} (seconds) only when the operator enabled clock
 * offsets on the server ({@code --spi-client-policy-executor--nhi-agent-binding--clock-offsets-enabled=true}).
 * That option exists for test servers; it is off by default and must stay off in production,
 * because with it a realm admin could move the realm's agent clock.
 */
public final class AgentClock {

    public static final String REALM_OFFSET_ATTRIBUTE = "nhi.clock.offset-seconds";

    private static final Logger LOG = Logger.getLogger(AgentClock.class);

    private AgentClock() {
    }

    public static Instant now(KeycloakSession session, RealmModel realm) {
        Instant now = Instant.ofEpochMilli(Time.currentTimeMillis());
        if (realm == null || !offsetsEnabled(session)) {
            return now;
        }
        String offset = realm.getAttribute(REALM_OFFSET_ATTRIBUTE);
        if (offset == null || offset.isBlank()) {
            return now;
        }
        try {
            return now.plusSeconds(Long.parseLong(offset.trim()));
        } catch (NumberFormatException e) {
            LOG.warnf("realm %s: ignoring unreadable %s '%s'", realm.getName(), REALM_OFFSET_ATTRIBUTE, offset);
            return now;
        }
    }

    static boolean offsetsEnabled(KeycloakSession session) {
        ProviderFactory<?> f = session.getKeycloakSessionFactory()
                .getProviderFactory(ClientPolicyExecutorProvider.class, AgentBindingExecutorFactory.PROVIDER_ID);
        return f instanceof AgentBindingExecutorFactory factory && factory.clockOffsetsEnabled();
    }
}
