package dev.nhiguard.agent.review;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;

import dev.nhiguard.agent.inventory.InventoryEntry;

/**
 * Who reviews an identity: its owner (the owner user, or the people in the owner group and its
 * subgroups) when the owner is active; otherwise the realm's approvers — the users holding the
 * mutation guard's approver role (policy {@code approverRole}, default {@code nhi-approver}) in
 * the guard's approver realm (policy {@code approverRealm}, default the realm itself). Only
 * enabled people count, never service accounts.
 */
final class Reviewers {

    static final String SOURCE_OWNER = "owner";
    static final String SOURCE_APPROVERS = "approvers";
    static final String SOURCE_NONE = "none";
    static final String GUARD_POLICY = "nhi.guard.policy";
    static final String DEFAULT_APPROVER_ROLE = "nhi-approver";
    static final int MAX = 200;

    /** The reviewers' user ids and where they came from. */
    record Resolved(List<String> userIds, String source) {
    }

    private final KeycloakSession session;
    private final RealmModel realm;

    Reviewers(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    Resolved of(InventoryEntry.Owner owner) {
        if (owner != null && "active".equals(owner.state())) {
            List<String> people = new ArrayList<>();
            if ("user".equals(owner.type())) {
                UserModel u = session.users().getUserById(realm, owner.id());
                if (person(u)) {
                    people.add(u.getId());
                }
            } else if ("group".equals(owner.type())) {
                GroupModel g = session.groups().getGroupById(realm, owner.id());
                Set<String> out = new LinkedHashSet<>();
                if (g != null) {
                    members(g, out, new LinkedHashSet<>());
                }
                people.addAll(out);
            }
            if (!people.isEmpty()) {
                return new Resolved(List.copyOf(people), SOURCE_OWNER);
            }
        }
        List<String> approvers = approvers();
        return new Resolved(approvers, approvers.isEmpty() ? SOURCE_NONE : SOURCE_APPROVERS);
    }

    /** The realm in which the reviewers of this realm are users. */
    RealmModel approverRealm() {
        JsonNode policy = guardPolicy();
        String name = policy == null ? null : policy.path("approverRealm").asText(null);
        if (name == null || name.isBlank()) {
            return realm;
        }
        RealmModel other = session.realms().getRealmByName(name);
        return other == null ? realm : other;
    }

    private List<String> approvers() {
        JsonNode policy = guardPolicy();
        String roleName = policy == null ? DEFAULT_APPROVER_ROLE : policy.path("approverRole").asText(DEFAULT_APPROVER_ROLE);
        RealmModel where = approverRealm();
        RoleModel role = where.getRole(roleName);
        if (role == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        session.users().getRoleMembersStream(where, role, 0, MAX).filter(this::person).forEach(u -> out.add(u.getId()));
        return List.copyOf(out);
    }

    private JsonNode guardPolicy() {
        String raw = realm.getAttribute(GUARD_POLICY);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return Snapshots.JSON.readTree(raw);
        } catch (Exception e) {
            return null;
        }
    }

    private void members(GroupModel group, Set<String> out, Set<String> seen) {
        if (!seen.add(group.getId()) || out.size() >= MAX) {
            return;
        }
        session.users().getGroupMembersStream(realm, group, 0, MAX).filter(this::person).forEach(u -> {
            if (out.size() < MAX) {
                out.add(u.getId());
            }
        });
        group.getSubGroupsStream().forEach(sub -> members(sub, out, seen));
    }

    private boolean person(UserModel u) {
        return u != null && u.isEnabled() && u.getServiceAccountClientLink() == null;
    }
}
