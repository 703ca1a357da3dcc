package dev.nhiguard.guard.store;

import java.util.List;
import java.util.Map;

import org.keycloak.Config;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProvider;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ServerInfoAwareProviderFactory;

import dev.nhiguard.guard.ModuleVersion;
import dev.nhiguard.guard.admission.GuardSwitch;

/**
 * Registers the mutation guard's tables and their Liquibase changelog, and says at start-up when
 * the operator switched the guard off ({@link GuardSwitch}).
 */
public final class GuardJpaEntityProviderFactory implements JpaEntityProviderFactory, ServerInfoAwareProviderFactory {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GuardJpaEntityProviderFactory.class);
    public static final String PROVIDER_ID = "nhi-guard-store";
    static final String CHANGELOG = "META-INF/nhi-guard-changelog.xml";

    private static final JpaEntityProvider PROVIDER = new JpaEntityProvider() {
        @Override
        public List<Class<?>> getEntities() {
            return List.of(ChangeRequestEntity.class, ApprovalEntity.class, HistoryEntity.class, GuardSealKeyEntity.class,
                    CredentialReadEntity.class, RealmWriteLockEntity.class, BootstrapSightEntity.class);
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

    @Override
    public JpaEntityProvider create(KeycloakSession session) {
        return PROVIDER;
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        // Switched off, the guard's own factory is not loaded to say so; its tables are, so this says it.
        if (GuardSwitch.switchedOff()) {
            LOG.warn(GuardSwitch.WARNING);
        }
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
