package dev.nhiguard.agent.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.persistence.EntityManager;

import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;

import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentQueries;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.store.ClientUsageEntity;

/**
 * One pass of the lifecycle policy over a realm's active agents: expired, orphaned (owner
 * disabled or deleted) and dormant agents are suspended, never deleted.
 */
public final class LifecycleRun {

    public static final String TRIGGER_EXPIRED = "expired";
    public static final String TRIGGER_ORPHANED = "owner-inactive";
    public static final String TRIGGER_DORMANT = "dormant";

    /** What a pass did. */
    public record Result(int evaluated, List<String> suspended, List<String> deferred) {
    }

    private final KeycloakSession session;
    private final RealmModel realm;
    private final LifecycleActions actions;

    public LifecycleRun(KeycloakSession session, RealmModel realm, AdminEventBuilder events) {
        this.session = session;
        this.realm = realm;
        this.actions = new LifecycleActions(session, realm, events);
    }

    public Result run() {
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        Instant now = AgentClock.now(session, realm);
        List<String> suspended = new ArrayList<>();
        List<String> deferred = new ArrayList<>();
        int evaluated = 0;
        for (String id : AgentQueries.agentClientIds(session, realm)) {
            ClientModel client = realm.getClientById(id);
            AgentRecord agent = client == null ? null : AgentRecord.of(client);
            if (agent == null || agent.status() != AgentRecord.Status.ACTIVE) {
                continue;
            }
            evaluated++;
            String[] why = reason(client, agent, policy, now);
            if (why == null) {
                continue;
            }
            LifecycleActions.Outcome outcome = actions.suspend(client, why[0], why[1]);
            if (outcome == LifecycleActions.Outcome.DONE) {
                suspended.add(client.getClientId());
            } else if (outcome == LifecycleActions.Outcome.RATE_LIMITED) {
                deferred.add(client.getClientId());
            }
        }
        return new Result(evaluated, suspended, deferred);
    }

    /** Suspends the active agents owned by a user or group that is now disabled or gone. */
    public List<String> suspendAgentsOf(String ownerId) {
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        List<String> out = new ArrayList<>();
        if (!policy.suspendOrphaned()) {
            return out;
        }
        for (String id : AgentQueries.agentClientIds(session, realm)) {
            ClientModel client = realm.getClientById(id);
            AgentRecord agent = client == null ? null : AgentRecord.of(client);
            if (agent == null || agent.status() != AgentRecord.Status.ACTIVE || !ownerId.equals(agent.ownerId())) {
                continue;
            }
            String orphan = orphanReason(agent);
            if (orphan != null && actions.suspend(client, TRIGGER_ORPHANED, orphan) == LifecycleActions.Outcome.DONE) {
                out.add(client.getClientId());
            }
        }
        return out;
    }

    private String[] reason(ClientModel client, AgentRecord agent, LifecyclePolicy policy, Instant now) {
        if (policy.suspendExpired() && (agent.expiresAt() == null || !now.isBefore(agent.expiresAt()))) {
            return new String[] {TRIGGER_EXPIRED, "expiry " + agent.expiresAt() + " reached"};
        }
        if (policy.suspendOrphaned()) {
            String orphan = orphanReason(agent);
            if (orphan != null) {
                return new String[] {TRIGGER_ORPHANED, orphan};
            }
        }
        if (policy.suspendDormant()) {
            Instant activity = latest(lastUsed(client), agent.createdAt(), agent.statusChangedAt());
            if (activity == null || Duration.between(activity, now).toDays() >= policy.dormantDays()) {
                return new String[] {TRIGGER_DORMANT, "no token since " + activity + " (policy: " + policy.dormantDays() + " days)"};
            }
        }
        return null;
    }

    private String orphanReason(AgentRecord agent) {
        if (AgentRecord.OWNER_USER.equals(agent.ownerType())) {
            UserModel u = agent.ownerId() == null ? null : session.users().getUserById(realm, agent.ownerId());
            if (u == null) {
                return "owner user " + agent.ownerId() + " no longer exists";
            }
            return u.isEnabled() ? null : "owner user " + u.getUsername() + " is disabled";
        }
        if (AgentRecord.OWNER_GROUP.equals(agent.ownerType())) {
            GroupModel g = agent.ownerId() == null ? null : session.groups().getGroupById(realm, agent.ownerId());
            return g == null ? "owner group " + agent.ownerId() + " no longer exists" : null;
        }
        return "the agent has no owner";
    }

    private Instant lastUsed(ClientModel client) {
        EntityManager em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
        ClientUsageEntity e = em.find(ClientUsageEntity.class, client.getId());
        return e == null ? null : Instant.ofEpochMilli(e.getLastUsed());
    }

    private static Instant latest(Instant... values) {
        Instant out = null;
        for (Instant v : values) {
            if (v != null && (out == null || v.isAfter(out))) {
                out = v;
            }
        }
        return out;
    }
}
