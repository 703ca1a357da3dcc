package dev.nhiguard.agent.enforcement;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.keycloak.models.KeycloakSession;
import org.keycloak.representations.idm.ClientPolicyConditionRepresentation;
import org.keycloak.representations.idm.ClientPolicyExecutorRepresentation;
import org.keycloak.representations.idm.ClientPolicyRepresentation;
import org.keycloak.representations.idm.ClientProfileRepresentation;
import org.keycloak.securityprofile.SecurityProfileProvider;

/**
 * Whether the server's security profile carries the agent-binding executor as an enabled
 * global policy for every client. Without it, nothing enforces agent state at token time.
 */
public final class SecurityProfileCheck {

    /** What was found. */
    public record Status(boolean enforced, String securityProfile, String detail) {
    }

    private SecurityProfileCheck() {
    }

    public static Status check(KeycloakSession session) {
        SecurityProfileProvider provider = session.getProvider(SecurityProfileProvider.class);
        if (provider == null) {
            return new Status(false, null, "no security-profile provider");
        }
        String name = provider.getName();
        List<ClientProfileRepresentation> profiles = provider.getDefaultClientProfiles();
        Set<String> withExecutor = profiles == null ? Set.of() : profiles.stream()
                .filter(p -> p.getExecutors() != null && p.getExecutors().stream()
                        .map(ClientPolicyExecutorRepresentation::getExecutorProviderId)
                        .anyMatch(AgentBindingExecutorFactory.PROVIDER_ID::equals))
                .map(ClientProfileRepresentation::getName)
                .collect(Collectors.toSet());
        if (withExecutor.isEmpty()) {
            return new Status(false, name, "no global client profile of security profile '" + name + "' has executor "
                    + AgentBindingExecutorFactory.PROVIDER_ID + "; start Keycloak with --spi-security-profile--default--name="
                    + AgentBindingExecutorFactory.SECURITY_PROFILE);
        }
        List<ClientPolicyRepresentation> policies = provider.getDefaultClientPolicies();
        boolean enforced = policies != null && policies.stream()
                .filter(p -> Boolean.TRUE.equals(p.isEnabled()))
                .filter(p -> p.getProfiles() != null && p.getProfiles().stream().anyMatch(withExecutor::contains))
                .anyMatch(p -> p.getConditions() != null && p.getConditions().stream()
                        .map(ClientPolicyConditionRepresentation::getConditionProviderId)
                        .anyMatch("any-client"::equals));
        return enforced
                ? new Status(true, name, "global policy with executor " + AgentBindingExecutorFactory.PROVIDER_ID + " enabled for any client")
                : new Status(false, name, "security profile '" + name + "' has no enabled any-client policy using the agent-binding profile");
    }
}
