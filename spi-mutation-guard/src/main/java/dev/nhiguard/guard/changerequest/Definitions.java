package dev.nhiguard.guard.changerequest;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.keycloak.component.ComponentModel;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RequiredActionProviderModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.ScopeContainerModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.ModelToRepresentation;
import org.keycloak.representations.idm.ComponentRepresentation;
import org.keycloak.services.clientpolicy.ClientPolicyException;
import org.keycloak.userprofile.UserProfileProvider;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.sealing.Sealing;

/**
 * Before-images of the named definitions a request changes: which definition a request path
 * names ({@code <kind>:<id>}) and its image, read through Keycloak's {@link ModelToRepresentation}
 * so it is what Keycloak's admin API returns. Credentials are fingerprinted by the caller
 * ({@link TargetState#beforeImage}); component secrets the provider marks secret are stored as
 * Keycloak's mask (or left out, as Keycloak leaves out undeclared keys) plus their keyed fingerprints.
 */
final class Definitions {

    static final String ROLE = "role";
    static final String CLIENT_SCOPE = "client-scope";
    static final String IDENTITY_PROVIDER = "identity-provider";
    static final String COMPONENT = "component";
    static final String FLOW = "flow";
    static final String AUTHENTICATOR_CONFIG = "authenticator-config";
    static final String REQUIRED_ACTION = "required-action";
    static final String GROUP = "group";
    static final String CLIENT_POLICIES = "client-policies";
    static final String USER_PROFILE = "user-profile";
    static final String DEFAULT_CLIENT_SCOPES = "default-client-scopes";
    static final String DEFAULT_GROUPS = "default-groups";
    /** What a member of a group effectively holds: the group's and its ancestors' roles, composites expanded. */
    static final String GROUP_REACH = "group-reach";
    /** What a holder of a role effectively holds: the role's composite closure. */
    static final String ROLE_REACH = "role-reach";
    /** A client scope named in a body, by its name: its image, or null while none has the name (the absence is pinned). */
    static final String CLIENT_SCOPE_NAME = "client-scope-name";
    /**
     * A role named in a body by name ({@code realm:<name>}, {@code client:<URL-encoded client id>:<name>}), as Keycloak
     * resolves it when the request is applied: which role has the name (id) and its composite closure, or null while
     * none has it. A name that stands for another role by then (renamed, re-created) is a changed target.
     */
    static final String ROLE_NAME = "role-name";
    /** A group named in a body by its path: its image and reach, or null while none has the path. */
    static final String GROUP_PATH = "group-path";
    /** A user named in a body by username: which user has the name (id and username), or null while none has it. */
    static final String USER_NAME = "user-name";
    /**
     * A user a body names by email (a partial import finds an existing user by email when none has the username, and
     * overwriting removes it): its id and username, or null while none has the email.
     */
    static final String USER_EMAIL = "user-email";
    /** A client named in a body by client id: its id, client id and whether it has a service account, or null while none has it. */
    static final String CLIENT_ID = "client-id";
    /** A user named in a body by id: its id and username, or null while none has the id. */
    static final String USER_ID = "user-id";
    /**
     * Who the realm's fine-grained admin permissions reach, with the subjects a request's body names
     * ({@link AdminPermissionAdministrators#references}) as the id.
     */
    static final String ADMIN_PERMISSION_ADMINISTRATORS = "admin-permission-administrators";
    /**
     * Who a policy change makes approvers: the direct holders of the approver role it names, in the realm it takes
     * approvers from ({@code <realm name>/<role name>}).
     */
    static final String APPROVER_ROLE_HOLDERS = "approver-role-holders";

    private final KeycloakSession session;
    private final RealmModel realm;

    Definitions(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /**
     * The definition a request path names, as {@code <kind>:<id>}, or null when it names none
     * (a create, or an object Keycloak will answer 404 for).
     *
     * @param rel  the decoded path segments after {@code /admin/realms/{realm}}
     * @param body the request body (group moves name the moved group in it)
     */
    String target(List<String> rel, JsonNode body) {
        if (rel.isEmpty()) {
            return null;
        }
        String a = rel.get(0);
        String b = rel.size() > 1 ? rel.get(1) : null;
        String c = rel.size() > 2 ? rel.get(2) : null;
        return switch (a) {
            case "roles" -> b == null ? null : key(ROLE, realm.getRole(b));
            case "roles-by-id" -> b == null ? null : key(ROLE, realm.getRoleById(b));
            case "clients" -> {
                ClientModel client = b == null ? null : realm.getClientById(b);
                yield client != null && "roles".equals(c) && rel.size() > 3 ? key(ROLE, client.getRole(rel.get(3))) : null;
            }
            case "client-scopes", "client-templates" -> {
                ClientScopeModel scope = b == null ? null : realm.getClientScopeById(b);
                yield scope == null ? null : CLIENT_SCOPE + ":" + scope.getId();
            }
            case "identity-provider" -> "instances".equals(b) && c != null && session.identityProviders().getByAlias(c) != null
                    ? IDENTITY_PROVIDER + ":" + c : null;
            case "components" -> b != null && realm.getComponent(b) != null ? COMPONENT + ":" + b : null;
            case "authentication" -> authenticationTarget(b, c);
            case "groups" -> {
                if (b == null || (rel.size() == 3 && "children".equals(c))) {
                    // a move names the moved group in the body (its parent changes)
                    String moved = body != null && body.hasNonNull("id") ? body.get("id").asText() : null;
                    GroupModel g = moved == null ? null : session.groups().getGroupById(realm, moved);
                    yield g == null ? null : GROUP + ":" + g.getId();
                }
                GroupModel g = session.groups().getGroupById(realm, b);
                yield g == null ? null : GROUP + ":" + g.getId();
            }
            case "organizations" -> {
                // /organizations/{org}/groups/{group}/…: an organization's group; /organizations/{org}/groups with an id
                // moves that group to the organization's top
                String id = !"groups".equals(c) ? null : rel.size() > 3 ? rel.get(3)
                        : body != null && body.hasNonNull("id") ? body.get("id").asText() : null;
                GroupModel g = id == null ? null : session.groups().getGroupById(realm, id);
                yield g == null ? null : GROUP + ":" + g.getId();
            }
            case "client-policies" -> "policies".equals(b) || "profiles".equals(b) ? CLIENT_POLICIES + ":" + b : null;
            case "users" -> "profile".equals(b) && rel.size() == 2 ? USER_PROFILE + ":realm" : null;
            case "default-default-client-scopes" -> DEFAULT_CLIENT_SCOPES + ":default";
            case "default-optional-client-scopes" -> DEFAULT_CLIENT_SCOPES + ":optional";
            case "default-groups" -> DEFAULT_GROUPS + ":realm";
            default -> null;
        };
    }

    private String authenticationTarget(String b, String c) {
        if (c == null) {
            return null;
        }
        return switch (b) {
            case "flows" -> {
                AuthenticationFlowModel f = realm.getAuthenticationFlowById(c);
                if (f == null) {
                    f = realm.getFlowByAlias(c);
                }
                yield f == null ? null : FLOW + ":" + f.getId();
            }
            case "executions" -> {
                AuthenticationExecutionModel e = realm.getAuthenticationExecutionById(c);
                yield e == null ? null : FLOW + ":" + e.getParentFlow();
            }
            case "config" -> realm.getAuthenticatorConfigById(c) == null ? null : AUTHENTICATOR_CONFIG + ":" + c;
            case "required-actions" -> realm.getRequiredActionProviderByAlias(c) == null ? null : REQUIRED_ACTION + ":" + c;
            default -> null;
        };
    }

    private static String key(String kind, RoleModel role) {
        return role == null ? null : kind + ":" + role.getId();
    }

    /** The definition's image, or null when it does not exist (any more). */
    JsonNode image(String target) {
        int colon = target == null ? -1 : target.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String kind = target.substring(0, colon);
        String id = target.substring(colon + 1);
        return switch (kind) {
            case ROLE -> role(realm.getRoleById(id));
            case CLIENT_SCOPE -> clientScope(realm.getClientScopeById(id));
            case IDENTITY_PROVIDER -> identityProvider(session.identityProviders().getByAlias(id));
            case COMPONENT -> component(realm.getComponent(id));
            case FLOW -> flow(realm.getAuthenticationFlowById(id));
            case AUTHENTICATOR_CONFIG -> {
                AuthenticatorConfigModel m = realm.getAuthenticatorConfigById(id);
                yield m == null ? null : object().set("config", tree(ModelToRepresentation.toRepresentation(m)));
            }
            case REQUIRED_ACTION -> {
                RequiredActionProviderModel m = realm.getRequiredActionProviderByAlias(id);
                yield m == null ? null : object().set("requiredAction", tree(ModelToRepresentation.toRepresentation(m)));
            }
            case GROUP -> group(session.groups().getGroupById(realm, id));
            case CLIENT_POLICIES -> clientPolicies(id);
            case USER_PROFILE -> object().set("userProfile",
                    tree(session.getProvider(UserProfileProvider.class).getConfiguration()));
            case DEFAULT_CLIENT_SCOPES -> {
                ObjectNode o = object();
                ArrayNode a = o.putArray("scopes");
                realm.getDefaultClientScopesStream("default".equals(id)).sorted(Comparator.comparing(ClientScopeModel::getName))
                        .forEach(s -> a.addObject().put("id", s.getId()).put("name", s.getName()));
                yield o;
            }
            case DEFAULT_GROUPS -> {
                ObjectNode o = object();
                ArrayNode a = o.putArray("groups");
                realm.getDefaultGroupsStream().sorted(Comparator.comparing(GroupModel::getId))
                        .forEach(g -> a.addObject().put("id", g.getId()).put("path", KeycloakModelUtils.buildGroupPath(g)));
                yield o;
            }
            case GROUP_REACH -> groupReach(session.groups().getGroupById(realm, id));
            case ROLE_REACH -> roleReach(realm.getRoleById(id));
            case ROLE_NAME -> roleByName(id);
            case CLIENT_SCOPE_NAME -> clientScope(realm.getClientScopesStream().filter(cs -> id.equals(cs.getName()))
                    .findFirst().orElse(null));
            case GROUP_PATH -> {
                GroupModel g = KeycloakModelUtils.findGroupByPath(session, realm, id);
                yield g == null ? null : object().put("id", g.getId()).<ObjectNode>set("group", group(g)).set("reach", groupReach(g));
            }
            case USER_NAME -> user(session.users().getUserByUsername(realm, id));
            case USER_ID -> user(session.users().getUserById(realm, id));
            case USER_EMAIL -> userByEmail(id);
            case CLIENT_ID -> {
                ClientModel c = realm.getClientByClientId(id);
                yield c == null ? null : object().put("id", c.getId()).put("clientId", c.getClientId())
                        .put("serviceAccountsEnabled", c.isServiceAccountsEnabled());
            }
            case ADMIN_PERMISSION_ADMINISTRATORS -> new AdminPermissionAdministrators(session, realm).image(id);
            case APPROVER_ROLE_HOLDERS -> approverRoleHolders(id);
            default -> null;
        };
    }

    /** Usernames listed in an {@link #APPROVER_ROLE_HOLDERS} image at most; its count and digest cover every holder. */
    static final int LISTED_HOLDERS = 50;

    /**
     * The direct holders of a role in a realm ({@code <realm name>/<role name>}): the approvers a policy naming them
     * makes. A role held before a policy named it (a master admin who granted herself a role no policy named yet)
     * makes approvers the moment the policy changes, with no grant to review: the policy change shows them, and a
     * holder added between approval and apply is a changed target.
     */
    private JsonNode approverRoleHolders(String id) {
        int slash = id.indexOf('/');
        RealmModel approverRealm = slash < 0 ? null : session.realms().getRealmByName(id.substring(0, slash));
        ObjectNode o = object();
        o.put("realm", slash < 0 ? id : id.substring(0, slash));
        o.put("role", slash < 0 ? "" : id.substring(slash + 1));
        RoleModel role = approverRealm == null ? null : Approvers.approverRole(approverRealm, id.substring(slash + 1));
        List<org.keycloak.models.UserModel> holders = role == null ? List.of()
                : Approvers.directHolders(session, approverRealm, role)
                        .sorted(Comparator.comparing(org.keycloak.models.UserModel::getUsername)).toList();
        o.put("count", holders.size());
        ArrayNode listed = o.putArray("holders");
        holders.stream().limit(LISTED_HOLDERS).forEach(u -> listed.add(u.getUsername()));
        o.put("digest", dev.nhiguard.guard.canonical.CanonicalJson.sha256Hex(
                String.join("\n", holders.stream().map(org.keycloak.models.UserModel::getId).toList())));
        return o;
    }

    /** The user an email stands for (or that several do, where the realm allows duplicate emails). */
    private JsonNode userByEmail(String email) {
        try {
            return user(session.users().getUserByEmail(realm, email));
        } catch (org.keycloak.models.ModelDuplicateException e) {
            return object().put("several", true); // a realm with duplicate emails allowed: several users have it
        }
    }

    /** Which user a name or id stands for: enough to tell another user (a deleted one re-created under the name). */
    private JsonNode user(org.keycloak.models.UserModel user) {
        return user == null ? null : object().put("id", user.getId()).put("username", user.getUsername());
    }

    /** The roles a member of the group holds through it (and its ancestors), composites expanded, by name. */
    private JsonNode groupReach(GroupModel g) {
        if (g == null) {
            return null;
        }
        java.util.List<RoleModel> direct = new java.util.ArrayList<>();
        for (GroupModel at = g; at != null; at = at.getParent()) {
            at.getRoleMappingsStream().forEach(direct::add);
        }
        ObjectNode o = object().put("path", KeycloakModelUtils.buildGroupPath(g));
        ArrayNode roles = o.putArray("effectiveRoles");
        org.keycloak.models.utils.RoleUtils.expandCompositeRolesStream(direct.stream()).map(Definitions::roleName).distinct()
                .sorted().forEach(roles::add);
        return o;
    }

    /** The role a {@link #ROLE_NAME} key names: its id and closure, or null. */
    private JsonNode roleByName(String key) {
        RoleModel role = null;
        if (key.startsWith("realm:")) {
            role = realm.getRole(key.substring("realm:".length()));
        } else if (key.startsWith("client:") && key.indexOf(':', "client:".length()) > 0) {
            int colon = key.indexOf(':', "client:".length()); // the client id is URL-encoded: its first ':' ends it
            ClientModel client = realm.getClientByClientId(
                    java.net.URLDecoder.decode(key.substring("client:".length(), colon), java.nio.charset.StandardCharsets.UTF_8));
            role = client == null ? null : client.getRole(key.substring(colon + 1));
        }
        if (role == null) {
            return null;
        }
        ObjectNode o = (ObjectNode) roleReach(role);
        o.put("id", role.getId());
        return o;
    }

    /** The key of a {@link #ROLE_NAME} definition: a realm role's name, or a client role's client id and name. */
    static String roleNameKey(String clientId, String role) {
        return ROLE_NAME + ":" + (clientId == null ? "realm:" + role
                : "client:" + java.net.URLEncoder.encode(clientId, java.nio.charset.StandardCharsets.UTF_8) + ":" + role);
    }

    /** The role's composite closure, by name. */
    private JsonNode roleReach(RoleModel role) {
        if (role == null) {
            return null;
        }
        ObjectNode o = object().put("role", roleName(role));
        ArrayNode roles = o.putArray("effectiveRoles");
        org.keycloak.models.utils.RoleUtils.expandCompositeRolesStream(java.util.stream.Stream.of(role)).map(Definitions::roleName)
                .distinct().sorted().forEach(roles::add);
        return o;
    }

    private JsonNode role(RoleModel role) {
        if (role == null) {
            return null;
        }
        ObjectNode o = object();
        o.set("role", tree(ModelToRepresentation.toRepresentation(role)));
        ArrayNode composites = o.putArray("composites");
        role.getCompositesStream().sorted(Comparator.comparing(Definitions::roleName))
                .forEach(r -> composites.addObject().put("id", r.getId()).put("name", roleName(r)));
        return o;
    }

    private JsonNode clientScope(ClientScopeModel scope) {
        if (scope == null) {
            return null;
        }
        ObjectNode o = object();
        ObjectNode rep = tree(ModelToRepresentation.toRepresentation(scope));
        sortByName(rep, "protocolMappers");
        o.set("clientScope", rep);
        scopeMappings(o, scope);
        return o;
    }

    private JsonNode identityProvider(IdentityProviderModel idp) {
        if (idp == null) {
            return null;
        }
        ObjectNode o = object();
        o.set("identityProvider", tree(ModelToRepresentation.toRepresentation(session, realm, idp)));
        ArrayNode mappers = o.putArray("mappers");
        session.identityProviders().getMappersByAliasStream(idp.getAlias())
                .sorted(Comparator.comparing(m -> m.getName()))
                .forEach(m -> mappers.add(tree(ModelToRepresentation.toRepresentation(m))));
        return o;
    }

    /**
     * A component as Keycloak's admin API shows it (secrets its provider declares as Keycloak's
     * mask), and the keyed fingerprints of those secrets, so a changed secret is a changed target.
     */
    private JsonNode component(ComponentModel component) {
        if (component == null) {
            return null;
        }
        ComponentRepresentation shown = ModelToRepresentation.toRepresentation(session, component, false);
        ObjectNode o = object();
        o.set("component", tree(shown));
        // an array of {key, fingerprints}: a secret's config key as a member name would be sealed once more
        ArrayNode fingerprints = o.putArray("secretFingerprints");
        var sealer = Sealing.sealer(session, realm.getId());
        Map<String, List<String>> visible = shown.getConfig() == null ? Map.of() : shown.getConfig();
        // what Keycloak does not show in clear: secrets it masks, and keys its provider does not declare
        // (a generated key provider's private key)
        new TreeMap<>(component.getConfig()).forEach((k, v) -> {
            List<String> seen = visible.get(k);
            if (v != null && (seen == null || seen.contains(ComponentRepresentation.SECRET_VALUE))) {
                ArrayNode a = fingerprints.addObject().put("key", k).putArray("fingerprints");
                v.forEach(x -> a.add(sealer.fingerprint(x)));
            }
        });
        // the config keys its provider declares: Keycloak's update skips the others, so the diff does too
        try {
            ArrayNode declared = o.putArray(JsonDiff.DECLARED_CONFIG);
            org.keycloak.models.utils.ComponentUtil.getComponentConfigProperties(session, component).keySet().stream().sorted()
                    .forEach(declared::add);
        } catch (RuntimeException e) {
            o.remove(JsonDiff.DECLARED_CONFIG); // a provider Keycloak does not know: the diff shows every key given
        }
        return o;
    }

    /** A flow, its executions (sub-flows' too, in order) and their authenticator configs. */
    private JsonNode flow(AuthenticationFlowModel flow) {
        if (flow == null) {
            return null;
        }
        ObjectNode o = object();
        o.putObject("flow").put("id", flow.getId()).put("alias", flow.getAlias()).put("description", flow.getDescription())
                .put("providerId", flow.getProviderId()).put("topLevel", flow.isTopLevel()).put("builtIn", flow.isBuiltIn());
        ArrayNode executions = o.putArray("executions");
        executions(flow.getId(), executions, 0);
        return o;
    }

    private void executions(String flowId, ArrayNode out, int depth) {
        if (depth > 20) {
            return; // Keycloak refuses deeper nesting; a cycle would not end
        }
        realm.getAuthenticationExecutionsStream(flowId).sorted(Comparator.comparingInt(AuthenticationExecutionModel::getPriority)
                .thenComparing(AuthenticationExecutionModel::getId)).forEach(e -> {
                    ObjectNode x = tree(ModelToRepresentation.toRepresentation(e));
                    if (e.getAuthenticatorConfig() != null) {
                        AuthenticatorConfigModel cfg = realm.getAuthenticatorConfigById(e.getAuthenticatorConfig());
                        if (cfg != null) {
                            x.set("config", tree(ModelToRepresentation.toRepresentation(cfg)));
                        }
                    }
                    out.add(x);
                    if (e.isAuthenticatorFlow() && e.getFlowId() != null) {
                        executions(e.getFlowId(), out, depth + 1);
                    }
                });
    }

    private JsonNode group(GroupModel g) {
        if (g == null) {
            return null;
        }
        ObjectNode o = object();
        ObjectNode rep = o.putObject("group").put("id", g.getId()).put("name", g.getName())
                .put("path", KeycloakModelUtils.buildGroupPath(g)).put("parentId", g.getParentId());
        rep.set("attributes", tree(new TreeMap<>(g.getAttributes())));
        ArrayNode realmRoles = o.putArray("realmRoles");
        g.getRealmRoleMappingsStream().map(RoleModel::getName).sorted().forEach(realmRoles::add);
        o.set("clientRoles", byClient(g.getRoleMappingsStream()));
        return o;
    }

    private JsonNode clientPolicies(String which) {
        try {
            return "policies".equals(which)
                    ? object().set("policies", tree(session.clientPolicy().getClientPolicies(realm, false)))
                    : object().set("profiles", tree(session.clientPolicy().getClientProfiles(realm, false)));
        } catch (ClientPolicyException e) {
            throw new IllegalStateException("client policies of realm " + realm.getName() + " unreadable", e);
        }
    }

    private void scopeMappings(ObjectNode o, ScopeContainerModel container) {
        ArrayNode realmScopes = o.putArray("realmScopeMappings");
        container.getRealmScopeMappingsStream().map(RoleModel::getName).sorted().forEach(realmScopes::add);
        o.set("clientScopeMappings", byClient(container.getScopeMappingsStream()));
    }

    /** Client roles by client id, names sorted. */
    private static ObjectNode byClient(Stream<RoleModel> roles) {
        TreeMap<String, List<String>> byClient = new TreeMap<>();
        roles.filter(RoleModel::isClientRole).forEach(r -> byClient
                .computeIfAbsent(((ClientModel) r.getContainer()).getClientId(), k -> new java.util.ArrayList<>()).add(r.getName()));
        ObjectNode out = object();
        byClient.forEach((k, v) -> {
            ArrayNode a = out.putArray(k);
            v.stream().sorted().forEach(a::add);
        });
        return out;
    }

    static String roleName(RoleModel r) {
        return r.isClientRole() ? ((ClientModel) r.getContainer()).getClientId() + "/" + r.getName() : r.getName();
    }

    private static void sortByName(ObjectNode rep, String field) {
        if (rep.get(field) instanceof ArrayNode a) {
            List<JsonNode> items = new java.util.ArrayList<>();
            a.forEach(items::add);
            items.sort(Comparator.comparing(n -> n.path("name").asText()));
            a.removeAll();
            items.forEach(a::add);
        }
    }

    private static ObjectNode object() {
        return JsonSerialization.mapper.createObjectNode();
    }

    private static ObjectNode tree(Object value) {
        JsonNode n = JsonSerialization.mapper.valueToTree(value);
        return n instanceof ObjectNode o ? o : object().set("value", n);
    }
}
