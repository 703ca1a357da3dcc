package dev.nhiguard.guard.changerequest;

import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

import org.keycloak.models.ClientModel;
import org.keycloak.models.Constants;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Names Keycloak resolves only when someone logs in or a client asks for a token, so that
 * creating, deleting, renaming, granting or revoking what they name changes who must do what:
 * <ul>
 * <li>the values of the realm's authenticator configs: a flow condition names a role as
 *     {@code role} or {@code clientId.role} ({@code conditional-user-role}; a role that does not
 *     resolve, or that the user no longer holds, reads as "condition not met", so a second factor
 *     demanded of its holders is no longer demanded);</li>
 * <li>the values of the realm's client-policy conditions ({@code client-policies.policies}): a
 *     {@code client-roles} condition names client roles by their name alone, a
 *     {@code client-scopes} condition names client scopes; which clients a policy's profiles
 *     (holder-of-key tokens, DPoP, secret rotation, refusal) apply to follows from them.</li>
 * </ul>
 * Every value counts, of every config and every condition, enabled or not (enabling one is a
 * guarded realm change): the set is wider than Keycloak's reading, never narrower.
 */
final class GateNames {

    private final Set<String> authenticatorValues;
    /** Null when the realm's client policies cannot be read: then they name everything (fail closed). */
    private final Set<String> clientPolicyValues;

    private GateNames(Set<String> authenticatorValues, Set<String> clientPolicyValues) {
        this.authenticatorValues = authenticatorValues;
        this.clientPolicyValues = clientPolicyValues;
    }

    static GateNames of(RealmModel realm) {
        Set<String> authenticator = new HashSet<>();
        realm.getAuthenticatorConfigsStream().forEach(cfg -> {
            if (cfg.getConfig() != null) {
                cfg.getConfig().values().forEach(v -> addTrimmed(v, authenticator));
            }
        });
        return new GateNames(authenticator, clientPolicyValues(realm.getAttribute(Constants.CLIENT_POLICIES)));
    }

    /** Every text in the conditions of the realm's client policies; null when the attribute cannot be read. */
    static Set<String> clientPolicyValues(String json) {
        Set<String> out = new HashSet<>();
        if (json == null || json.isBlank()) {
            return out;
        }
        JsonNode policies;
        try {
            policies = KeycloakReading.mapper().readTree(json).path("policies");
        } catch (java.io.IOException e) {
            return null;
        }
        for (JsonNode policy : policies) {
            for (JsonNode condition : policy.path("conditions")) {
                texts(condition.path("configuration"), out);
            }
        }
        return out;
    }

    private static void texts(JsonNode node, Set<String> out) {
        if (node.isTextual()) {
            addTrimmed(node.asText(), out);
        } else if (node.isContainerNode()) {
            for (Iterator<JsonNode> it = node.elements(); it.hasNext();) {
                texts(it.next(), out);
            }
        }
    }

    private static void addTrimmed(String value, Set<String> out) {
        if (value != null && !value.isBlank()) {
            out.add(value.trim());
        }
    }

    private boolean policyNames(String name) {
        return clientPolicyValues == null || clientPolicyValues.contains(name);
    }

    /** Whether a gate names the role: by id or reference in an authenticator config, or (a client role) by name in a client policy. */
    boolean namesRole(RoleModel role, RealmModel realm) {
        if (authenticatorValues.contains(role.getId())) {
            return true;
        }
        String clientId = null;
        if (role.isClientRole()) {
            ClientModel owner = realm.getClientById(role.getContainerId());
            clientId = owner == null ? null : owner.getClientId();
        }
        return namesRole(role.getName(), clientId);
    }

    /**
     * Whether a gate names a role of this name: a realm role ({@code clientId} null) as
     * {@code name} in an authenticator config; a client role as {@code clientId.name} there, or
     * by its name alone in a client policy.
     */
    boolean namesRole(String name, String clientId) {
        if (clientId == null) {
            return authenticatorValues.contains(name);
        }
        return authenticatorValues.contains(clientId + "." + name) || policyNames(name);
    }

    /**
     * Whether an authenticator config names a role of the client with this clientId ({@code clientId.role}), or the
     * client itself: a {@code conditional-client-scope} condition whose scope name no scope has reads the client of
     * that clientId ({@code KeycloakModelUtils.getClientScopeByName}).
     */
    boolean namesRolesOfClient(String clientId) {
        String prefix = clientId + ".";
        return authenticatorValues.contains(clientId) || authenticatorValues.stream().anyMatch(v -> v.startsWith(prefix));
    }

    /** Whether a gate could name a client role of this name, whatever the client's clientId ({@code anyClient.name}, or the name in a client policy). */
    boolean namesAClientRoleCalled(String roleName) {
        String suffix = "." + roleName;
        return policyNames(roleName) || authenticatorValues.stream().anyMatch(v -> v.endsWith(suffix));
    }

    /** Whether an authenticator config holds this value (a user-attribute condition names its attribute so). */
    boolean namesValue(String value) {
        return authenticatorValues.contains(value.trim());
    }

    /** Whether a client policy or an authenticator config ({@code conditional-client-scope}) names the client scope. */
    boolean namesScope(String scopeName) {
        return policyNames(scopeName) || authenticatorValues.contains(scopeName.trim());
    }
}
