package dev.nhiguard.agent.enforcement;

import org.keycloak.Config;
import org.keycloak.OAuth2Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.protocol.oidc.grants.OAuth2GrantType;
import org.keycloak.protocol.oidc.grants.OAuth2GrantTypeFactory;

/**
 * Keycloak's UMA grant type under its own id, with agents refused ({@link AgentUmaGrantType}). Keycloak uses one
 * factory per id and prefers a deployed one to its own, so this one replaces Keycloak's.
 */
public final class AgentUmaGrantTypeFactory implements OAuth2GrantTypeFactory {

    @Override
    public String getId() {
        return OAuth2Constants.UMA_GRANT_TYPE;
    }

    @Override
    public String getShortcut() {
        return "pg";
    }

    @Override
    public OAuth2GrantType create(KeycloakSession session) {
        return new AgentUmaGrantType();
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public int order() {
        return 1;
    }
}
