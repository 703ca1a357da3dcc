package dev.nhiguard.guard.changerequest;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.keycloak.Config;
import org.keycloak.common.constants.ServiceAccountConstants;
import org.keycloak.models.AdminRoles;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelException;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.ModelToRepresentation;
import org.keycloak.models.utils.RoleUtils;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.admission.RequestPath;
import dev.nhiguard.guard.catalogue.Facts;
import dev.nhiguard.guard.catalogue.Match;
import dev.nhiguard.guard.catalogue.TargetType;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.sealing.Sealing;

/**
 * The target realm's current state as the catalogue and the before-images see it, read from
 * Keycloak's models in the given session. Before-images carry secrets only as keyed fingerprints.
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
    public boolean shapesServiceAccountTokens(String clientId) {
        ClientModel c = client(clientId);
        return c != null && OwnerAttributes.shapesNonHumanTokens(c);
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
        // One closure of what the user holds (composites, groups, default roles), then set lookups.
        Set<RoleModel> held = RoleUtils.getDeepUserRoleMappings(u);
        if (approverRoles().stream().anyMatch(held::contains)) {
            return true;
        }
        boolean master = Config.getAdminRealm().equals(realm.getName());
        RoleModel masterAdmin = master ? realm.getRole(AdminRoles.ADMIN) : null;
        if (masterAdmin != null && held.contains(masterAdmin)) {
            return true;
        }
        Set<String> adminClientIds = (master
                ? realm.getClientsStream().filter(c -> c.getClientId().endsWith("-realm"))
                : Stream.ofNullable(realm.getClientByClientId(Constants.REALM_MANAGEMENT_CLIENT_ID)))
                .map(ClientModel::getId).collect(java.util.stream.Collectors.toSet());
        if (held.stream().anyMatch(r -> r.isClientRole() && adminClientIds.contains(r.getContainerId()))) {
            return true;
        }
        // Fine-grained admin permissions (v2) make administrators without any of those roles.
        AdminPermissionSubjects fgap = adminPermissionSubjects();
        if (fgap.isEmpty()) {
            return false;
        }
        if (fgap.everyone() || fgap.namesUser(u.getId())
                || fgap.roles(realm).stream().anyMatch(held::contains)) {
            return true;
        }
        return u.getGroupsStream().anyMatch(this::groupOrAncestorNamedByAdminPermissions);
    }

    /** The subjects of the realm's fine-grained admin permissions, read once per admission. */
    private AdminPermissionSubjects adminPermissionSubjects;

    private AdminPermissionSubjects adminPermissionSubjects() {
        if (adminPermissionSubjects == null) {
            adminPermissionSubjects = AdminPermissionSubjects.of(session, realm);
        }
        return adminPermissionSubjects;
    }

    private boolean groupOrAncestorNamedByAdminPermissions(GroupModel g) {
        AdminPermissionSubjects fgap = adminPermissionSubjects();
        for (GroupModel x = g; x != null; x = x.getParent()) {
            if (fgap.namesGroup(x.getId())) {
                return true;
            }
        }
        return false;
    }

    /** Whether a group the permissions name lies below this one (from each named group up: names × depth). */
    private boolean subgroupNamedByAdminPermissions(GroupModel g) {
        for (String named : adminPermissionSubjects().groupIds()) {
            GroupModel n = session.groups().getGroupById(realm, named);
            for (GroupModel x = n == null ? null : n.getParent(); x != null; x = x.getParent()) {
                if (x.getId().equals(g.getId())) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public boolean enablingClearsLoginFailures(String userId) {
        UserModel u = user(userId);
        if (u == null) {
            return false;
        }
        // Keycloak's own conditions, in its order (UserResource#updateUser), whether or not brute-force detection is on.
        org.keycloak.services.managers.BruteForceProtector protector =
                session.getProvider(org.keycloak.services.managers.BruteForceProtector.class);
        return (!u.isEnabled() && session.loginFailures().getUserLoginFailure(realm, u.getId()) != null)
                || protector.isTemporarilyDisabled(session, realm, u)
                || protector.isPermanentlyLockedOut(session, realm, u);
    }

    @Override
    public boolean isAccountOwner(String userId) {
        UserModel u = user(userId);
        return u != null && ownsAServiceAccount(u);
    }

    /** Owner references already looked up in this admission ({@code user:<id>}, {@code group:<id>} → named or not). */
    private final Map<String, Boolean> namedAsOwner = new HashMap<>();

    /**
     * Whether the user owns a service account or agent: a client's owner attributes
     * ({@link OwnerAttributes}) name the user, or a group the user is in or below. An owner's
     * account decides over an identity (reviews, the owner's standing), so its recovery and
     * authentication are as guarded as an admin's. Asked by attribute value (Keycloak's client
     * attribute index), so the cost depends on the user's groups, not on the realm's clients.
     */
    private boolean ownsAServiceAccount(UserModel u) {
        if (namedAsOwner(OwnerAttributes.USER, u.getId())) {
            return true;
        }
        // OwnerAttributes.owns counts members of the owning group and of its subgroups: the groups Keycloak's user model
        // lists (a federation's too), then every stored membership, organization groups included (StoredLinks).
        Set<String> seen = new HashSet<>();
        return u.getGroupsStream().anyMatch(g -> ownerGroupOrAncestor(g, seen))
                || StoredLinks.groupsOf(session, u.getId()).stream().map(id -> session.groups().getGroupById(realm, id))
                        .anyMatch(g -> ownerGroupOrAncestor(g, seen));
    }

    /** Whether the group or one of its ancestors not seen yet is named as a client's owner. */
    private boolean ownerGroupOrAncestor(GroupModel group, Set<String> seen) {
        for (GroupModel x = group; x != null && seen.add(x.getId()); x = x.getParent()) {
            if (namedAsOwner(OwnerAttributes.GROUP, x.getId())) {
                return true;
            }
        }
        return false;
    }

    private boolean namedAsOwner(String type, String id) {
        return namedAsOwner.computeIfAbsent(type + ":" + id, k -> clientsNamingOwner(type, id));
    }

    /** Owner attribute pairs: the id attribute and the type attribute that says whether it names a user or a group. */
    private static final List<Map.Entry<String, String>> OWNER_PAIRS = List.of(
            Map.entry(OwnerAttributes.AGENT_OWNER_ID, OwnerAttributes.AGENT_OWNER_TYPE),
            Map.entry(OwnerAttributes.AGENT_OWNER2_ID, OwnerAttributes.AGENT_OWNER2_TYPE),
            Map.entry(OwnerAttributes.OWNER_ID, OwnerAttributes.OWNER_TYPE));

    private boolean clientsNamingOwner(String type, String id) {
        // Keycloak filters a client search by what the calling admin may see (fine-grained admin permissions v2):
        // a user admin without client roles would find no owned client. The guard decides for every admin alike
        // (Admission#classify runs unfiltered already; the backstop asks here too).
        return org.keycloak.authorization.fgap.AdminPermissionsSchema.runWithoutAuthorization(session, () -> {
            for (Map.Entry<String, String> pair : OWNER_PAIRS) {
                Stream<ClientModel> named;
                try {
                    named = session.clients().searchClientsByAttributes(realm, Map.of(pair.getKey(), id), null, null);
                } catch (ModelException notSearchable) {
                    // The operator restricted the searchable client attributes (spi-client-jpa-searchable-attributes)
                    // and left ours out: read every client's attributes instead.
                    named = realm.getClientsStream().filter(c -> id.equals(c.getAttribute(pair.getKey())));
                }
                // A type other than "group" names a user, as the agent module reads it.
                try (Stream<ClientModel> clients = named) {
                    if (clients.anyMatch(c -> OwnerAttributes.GROUP.equals(type)
                            == OwnerAttributes.GROUP.equals(c.getAttribute(pair.getValue())))) {
                        return true;
                    }
                }
            }
            return false;
        });
    }

    @Override
    public boolean roleIsAGate(String roleId) {
        RoleModel role = roleId == null ? null : realm.getRoleById(roleId);
        return role != null && gates(Set.of(role));
    }

    @Override
    public boolean clientRolesAreGates(String clientId) {
        ClientModel c = client(clientId);
        if (c == null) {
            return false;
        }
        Set<RoleModel> roles = c.getRolesStream().collect(java.util.stream.Collectors.toSet());
        return !roles.isEmpty() && gates(roles);
    }

    /**
     * Whether removing the roles opens something they gate: a client scope a service account uses
     * with one of them as a role scope mapping (Keycloak applies such a scope only to their holders,
     * one without any to everyone), or a name Keycloak resolves at login or token time names one of
     * them ({@link GateNames}: Keycloak's {@code conditional-user-role} reads a missing role as
     * "condition not met", so a second factor demanded of the role's holders is no longer
     * demanded; a client policy's {@code client-roles} condition no longer applies to the client).
     */
    private boolean gates(Set<RoleModel> roles) {
        if (namedByAdminPermissions(roles)) {
            return true;
        }
        GateNames names = gateNames();
        for (RoleModel r : roles) {
            if (names.namesRole(r, realm)) {
                return true;
            }
        }
        Set<String> ids = new HashSet<>();
        roles.forEach(r -> ids.add(r.getId()));
        return realm.getClientScopesStream()
                .anyMatch(cs -> cs.getScopeMappingsStream().anyMatch(r -> ids.contains(r.getId()))
                        && clientScopeReachesServiceAccounts(cs.getId()));
    }

    /**
     * Whether a role policy of the realm's fine-grained admin permissions names one of the roles or of their
     * composites. Such a role decides who is an administrator either way: granting it can make one, and taking it
     * away can too (a negative policy, or a permission whose policies must all agree), so a change of who holds it is
     * held like a flow condition's role.
     */
    private boolean namedByAdminPermissions(Set<RoleModel> roles) {
        List<RoleModel> named = adminPermissionSubjects().roles(realm);
        return !named.isEmpty() && !roles.isEmpty() && RoleUtils.expandCompositeRoles(roles).stream().anyMatch(named::contains);
    }

    /** The realm's gate names, read once per admission. */
    private GateNames gateNames;

    private GateNames gateNames() {
        if (gateNames == null) {
            gateNames = GateNames.of(realm);
        }
        return gateNames;
    }

    @Override
    public boolean roleNameIsAGate(String name, String clientId) {
        if (name == null) {
            return false;
        }
        ClientModel container = clientId == null ? null : client(clientId);
        return gateNames().namesRole(name, container == null ? null : container.getClientId());
    }

    @Override
    public boolean rolesAreGates(JsonNode roles, String clientId) {
        if (roles == null || !roles.isArray()) {
            return false;
        }
        ClientModel container = clientId == null ? null : client(clientId);
        Set<RoleModel> named = new HashSet<>();
        for (JsonNode r : roles) {
            // By id where the representation has one (composites name client roles too; the admin console's
            // unassign sends roleId), else by name in the container.
            String name = r.path("name").asText(null);
            String id = r.hasNonNull("id") ? r.get("id").asText() : r.path("roleId").asText(null);
            RoleModel role = id != null ? realm.getRoleById(id) : null;
            if (role == null && name != null) {
                role = container == null ? realm.getRole(name) : container.getRole(name);
            }
            if (role != null) {
                named.add(role);
            }
        }
        // A user holds what the role's composites hold: granting or revoking it grants or revokes them.
        return !named.isEmpty() && gates(RoleUtils.expandCompositeRoles(named));
    }

    @Override
    public boolean groupHoldsAGate(String groupId) {
        GroupModel g = groupId == null ? null : session.groups().getGroupById(realm, groupId);
        if (g != null && (groupOrAncestorNamedByAdminPermissions(g) || subgroupNamedByAdminPermissions(g))) {
            // A group policy of the fine-grained admin permissions names it (with its subgroups) or a subgroup that
            // goes with it when it is deleted: joining or leaving it, or deleting it, changes who is an administrator
            // either way (a negative policy, or a permission whose policies must all agree).
            return true;
        }
        Set<RoleModel> held = new HashSet<>();
        for (GroupModel x = g; x != null; x = x.getParent()) {
            x.getRoleMappingsStream().forEach(held::add);
            // A user-attribute condition with include_group_attributes reads the group's and its parents' attributes
            // (sixteenth review: leaving, deleting or joining such a group switched an approver's second factor off).
            if (x.getAttributes().keySet().stream().anyMatch(this::attributeIsAGate)) {
                return true;
            }
        }
        return !held.isEmpty() && gates(RoleUtils.expandCompositeRoles(held));
    }

    @Override
    public boolean scopeIsAGate(String scopeId) {
        org.keycloak.models.ClientScopeModel scope = scopeId == null ? null : realm.getClientScopeById(scopeId);
        return scope != null && gateNames().namesScope(scope.getName());
    }

    /**
     * For changes the guard sees only after Keycloak made them (off the admin API), when the
     * clientId before the change is unknown and a removed client's roles may be gone: whether a
     * flow condition names a role of the client by its clientId, or a gate could name one of its
     * roles by its name under any clientId.
     */
    public boolean clientMayBeAGate(ClientModel c) {
        GateNames names = gateNames();
        return names.namesRolesOfClient(c.getClientId()) || c.getRolesStream().anyMatch(r -> names.namesAClientRoleCalled(r.getName()));
    }

    @Override
    public boolean clientIdIsAGate(String clientId) {
        return clientId != null && gateNames().namesRolesOfClient(clientId);
    }

    // The three below ask Keycloak for the mappers exactly as its synchronizers will (same config key, same value or
    // pattern), so a rename is held when, and because, Keycloak will rewrite a mapper with it (sixteenth review: a decoy
    // group "team/devs" renamed to "admins/" moved an approved mapper of /team/devs to /admins).

    @Override
    public boolean identityProviderMappersNameGroup(String groupId) {
        GroupModel g = groupId == null ? null : session.groups().getGroupById(realm, groupId);
        if (g == null) {
            return false; // Keycloak answers 404 itself
        }
        String path = org.keycloak.models.utils.KeycloakModelUtils.buildGroupPath(g);
        return identityProviderMapperWith(org.keycloak.broker.provider.ConfigConstants.GROUP, path)
                || identityProviderMapperWith(org.keycloak.broker.provider.ConfigConstants.GROUP,
                        path + org.keycloak.models.utils.KeycloakModelUtils.GROUP_PATH_SEPARATOR + "*");
    }

    @Override
    public boolean identityProviderMappersNameRole(String roleId) {
        RoleModel role = roleId == null ? null : realm.getRoleById(roleId);
        if (role == null) {
            return false; // Keycloak answers 404 itself
        }
        String clientId = role.isClientRole() ? ((ClientModel) role.getContainer()).getClientId() : null;
        return identityProviderMapperWith(org.keycloak.broker.provider.ConfigConstants.ROLE,
                org.keycloak.models.utils.KeycloakModelUtils.buildRoleQualifier(clientId, role.getName()));
    }

    @Override
    public boolean identityProviderMappersNameClientRoles(String clientUuid) {
        ClientModel c = clientUuid == null ? null : realm.getClientById(clientUuid);
        return c != null && identityProviderMapperWith(org.keycloak.broker.provider.ConfigConstants.ROLE, c.getClientId() + ".*");
    }

    private boolean identityProviderMapperWith(String key, String value) {
        return session.identityProviders().getMappersStream(java.util.Map.of(key, value), 0, 1).findAny().isPresent();
    }

    @Override
    public boolean scopeNameIsAGate(String scopeName) {
        return scopeName != null && gateNames().namesScope(scopeName);
    }

    @Override
    public java.util.Set<String> profileDefaultsWritten(String userId) {
        org.keycloak.userprofile.UserProfileProvider profiles = session.getProvider(org.keycloak.userprofile.UserProfileProvider.class);
        if (profiles == null) {
            return java.util.Set.of();
        }
        java.util.Set<String> out = new java.util.TreeSet<>();
        UserModel u = null;
        for (org.keycloak.representations.userprofile.config.UPAttribute a : profiles.getConfiguration().getAttributes()) {
            if (a.getDefaultValue() == null) {
                continue;
            }
            if (u == null) {
                u = user(userId);
                if (u == null) {
                    return java.util.Set.of();
                }
            }
            String stored = u.getFirstAttribute(a.getName());
            if (stored == null || stored.isEmpty()) {
                out.add(a.getName());
            }
        }
        return out;
    }

    @Override
    public boolean attributeIsAGate(String attributeName) {
        return attributeName != null && gateNames().namesValue(attributeName);
    }

    /** How many users or groups the guard inspects before it assumes a guarded subject is among them. */
    static final int INSPECTION_LIMIT = 2000;

    /**
     * Clients Keycloak's administration depends on, and the clients approvers decide through
     * ({@link Approvers#DECISION_CLIENTS}); their change changes how admins and approvers log in or
     * what they may do.
     */
    private static final java.util.Set<String> ADMIN_CLIENTS = java.util.stream.Stream.concat(java.util.stream.Stream.of(
            Constants.ADMIN_CONSOLE_CLIENT_ID, Constants.ADMIN_CLI_CLIENT_ID, Constants.REALM_MANAGEMENT_CLIENT_ID,
            Constants.BROKER_SERVICE_CLIENT_ID, Constants.ACCOUNT_MANAGEMENT_CLIENT_ID, Constants.ACCOUNT_CONSOLE_CLIENT_ID,
            "admin-permissions"), Approvers.DECISION_CLIENTS.stream()).collect(java.util.stream.Collectors.toUnmodifiableSet());

    @Override
    public boolean isAdminClient(String clientId) {
        ClientModel c = client(clientId);
        if (c == null) {
            return false;
        }
        return isAdminClientName(c.getClientId());
    }

    @Override
    public boolean isAdminClientName(String clientId) {
        return clientId != null && (ADMIN_CLIENTS.contains(clientId)
                || Config.getAdminRealm().equals(realm.getName()) && clientId.endsWith("-realm"));
    }

    @Override
    public String roleId(String clientId, String roleName) {
        if (roleName == null) {
            return null;
        }
        RoleModel r;
        if (clientId == null) {
            r = realm.getRole(roleName);
        } else {
            ClientModel c = client(clientId);
            r = c == null ? null : c.getRole(roleName);
        }
        return r == null ? null : r.getId();
    }

    @Override
    public JsonNode currentRole(String roleId) {
        RoleModel r = roleId == null ? null : realm.getRoleById(roleId);
        return r == null ? null : JsonSerialization.mapper.valueToTree(ModelToRepresentation.toBriefRepresentation(r));
    }

    @Override
    public JsonNode currentGroup(String groupId) {
        GroupModel g = groupId == null ? null : session.groups().getGroupById(realm, groupId);
        if (g == null) {
            return null;
        }
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.put("name", g.getName());
        o.set("attributes", attributes(g.getAttributes()));
        return o;
    }

    @Override
    public JsonNode userAttributes(String userId) {
        UserModel u = user(userId);
        if (u == null) {
            return null;
        }
        Map<String, List<String>> attrs = new HashMap<>(u.getAttributes());
        ROOT_USER_ATTRIBUTES.forEach(attrs::remove);
        return attributes(attrs);
    }

    /** Attributes Keycloak keeps on the user model but shows as fields of the representation, not in its attributes. */
    private static final java.util.Set<String> ROOT_USER_ATTRIBUTES = java.util.Set.of(UserModel.USERNAME, UserModel.EMAIL,
            UserModel.FIRST_NAME, UserModel.LAST_NAME, UserModel.EMAIL_VERIFIED, UserModel.ENABLED);

    private static ObjectNode attributes(Map<String, List<String>> attrs) {
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        new TreeMap<>(attrs).forEach((k, v) -> {
            ArrayNode values = o.putArray(k);
            v.forEach(values::add);
        });
        return o;
    }

    @Override
    public boolean isApproverRole(String roleId) {
        return approverRoles().stream().anyMatch(r -> r.getId().equals(roleId));
    }

    @Override
    public boolean clientRolesReachGuarded(String clientId) {
        ClientModel c = client(clientId);
        return c != null && c.getRolesStream().anyMatch(r -> roleReachesGuarded(r.getId()));
    }

    @Override
    public boolean roleReachesGuarded(String roleId) {
        RoleModel role = roleId == null ? null : realm.getRoleById(roleId);
        return role != null && new Reach(session, realm, this).roleReachesGuarded(role);
    }

    @Override
    public boolean rolesArePrivileged(JsonNode roles, String clientId) {
        if (roles == null || !roles.isArray()) {
            return false;
        }
        ClientModel container = clientId == null ? null : client(clientId);
        for (JsonNode r : roles) {
            String name = r.path("name").asText(null);
            RoleModel role = name == null ? null : container == null ? realm.getRole(name) : container.getRole(name);
            if (role != null && isPrivilegedRole(role)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean groupReachesGuarded(String groupId) {
        GroupModel g = groupId == null ? null : session.groups().getGroupById(realm, groupId);
        return g != null && new Reach(session, realm, this).groupReachesGuarded(g);
    }

    @Override
    public boolean membershipsReachADirectory(String userId) {
        return DirectoryMemberships.reachesADirectory(realm, user(userId));
    }

    @Override
    public boolean newUsersReachADirectory() {
        return DirectoryMemberships.newUsersReachADirectory(realm);
    }

    @Override
    public boolean groupIsPrivileged(String groupId) {
        GroupModel g = groupId == null ? null : session.groups().getGroupById(realm, groupId);
        for (GroupModel x = g; x != null; x = x.getParent()) {
            // its roles or an FGAP policy make members administrators; an owner attribute makes them owners of a service
            // account or agent (its reviewers, its standing, excluded from approving it)
            if (x.getRoleMappingsStream().anyMatch(this::isPrivilegedRole) || adminPermissionSubjects().namesGroup(x.getId())
                    || namedAsOwner(OwnerAttributes.GROUP, x.getId())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean groupTreeIsPrivileged(String groupId) {
        GroupModel g = groupId == null ? null : session.groups().getGroupById(realm, groupId);
        if (g == null) {
            return false;
        }
        if (groupIsPrivileged(groupId)) {
            return true; // the group or a parent
        }
        java.util.Deque<GroupModel> todo = new java.util.ArrayDeque<>();
        g.getSubGroupsStream().forEach(todo::add);
        int inspected = 0;
        while (!todo.isEmpty()) {
            GroupModel x = todo.poll();
            if (++inspected > INSPECTION_LIMIT) {
                return true; // fail closed
            }
            if (x.getRoleMappingsStream().anyMatch(this::isPrivilegedRole) || adminPermissionSubjects().namesGroup(x.getId())
                    || namedAsOwner(OwnerAttributes.GROUP, x.getId())) {
                return true;
            }
            x.getSubGroupsStream().forEach(todo::add);
        }
        return false;
    }

    @Override
    public boolean isBootstrapApproverName(String username) {
        Object factory = session.getKeycloakSessionFactory().getProviderFactory(
                org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider.class,
                dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory.PROVIDER_ID);
        if (!(factory instanceof dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory guard)) {
            return true; // not known: held
        }
        return guard.bootstrapApprovers().stream().anyMatch(a -> a.names(realm.getName(), username));
    }

    @Override
    public boolean groupsArePrivileged(JsonNode groups) {
        for (JsonNode g : groups) {
            String ref = g.asText("");
            // As Keycloak's user create reads them (RepresentationToModel#createGroups): always a path,
            // the leading "/" optional ("admins" is /admins).
            GroupModel model = org.keycloak.models.utils.KeycloakModelUtils.findGroupByPath(session, realm, ref);
            if (model != null && groupIsPrivileged(model.getId())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean clientScopeReachesServiceAccounts(String scopeId) {
        org.keycloak.models.ClientScopeModel scope = scopeId == null ? null : realm.getClientScopeById(scopeId);
        if (scope == null) {
            return false; // Keycloak answers 404 itself
        }
        if (realm.getDefaultClientScopesStream(true).anyMatch(s -> s.getId().equals(scopeId))
                || realm.getDefaultClientScopesStream(false).anyMatch(s -> s.getId().equals(scopeId))) {
            return true;
        }
        if (ServiceAccountConstants.SERVICE_ACCOUNT_SCOPE.equals(scope.getName())) {
            // Keycloak gives this scope, by name, to every client whose service account is turned on
            // (ClientManager#enableServiceAccount): it shapes the tokens of every future service account.
            return true;
        }
        // Every client linked to it, whatever the protocols (StoredLinks); past the limit the guard holds rather than guesses.
        List<String> linked = StoredLinks.clientsOf(session, scopeId, INSPECTION_LIMIT + 1);
        if (linked.size() > INSPECTION_LIMIT) {
            return true;
        }
        for (String clientUuid : linked) {
            ClientModel c = realm.getClientById(clientUuid);
            if (c != null && (OwnerAttributes.shapesNonHumanTokens(c) || ADMIN_CLIENTS.contains(c.getClientId()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether holding the role makes a user privileged: its composite closure contains the approver
     * role, a role of realm-management (or, in the master realm, of a {@code <realm>-realm} client),
     * the master realm's {@code admin} role, or a role a fine-grained admin permission's policy names.
     */
    boolean isPrivilegedRole(RoleModel role) {
        if (approverRoles().stream().anyMatch(role::hasRole)) {
            return true;
        }
        boolean master = Config.getAdminRealm().equals(realm.getName());
        RoleModel masterAdmin = master ? realm.getRole(AdminRoles.ADMIN) : null;
        if (masterAdmin != null && role.hasRole(masterAdmin)) {
            return true;
        }
        Stream<ClientModel> adminClients = master
                ? realm.getClientsStream().filter(c -> c.getClientId().endsWith("-realm"))
                : Stream.ofNullable(realm.getClientByClientId(Constants.REALM_MANAGEMENT_CLIENT_ID));
        if (adminClients.flatMap(ClientModel::getRolesStream).anyMatch(role::hasRole)) {
            return true;
        }
        // A role a fine-grained admin permission's role policy names makes its holders administrators.
        return adminPermissionSubjects().roles(realm).stream().anyMatch(role::hasRole);
    }

    /** Whether the user is a guarded subject: a service-account user or a privileged user. */
    boolean isGuardedUser(UserModel u) {
        return u.getServiceAccountClientLink() != null || isPrivilegedUser(u.getId());
    }

    @Override
    public JsonNode currentClient(String clientId) {
        // Several predicates of one write compare with it: built once per admission (read only, nothing changes meanwhile).
        return currentClients.computeIfAbsent(String.valueOf(clientId), k -> {
            ClientModel c = client(clientId);
            // Compared in memory with the proposed body, so the secret stays as it is (never stored from here).
            return c == null ? null : JsonSerialization.mapper.valueToTree(ModelToRepresentation.toRepresentation(c, session));
        });
    }

    /** Representations built for this admission, by id (predicates read them, none changes them). */
    private final Map<String, JsonNode> currentClients = new HashMap<>();
    private final Map<String, JsonNode> currentUsers = new HashMap<>();

    @Override
    public JsonNode currentUser(String userId) {
        return currentUsers.computeIfAbsent(String.valueOf(userId), k -> userFields(userId));
    }

    private JsonNode userFields(String userId) {
        UserModel u = user(userId);
        if (u == null) {
            return null;
        }
        // The fields of Keycloak's user representation a write can change; not its read-only fields
        // (credential types, access, timestamps) nor its attributes, whose reading costs queries on
        // every user update. A body field missing here compares as a change, so this fails closed.
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.put("username", u.getUsername());
        o.put("firstName", u.getFirstName());
        o.put("lastName", u.getLastName());
        o.put("email", u.getEmail());
        o.put("enabled", u.isEnabled());
        o.put("emailVerified", u.isEmailVerified());
        if (u.getFederationLink() != null) {
            o.put("federationLink", u.getFederationLink());
        }
        ArrayNode actions = o.putArray("requiredActions");
        u.getRequiredActionsStream().forEach(actions::add);
        if (u.getServiceAccountClientLink() != null) {
            ClientModel c = realm.getClientById(u.getServiceAccountClientLink());
            if (c != null) {
                o.put("serviceAccountClientId", c.getClientId());
            }
        }
        return o;
    }

    @Override
    public JsonNode currentRealm() {
        if (realmRep == null) {
            ObjectNode r = JsonSerialization.mapper.valueToTree(ModelToRepresentation.toRepresentation(session, realm, false));
            // The SMTP server's secrets as Keycloak's admin API shows them (its mask): a body that sends the stored
            // password back is a change (held) like any other value, never "no change" (which would confirm a guess).
            if (r.get("smtpServer") instanceof ObjectNode smtp) {
                java.util.List<String> names = new java.util.ArrayList<>();
                smtp.fieldNames().forEachRemaining(names::add);
                for (String name : names) {
                    if (dev.nhiguard.guard.sealing.SealedFields.isSecretName(name) && smtp.get(name).isTextual()
                            && !smtp.get(name).asText().isEmpty()) {
                        smtp.put(name, dev.nhiguard.guard.sealing.SealedFields.KEYCLOAK_MASK);
                    }
                }
            }
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

    private Set<String> approverRoleNames;

    @Override
    public Set<String> approverRoleNames() {
        if (approverRoleNames == null) {
            approverRoleNames = Approvers.approverRoleNames(session, realm, approverRole);
        }
        return approverRoleNames;
    }

    /** The realm roles of {@link #approverRoleNames()} that exist. */
    private List<RoleModel> approverRoles() {
        return approverRoleNames().stream().map(n -> Approvers.approverRole(realm, n)).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * A change of the guard's policy (its own endpoint, or the realm's attribute in a realm update) that names another
     * approver role or realm: who then approves ({@link Definitions#APPROVER_ROLE_HOLDERS}). An unreadable new policy
     * names nobody (admission refuses it, or the guard then refuses writes).
     */
    private void approverRoleHolders(List<String> out, List<String> rel, JsonNode body) {
        String policyText = null;
        if (rel.equals(List.of("mutation-guard", "policy")) && body instanceof ObjectNode) {
            policyText = body.toString();
        } else if (rel.isEmpty() && body != null && body.path("attributes").path(Catalogue.POLICY_ATTRIBUTE).isTextual()) {
            policyText = body.path("attributes").get(Catalogue.POLICY_ATTRIBUTE).asText();
        }
        if (policyText == null) {
            return;
        }
        try {
            GuardPolicy next = GuardPolicy.fromAttribute(policyText);
            GuardPolicy now = Policies.of(realm);
            String approverRealm = next.approverRealm() == null ? realm.getName() : next.approverRealm();
            String nowRealm = now.approverRealm() == null ? realm.getName() : now.approverRealm();
            if (!approverRealm.equals(nowRealm) || !next.approverRole().equals(now.approverRole())) {
                out.add(Definitions.APPROVER_ROLE_HOLDERS + ":" + approverRealm + "/" + next.approverRole());
            }
        } catch (PolicyException e) {
            // an unreadable policy (new or current) names no holders here
        }
    }

    /** Role grants whose before-image also pins what the granted roles contain. */
    private static final java.util.Set<String> ROLE_GRANTS = java.util.Set.of("service-account-realm-role-grant",
            "service-account-client-role-grant", "approver-role-grant", "privileged-role-grant", "role-composite-add",
            "group-role-grant", "client-scope-mapping-realm-add", "client-scope-mapping-client-add", "directory-membership-write");

    /**
     * The match with its target resolved: a {@link TargetType#DEFINITION} operation targets the
     * definition its path names ({@code <kind>:<id>}), or, where the path names none (a create),
     * nothing ({@link TargetType#OTHER}: no before-image, no re-check, no rollback).
     *
     * @param path the request path from {@code /admin/realms/…}, raw, with or without its query
     */
    public Match resolve(Match match, String path, JsonNode body) {
        if (match.targetType() != TargetType.DEFINITION) {
            return match;
        }
        String plain = path.indexOf('?') < 0 ? path : path.substring(0, path.indexOf('?'));
        String target;
        try {
            java.util.List<String> segments = RequestPath.parse(plain).segments();
            target = segments.size() < 3 ? null : new Definitions(session, realm).target(segments.subList(3, segments.size()), body);
        } catch (RequestPath.Refused e) {
            target = null; // admission refused such paths already
        }
        return new Match(match.operation(), match.pathVars(), target == null ? TargetType.OTHER : TargetType.DEFINITION, target);
    }

    /**
     * The before-image of a request: the target's, and for role grants also the composite closure
     * of every granted role, so that a role approved by name whose composites changed since is a
     * changed target at apply time (the grant would give more than was approved).
     */
    public JsonNode beforeImage(TargetType type, String id, String operation, JsonNode body) {
        JsonNode image = beforeImage(type, id);
        if (image instanceof ObjectNode definition && type == TargetType.DEFINITION && id != null) {
            // Whether a guarded subject (a service account, a privileged user) holds the role, is in the group or uses
            // the scope: a change approved while none did (its view shows nobody) must not apply once one does
            // (another approved request, a grant or a join, applied in between).
            Boolean reaches = reachesGuarded(id);
            if (reaches != null) {
                definition.put(REACHES_GUARDED, reaches);
            }
        }
        if (image instanceof ObjectNode o && ROLE_GRANTS.contains(operation) && body != null && body.isArray()) {
            ObjectNode closures = o.putObject("grantedRoleClosure");
            for (JsonNode rep : body) {
                RoleModel role = rep.hasNonNull("id") ? realm.getRoleById(rep.get("id").asText())
                        : rep.hasNonNull("name") ? realm.getRole(rep.get("name").asText()) : null;
                if (role == null) {
                    continue;
                }
                // A realm role may be named like a client role ("client/role"): a second role under a name already
                // listed gets its id beside the name, so that neither closure hides the other.
                String key = closures.has(roleName(role)) ? roleName(role) + " [" + role.getId() + "]" : roleName(role);
                ArrayNode names = closures.putArray(key);
                org.keycloak.models.utils.RoleUtils.expandCompositeRolesStream(Stream.of(role))
                        .map(TargetState::roleName).distinct().sorted().forEach(names::add);
            }
        }
        return image;
    }

    /** Member of a definition's before-image: whether a guarded subject holds, is in or uses it. */
    public static final String REACHES_GUARDED = "reachesGuardedSubjects";

    /** For a role, group or client scope ({@code <kind>:<id>}): whether it reaches a guarded subject; otherwise null. */
    private Boolean reachesGuarded(String target) {
        int colon = target.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String kind = target.substring(0, colon);
        String id = target.substring(colon + 1);
        // on every subject, whatever the admin asking may see (fine-grained admin permissions filter member queries)
        return org.keycloak.authorization.fgap.AdminPermissionsSchema.runWithoutAuthorization(session, () -> switch (kind) {
            case Definitions.ROLE -> roleReachesGuarded(id);
            case Definitions.GROUP -> groupReachesGuarded(id);
            case Definitions.CLIENT_SCOPE -> clientScopeReachesServiceAccounts(id);
            default -> null;
        });
    }

    /** Member of a before-image holding the images of the targets of a request's other effects, by target name. */
    public static final String EFFECT_TARGETS = "effectTargets";

    /**
     * The before-image of a request with several effects: the primary target's, and under
     * {@link #EFFECT_TARGETS} the image of every other effect's target the primary's does not
     * cover and of the group a group join refers to, each with its type and id so that apply can
     * take it again ({@link #currentImage}).
     */
    public JsonNode beforeImage(Match primary, List<Match> effects, String path, JsonNode body) {
        JsonNode image = beforeImage(primary.targetType(), primary.targetId(), primary.operation().id(), body);
        ObjectNode others = JsonSerialization.mapper.createObjectNode();
        for (Match effect : effects) {
            Match e = resolve(effect, path, body);
            if (e.targetType() == TargetType.CLIENTS || e.targetType() == TargetType.OTHER || covers(primary, e)) {
                continue;
            }
            pin(others, e, body);
        }
        for (String referred : referredDefinitions(effects, path, body)) {
            // what the request attaches or Keycloak resolves at apply: the target gains it as it is then
            pin(others, new Match(primary.operation(), primary.pathVars(), TargetType.DEFINITION, referred), body);
        }
        if (others.isEmpty()) {
            return image;
        }
        ObjectNode out = image instanceof ObjectNode o ? o : JsonSerialization.mapper.createObjectNode();
        out.set(EFFECT_TARGETS, others);
        return out;
    }

    /**
     * The definitions a request attaches to its target, whose content the target then gains as it is
     * at apply time: by their id in the path (the group a user joins, the group new users join, the
     * client scope a client or every new client gets, the identity provider a user is linked to) or
     * by id or name in the body (the flows a client's, an identity provider's or the realm's flow
     * bindings name, the client scopes a new client or an agent names, the groups a new user joins,
     * the same inside a partial import), and what Keycloak gives a new or newly enabled service
     * account or a new user by default. Pinned in the before-image, so that approvers see what is
     * attached and a change of it between approval and apply is a changed target
     * ({@code <kind>:<id>}). Taken once per request, from its path, body and effects.
     */
    List<String> referredDefinitions(List<Match> effects, String path, JsonNode body) {
        List<String> out = new java.util.ArrayList<>();
        for (Match e : effects) {
            String group = GROUP_JOINS.contains(e.operation().id()) ? e.pathVars().get("group") : null;
            if (group != null) {
                groupById(out, group);
            }
        }
        List<String> seg;
        try {
            seg = RequestPath.parse(path.split("\\?", 2)[0]).segments();
        } catch (RequestPath.Refused refused) {
            return out; // admission refused such paths already
        }
        List<String> rel = seg.size() > 3 ? seg.subList(3, seg.size()) : List.of();
        if (rel.size() == 4 && rel.get(0).equals("clients")
                && (rel.get(2).equals("default-client-scopes") || rel.get(2).equals("optional-client-scopes"))) {
            out.add(Definitions.CLIENT_SCOPE + ":" + rel.get(3));
        }
        if (rel.size() == 2 && (rel.get(0).equals("default-default-client-scopes") || rel.get(0).equals("default-optional-client-scopes"))) {
            out.add(Definitions.CLIENT_SCOPE + ":" + rel.get(1));
        }
        if (rel.size() == 2 && rel.get(0).equals("default-groups")) {
            groupById(out, rel.get(1));
        }
        approverRoleHolders(out, rel, body);
        ClientModel adminPermissions = realm.getAdminPermissionsClient();
        if (rel.size() >= 3 && rel.get(0).equals("clients") && rel.get(2).equals("authz") && adminPermissions != null
                && adminPermissions.getId().equals(rel.get(1))) {
            // A write to the fine-grained admin permissions is approved for the administrators they make then.
            // …/policy/{type} names a type when Keycloak has a policy provider of that id, else a policy's id
            String pathType = rel.size() >= 6 && rel.get(4).equals("policy") && POLICY_TYPES.contains(rel.get(5)) ? rel.get(5) : null;
            out.add(Definitions.ADMIN_PERMISSION_ADMINISTRATORS + ":" + AdminPermissionAdministrators.references(pathType, body));
        }
        if (rel.size() == 4 && rel.get(0).equals("users") && rel.get(2).equals("federated-identity")
                && effects.stream().anyMatch(e -> e.operation().id().equals("privileged-user-idp-link"))) {
            out.add(Definitions.IDENTITY_PROVIDER + ":" + rel.get(3)); // the user then signs in through it
        }
        if (!(asKeycloakBinds(rel, body) instanceof ObjectNode o)) {
            return out;
        }
        ClientModel updated = rel.size() == 2 && rel.get(0).equals("clients") ? realm.getClientById(rel.get(1)) : null;
        flowOverrides(out, o, updated);
        realmFlowBindings(out, o, rel.isEmpty());
        if (rel.equals(List.of("clients"))) {
            newClient(out, o);
        }
        boolean turnsServiceAccountOn = updated != null && o.path("serviceAccountsEnabled").asBoolean(false)
                && !updated.isServiceAccountsEnabled();
        boolean turnsExchangeOn = updated != null && !OwnerAttributes.exchangesTokens(updated)
                && dev.nhiguard.guard.catalogue.Catalogue.turnsTokenExchangeOn(null, o);
        if (turnsServiceAccountOn || turnsExchangeOn) {
            // The client's scopes then shape a service account's tokens (its own, or those it exchanges): a scope changed
            // between approval and apply, while the client did not yet count as shaping any, is a changed target.
            // Every linked scope, of any protocol (StoredLinks): one switched back to the client's protocol shapes its tokens.
            StoredLinks.scopesOf(session, updated.getId()).forEach(id -> out.add(Definitions.CLIENT_SCOPE + ":" + id));
        }
        if (turnsServiceAccountOn) {
            // The service account turned on also gets Keycloak's service_account scope and the default role.
            newServiceAccount(out);
        }
        if (rel.equals(List.of("users"))) {
            newUser(out, o);
        }
        if (!rel.isEmpty() && rel.get(0).equals("agents") && rel.size() <= 2) {
            // An agent's allowed scopes, by name (absent ones too); a registered agent is a new service account.
            o.path("allowedScopes").forEach(n -> out.add(Definitions.CLIENT_SCOPE_NAME + ":" + n.asText()));
            agentPeople(out, o);
            if (rel.size() == 1) {
                realm.getDefaultClientScopesStream(true).forEach(cs -> out.add(Definitions.CLIENT_SCOPE + ":" + cs.getId()));
                newServiceAccount(out);
            }
        }
        if (rel.equals(List.of("partialImport"))) {
            importedRoleNames(out, o);
            importedNames(out, o);
            o.path("clients").forEach(c -> {
                if (c instanceof ObjectNode client) {
                    flowOverrides(out, client, null);
                    newClient(out, client);
                }
            });
            o.path("users").forEach(u -> {
                if (u instanceof ObjectNode user) {
                    newUser(out, user);
                }
            });
            o.path("identityProviders").forEach(idp -> {
                if (idp instanceof ObjectNode provider) {
                    realmFlowBindings(out, provider, false);
                }
            });
        }
        return out.stream().distinct().toList();
    }

    /**
     * The owners and delegates an agent body names. The agent module resolves usernames and group paths when the request
     * is applied: pinned, a name that stands for another user or group by then (a user deleted and re-created under the
     * name, a group renamed and another renamed to its path) is a changed target, not the one the approver saw.
     * Delegation values are an id or else a username, as the agent module reads them.
     */
    private static void agentPeople(List<String> out, ObjectNode o) {
        for (String field : List.of("owner", "secondOwner")) {
            JsonNode ref = o.get(field);
            if (ref == null || !ref.isObject()) {
                continue;
            }
            if (ref.path("username").isTextual()) {
                out.add(Definitions.USER_NAME + ":" + ref.get("username").asText());
            }
            if (ref.path("type").asText("").equals("user") && ref.path("id").isTextual()) {
                out.add(Definitions.USER_ID + ":" + ref.get("id").asText());
            }
            if (ref.path("path").isTextual()) {
                out.add(Definitions.GROUP_PATH + ":" + ref.get("path").asText());
            }
        }
        JsonNode delegation = o.path("delegation");
        delegation.path("users").forEach(u -> {
            if (u.isTextual()) {
                out.add(Definitions.USER_ID + ":" + u.asText());
                out.add(Definitions.USER_NAME + ":" + u.asText());
            }
        });
        delegation.path("groups").forEach(g -> {
            if (g.isTextual() && g.asText().startsWith("/")) {
                out.add(Definitions.GROUP_PATH + ":" + g.asText());
            }
        });
    }

    /** The policy types of Keycloak 26.7's authorization services (a path segment after {@code policy}). */
    private static final Set<String> POLICY_TYPES = Set.of("user", "group", "role", "client", "regex", "time", "js",
            "aggregate", "client-scope", "scope", "resource", "uma");

    private void groupById(List<String> out, String id) {
        out.add(Definitions.GROUP + ":" + id);
        out.add(Definitions.GROUP_REACH + ":" + id);
    }

    /** The flows a client body binds; for an update, only the bindings that differ from the client's current ones. */
    private void flowOverrides(List<String> out, ObjectNode client, ClientModel current) {
        if (!(client.get("authenticationFlowBindingOverrides") instanceof ObjectNode overrides)) {
            return;
        }
        Map<String, String> now = current == null ? Map.of() : current.getAuthenticationFlowBindingOverrides();
        overrides.fields().forEachRemaining(b -> {
            if (b.getValue().isTextual() && !b.getValue().asText().isEmpty() && !b.getValue().asText().equals(now.get(b.getKey()))) {
                out.add(Definitions.FLOW + ":" + b.getValue().asText());
            }
        });
    }

    /**
     * The flows a realm or identity-provider body binds by alias; for a realm update only those that
     * differ from the realm's current bindings (the console sends every binding with each save).
     */
    private void realmFlowBindings(List<String> out, ObjectNode o, boolean realmUpdate) {
        for (String binding : FLOW_BINDINGS_BY_ALIAS) {
            JsonNode alias = o.get(binding);
            var flow = alias != null && alias.isTextual() ? realm.getFlowByAlias(alias.asText()) : null;
            if (flow != null && !(realmUpdate && flow.equals(currentBinding(binding)))) {
                out.add(Definitions.FLOW + ":" + flow.getId());
            }
        }
    }

    private org.keycloak.models.AuthenticationFlowModel currentBinding(String binding) {
        return switch (binding) {
            case "browserFlow" -> realm.getBrowserFlow();
            case "registrationFlow" -> realm.getRegistrationFlow();
            case "directGrantFlow" -> realm.getDirectGrantFlow();
            case "resetCredentialsFlow" -> realm.getResetCredentialsFlow();
            case "clientAuthenticationFlow" -> realm.getClientAuthenticationFlow();
            case "dockerAuthenticationFlow" -> realm.getDockerAuthenticationFlow();
            case "firstBrokerLoginFlow" -> realm.getFirstBrokerLoginFlow();
            default -> null;
        };
    }

    /**
     * A client created: the scopes it names, by name (a name nobody has yet is pinned as absent: Keycloak
     * attaches a scope created under it later), or the realm's default scopes when it names none; the scope its
     * deprecated {@code clientTemplate} names (Keycloak attaches it as a default scope, by name, besides either);
     * for a service account also Keycloak's service_account scope, the realm's default role and default groups.
     */
    private void newClient(List<String> out, ObjectNode client) {
        if (client.get("clientTemplate") instanceof com.fasterxml.jackson.databind.node.TextNode template) {
            out.add(Definitions.CLIENT_SCOPE_NAME + ":"
                    + org.keycloak.models.utils.KeycloakModelUtils.convertClientScopeName(template.asText()));
        }
        boolean named = false;
        for (String list : List.of("defaultClientScopes", "optionalClientScopes")) {
            if (client.get(list) instanceof com.fasterxml.jackson.databind.node.ArrayNode names) {
                named = true;
                names.forEach(n -> out.add(Definitions.CLIENT_SCOPE_NAME + ":" + n.asText()));
            }
        }
        if (!named) {
            realm.getDefaultClientScopesStream(true).forEach(cs -> out.add(Definitions.CLIENT_SCOPE + ":" + cs.getId()));
            realm.getDefaultClientScopesStream(false).forEach(cs -> out.add(Definitions.CLIENT_SCOPE + ":" + cs.getId()));
        }
        if (client.path("serviceAccountsEnabled").asBoolean(false)) {
            newServiceAccount(out);
        }
    }

    /** A service account created: Keycloak gives its user the service_account scope, the default role and default groups. */
    private void newServiceAccount(List<String> out) {
        out.add(Definitions.CLIENT_SCOPE_NAME + ":" + ServiceAccountConstants.SERVICE_ACCOUNT_SCOPE);
        if (realm.getDefaultRole() != null) {
            out.add(Definitions.ROLE_REACH + ":" + realm.getDefaultRole().getId());
        }
        realm.getDefaultGroupsStream().forEach(g -> groupById(out, g.getId()));
    }

    /**
     * The body as Keycloak binds it for the writes whose names are pinned here ({@code "TRUE"} a boolean, a number a
     * string): what is pinned follows what Keycloak will read, not the text sent ({@code "serviceAccountsEnabled":"TRUE"}
     * or {@code "clientTemplate":7} would otherwise pin nothing). A partial import, which Keycloak reads from the stream
     * itself, is bound to its representation here; a body Keycloak cannot bind is taken as sent (its dry run refuses it).
     */
    private static JsonNode asKeycloakBinds(List<String> rel, JsonNode body) {
        Class<?> type = rel.isEmpty() ? org.keycloak.representations.idm.RealmRepresentation.class
                : rel.equals(List.of("clients")) || (rel.size() == 2 && rel.get(0).equals("clients"))
                        ? org.keycloak.representations.idm.ClientRepresentation.class
                : rel.equals(List.of("users")) ? org.keycloak.representations.idm.UserRepresentation.class
                : rel.equals(List.of("partialImport")) ? org.keycloak.representations.idm.PartialImportRepresentation.class
                : null;
        if (type == null || !(body instanceof ObjectNode)) {
            return body;
        }
        try {
            return KeycloakReading.read(body, type);
        } catch (KeycloakReading.Unreadable e) {
            return body;
        }
    }

    /**
     * The roles a partial import names (users' and groups' role mappings, subgroups included, and the composites of the
     * roles it defines), by name as Keycloak resolves them when it is applied: each pinned with the role it is now and
     * that role's closure (or its absence), shown to the approver and re-checked at apply.
     */
    private static void importedRoleNames(List<String> out, ObjectNode partialImport) {
        // role mappings: Keycloak looks the names up trimmed (the names of roles defined or made composite it does not trim)
        java.util.function.Consumer<JsonNode> mappings = holder -> {
            holder.path("realmRoles").forEach(r -> out.add(Definitions.roleNameKey(null, r.asText().trim())));
            holder.path("clientRoles").fields().forEachRemaining(c -> c.getValue()
                    .forEach(r -> out.add(Definitions.roleNameKey(c.getKey(), r.asText().trim()))));
        };
        partialImport.path("users").forEach(mappings);
        java.util.Deque<JsonNode> groups = new java.util.ArrayDeque<>();
        partialImport.path("groups").forEach(groups::add);
        while (!groups.isEmpty()) {
            JsonNode g = groups.poll();
            mappings.accept(g);
            g.path("subGroups").forEach(groups::add);
        }
        java.util.function.Consumer<JsonNode> composites = role -> {
            role.path("composites").path("realm").forEach(r -> out.add(Definitions.roleNameKey(null, r.asText())));
            role.path("composites").path("client").fields().forEachRemaining(c -> c.getValue()
                    .forEach(r -> out.add(Definitions.roleNameKey(c.getKey(), r.asText()))));
        };
        partialImport.path("roles").path("realm").forEach(composites);
        partialImport.path("roles").path("client").fields().forEachRemaining(c -> c.getValue().forEach(composites));
    }

    /**
     * What a partial import finds existing, by the names Keycloak looks them up with (client id, role name, group path,
     * identity-provider alias): ifResourceExists then skips it, fails, or overwrites it, removing the client, role,
     * group or provider found (with what it gated). Pinned, so the approver is shown what exists under each name and a
     * name that stands for another resource at apply (a client renamed to an imported client id) is a changed target.
     */
    private static void importedNames(List<String> out, ObjectNode partialImport) {
        partialImport.path("clients").forEach(c -> {
            if (c.path("clientId").isTextual()) {
                out.add(Definitions.CLIENT_ID + ":" + c.get("clientId").asText());
            }
        });
        partialImport.path("roles").path("realm").forEach(r -> {
            if (r.path("name").isTextual()) {
                out.add(Definitions.roleNameKey(null, r.get("name").asText()));
            }
        });
        partialImport.path("roles").path("client").fields().forEachRemaining(c -> {
            out.add(Definitions.CLIENT_ID + ":" + c.getKey());
            c.getValue().forEach(r -> {
                if (r.path("name").isTextual()) {
                    out.add(Definitions.roleNameKey(c.getKey(), r.get("name").asText()));
                }
            });
        });
        partialImport.path("groups").forEach(g -> {
            String path = g.path("path").isTextual() ? g.get("path").asText()
                    : g.path("name").isTextual() ? "/" + g.get("name").asText() : null;
            if (path != null) {
                out.add(Definitions.GROUP_PATH + ":" + path);
            }
        });
        partialImport.path("identityProviders").forEach(idp -> {
            if (idp.path("alias").isTextual()) {
                out.add(Definitions.IDENTITY_PROVIDER + ":" + idp.get("alias").asText());
            }
        });
        // a user by username, or else by email (overwriting removes the user found)
        partialImport.path("users").forEach(user -> {
            if (user.path("username").isTextual()) {
                out.add(Definitions.USER_NAME + ":" + user.get("username").asText());
            }
            if (user.path("email").isTextual() && !user.get("email").asText().isEmpty()) {
                out.add(Definitions.USER_EMAIL + ":" + user.get("email").asText());
            }
        });
    }

    /** A user created: the groups it names by path (absent ones pinned as absent), the realm's default groups and role. */
    private void newUser(List<String> out, ObjectNode user) {
        user.path("groups").forEach(ref -> {
            if (ref.isTextual()) {
                out.add(Definitions.GROUP_PATH + ":" + (ref.asText().startsWith("/") ? ref.asText() : "/" + ref.asText()));
            }
        });
        realm.getDefaultGroupsStream().forEach(g -> groupById(out, g.getId()));
        if (realm.getDefaultRole() != null) {
            out.add(Definitions.ROLE_REACH + ":" + realm.getDefaultRole().getId());
        }
    }

    /** Members of realm and identity-provider representations that bind a flow by its alias. */
    private static final List<String> FLOW_BINDINGS_BY_ALIAS = List.of("browserFlow", "registrationFlow", "directGrantFlow",
            "resetCredentialsFlow", "clientAuthenticationFlow", "dockerAuthenticationFlow", "firstBrokerLoginFlow",
            "firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias");

    /** Group joins: the joined group is a definition the request refers to. */
    private static final java.util.Set<String> GROUP_JOINS = java.util.Set.of("service-account-group-join",
            "privileged-group-join", "directory-membership-write");

    private void pin(ObjectNode others, Match e, JsonNode body) {
        if (!others.has(e.target())) {
            others.putObject(e.target()).put("operation", e.operation().id()).put("targetType", e.targetType().name())
                    .put("targetId", e.targetId())
                    .set("image", beforeImage(e.targetType(), e.targetId(), e.operation().id(), body));
        }
    }

    /** Whether the primary target's image already holds the effect's target (the realm holds its policy attribute). */
    private static boolean covers(Match primary, Match effect) {
        return (primary.targetType() == effect.targetType() && java.util.Objects.equals(primary.targetId(), effect.targetId()))
                || (primary.targetType() == TargetType.REALM && effect.targetType() == TargetType.GUARD_POLICY);
    }

    /** The image to compare with a stored before-image at apply time: the same targets, as they are now. */
    public JsonNode currentImage(TargetType type, String id, String operation, JsonNode body, JsonNode stored) {
        JsonNode image = beforeImage(type, id, operation, body);
        if (stored == null || !(stored.get(EFFECT_TARGETS) instanceof ObjectNode others)) {
            return image;
        }
        ObjectNode out = image instanceof ObjectNode o ? o : JsonSerialization.mapper.createObjectNode();
        ObjectNode now = out.putObject(EFFECT_TARGETS);
        others.fields().forEachRemaining(e -> {
            JsonNode t = e.getValue();
            JsonNode current;
            try {
                current = beforeImage(TargetType.valueOf(t.path("targetType").asText()), t.path("targetId").asText(null),
                        t.path("operation").asText(), body);
            } catch (IllegalArgumentException unknownType) {
                current = null; // unreadable: compares as changed
            }
            now.putObject(e.getKey()).put("operation", t.path("operation").asText())
                    .put("targetType", t.path("targetType").asText()).put("targetId", t.path("targetId").asText(null))
                    .set("image", current);
        });
        return out;
    }

    private static String roleName(RoleModel r) {
        return r.isClientRole() ? ((ClientModel) r.getContainer()).getClientId() + "/" + r.getName() : r.getName();
    }

    /**
     * The target's before-image: what an apply compares against and a rollback restores. Every
     * credential in it is only its keyed fingerprint ({@link dev.nhiguard.guard.sealing.Sealer#fingerprintOnly}).
     */
    public JsonNode beforeImage(TargetType type, String id) {
        JsonNode image = unsealedImage(type, id);
        return image == null ? null : Sealing.sealer(session, realm.getId()).fingerprintOnly(image,
                at -> hiddenInImages.add(new Hidden(type, id, at)));
    }

    /** A value an image sealed outside a credential's place: the image's target and the value's JSON Pointer in it. */
    public record Hidden(TargetType type, String id, String pointer) {
        @Override
        public String toString() {
            return type.name().toLowerCase(java.util.Locale.ROOT) + " " + id + " at " + pointer;
        }
    }

    /** Where the images read so far sealed a value outside a credential's place. */
    private final List<Hidden> hiddenInImages = new java.util.ArrayList<>();

    /** Every value the images read so far sealed outside a credential's place (a dry run compares before and after). */
    List<Hidden> hiddenSoFar() {
        return List.copyOf(hiddenInImages);
    }

    /**
     * The values sealed outside a credential's place in the images this state has read, except in the image of
     * {@code primary} when it already is a guarded subject (a service-account client, an agent, a privileged or
     * service-account user): whatever was written there unheld, the guard classified as no privilege, so what it hides
     * grants nothing, and refusing would let anyone who may write such a field (a description, a first name) block
     * every guarded change to that subject (a rotation, a disable, an approver's revocation). Anywhere else (a client
     * scope, role or group the change attaches, a client becoming a service account) an approver would be shown
     * nothing of a value that may carry privilege, so a change request whose images hold one is not held.
     */
    public List<Hidden> hiddenInImages(TargetType primaryType, String primaryId) {
        boolean guardedPrimary = primaryId != null && switch (primaryType) {
            case CLIENT -> shapesServiceAccountTokens(primaryId);
            case USER -> isServiceAccountUser(primaryId) || isPrivilegedUser(primaryId) || isAccountOwner(primaryId);
            // an agent is a guarded subject whenever it exists (a suspension's reason, written unheld, is in its image)
            case AGENT -> client(primaryId) != null;
            default -> false;
        };
        return hiddenInImages.stream()
                .filter(h -> !(guardedPrimary && h.type() == primaryType && primaryId.equals(h.id())))
                .toList();
    }

    private JsonNode unsealedImage(TargetType type, String id) {
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
            case AUDIT_SINKS -> auditSinks();
            case AGENT -> AgentImage.of(client(id));
            case DEFINITION -> new Definitions(session, realm).image(id);
            case CLIENTS, OTHER -> null;
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
        // Credentials (secret, rotated secret, private keys) are fingerprinted by beforeImage(type, id).
        return JsonSerialization.mapper.valueToTree(rep);
    }

    /**
     * Client attributes that hold secrets: the rotated secret, and the private keys Keycloak keeps
     * for generated or uploaded key pairs ({@code jwt.credential.private.key},
     * {@code saml.signing.private.key}, …). Before-images carry them only as fingerprints.
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
        // A credential's creation time changes when Keycloak replaces its secret (a password reset keeps the id):
        // a reset between approval and apply is a changed target.
        ArrayNode creds = o.putArray("credentials");
        u.credentialManager().getStoredCredentialsStream().sorted(Comparator.comparing(cr -> cr.getId()))
                .forEach(cr -> creds.addObject().put("id", cr.getId()).put("type", cr.getType())
                        .put("userLabel", cr.getUserLabel()).put("createdDate", cr.getCreatedDate()));
        ArrayNode links = o.putArray("federatedIdentities");
        session.users().getFederatedIdentitiesStream(realm, u)
                .sorted(Comparator.comparing(l -> l.getIdentityProvider()))
                .forEach(l -> links.addObject().put("identityProvider", l.getIdentityProvider())
                        .put("userId", l.getUserId()).put("userName", l.getUserName()));
        return o;
    }

    /**
     * The realm's own audit sinks as stored: {@code {"sinks":[…]}} ({@code []} when none). Their
     * secrets are stored sealed by the audit module ({@code secretRef}, never clear), so the image
     * can carry them and a rollback restores them; text that is not such JSON is kept only as its
     * hash, {@code {"unreadableSha256": hex}} (it could hold anything, a secret in clear too), and
     * compares by it.
     */
    private JsonNode auditSinks() {
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        String text = realm.getAttribute(Catalogue.AUDIT_SINKS_ATTRIBUTE);
        if (text == null || text.isBlank()) {
            o.putArray("sinks");
            return o;
        }
        try {
            JsonNode parsed = JsonSerialization.mapper.readTree(text);
            if (parsed != null && parsed.path("sinks").isArray()) {
                o.set("sinks", parsed.get("sinks"));
                return o;
            }
        } catch (java.io.IOException e) {
            // not JSON: kept as its hash below
        }
        try {
            o.put("unreadableSha256", java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
