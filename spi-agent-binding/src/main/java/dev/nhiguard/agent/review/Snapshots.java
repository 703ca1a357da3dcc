package dev.nhiguard.agent.review;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.inventory.InventoryEntry;

/**
 * Builds an item's snapshot from the inventory entry and the recorded usage. A held role counts
 * as requested when a token of the period carried a client scope that maps it (through
 * composites), when the client is not full-scope and got a token in the period and its own scope
 * mappings hold it, or when it is a role of a client the tokens were exchanged for.
 */
final class Snapshots {

    static final ObjectMapper JSON = new ObjectMapper();

    private final KeycloakSession session;
    private final RealmModel realm;

    Snapshots(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    ItemSnapshot of(ClientModel client, InventoryEntry entry, long periodStart) {
        UserModel sa = session.users().getServiceAccount(client);
        ScopeUsage.Used used = ScopeUsage.since(session, client.getId(), periodStart);

        Map<String, ClientScopeModel> scopes = new LinkedHashMap<>();
        scopes.putAll(client.getClientScopes(true));
        scopes.putAll(client.getClientScopes(false));
        Set<String> held = new TreeSet<>();
        Set<String> notObservable = new TreeSet<>();
        Set<String> requestedRoleIds = new HashSet<>();
        for (Map.Entry<String, ClientScopeModel> s : scopes.entrySet()) {
            if (s.getValue().isIncludeInTokenScope()) {
                held.add(s.getKey());
            } else {
                notObservable.add(s.getKey());
            }
            if (used.scopes().contains(s.getKey())) {
                s.getValue().getScopeMappingsStream().forEach(r -> expand(r, requestedRoleIds));
            }
        }
        boolean usedInPeriod = entry.lastUsedAt() != null && Instant.parse(entry.lastUsedAt()).toEpochMilli() >= periodStart;
        if (!client.isFullScopeAllowed() && usedInPeriod) {
            client.getScopeMappingsStream().forEach(r -> expand(r, requestedRoleIds));
        }

        List<String> heldRoles = new ArrayList<>();
        List<String> requestedRoles = new ArrayList<>();
        List<String> unrequestedRoles = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        if (sa != null) {
            sa.getRoleMappingsStream().sorted((a, b) -> name(a).compareTo(name(b))).forEach(r -> {
                heldRoles.add(name(r));
                Set<String> closure = new HashSet<>();
                expand(r, closure);
                boolean viaScope = closure.stream().anyMatch(requestedRoleIds::contains);
                boolean viaAudience = r.isClientRole() && used.audiences().contains(((ClientModel) r.getContainer()).getClientId());
                (viaScope || viaAudience ? requestedRoles : unrequestedRoles).add(name(r));
            });
            sa.getGroupsStream().forEach(g -> groups.add(KeycloakModelUtils.buildGroupPath(g)));
        }
        List<String> requestedScopes = held.stream().filter(used.scopes()::contains).toList();
        List<String> unrequestedScopes = held.stream().filter(s -> !used.scopes().contains(s)).toList();
        return new ItemSnapshot(client.getId(), client.getClientId(), entry.agent(), entry.status(), client.isEnabled(),
                entry.purpose(), entry.owner(), entry.createdAt(), entry.lastUsedAt(), entry.credential(), entry.flags(),
                Instant.ofEpochMilli(periodStart).toString(),
                new ItemSnapshot.Roles(heldRoles, entry.roles().effective(), List.copyOf(new TreeSet<>(groups)), requestedRoles, unrequestedRoles),
                new ItemSnapshot.Scopes(List.copyOf(held), requestedScopes, unrequestedScopes, List.copyOf(notObservable)),
                List.copyOf(new TreeSet<>(used.audiences())));
    }

    /** Realm roles by name, client roles as {@code clientId/role}. */
    static String name(RoleModel r) {
        return r.isClientRole() ? ((ClientModel) r.getContainer()).getClientId() + "/" + r.getName() : r.getName();
    }

    /** The role named {@code name} or {@code clientId/role}, or null. */
    static RoleModel role(RealmModel realm, String name) {
        RoleModel realmRole = realm.getRole(name);
        if (realmRole != null) {
            return realmRole;
        }
        int slash = name.indexOf('/');
        if (slash <= 0) {
            return null;
        }
        ClientModel c = realm.getClientByClientId(name.substring(0, slash));
        return c == null ? null : c.getRole(name.substring(slash + 1));
    }

    private static void expand(RoleModel role, Set<String> out) {
        List<RoleModel> todo = new ArrayList<>(List.of(role));
        while (!todo.isEmpty()) {
            RoleModel r = todo.remove(todo.size() - 1);
            if (out.add(r.getId()) && r.isComposite()) {
                r.getCompositesStream().forEach(todo::add);
            }
        }
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lower-case hex SHA-256 of the UTF-8 bytes of the stored snapshot text. */
    static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
