package dev.nhiguard.guard.changerequest;

import java.lang.reflect.Method;
import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.RealmAdminResource;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.fgap.AdminPermissions;

import dev.nhiguard.guard.admission.Endpoints;

/**
 * Resolves Keycloak's realm-extension locator ({@code RealmAdminResource#extension},
 * {@code /admin/realms/{realm}/{extension}}) the way Keycloak does: the
 * {@code admin-realm-restapi-extension} provider of that id builds the resource, whose class is
 * then walked like any other. No provider: Keycloak answers 404. Any other locator that declares
 * no resource class stays opaque (its writes are held as unclassified).
 */
final class ExtensionLocator implements Endpoints.LocatorHook {

    private static final Logger LOG = Logger.getLogger(ExtensionLocator.class);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminAuth auth;

    ExtensionLocator(KeycloakSession session, RealmModel realm, AdminAuth auth) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
    }

    @Override
    public Class<?> resolve(Method locator, Map<String, String> pathParams) {
        if (locator.getDeclaringClass() != RealmAdminResource.class || !locator.getName().equals("extension")) {
            return null;
        }
        AdminRealmResourceProvider provider = session.getProvider(AdminRealmResourceProvider.class, pathParams.get("extension"));
        if (provider == null) {
            return Endpoints.NO_RESOURCE;
        }
        try {
            Object resource = provider.getResource(session, realm, AdminPermissions.evaluator(session, realm, auth),
                    new AdminEventBuilder(realm, auth, session, session.getContext().getConnection()));
            return resource == null ? Endpoints.NO_RESOURCE : resource.getClass();
        } catch (RuntimeException e) {
            LOG.debugf(e, "Realm extension %s could not be resolved for admission", pathParams.get("extension"));
            return null;
        }
    }
}
