package dev.nhiguard.guard.changerequest;

import java.util.Iterator;
import java.util.Set;

import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.admission.RequestPath;
import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.sealing.Sealer;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * The admin request that restores an applied change request's before-image, for the
 * operations whose before-image is enough to restore them (agents and named definitions:
 * {@link DefinitionRollbacks}). Secrets, keys and deleted objects are not stored, so their
 * changes cannot be rolled back.
 */
final class Rollbacks {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The inverse request: method, path (with query) and body (may be null). */
    record Inverse(String method, String path, JsonNode body) {
    }

    private Rollbacks() {
    }

    static Inverse inverse(ChangeRequestEntity cr, RealmModel realm) {
        return inverse(cr, realm, null);
    }

    /**
     * @param restoredSecret the client secret the request replaced, in clear ({@link SecretRollback}), or null: then
     *                       the rollback keeps the current secret
     */
    static Inverse inverse(ChangeRequestEntity cr, RealmModel realm, String restoredSecret) {
        JsonNode before = ChangeRequestView.parse(cr.getBeforeImage());
        JsonNode body = Sealer.publicForm(ChangeRequestView.parse(cr.getBody()));
        if (before == null) {
            return null;
        }
        Inverse inverse = cr.getOperation().equals("client-secret-regenerate") && restoredSecret != null
                ? new Inverse("PUT", clientPath(cr.getPath()), clientRep(before))
                : inverse(cr, realm, before, body);
        // What is left of a credential (a fingerprint) becomes Keycloak's mask: Keycloak keeps the current value.
        inverse = inverse == null ? null : new Inverse(inverse.method(), inverse.path(), Sealer.masked(inverse.body()));
        if (inverse != null && restoredSecret != null && SecretRollback.OPERATIONS.contains(cr.getOperation())
                && inverse.body() instanceof ObjectNode rep) {
            // The replaced client secret, kept sealed with the request: held (and sealed again) like any other secret.
            rep.put("secret", restoredSecret);
        }
        return inverse;
    }

    /** {@code …/clients/{id}} of {@code …/clients/{id}/client-secret}. */
    private static String clientPath(String path) {
        int q = path.indexOf('?');
        String plain = q < 0 ? path : path.substring(0, q);
        return plain.substring(0, plain.lastIndexOf('/'));
    }

    private static Inverse inverse(ChangeRequestEntity cr, RealmModel realm, JsonNode before, JsonNode body) {
        String path = cr.getPath();
        return switch (cr.getOperation()) {
            case "client-update" -> new Inverse("PUT", path, clearAdded(clientRep(before), body));
            case "privileged-user-update", "service-account-user-attributes" -> new Inverse("PUT", path, userFieldsOf(before.path("user"), body));
            case "realm-security-settings" -> new Inverse("PUT", path, fieldsOf(before, body));
            case "realm-events-config" -> new Inverse("PUT", path, before);
            case "guard-policy-update", "realm-guard-policy-attribute" -> {
                String policy = before.path("policy").isTextual() ? before.path("policy").asText() : "{}";
                String prefix = path.substring(0, path.indexOf("/admin/realms/") + "/admin/realms/".length()) + realm.getName();
                try {
                    yield new Inverse("PUT", prefix + "/mutation-guard/policy", JSON.readTree(policy));
                } catch (java.io.IOException e) {
                    yield null;
                }
            }
            case "audit-realm-sinks-update" -> {
                if (!before.path("sinks").isArray()) {
                    yield null; // the configuration before was unreadable: nothing to restore
                }
                String prefix = path.substring(0, path.indexOf("/admin/realms/") + "/admin/realms/".length()) + realm.getName();
                ObjectNode restore = JSON.createObjectNode();
                restore.set("sinks", before.get("sinks").deepCopy());
                yield new Inverse("PUT", prefix + "/audit-chain/realm-sinks", restore);
            }
            case "service-account-realm-role-grant", "approver-role-grant" ->
                    rolesAdded(path, body, DefinitionRollbacks.names(before.path("realmRoles")));
            // a grant or join a directory keeps: its inverse goes to the directory as well (the role or group only)
            case "directory-membership-write" -> GROUP_JOIN.matcher(path).matches() ? groupJoined(realm, path, before)
                    : CLIENT_ROLE_GRANT.matcher(path).matches() ? clientRolesAdded(realm, path, body, before)
                    : rolesAdded(path, body, DefinitionRollbacks.names(before.path("realmRoles")));
            case "service-account-client-role-grant" -> clientRolesAdded(realm, path, body, before);
            case "approver-role-revoke" -> new Inverse("POST", path, body);
            case "client-scope-mapping-realm-add", "client-scope-mapping-client-add" -> new Inverse("DELETE", path, body);
            case "service-account-group-join" -> groupJoined(realm, path, before);
            // a revoke or leave a directory keeps: back into the directory, what the user held before only
            case "directory-membership-remove" -> GROUP_JOIN.matcher(path).matches() ? new Inverse("PUT", path, null)
                    : rolesRemoved(path, body, CLIENT_ROLE_GRANT.matcher(path).matches()
                            ? clientRolesHeld(realm, path, before) : DefinitionRollbacks.names(before.path("realmRoles")));
            case "client-default-scope-add", "client-optional-scope-add" -> new Inverse("DELETE", path, null);
            default -> definition(cr, realm, before, body);
        };
    }

    /** Why an applied request has no inverse request (the 422 of a rollback says it). */
    static String whyNot(ChangeRequestEntity cr) {
        String method = cr.getMethod() == null ? "" : cr.getMethod();
        return switch (cr.getOperation()) {
            case "realm-delete" -> "the realm and everything in it were deleted, the guard's own records with it";
            case "events-delete" -> "deleted events are not kept by the guard (the audit chain keeps its own records)";
            case "audit-chain-prune" -> "pruned audit records are not kept; restore them from an export";
            case "user-federation-action" -> "a sync, unlink or removal of federated users changes users the before-image does not hold";
            case "workflow-config", "admin-permissions", "organization-identity-provider", "unclassified-write",
                    "brute-force-clear-all", "client-registration-access-token", "user-create-privileged", "user-create-bootstrap-approver",
                    "identity-claim-mapper", "realm-localization-texts" ->
                    "the guard takes no before-image of what this operation changes";
            default -> switch (method) {
                case "DELETE" -> "a deleted object's secrets, and what referred to it (grants, links, clients using it), "
                        + "are not in its before-image";
                case "POST" -> cr.getBeforeImage() == null ? "the request created an object the before-image does not name"
                        : "the request ran an action or added something the before-image cannot name";
                default -> "secrets, keys and the structure of flows are not restored from before-images";
            };
        };
    }

    /** Agents and named definitions: {@link DefinitionRollbacks}, with the realm as it is now. */
    private static Inverse definition(ChangeRequestEntity cr, RealmModel realm, JsonNode before, JsonNode body) {
        String path = cr.getPath().indexOf('?') < 0 ? cr.getPath() : cr.getPath().substring(0, cr.getPath().indexOf('?'));
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        java.util.List<String> segments;
        try {
            segments = RequestPath.parse(path).segments();
        } catch (RequestPath.Refused e) {
            return null;
        }
        if (segments.size() < 3) {
            return null;
        }
        return DefinitionRollbacks.inverse(cr.getOperation(), cr.getMethod(), path, segments.subList(3, segments.size()),
                before, body, realm == null ? null : new ModelLookup(realm));
    }

    /** {@link DefinitionRollbacks.Lookup} on the realm's models. */
    private record ModelLookup(RealmModel realm) implements DefinitionRollbacks.Lookup {
        @Override
        public String clientScopeMapperId(String scopeId, String protocol, String name) {
            org.keycloak.models.ClientScopeModel scope = realm.getClientScopeById(scopeId);
            org.keycloak.models.ProtocolMapperModel m = scope == null ? null : scope.getProtocolMapperByName(protocol, name);
            return m == null ? null : m.getId();
        }

        @Override
        public String roleId(String clientUuid, String name) {
            ClientModel client = clientUuid == null ? null : realm.getClientById(clientUuid);
            org.keycloak.models.RoleModel r = clientUuid == null ? realm.getRole(name) : client == null ? null : client.getRole(name);
            return r == null ? null : r.getId();
        }

        @Override
        public String clientId(String clientUuid) {
            ClientModel client = realm.getClientById(clientUuid);
            return client == null ? null : client.getClientId();
        }
    }

    /** The client of a before-image as an update body, without credentials (Keycloak keeps what a body leaves out). */
    private static ObjectNode clientRep(JsonNode before) {
        ObjectNode rep = before.path("client").deepCopy();
        rep.remove("secret"); // stored only as a fingerprint; Keycloak keeps the secret when absent
        if (rep.path("attributes") instanceof ObjectNode attrs) {
            // stored only as fingerprints; Keycloak keeps an attribute the body leaves out
            java.util.List<String> keys = new java.util.ArrayList<>();
            attrs.fieldNames().forEachRemaining(keys::add);
            keys.stream().filter(TargetState::isSecretAttribute).forEach(attrs::remove);
        }
        rep.remove("access");
        return rep;
    }

    /**
     * Attributes the request added that the before-image lacks, set to "" so that Keycloak clears
     * them (it keeps an attribute an update body leaves out; "" is how its console clears one).
     * Without this, rolling back an update that added, say, a token lifespan left it in place.
     */
    private static ObjectNode clearAdded(ObjectNode rep, JsonNode body) {
        if (body != null && body.path("attributes") instanceof ObjectNode asked) {
            ObjectNode attrs = rep.with("attributes");
            asked.fieldNames().forEachRemaining(k -> {
                if (!attrs.has(k) && !TargetState.isSecretAttribute(k)) {
                    attrs.put(k, "");
                }
            });
        }
        return rep;
    }

    /** {@code …/users/{user}/groups/{group}}, matched at the path's end (a realm may be called {@code groups}). */
    private static final java.util.regex.Pattern GROUP_JOIN = java.util.regex.Pattern.compile(".*/users/[^/]+/groups/([^/?]+)");
    /** {@code …/role-mappings/clients/{client}}: Keycloak finds the granted roles in the path's client, by name. */
    private static final java.util.regex.Pattern CLIENT_ROLE_GRANT = java.util.regex.Pattern.compile(".*/role-mappings/clients/([^/?]+)");

    /**
     * A group join's inverse: leave the group, unless the user was in it before (Keycloak's join then changed nothing,
     * and leaving would take away a membership the change did not give).
     */
    private static Inverse groupJoined(RealmModel realm, String path, JsonNode before) {
        java.util.regex.Matcher m = GROUP_JOIN.matcher(path);
        org.keycloak.models.GroupModel group = m.matches() ? realm.getGroupById(m.group(1)) : null;
        if (group != null && DefinitionRollbacks.names(before.path("groups"))
                .contains(org.keycloak.models.utils.ModelToRepresentation.buildGroupPath(group))) {
            return null;
        }
        return new Inverse("DELETE", path, null);
    }

    /** The roles of the path's client the user held before. */
    private static Set<String> clientRolesHeld(RealmModel realm, String path, JsonNode before) {
        java.util.regex.Matcher m = CLIENT_ROLE_GRANT.matcher(path);
        ClientModel client = m.matches() ? realm.getClientById(m.group(1)) : null;
        return client == null ? Set.of() : DefinitionRollbacks.names(before.path("clientRoles").path(client.getClientId()));
    }

    /** A revoke's inverse: grant again the roles of the body the user held before (a revoke of one not held did nothing). */
    private static Inverse rolesRemoved(String path, JsonNode body, Set<String> heldBefore) {
        ArrayNode back = JSON.createArrayNode();
        if (body != null) {
            body.forEach(r -> {
                if (heldBefore.contains(r.path("name").asText(""))) {
                    back.add(r);
                }
            });
        }
        return back.isEmpty() ? null : new Inverse("POST", path, back);
    }

    /** A client-role grant's inverse: the roles of the path's client the user did not hold before. */
    private static Inverse clientRolesAdded(RealmModel realm, String path, JsonNode body, JsonNode before) {
        java.util.regex.Matcher m = CLIENT_ROLE_GRANT.matcher(path);
        ClientModel client = m.matches() ? realm.getClientById(m.group(1)) : null;
        Set<String> had = client == null ? Set.of() : DefinitionRollbacks.names(before.path("clientRoles").path(client.getClientId()));
        return rolesAdded(path, body, had);
    }

    private static Inverse rolesAdded(String path, JsonNode body, Set<String> hadBefore) {
        ArrayNode added = DefinitionRollbacks.addedByName(body, hadBefore);
        return added == null ? null : new Inverse("DELETE", path, added);
    }

    /**
     * The before values of the fields a user update changed: with an attributes map, also the
     * profile's root fields (email, names), which Keycloak removes when the map leaves them out.
     */
    private static JsonNode userFieldsOf(JsonNode before, JsonNode body) {
        JsonNode out = fieldsOf(before, body);
        if (body != null && body.path("attributes").isObject() && out instanceof ObjectNode o) {
            for (String f : java.util.List.of("email", "firstName", "lastName")) {
                if (!o.has(f) && before.hasNonNull(f)) {
                    o.set(f, before.get(f));
                }
            }
        }
        return out;
    }

    /** The before values of exactly the fields the request changed. */
    private static JsonNode fieldsOf(JsonNode before, JsonNode body) {
        ObjectNode out = JSON.createObjectNode();
        if (body == null) {
            return out;
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (f.equals("attributes") && body.get(f).isObject()) {
                ObjectNode attrs = out.putObject("attributes");
                before.path("attributes").fields().forEachRemaining(e -> attrs.set(e.getKey(), e.getValue()));
                if (body.get(f).has(Catalogue.POLICY_ATTRIBUTE) && !attrs.has(Catalogue.POLICY_ATTRIBUTE)) {
                    attrs.put(Catalogue.POLICY_ATTRIBUTE, "{}");
                }
            } else if (before.has(f)) {
                out.set(f, before.get(f));
            } else if (body.get(f).isTextual()) {
                out.put(f, "");
            }
        }
        return out;
    }
}
