package dev.nhiguard.agent.store;

import java.util.List;
import java.util.Map;

import org.keycloak.Config;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProvider;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import dev.nhiguard.agent.ModuleVersion;

/** Registers the agent module's tables (client usage, lifecycle actions, owner notices, risk detection) and their Liquibase changelog. */
public final class AgentJpaEntityProviderFactory implements JpaEntityProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-store";
    static final String CHANGELOG = "META-INF/nhi-agent-changelog.xml";

    @Override
    public JpaEntityProvider create(KeycloakSession session) {
        return new JpaEntityProvider() {
            @Override
            public List<Class<?>> getEntities() {
                return List.of(ClientUsageEntity.class, LifecycleActionEntity.class, OwnerNoticeEntity.class,
                        AuthFailureEntity.class, ClientNetworkEntity.class, InventoryRowEntity.class, InventoryRealmEntity.class);
            }

            @Override
            public String getChangelogLocation() {
                return CHANGELOG;
            }

            @Override
            public String getFactoryId() {
                return PROVIDER_ID;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        factory.register(new AgentRealmRecordsCleanup(List.of("ClientUsageEntity", "LifecycleActionEntity",
                "OwnerNoticeEntity", "AuthFailureEntity", "ClientNetworkEntity", "InventoryRealmEntity", "InventoryRowEntity")));
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get());
    }
}
