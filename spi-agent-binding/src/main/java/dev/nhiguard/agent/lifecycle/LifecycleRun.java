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
            LifecycleActions.Outcome outcome = actions.suspend(client, why[0], why[1]);
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
