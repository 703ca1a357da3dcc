package dev.nhiguard.guard.changerequest;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleMapperModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.ScopeContainerModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.models.light.LightweightUserAdapter;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.ModelToRepresentation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * The role list a mapping delete without one stands for. Keycloak's deletes of role mappings
 * ({@code …/role-mappings/realm}, {@code …/role-mappings/clients/{client}}) and of scope mappings
 * ({@code …/scope-mappings/realm}, {@code …/scope-mappings/clients/{client}}) read an absent body,
 * or the JSON {@code null}, as "every current mapping" and delete them all. Classified as sent, such
 * a delete names no role and would pass; read as Keycloak applies it, it names every role it
 * removes, so the approver role, a gate role or a service account's role is seen, and a held
 * request stores (and applies) exactly the list that was approved.
 */
final class AbsentMappingLists {

    private static final String ADMIN = "org.keycloak.services.resources.admin.";

    /** The resource methods that read an absent list as "all", by class and method name. */
    private static final Set<String> ALL_WHEN_ABSENT = Set.of(
            ADMIN + "RoleMapperResource#deleteRealmRoleMappings",
            ADMIN + "ClientRoleMappingsResource#deleteClientRoleMapping",
            ADMIN + "ScopeMappedResource#deleteRealmScopeMappings",
            ADMIN + "ScopeMappedClientResource#deleteClientScopeMapping");

    private AbsentMappingLists() {
    }

    /** The path has a layout this class does not know Keycloak to route to these methods: held, not guessed. */
    static final class UnknownHolder extends Exception {
        UnknownHolder(String message) {
            super(message);
        }
    }

    /**
     * The body as Keycloak applies it: for the deletes above without a list, the list of the
     * mappings Keycloak would delete (brief role representations); otherwise the body unchanged.
     * A holder or client that does not exist leaves the body as it is (Keycloak answers 404).
     *
     * @param rel the decoded path segments below {@code /admin/realms/{realm}}
     * @throws UnknownHolder the path reaches such a delete through a layout not known here
     */
    static JsonNode expand(KeycloakSession s, RealmModel realm, Method method, List<String> rel, JsonNode body)
            throws UnknownHolder {
        if ((body != null && !body.isNull())
                || !ALL_WHEN_ABSENT.contains(method.getDeclaringClass().getName() + "#" + method.getName())) {
            return body;
        }
        Stream<RoleModel> removed = removedRoles(s, realm, rel);
        if (removed == null) {
            return body;
        }
        ArrayNode list = KeycloakReading.mapper().createArrayNode();
        removed.map(ModelToRepresentation::toBriefRepresentation)
                .forEach(r -> list.add(KeycloakReading.mapper().<JsonNode>valueToTree(r)));
        return list;
    }

    private static Stream<RoleModel> removedRoles(KeycloakSession s, RealmModel realm, List<String> rel) throws UnknownHolder {
        int roleMappings = rel.indexOf("role-mappings");
        int scopeMappings = rel.indexOf("scope-mappings");
        int at = roleMappings >= 0 ? roleMappings : scopeMappings;
        boolean realmRoles = at >= 0 && rel.size() == at + 2 && "realm".equals(rel.get(at + 1));
        boolean clientRoles = at >= 0 && rel.size() == at + 3 && "clients".equals(rel.get(at + 1));
        if (at < 2 || !(realmRoles || clientRoles)) {
            throw new UnknownHolder(String.join("/", rel));
        }
        ClientModel client = null;
        if (clientRoles) {
            client = realm.getClientById(rel.get(at + 2));
            if (client == null) {
                return null;
            }
        }
        if (roleMappings >= 0) {
            RoleMapperModel holder = roleHolder(s, realm, rel.subList(0, at));
            if (holder == null) {
                return null;
            }
            return realmRoles ? holder.getRealmRoleMappingsStream() : holder.getClientRoleMappingsStream(client);
        }
        ScopeContainerModel container = scopeContainer(s, realm, rel.subList(0, at));
        if (container == null) {
            return null;
        }
        return realmRoles ? container.getRealmScopeMappingsStream()
                : KeycloakModelUtils.getClientScopeMappingsStream(client, container);
    }

    /** {@code users/{id}}, {@code groups/{id}} or {@code organizations/{org}/groups/{id}}, as Keycloak's locators look them up. */
    private static RoleMapperModel roleHolder(KeycloakSession s, RealmModel realm, List<String> holder) throws UnknownHolder {
        if (holder.size() == 2 && "users".equals(holder.get(0))) {
            String id = holder.get(1);
            if (LightweightUserAdapter.isLightweightUser(id)) {
                // UsersResource#user: a transient user is found through its user session.
                UserSessionModel session = s.sessions().getUserSession(realm, LightweightUserAdapter.getLightweightUserId(id));
                return session == null ? null : session.getUser();
            }
            return s.users().getUserById(realm, id);
        }
        if (holder.size() == 2 && "groups".equals(holder.get(0))) {
            return s.groups().getGroupById(realm, holder.get(1));
        }
        if (holder.size() == 4 && "organizations".equals(holder.get(0)) && "groups".equals(holder.get(2))) {
            return s.groups().getGroupById(realm, holder.get(3));
        }
        throw new UnknownHolder(String.join("/", holder));
    }

    /** {@code clients/{id}} or {@code client-scopes/{id}}. */
    private static ScopeContainerModel scopeContainer(KeycloakSession s, RealmModel realm, List<String> container)
            throws UnknownHolder {
        if (container.size() == 2 && "clients".equals(container.get(0))) {
            return realm.getClientById(container.get(1));
        }
        if (container.size() == 2 && "client-scopes".equals(container.get(0))) {
            return s.clientScopes().getClientScopeById(realm, container.get(1));
        }
        throw new UnknownHolder(String.join("/", container));
    }
}
