package dev.nhiguard.agent.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.resources.admin.AdminEventBuilder;

import dev.nhiguard.agent.notify.OwnerMail;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.AgentQueries;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.store.ClientUsageEntity;
import dev.nhiguard.agent.store.OwnerNoticeEntity;

/**
 * One pass of the lifecycle policy over a realm's active agents: expired, orphaned (owner
 * disabled or deleted) and dormant agents are suspended, never deleted; owners of agents whose
 * expiry is near are warned by email, once per agent and expiry date.
 */
public final class LifecycleRun {

    public static final String TRIGGER_EXPIRED = "expired";
    public static final String TRIGGER_ORPHANED = "owner-inactive";
    public static final String TRIGGER_DORMANT = "dormant";

    /** What a pass did; {@code expiryWarnings}: agents whose owners were warned of the coming expiry. */
    public record Result(int evaluated, List<String> suspended, List<String> deferred, List<String> expiryWarnings) {
    }

    static final String NOTICE_EXPIRY = "expiry-warning";

    private static final Logger LOG = Logger.getLogger(LifecycleRun.class);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final LifecycleActions actions;
    private final OwnerMail.Outbox outbox;

    public LifecycleRun(KeycloakSession session, RealmModel realm, AdminEventBuilder events) {
        this.session = session;
        this.realm = realm;
        this.actions = new LifecycleActions(session, realm, events);
        this.outbox = new OwnerMail.Outbox(session);
    }

    public Result run() {
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        Instant now = AgentClock.now(session, realm);
        List<String> suspended = new ArrayList<>();
        List<String> deferred = new ArrayList<>();
        List<String> warned = new ArrayList<>();
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
                if (warnOfExpiry(client, agent, policy, now)) {
                    warned.add(client.getClientId());
                }
                continue;
            }
            LifecycleActions.Outcome outcome = TRIGGER_ORPHANED.equals(why[0])
                    ? actions.suspendOwnerLost(client, why[0], why[1]) : actions.suspend(client, why[0], why[1]);
            if (outcome == LifecycleActions.Outcome.DONE) {
                suspended.add(client.getClientId());
            } else if (outcome == LifecycleActions.Outcome.RATE_LIMITED) {
                deferred.add(client.getClientId());
            }
        }
        return new Result(evaluated, suspended, deferred, warned);
    }

    /**
     * Emails the owner once per agent and expiry date when the expiry is within the policy's
     * warning window. The notice is claimed by inserting a row whose unique key is (client,
     * kind, expiry) in its own transaction, so across nodes and restarts one claim wins; the
     * mail leaves after this pass's transaction ends.
     */
    private boolean warnOfExpiry(ClientModel client, AgentRecord agent, LifecyclePolicy policy, Instant now) {
        if (policy.expiryWarningDays() <= 0 || agent.expiresAt() == null || !now.isBefore(agent.expiresAt())
                || now.plus(Duration.ofDays(policy.expiryWarningDays())).isBefore(agent.expiresAt())
                || !OwnerMail.canSend(realm)) {
            return false;
        }
        String subject = Long.toString(agent.expiresAt().getEpochSecond());
        if (!claimNotice(client, NOTICE_EXPIRY, subject, now)) {
            return false;
        }
        OwnerMail.Mail mail = OwnerMail.expiryWarning(session, realm, client, agent, now);
        if (mail.userIds().isEmpty()) {
            LOG.infof("realm %s: agent %s expires %s; its owner has no active person with email to warn",
                    realm.getName(), client.getClientId(), agent.expiresAt());
        }
        outbox.afterCompletion(mail);
        return true;
    }

    private boolean claimNotice(ClientModel client, String kind, String subject, Instant now) {
        String realmId = realm.getId();
        String clientUuid = client.getId();
        AtomicBoolean claimed = new AtomicBoolean();
        try {
            KeycloakModelUtils.runJobInTransaction(session.getKeycloakSessionFactory(), s -> {
                EntityManager em = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                Long existing = em.createQuery("select count(n) from OwnerNoticeEntity n where n.clientId = :client"
                                + " and n.kind = :kind and n.subjectKey = :subject", Long.class)
                        .setParameter("client", clientUuid).setParameter("kind", kind).setParameter("subject", subject)
                        .getSingleResult();
                if (existing > 0) {
                    return;
                }
                OwnerNoticeEntity n = new OwnerNoticeEntity();
                n.setId(UUID.randomUUID().toString());
                n.setRealmId(realmId);
                n.setClientId(clientUuid);
                n.setKind(kind);
                n.setSubjectKey(subject);
                n.setCreatedAt(now.toEpochMilli());
                em.persist(n);
                em.flush();
                claimed.set(true);
            });
        } catch (RuntimeException e) {
            // another node claimed the same notice at the same time: the unique key refused ours
            LOG.debugf(e, "realm %s: %s notice of client %s already claimed", realm.getName(), kind, client.getClientId());
            return false;
        }
        return claimed.get();
    }

    /**
     * Suspends and latches the agents owned by a user or group that is now disabled or gone (an
     * agent with another owner who is still active keeps running). Suspended agents are latched
     * too, so a resume cannot bring them back without an owner.
     */
    public List<String> suspendAgentsOf(String ownerId) {
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        List<String> out = new ArrayList<>();
        if (!policy.suspendOrphaned()) {
            return out;
        }
        for (String id : AgentQueries.agentClientIds(session, realm)) {
            ClientModel client = realm.getClientById(id);
            AgentRecord agent = client == null ? null : AgentRecord.of(client);
            if (agent == null || agent.status() == AgentRecord.Status.RETIRED
                    || AgentOwners.of(client).stream().noneMatch(r -> ownerId.equals(r.id()))) {
                continue;
            }
            String orphan = orphanReason(client);
            if (orphan != null && actions.suspendOwnerLost(client, TRIGGER_ORPHANED, orphan) == LifecycleActions.Outcome.DONE) {
                out.add(client.getClientId());
            }
        }
        return out;
    }

    /**
     * A member left a group: agents owned by that group whose owners now have no enabled person
     * among their members (the group and its subgroups) are suspended and latched.
     */
    public List<String> suspendAgentsOfEmptiedGroup(String groupId) {
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        List<String> out = new ArrayList<>();
        GroupModel group = session.groups().getGroupById(realm, groupId);
        if (!policy.suspendOrphaned() || group == null) {
            return out;
        }
        for (String id : AgentQueries.agentClientIds(session, realm)) {
            ClientModel client = realm.getClientById(id);
            AgentRecord agent = client == null ? null : AgentRecord.of(client);
            if (agent == null || agent.status() == AgentRecord.Status.RETIRED) {
                continue;
            }
            // the agents of this group and of its parent groups (a member of a subgroup is a member of those)
            List<AgentOwners.Ref> refs = AgentOwners.of(client);
            boolean affected = refs.stream().anyMatch(r -> AgentRecord.OWNER_GROUP.equals(r.type()) && isSelfOrAncestor(r.id(), group));
            if (!affected) {
                continue;
            }
            boolean someoneLeft = refs.stream().anyMatch(r -> AgentOwners.state(session, realm, r) == AgentOwners.State.ACTIVE);
            if (!someoneLeft && actions.suspendOwnerLost(client, TRIGGER_ORPHANED,
                    "owner group " + KeycloakModelUtils.buildGroupPath(group) + " has no enabled member left") == LifecycleActions.Outcome.DONE) {
                out.add(client.getClientId());
            }
        }
        return out;
    }

    private static boolean isSelfOrAncestor(String id, GroupModel group) {
        for (GroupModel g = group; g != null; g = g.getParent()) {
            if (g.getId().equals(id)) {
                return true;
            }
        }
        return false;
    }

    private String[] reason(ClientModel client, AgentRecord agent, LifecyclePolicy policy, Instant now) {
        if (policy.suspendExpired() && (agent.expiresAt() == null || !now.isBefore(agent.expiresAt()))) {
            return new String[] {TRIGGER_EXPIRED, "expiry " + agent.expiresAt() + " reached"};
        }
        if (policy.suspendOrphaned()) {
            String orphan = orphanReason(client);
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

    /** Why the agent has no active owner, or null when one of its owners is active. */
    private String orphanReason(ClientModel client) {
        List<String> why = new ArrayList<>();
        for (AgentOwners.Ref r : AgentOwners.of(client)) {
            AgentOwners.State state = AgentOwners.state(session, realm, r);
            if (state == AgentOwners.State.ACTIVE) {
                return null;
            }
            if (r.type() == null || r.id() == null) {
                why.add("the agent has no owner");
            } else if (AgentRecord.OWNER_USER.equals(r.type())) {
                UserModel u = session.users().getUserById(realm, r.id());
                why.add(u == null ? "owner user " + r.id() + " no longer exists" : "owner user " + u.getUsername() + " is disabled");
            } else if (AgentRecord.OWNER_GROUP.equals(r.type()) && state == AgentOwners.State.DISABLED) {
                GroupModel g = session.groups().getGroupById(realm, r.id());
                why.add("owner group " + (g == null ? r.id() : KeycloakModelUtils.buildGroupPath(g)) + " has no enabled member left");
            } else {
                why.add("owner " + r.type() + " " + r.id() + " no longer exists");
            }
        }
        return String.join("; ", why);
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
