package dev.nhiguard.guard.changerequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.keycloak.authorization.fgap.AdminPermissionsSchema;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.canonical.CanonicalJson;

/**
 * Who the realm's fine-grained admin permissions (v2) reach: the users that the policies of its
 * {@code admin-permissions} client name, directly, through a group (with its subgroups) or through
 * a role (held directly, through a group or through a composite), together with the subjects a
 * request's body names. A write to those permissions is approved for the administrators it makes
 * then; pinned in the request's before-image, a user who joins such a group or gets such a role
 * between approval and apply is a changed target, and the apply is refused.
 *
 * <p>The body's subjects are kept as the body names them ({@link #references}) and resolved as
 * Keycloak's policy providers resolve them (a group by id or path, a role by id, name or
 * {@code clientId/name}, a user by id or username), each time the image is taken: one that does
 * not exist at approval and is created before the apply changes the image too.
 */
final class AdminPermissionAdministrators {

    /** Usernames listed for the approver; the count and digest cover everyone. */
    private static final int LISTED = 50;

    private final KeycloakSession session;
    private final RealmModel realm;

    AdminPermissionAdministrators(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /**
     * The subjects a policy body names (typed fields, or a generic policy's {@code config}), as canonical JSON, and
     * whether the policy it writes may admit anyone ({@link AdminPermissionSubjects#admitsAnyone}).
     *
     * @param pathType the policy type the path names ({@code …/policy/role}), or null
     */
    static String references(String pathType, JsonNode body) {
        ObjectNode refs = JsonSerialization.mapper.createObjectNode();
        ArrayNode groups = refs.putArray("groups");
        ArrayNode roles = refs.putArray("roles");
        ArrayNode users = refs.putArray("users");
        if (body instanceof ObjectNode o) {
            collect(o.get("groups"), groups);
            collect(o.get("roles"), roles);
            collect(o.get("users"), users);
            ObjectNode config = o.get("config") instanceof ObjectNode c ? c : JsonSerialization.mapper.createObjectNode();
            collect(parsed(config.get("groups")), groups);
            collect(parsed(config.get("roles")), roles);
            collect(parsed(config.get("users")), users);
            String type = o.hasNonNull("type") ? o.get("type").asText() : pathType;
            String fetchRoles = o.hasNonNull("fetchRoles") ? o.get("fetchRoles").asText() : config.path("fetchRoles").asText(null);
            String groupsClaim = o.hasNonNull("groupsClaim") ? o.get("groupsClaim").asText() : config.path("groupsClaim").asText(null);
            boolean anyone = AdminPermissionSubjects.admitsAnyone(type, o.path("logic").asText(null), fetchRoles, groupsClaim);
            // a body without a type (a permission's settings, an update by id) is judged by its logic alone
            refs.put("anyone", type == null ? "NEGATIVE".equalsIgnoreCase(o.path("logic").asText("")) : anyone);
        }
        return CanonicalJson.canonicalize(refs);
    }

    /** A generic policy's config holds its subjects as JSON text. */
    private static JsonNode parsed(JsonNode text) {
        if (text == null || !text.isTextual()) {
            return text;
        }
        try {
            return JsonSerialization.mapper.readTree(text.asText());
        } catch (java.io.IOException | RuntimeException e) {
            return null; // Keycloak refuses a config it cannot read
        }
    }

    /** Adds the references of an array: strings, or objects with {@code id} or {@code path}. */
    private static void collect(JsonNode array, ArrayNode into) {
        if (array == null || !array.isArray()) {
            return;
        }
        for (JsonNode n : array) {
            if (n.isTextual()) {
                into.addObject().put("id", n.asText());
            } else if (n.isObject()) {
                ObjectNode ref = into.addObject();
                if (n.hasNonNull("id")) {
                    ref.put("id", n.get("id").asText());
                }
                if (n.hasNonNull("path")) {
                    ref.put("path", n.get("path").asText());
                }
            }
        }
    }

    /** The image: how many users the permissions and the body reach, the first of them by username, and a digest of all. */
    JsonNode image(String references) {
        JsonNode refs;
        try {
            refs = JsonSerialization.mapper.readTree(references);
        } catch (java.io.IOException | RuntimeException e) {
            return null; // unreadable: compares as changed
        }
        AdminPermissionSubjects fgap = AdminPermissionSubjects.of(session, realm);
        // on every subject, whatever the admin asking may see (fine-grained admin permissions filter member queries)
        return AdminPermissionsSchema.runWithoutAuthorization(session, () -> {
            Set<String> ids = new TreeSet<>();
            fgap.userIds().forEach(id -> user(id, ids));
            fgap.groupIds().forEach(id -> members(session.groups().getGroupById(realm, id), ids));
            refs.path("users").forEach(r -> user(r.path("id").asText(""), ids));
            refs.path("groups").forEach(r -> members(group(r), ids));
            Set<RoleModel> roles = new java.util.HashSet<>();
            fgap.roleIds().stream().map(realm::getRoleById).filter(java.util.Objects::nonNull).forEach(roles::add);
            refs.path("roles").forEach(r -> {
                RoleModel role = role(r.path("id").asText(""));
                if (role != null) {
                    roles.add(role);
                }
            });
            holders(roles, ids);
            ObjectNode o = JsonSerialization.mapper.createObjectNode();
            o.put("administrators", ids.size());
            o.put("anyUser", fgap.everyone() || refs.path("anyone").asBoolean(false));
            // the first users by id, by username: enough to recognise them; the count and the digest cover all
            ArrayNode names = o.putArray("usernames");
            ids.stream().limit(LISTED).map(id -> session.users().getUserById(realm, id)).filter(java.util.Objects::nonNull)
                    .map(UserModel::getUsername).sorted().forEach(names::add);
            o.put("digest", sha256(String.join("\n", ids)));
            return o;
        });
    }

    private void user(String idOrUsername, Set<String> into) {
        UserModel u = session.users().getUserById(realm, idOrUsername);
        if (u == null) {
            u = session.users().getUserByUsername(realm, idOrUsername);
        }
        if (u != null) {
            into.add(u.getId());
        }
    }

    /**
     * A group policy's group as Keycloak's group policy provider finds it: by its id when one is given (nothing else),
     * otherwise by its path, one leading {@code /} dropped, each {@code /}-separated name looked up under the last.
     */
    private GroupModel group(JsonNode ref) {
        if (ref.hasNonNull("id")) {
            return session.groups().getGroupById(realm, ref.get("id").asText());
        }
        if (!ref.hasNonNull("path")) {
            return null;
        }
        String path = ref.get("path").asText();
        GroupModel g = null;
        for (String name : (path.startsWith("/") ? path.substring(1) : path).split("/")) {
            g = session.groups().getGroupByName(realm, g, name);
            if (g == null) {
                return null;
            }
        }
        return g;
    }

    private static final java.util.regex.Pattern UUID = java.util.regex.Pattern.compile(
            "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}");

    /**
     * A role policy's role as Keycloak's role policy provider finds it: with a {@code /}, the role after the first one
     * of the client before it (never a realm role of that name); otherwise a UUID by id, then by name, anything else
     * by name, then by id.
     */
    private RoleModel role(String ref) {
        int slash = ref.indexOf('/');
        if (slash >= 0) {
            ClientModel c = realm.getClientByClientId(ref.substring(0, slash));
            return c == null ? null : c.getRole(ref.substring(slash + 1));
        }
        if (ref.isEmpty()) {
            return null;
        }
        boolean uuid = UUID.matcher(ref).matches();
        RoleModel r = uuid ? realm.getRoleById(ref) : realm.getRole(ref);
        return r != null ? r : uuid ? realm.getRole(ref) : realm.getRoleById(ref);
    }

    /** The group's members and its subgroups' members (a group policy may extend to children). */
    private void members(GroupModel g, Set<String> into) {
        if (g == null) {
            return;
        }
        session.users().getGroupMembersStream(realm, g).forEach(u -> into.add(u.getId()));
        g.getSubGroupsStream().forEach(sub -> members(sub, into));
    }

    /** Everyone who holds one of the roles: directly, through a group, through a composite (default roles included). */
    private void holders(Set<RoleModel> roles, Set<String> into) {
        if (roles.isEmpty()) {
            return;
        }
        // one pass over the realm's roles: those that are, or contain, one of them
        Stream.concat(realm.getRolesStream(), realm.getClientsStream().flatMap(ClientModel::getRolesStream))
                .filter(r -> roles.stream().anyMatch(r::hasRole))
                .forEach(r -> {
                    session.users().getRoleMembersStream(realm, r).forEach(u -> into.add(u.getId()));
                    session.groups().getGroupsByRoleStream(realm, r, -1, -1).forEach(g -> members(g, into));
                });
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
