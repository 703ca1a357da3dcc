package dev.nhiguard.agent.risk;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

import dev.nhiguard.agent.lifecycle.LifecycleActions;
import dev.nhiguard.agent.lifecycle.LifecyclePolicy;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.review.RiskNarrowing;
import dev.nhiguard.agent.store.AuthFailureEntity;
import dev.nhiguard.agent.store.ClientNetworkEntity;

/**
 * Risk signals detected from Keycloak's own events of a service-account client: a burst of
 * client authentication failures, and a token request from a source network not seen before.
 * Each detection goes through {@link LifecycleActions} (recorded with its reason, an
 * {@code AGENT} admin event, rate-limited, reversible by resume). All state is in database rows.
 */
public final class RiskDetector {

    public static final String TRIGGER_AUTH_FAILURES = "auth-failure-burst";
    public static final String TRIGGER_NEW_NETWORK = "new-source-network";
    /** Networks remembered per client; the least recently seen beyond this are forgotten. */
    static final int MAX_NETWORKS = 32;

    private static final Logger LOG = Logger.getLogger(RiskDetector.class);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final LifecyclePolicy policy;

    public RiskDetector(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
        this.policy = LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
    }

    /** Counts one failed client authentication; at the policy's threshold within its window, acts. */
    public LifecycleActions.Outcome authenticationFailed(ClientModel client, String error) {
        int threshold = policy.authFailureThreshold();
        if (threshold <= 0) {
            return LifecycleActions.Outcome.NOT_APPLICABLE;
        }
        Instant now = AgentClock.now(session, realm);
        long since = now.minusSeconds(policy.authFailureWindowSeconds()).toEpochMilli();
        EntityManager em = em();
        em.createQuery("delete from AuthFailureEntity f where f.clientId = :client and f.failedAt < :since")
                .setParameter("client", client.getId()).setParameter("since", since).executeUpdate();
        long recent = em.createQuery("select count(f) from AuthFailureEntity f where f.clientId = :client and f.failedAt >= :since", Long.class)
                .setParameter("client", client.getId()).setParameter("since", since).getSingleResult();
        if (recent < threshold) {
            // At most the threshold's rows are kept: later failures in the window add none.
            AuthFailureEntity f = new AuthFailureEntity();
            f.setId(UUID.randomUUID().toString());
            f.setRealmId(realm.getId());
            f.setClientId(client.getId());
            f.setFailedAt(now.toEpochMilli());
            em.persist(f);
        }
        if (recent + 1 < threshold) {
            return LifecycleActions.Outcome.NOT_APPLICABLE;
        }
        // At or past the threshold: acted on unless done already in this window. Concurrent failures each count the rows
        // committed before them, so none of them may see exactly threshold - 1 (sixteenth review: 34 failures in a few
        // seconds, sent in parallel, set nothing off); the action's own once-per-window rule, under the realm's lock,
        // keeps it to one.
        if (recent >= threshold && actedInWindow(client, Math.min(since, startOfDay(now)))) {
            return LifecycleActions.Outcome.ALREADY_DONE_TODAY;
        }
        String reason = (recent + 1) + " failed client authentications within " + policy.authFailureWindowSeconds()
                + " s (policy threshold " + threshold + "), last error " + error;
        LifecycleActions actions = new LifecycleActions(session, realm, null);
        if (RiskNarrowing.appliesTo(realm, TRIGGER_AUTH_FAILURES)) {
            return new RiskNarrowing(session, realm, null).narrow(client, TRIGGER_AUTH_FAILURES, reason);
        }
        // Suspended only where the policy asks for it: a burst needs no credential, only the client's id.
        return AgentRecord.isAgent(client) && LifecyclePolicy.AUTH_FAILURE_SUSPEND.equals(policy.authFailureAction())
                ? actions.suspend(client, TRIGGER_AUTH_FAILURES, reason)
                : actions.review(client, TRIGGER_AUTH_FAILURES, reason);
    }

    /**
     * Records the source network of a successful token request. A network not seen before,
     * after the learning period, is acted on as the policy says. Returns whether the sighting is
     * settled (the network known now, or detection off): false when the network was new but its
     * action was deferred by the hourly limit, so it is not learnt and its next token request
     * counts as new again.
     */
    public boolean tokenIssued(ClientModel client, String ipAddress) {
        String prefix = SourceNetworks.prefixOf(ipAddress);
        if (prefix == null || LifecyclePolicy.NETWORK_OFF.equals(policy.newNetworkAction())) {
            return true; // nothing to learn or act on
        }
        Instant now = AgentClock.now(session, realm);
        if (touch(client, prefix, now)) {
            return true;
        }
        LifecycleActions actions = new LifecycleActions(session, realm, null);
        actions.lockRealm(); // one node at a time adds networks, so two first sightings cannot collide
        if (touch(client, prefix, now)) {
            return true;
        }
        EntityManager em = em();
        List<ClientNetworkEntity> known = em.createQuery("select n from ClientNetworkEntity n where n.clientId = :client order by n.lastSeen desc",
                ClientNetworkEntity.class).setParameter("client", client.getId()).getResultList();
        ClientNetworkEntity n = new ClientNetworkEntity();
        n.setId(UUID.randomUUID().toString());
        n.setRealmId(realm.getId());
        n.setClientId(client.getId());
        n.setPrefix(prefix);
        n.setFirstSeen(now.toEpochMilli());
        n.setLastSeen(now.toEpochMilli());
        em.persist(n);
        for (int i = MAX_NETWORKS - 1; i < known.size(); i++) {
            em.remove(known.get(i));
        }
        Instant learningEnds = createdAt(client);
        learningEnds = learningEnds == null ? null : learningEnds.plus(Duration.ofDays(policy.networkLearningDays()));
        if (known.isEmpty() || learningEnds == null || now.isBefore(learningEnds)) {
            LOG.debugf("realm %s: client %s learnt source network %s", realm.getName(), client.getClientId(), prefix);
            return true;
        }
        String reason = "token request from " + ipAddress + " in network " + prefix + ", not seen before (known: "
                + String.join(", ", known.stream().limit(5).map(ClientNetworkEntity::getPrefix).toList())
                + (known.size() > 5 ? ", …" : "") + ")";
        LifecycleActions.Outcome outcome;
        if (RiskNarrowing.appliesTo(realm, TRIGGER_NEW_NETWORK)) {
            outcome = new RiskNarrowing(session, realm, null).narrow(client, TRIGGER_NEW_NETWORK, reason);
        } else if (LifecyclePolicy.NETWORK_SUSPEND.equals(policy.newNetworkAction()) && AgentRecord.isAgent(client)) {
            outcome = actions.suspend(client, TRIGGER_NEW_NETWORK, reason);
        } else {
            outcome = actions.review(client, TRIGGER_NEW_NETWORK, reason);
        }
        if (outcome == LifecycleActions.Outcome.RATE_LIMITED) {
            // Not acted on: the network is not learnt, so its next token request is new again (sixteenth review: a
            // network whose action the hourly limit deferred was known, and silent, from then on).
            em.remove(n);
            return false;
        }
        return true;
    }

    /**
     * The start of the UTC day: a burst's action is done once a day ({@code LifecycleActions}' window), so failures past
     * the threshold after today's action do not ask again, each under the realm's lock.
     */
    private static long startOfDay(Instant now) {
        return now.atZone(java.time.ZoneOffset.UTC).toLocalDate().atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    /** Whether a burst of this client was acted on (any action, trigger auth-failure-burst) since the given time. */
    private boolean actedInWindow(ClientModel client, long since) {
        return !em().createQuery("select a.id from LifecycleActionEntity a where a.realmId = :realm and a.clientId = :client"
                        + " and a.trigger = :trigger and a.createdAt >= :since", String.class)
                .setParameter("realm", realm.getId()).setParameter("client", client.getId())
                .setParameter("trigger", TRIGGER_AUTH_FAILURES).setParameter("since", since).setMaxResults(1)
                .getResultList().isEmpty();
    }

    /** Updates the last sighting of a known network; false if the network is not known. */
    private boolean touch(ClientModel client, String prefix, Instant now) {
        List<ClientNetworkEntity> rows = em().createQuery("select n from ClientNetworkEntity n where n.clientId = :client and n.prefix = :prefix",
                ClientNetworkEntity.class).setParameter("client", client.getId()).setParameter("prefix", prefix).getResultList();
        if (rows.isEmpty()) {
            return false;
        }
        if (rows.get(0).getLastSeen() < now.toEpochMilli()) {
            rows.get(0).setLastSeen(now.toEpochMilli());
        }
        return true;
    }

    /** Registration of an agent; otherwise the creation of the service-account user. */
    private Instant createdAt(ClientModel client) {
        AgentRecord agent = AgentRecord.of(client);
        if (agent != null) {
            return agent.createdAt();
        }
        UserModel sa = session.users().getServiceAccount(client);
        return sa == null || sa.getCreatedTimestamp() == null ? null : Instant.ofEpochMilli(sa.getCreatedTimestamp());
    }

    private EntityManager em() {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
