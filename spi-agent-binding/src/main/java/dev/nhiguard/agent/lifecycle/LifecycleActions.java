package dev.nhiguard.agent.lifecycle;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.jpa.entities.RealmEntity;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.resources.admin.AdminEventBuilder;

import dev.nhiguard.agent.metrics.AgentMetrics;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.registry.AgentRegistry;
import dev.nhiguard.agent.registry.AgentsResource;
import dev.nhiguard.agent.risk.RiskDetector;
import dev.nhiguard.agent.store.LifecycleActionEntity;

/**
 * Automatic lifecycle actions: each is recorded with its trigger and reason, emitted as an
 * {@code AGENT} admin event, reversible (suspension is undone by resume), at most once per
 * client, action and trigger a day, and at most {@link LifecyclePolicy#maxActionsPerHour()}
 * per realm and hour.
 */
public final class LifecycleActions {

    public static final String SUSPEND = "SUSPEND";
    public static final String ROTATE_SECRET = "ROTATE_SECRET";
    public static final String REVIEW = "REVIEW";
    public static final String RESUME = "RESUME";
    public static final String RETIRE = "RETIRE";
    public static final String OWNER_LATCH = "OWNER_LATCH";
    public static final String OWNER_REASSIGNED = "OWNER_REASSIGNED";
    /** Trigger prefix of actions an admin took; they do not count against the automatic rate limit. */
    public static final String ADMIN_TRIGGER = "admin:";
    public static final String DISABLE = "DISABLE";

    /** What happened to one request for an action. */
    public enum Outcome { DONE, ALREADY_DONE_TODAY, RATE_LIMITED, NOT_APPLICABLE }

    private static final Logger LOG = Logger.getLogger(LifecycleActions.class);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminEventBuilder events;
    private boolean locked;

    /**
     * @param events the admin event builder of the admin request that triggered the action, or
     *               null for system actions (scheduled task, event listeners)
     */
    public LifecycleActions(KeycloakSession session, RealmModel realm, AdminEventBuilder events) {
        this.session = session;
        this.realm = realm;
        this.events = events != null ? events : systemEvents(session, realm);
    }

    /** Suspends an active agent for a reason. */
    public Outcome suspend(ClientModel client, String trigger, String reason) {
        AgentRecord agent = AgentRecord.of(client);
        if (agent == null || !(agent.status() == AgentRecord.Status.ACTIVE
                || (agent.status() == AgentRecord.Status.SUSPENDED && AgentOwners.suspendedOnlyByLatch(client)))) {
            // (an agent suspended only for having lost its owner is suspended for this reason too: a new owner must not
            // resume it)
            return Outcome.NOT_APPLICABLE;
        }
        // A suspension recorded earlier in the window that an admin undid since (a resume, an owner reassigned, read from
        // the recorded actions under the realm lock) does not make this one done already: a second leak or a reviewer's
        // retire after a resume must suspend again. Two concurrent suspensions still act once.
        Outcome gate = admit(client, SUSPEND, trigger, true);
        if (gate != Outcome.DONE) {
            return gate;
        }
        String recorded = "suspended automatically (" + trigger + "): " + reason;
        try {
            new AgentRegistry(session, realm).changeStatus(client, AgentRecord.Status.SUSPENDED, recorded);
        } catch (Exception e) {
            throw new IllegalStateException("agent " + client.getClientId() + " changed state concurrently", e);
        }
        record(client, SUSPEND, trigger, recorded, nextWindow(client, SUSPEND, trigger));
        emit(client, "suspended", trigger, recorded);
        AgentMetrics.suspendedAfterCommit(session, realm.getName(), trigger);
        return Outcome.DONE;
    }

    /**
     * The agent lost every owner: suspends it if active, and in any case latches it, so it stays
     * suspended (resume is refused) until an owner is reassigned, even if the old owner comes back.
     * Not subject to the once-a-day rule or the hourly limit: an agent without an owner must not
     * keep running because another agent lost its owner earlier.
     */
    public Outcome suspendOwnerLost(ClientModel client, String trigger, String reason) {
        lockRealm();
        AgentRecord agent = AgentRecord.of(client);
        if (agent == null || agent.status() == AgentRecord.Status.RETIRED || AgentOwners.latch(client) != null) {
            return Outcome.NOT_APPLICABLE;
        }
        if (agent.status() == AgentRecord.Status.ACTIVE) {
            String recorded = "suspended automatically (" + trigger + "): " + reason;
            try {
                new AgentRegistry(session, realm).changeStatus(client, AgentRecord.Status.SUSPENDED, recorded);
            } catch (Exception e) {
                throw new IllegalStateException("agent " + client.getClientId() + " changed state concurrently", e);
            }
            record(client, SUSPEND, trigger, recorded, "owner@" + UUID.randomUUID());
            emit(client, "suspended", trigger, recorded);
            AgentMetrics.suspendedAfterCommit(session, realm.getName(), trigger);
            client.setAttribute(AgentOwners.LATCH_SUSPENDED, "true");
        }
        client.setAttribute(AgentOwners.LATCH, reason);
        String recorded = "owner lost, latched until an owner is reassigned (" + trigger + "): " + reason;
        record(client, OWNER_LATCH, trigger, recorded, "latch@" + UUID.randomUUID());
        emit(client, "owner-latched", trigger, recorded);
        return Outcome.DONE;
    }

    /**
     * Records an action an admin took on an agent (suspend, resume, retire, owner reassignment), so
     * that {@code nhi/actions} lists manual and automatic actions alike. Never rate limited; the
     * admin event is emitted by the admin request itself.
     */
    public void recordManual(ClientModel client, String action, String actor, String reason) {
        String trigger = ADMIN_TRIGGER + (actor == null ? "unknown" : actor);
        record(client, action, trigger.length() > 64 ? trigger.substring(0, 64) : trigger, reason, "manual@" + UUID.randomUUID());
    }

    /** Regenerates a client secret at once; the old one, and every token issued so far, stop working. */
    public Outcome rotateSecret(ClientModel client, String trigger, String reason) {
        if (!"client-secret".equals(client.getClientAuthenticatorType()) && !"client-secret-jwt".equals(client.getClientAuthenticatorType())) {
            return Outcome.NOT_APPLICABLE;
        }
        Outcome gate = admit(client, ROTATE_SECRET, trigger);
        if (gate != Outcome.DONE) {
            return gate;
        }
        KeycloakModelUtils.generateSecret(client);
        // The secret leaked: what it obtained goes too (the UMA grant renews a token with no secret).
        dev.nhiguard.agent.IssuedTokens.revoke(session, realm, client);
        client.updateClient();
        dev.nhiguard.agent.inventory.InventoryIndex.touch(session, realm.getId(), client.getId());
        String recorded = "secret rotated automatically (" + trigger + "): " + reason;
        record(client, ROTATE_SECRET, trigger, recorded);
        emit(client, "secret-rotated", trigger, recorded);
        return Outcome.DONE;
    }

    /** Records a signal for review without changing the client. */
    public Outcome review(ClientModel client, String trigger, String reason) {
        Outcome gate = admit(client, REVIEW, trigger);
        if (gate != Outcome.DONE) {
            return gate;
        }
        String recorded = "flagged for review (" + trigger + "): " + reason;
        record(client, REVIEW, trigger, recorded);
        emit(client, "review", trigger, recorded);
        return Outcome.DONE;
    }

    /** Disables a service-account client (not an agent: agents are suspended); undone by enabling the client. */
    public Outcome disable(ClientModel client, String trigger, String reason) {
        if (!client.isEnabled()) {
            return Outcome.NOT_APPLICABLE;
        }
        return act(client, DISABLE, "disabled", trigger, "disabled automatically (" + trigger + "): " + reason,
                () -> {
                    client.setEnabled(false);
                    // A disabled client gets no new token; those it or another client holds (an exchange) go too.
                    dev.nhiguard.agent.IssuedTokens.revoke(session, realm, client);
                });
    }

    /**
     * Another module's reversible action, under the same rules as the ones above: rate limited,
     * recorded with its reason, emitted as an {@code AGENT} admin event ({@code eventAction}).
     * {@code change} runs only when the action is admitted.
     */
    public Outcome act(ClientModel client, String action, String eventAction, String trigger, String reason, Runnable change) {
        Outcome gate = admit(client, action, trigger);
        if (gate != Outcome.DONE) {
            return gate;
        }
        change.run();
        record(client, action, trigger, reason);
        emit(client, eventAction, trigger, reason);
        return Outcome.DONE;
    }

    /** Latest recorded actions of the realm, newest first. */
    public List<LifecycleActionEntity> recent(String clientUuid, int max) {
        EntityManager em = em();
        String q = "select a from LifecycleActionEntity a where a.realmId = :realm"
                + (clientUuid == null ? "" : " and a.clientId = :client") + " order by a.createdAt desc";
        var query = em.createQuery(q, LifecycleActionEntity.class).setParameter("realm", realm.getId()).setMaxResults(max);
        if (clientUuid != null) {
            query.setParameter("client", clientUuid);
        }
        return query.getResultList();
    }

    /**
     * Serialises automatic actions of one realm across cluster nodes: the first action of this
     * transaction locks the realm's database row until the transaction ends, so a concurrent
     * pass or signal on another node waits and then sees the committed action rows (its
     * {@code ALREADY_DONE_TODAY} and hourly counts are exact, and no unique key is violated).
     */
    public void lockRealm() {
        if (!locked) {
            em().find(RealmEntity.class, realm.getId(), LockModeType.PESSIMISTIC_WRITE);
            locked = true;
        }
    }

    private Outcome admit(ClientModel client, String action, String trigger) {
        return admit(client, action, trigger, false);
    }

    /**
     * Triggers that need no credential: a failed client authentication names a client by id only. Their actions count
     * against an hourly budget of their own. (A new source network is seen on a token that was issued, so with a
     * credential: it shares the budget signals use, and bursts cannot use it up.)
     */
    static final java.util.Set<String> UNAUTHENTICATED_TRIGGERS = java.util.Set.of(RiskDetector.TRIGGER_AUTH_FAILURES);

    /**
     * @param undoable the action is one an admin can undo (a suspension, by a resume): an earlier one in the window
     *                 that was undone since does not make this one done already; the hourly limit still applies
     */
    private Outcome admit(ClientModel client, String action, String trigger, boolean undoable) {
        lockRealm();
        Instant now = AgentClock.now(session, realm);
        Long last = lastInWindow(client, action, window(trigger, now));
        if (last != null && !(undoable && undoneSince(client, last))) {
            return Outcome.ALREADY_DONE_TODAY;
        }
        EntityManager em = em();
        LifecyclePolicy policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
        // Two budgets: actions that anyone who reaches the token endpoint can set off, and the rest (signals, reviews,
        // the scheduled pass), so that the first cannot use up the second (sixteenth review: fifty bursts of wrong
        // secrets made a leaked-secret signal answer 429 and left the leaked agent running).
        boolean unauthenticated = UNAUTHENTICATED_TRIGGERS.contains(trigger);
        Long lastHour = em.createQuery("select count(a) from LifecycleActionEntity a where a.realmId = :realm and a.createdAt > :since"
                        + " and a.windowKey not like 'manual@%' and a.windowKey not like 'owner@%' and a.windowKey not like 'latch@%'"
                        + " and a.trigger " + (unauthenticated ? "in" : "not in") + " :unauthenticated", Long.class)
                .setParameter("realm", realm.getId()).setParameter("since", now.minusSeconds(3600).toEpochMilli())
                .setParameter("unauthenticated", UNAUTHENTICATED_TRIGGERS).getSingleResult();
        if (lastHour >= policy.maxActionsPerHour()) {
            LOG.warnf("realm %s: automatic %s of client %s (%s) deferred: %d %s in the last hour, policy allows %d",
                    realm.getName(), action, client.getClientId(), trigger, lastHour,
                    unauthenticated ? "actions on failed client authentications" : "actions", policy.maxActionsPerHour());
            return Outcome.RATE_LIMITED;
        }
        return Outcome.DONE;
    }

    /** Room a repeat's suffix ({@code #} and 8 hex digits) needs in a 64-character window key. */
    private static final int REPEAT_BASE = 64 - 9;

    /** When the latest action of this kind on the client in the window was recorded (its own key or a repeat's), or null. */
    private Long lastInWindow(ClientModel client, String action, String window) {
        return em().createQuery("select max(a.createdAt) from LifecycleActionEntity a where a.realmId = :realm and a.clientId = :client"
                        + " and a.action = :action and (a.windowKey = :window or a.windowKey like :repeat escape '!')", Long.class)
                .setParameter("realm", realm.getId()).setParameter("client", client.getId()).setParameter("action", action)
                .setParameter("window", window).setParameter("repeat", likeLiteral(repeatBase(window)) + "#%").getSingleResult();
    }

    /** Whether an admin resumed the agent or reassigned its owner after {@code since} (recorded as manual actions). */
    private boolean undoneSince(ClientModel client, long since) {
        return em().createQuery("select count(a) from LifecycleActionEntity a where a.realmId = :realm and a.clientId = :client"
                        + " and a.action in (:undo) and a.createdAt >= :since", Long.class)
                .setParameter("realm", realm.getId()).setParameter("client", client.getId())
                .setParameter("undo", java.util.List.of(RESUME, OWNER_REASSIGNED)).setParameter("since", since).getSingleResult() > 0;
    }

    /** The window key of the next action of this kind: the window's own, then {@code <window>#<random>} (unique). */
    private String nextWindow(ClientModel client, String action, String trigger) {
        String window = window(trigger, AgentClock.now(session, realm));
        return lastInWindow(client, action, window) == null ? window
                : repeatBase(window) + "#" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String repeatBase(String window) {
        return window.length() > REPEAT_BASE ? window.substring(0, REPEAT_BASE) : window;
    }

    private static String likeLiteral(String s) {
        return s.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }

    private void record(ClientModel client, String action, String trigger, String reason) {
        record(client, action, trigger, reason, window(trigger, AgentClock.now(session, realm)));
    }

    private void record(ClientModel client, String action, String trigger, String reason, String windowKey) {
        Instant now = AgentClock.now(session, realm);
        LifecycleActionEntity e = new LifecycleActionEntity();
        e.setId(UUID.randomUUID().toString());
        e.setRealmId(realm.getId());
        e.setClientId(client.getId());
        e.setAction(action);
        e.setTrigger(trigger);
        e.setReason(reason.length() > 1024 ? reason.substring(0, 1024) : reason);
        e.setCreatedAt(now.toEpochMilli());
        e.setWindowKey(windowKey);
        em().persist(e);
        LOG.infof("realm %s: %s client %s (%s): %s", realm.getName(), action, client.getClientId(), client.getId(), reason);
    }

    /**
     * The action's admin event: an agent's is an {@code AGENT} event on {@code agents/<id>}; a plain service account's a
     * {@code CLIENT} event on {@code clients/<id>}, where Keycloak's own events about that client are (it has no
     * {@code agents/} resource).
     */
    private void emit(ClientModel client, String action, String trigger, String reason) {
        boolean agent = AgentRecord.isAgent(client);
        (agent ? events.resource(AgentsResource.RESOURCE_TYPE) : events.resource(org.keycloak.events.admin.ResourceType.CLIENT))
                .operation(OperationType.ACTION).resourcePath(agent ? "agents" : "clients", client.getId())
                .representation(new Recorded(client.getId(), client.getClientId(), action, trigger, reason))
                .detail("action", action).detail("trigger", trigger).detail("clientId", client.getClientId())
                .detail("reason", reason).success();
    }

    /** The representation of an automatic action's admin event. */
    public record Recorded(String id, String clientId, String action, String trigger, String reason) {
    }

    private static String window(String trigger, Instant now) {
        String key = trigger + "@" + now.atZone(ZoneOffset.UTC).toLocalDate();
        return key.length() > 64 ? key.substring(0, 64) : key;
    }

    private EntityManager em() {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }

    /** Admin events for actions no admin request started: auth details carry the realm only. */
    public static AdminEventBuilder systemEvents(KeycloakSession session, RealmModel realm) {
        AdminEvent proto = new AdminEvent();
        proto.setRealmId(realm.getId());
        proto.setRealmName(realm.getName());
        AuthDetails auth = new AuthDetails();
        auth.setRealmId(realm.getId());
        auth.setRealmName(realm.getName());
        proto.setAuthDetails(auth);
        return new AdminEventBuilder(realm, null, session, null, proto) {
        };
    }
}
