package dev.nhiguard.agent.enforcement;

import org.keycloak.protocol.oid4vc.model.PreAuthorizedCodeGrant;
import org.keycloak.protocol.oidc.grants.OAuth2GrantType;
import org.keycloak.protocol.oidc.grants.PreAuthorizedCodeGrantTypeFactory;
import org.keycloak.models.KeycloakSession;

/**
 * Keycloak's OID4VCI pre-authorized code grant type under its own id and feature switch, with agents refused
 * ({@link AgentPreAuthorizedCodeGrantType}). Keycloak uses one factory per id and prefers a deployed one to its own,
 * so this one replaces Keycloak's wherever the feature is on.
 */
public final class AgentPreAuthorizedCodeGrantTypeFactory extends PreAuthorizedCodeGrantTypeFactory {

    @Override
    public String getId() {
        return PreAuthorizedCodeGrant.PRE_AUTH_GRANT_TYPE;
    }

    @Override
    public OAuth2GrantType create(KeycloakSession session) {
        return new AgentPreAuthorizedCodeGrantType();
    }

    @Override
    public int order() {
        return 1;
    }
}
