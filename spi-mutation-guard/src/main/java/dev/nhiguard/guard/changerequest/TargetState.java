package dev.nhiguard.guard.changerequest;

import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.keycloak.Config;
import org.keycloak.models.AdminRoles;
import org.keycloak.models.ClientModel;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.ModelToRepresentation;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.Facts;
import dev.nhiguard.guard.catalogue.TargetType;

/**
 * The target realm's current state as the catalogue and the before-images see it, read from
 * Keycloak's models in the given session. Secrets appear only as SHA-256 digests.
 */
public final class TargetState implements Facts {

    private final KeycloakSession session;
    private final RealmModel realm;
    private final String approverRole;
    private JsonNode realmRep;

    public TargetState(KeycloakSession session, RealmModel realm, String approverRole) {
        this.session = session;
        this.realm = realm;
        this.approverRole = approverRole;
    }

    @Override
    public boolean isServiceAccountClient(String clientId) {
        ClientModel c = client(clientId);
        return c != null && c.isServiceAccountsEnabled();
    }

    @Override
    public boolean isServiceAccountUser(String userId) {
        UserModel u = user(userId);
        return u != null && u.getServiceAccountClientLink() != null;
    }

    @Override
    public boolean isPrivilegedUser(String userId) {
        UserModel u = user(userId);
        if (u == null) {
            return false;
        }
        RoleModel approver = realm.getRole(approverRole);
        if (approver != null && u.hasRole(approver)) {
            return true;
        }
        boolean master = Config.getAdminRealm().equals(realm.getName());
        RoleModel masterAdmin = master ? realm.getRole(AdminRoles.ADMIN) : null;
        if (masterAdmin != null && u.hasRole(masterAdmin)) {
            return true;
        }
        Stream<ClientModel> adminClients = master
                ? realm.getClientsStream().filter(c -> c.getClientId().endsWith("-realm"))
                : Stream.ofNullable(realm.getClientByClientId(Constants.REALM_MANAGEMENT_CLIENT_ID));
        return adminClients.flatMap(ClientModel::getRolesStream).anyMatch(u::hasRole);
    }

    @Override
    public JsonNode currentClient(String clientId) {
        ClientModel c = client(clientId);
        // Compared in memory with the proposed body, so the secret stays as it is (never stored from here).
        return c == null ? null : JsonSerialization.mapper.valueToTree(ModelToRepresentation.toRepresentation(c, session));
    }

    @Override
    public JsonNode currentUser(String userId) {
        UserModel u = user(userId);
        return u == null ? null : JsonSerialization.mapper.valueToTree(ModelToRepresentation.toRepresentation(session, realm, u));
    }

    @Override
    public JsonNode currentRealm() {
        if (realmRep == null) {
            ObjectNode r = JsonSerialization.mapper.valueToTree(ModelToRepresentation.toRepresentation(session, realm, false));
            ObjectNode attrs = r.with("attributes");
            String policy = realm.getAttribute(Catalogue.POLICY_ATTRIBUTE);
            if (policy != null) {
                attrs.put(Catalogue.POLICY_ATTRIBUTE, policy);
            }
            realmRep = r;
        }
        return realmRep;
    }

    @Override
    public String approverRole() {
        return approverRole;
    }

    /** The target's before-image: what an apply compares against and a rollback restores. */
    public JsonNode beforeImage(TargetType type, String id) {
        return switch (type) {
            case CLIENT -> {
                ClientModel c = client(id);
                yield c == null ? null : clientImage(c);
            }
            case USER -> {
                UserModel u = user(id);
                yield u == null ? null : userImage(u);
            }
            case REALM -> currentRealm();
            case EVENTS_CONFIG -> eventsConfig();
            case GUARD_POLICY -> {
                ObjectNode o = JsonSerialization.mapper.createObjectNode();
                String p = realm.getAttribute(Catalogue.POLICY_ATTRIBUTE);
                if (p == null) {
                    o.putNull("policy");
                } else {
                    o.put("policy", p);
                }
                yield o;
            }
            case CLIENTS, AGENT, OTHER -> null;
        };
    }

    private ClientModel client(String id) {
        return id == null ? null : realm.getClientById(id);
    }

    private UserModel user(String id) {
        return id == null ? null : session.users().getUserById(realm, id);
    }

    private ObjectNode clientRep(ClientModel c) {
        ClientRepresentation rep = ModelToRepresentation.toRepresentation(c, session);
        ObjectNode n = JsonSerialization.mapper.valueToTree(rep);
        if (n.hasNonNull("secret")) {
            n.put("secret", "sha256:" + CanonicalJson.sha256Hex(n.get("secret").asText()));
        }
        JsonNode attrs = n.get("attributes");
        if (attrs instanceof ObjectNode a) {
            List<String> keys = new java.util.ArrayList<>();
            a.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (isSecretAttribute(k) && a.hasNonNull(k)) {
                    a.put(k, "sha256:" + CanonicalJson.sha256Hex(a.get(k).asText()));
                }
            }
        }
        return n;
    }

    /**
     * Client attributes that hold secrets: the rotated secret, and the private keys Keycloak keeps
     * for generated or uploaded key pairs ({@code jwt.credential.private.key},
     * {@code saml.signing.private.key}, …). Before-images carry them only as SHA-256 digests.
     */
    public static boolean isSecretAttribute(String key) {
        return key.equals("client.secret.rotated") || key.endsWith(".private.key");
    }

    private JsonNode clientImage(ClientModel c) {
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.set("client", clientRep(c));
        ArrayNode realmScopes = o.putArray("realmScopeMappings");
        c.getRealmScopeMappingsStream().map(RoleModel::getName).sorted().forEach(realmScopes::add);
        ObjectNode clientScopes = o.putObject("clientScopeMappings");
        TreeMap<String, List<String>> byClient = new TreeMap<>();
        c.getScopeMappingsStream().filter(RoleModel::isClientRole).forEach(r -> byClient
                .computeIfAbsent(((ClientModel) r.getContainer()).getClientId(), k -> new java.util.ArrayList<>()).add(r.getName()));
        byClient.forEach((k, v) -> {
            ArrayNode a = clientScopes.putArray(k);
            v.stream().sorted().forEach(a::add);
        });
        return o;
    }

    private JsonNode userImage(UserModel u) {
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.set("user", JsonSerialization.mapper.valueToTree(ModelToRepresentation.toRepresentation(session, realm, u)));
        ArrayNode realmRoles = o.putArray("realmRoles");
        u.getRealmRoleMappingsStream().map(RoleModel::getName).sorted().forEach(realmRoles::add);
        ObjectNode clientRoles = o.putObject("clientRoles");
        TreeMap<String, List<String>> byClient = new TreeMap<>();
        u.getRoleMappingsStream().filter(RoleModel::isClientRole).forEach(r -> byClient
                .computeIfAbsent(((ClientModel) r.getContainer()).getClientId(), k -> new java.util.ArrayList<>()).add(r.getName()));
        byClient.forEach((k, v) -> {
            ArrayNode a = clientRoles.putArray(k);
            v.stream().sorted().forEach(a::add);
        });
        ArrayNode groups = o.putArray("groups");
        u.getGroupsStream().map(ModelToRepresentation::buildGroupPath).sorted().forEach(groups::add);
        ArrayNode creds = o.putArray("credentials");
        u.credentialManager().getStoredCredentialsStream().sorted(Comparator.comparing(cr -> cr.getId()))
                .forEach(cr -> creds.addObject().put("id", cr.getId()).put("type", cr.getType())
                        .put("userLabel", cr.getUserLabel()));
        ArrayNode links = o.putArray("federatedIdentities");
        session.users().getFederatedIdentitiesStream(realm, u)
                .sorted(Comparator.comparing(l -> l.getIdentityProvider()))
                .forEach(l -> links.addObject().put("identityProvider", l.getIdentityProvider())
                        .put("userId", l.getUserId()).put("userName", l.getUserName()));
        return o;
    }

    private JsonNode eventsConfig() {
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.put("eventsEnabled", realm.isEventsEnabled());
        o.put("eventsExpiration", realm.getEventsExpiration());
        ArrayNode l = o.putArray("eventsListeners");
        realm.getEventsListenersStream().sorted().forEach(l::add);
        ArrayNode t = o.putArray("enabledEventTypes");
        realm.getEnabledEventTypesStream().sorted().forEach(t::add);
        o.put("adminEventsEnabled", realm.isAdminEventsEnabled());
        o.put("adminEventsDetailsEnabled", realm.isAdminEventsDetailsEnabled());
        return o;
    }
}
