package dev.nhiguard.agent.review;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.jpa.entities.RealmEntity;
import org.keycloak.services.resources.admin.AdminEventBuilder;

import dev.nhiguard.agent.inventory.Inventory;
import dev.nhiguard.agent.inventory.InventoryEntry;
import dev.nhiguard.agent.lifecycle.LifecycleActions;
import dev.nhiguard.agent.notify.OwnerMail;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.review.store.ReviewCampaignEntity;
import dev.nhiguard.agent.review.store.ReviewItemEntity;

/**
 * Access-review campaigns of one realm: start (snapshot every identity in the policy's scope and
 * name its reviewers), decide an item (keep, narrow, retire — only its reviewers), and the pass
 * that contains items left undecided at the deadline and starts scheduled campaigns. Every
 * decision and containment is an {@value #RESOURCE_TYPE} admin event, which the audit module chains.
 */
final class Campaigns {

    static final String RESOURCE_TYPE = "NHI_REVIEW";
    static final String OPEN = "OPEN";
    static final String CLOSED = "CLOSED";
    static final String KEEP = "KEEP";
    static final String NARROW = "NARROW";
    static final String RETIRE = "RETIRE";
    static final String CONTAINED_SUSPEND = "CONTAINED_SUSPEND";
    static final String CONTAINED_NARROW = "CONTAINED_NARROW";
    static final String CLIENT_GONE = "CLIENT_GONE";
    static final String SCHEDULER = "scheduler";
    static final String SYSTEM = "system";

    private static final Logger LOG = Logger.getLogger(Campaigns.class);

    /** A campaign as the API shows it. */
    record CampaignView(String id, String state, String startedAt, String deadline, String periodStart, String startedBy,
                        ReviewPolicy policy, int items, int decided, String closedAt) {
    }

    /** A person, by id and username. */
    record Person(String id, String username) {
    }

    /** An item as the API shows it: the frozen snapshot, its digest, who may decide, and the decision. */
    record ItemView(String id, String campaignId, String clientId, String reviewerSource, List<Person> reviewers,
                    JsonNode snapshot, String snapshotDigest, String decision, Person decidedBy, String decidedAt, JsonNode outcome) {
    }

    /** What a reviewer sends with a decision. */
    record DecisionInput(String digest, String comment, List<String> roles, List<String> scopes) {
    }

    /** The representation of a decision's admin event (and so of its chained record). */
    record DecisionRecord(String campaignId, String itemId, String id, String clientId, String decision, Person decidedBy,
                          String decidedAt, String snapshotDigest, String comment, JsonNode outcome) {
    }

    /** What one pass did. */
    record PassResult(String started, List<String> contained, List<String> deferred, List<String> closed) {
    }

    private final KeycloakSession session;
    private final RealmModel realm;
    private final Supplier<AdminEventBuilder> events;
    private final OwnerMail.Outbox outbox;

    /** @param events the admin event builder of the request, or null for system work (the scheduled pass) */
    Campaigns(KeycloakSession session, RealmModel realm, AdminEventBuilder events) {
        this.session = session;
        this.realm = realm;
        this.events = events != null ? () -> events : () -> LifecycleActions.systemEvents(session, realm);
        this.outbox = new OwnerMail.Outbox(session);
    }

    // ---------------------------------------------------------------- start

    CampaignView start(String startedBy) {
        lockRealm();
        ReviewPolicy policy = ReviewPolicy.stored(realm.getAttribute(ReviewPolicy.ATTRIBUTE));
        Instant now = AgentClock.now(session, realm);
        long periodStart = now.minusSeconds(policy.lookbackDays() * 86400L).toEpochMilli();
        ReviewCampaignEntity c = new ReviewCampaignEntity();
        c.setId(UUID.randomUUID().toString());
        c.setRealmId(realm.getId());
        c.setState(OPEN);
        c.setStartedAt(now.toEpochMilli());
        c.setDeadline(now.plusSeconds(policy.deadlineSeconds()).toEpochMilli());
        c.setPeriodStart(periodStart);
        c.setStartedBy(startedBy);
        c.setPolicy(policy.toJson());
        em().persist(c);

        Snapshots snapshots = new Snapshots(session, realm);
        Reviewers reviewers = new Reviewers(session, realm);
        Map<String, List<String>> byReviewer = new LinkedHashMap<>();
        int count = 0;
        for (InventoryEntry entry : new Inventory(session, realm).all()) {
            if (!inScope(policy, entry)) {
                continue;
            }
            ClientModel client = realm.getClientById(entry.id());
            if (client == null) {
                continue;
            }
            ItemSnapshot snapshot = snapshots.of(client, entry, periodStart);
            String text = Snapshots.json(snapshot);
            Reviewers.Resolved who = reviewers.of(entry.owner());
            ReviewItemEntity item = new ReviewItemEntity();
            item.setId(UUID.randomUUID().toString());
            item.setCampaignId(c.getId());
            item.setRealmId(realm.getId());
            item.setClientId(client.getId());
            item.setClientName(client.getClientId());
            item.setReviewers(String.join(" ", who.userIds()));
            item.setReviewerSource(who.source());
            item.setSnapshot(text);
            item.setDigest(Snapshots.digest(text));
            em().persist(item);
            count++;
            for (String r : who.userIds()) {
                byReviewer.computeIfAbsent(r, k -> new ArrayList<>()).add(client.getClientId());
            }
        }
        CampaignView view = view(c, count, 0);
        events.get().resource(RESOURCE_TYPE).operation(OperationType.CREATE).resourcePath("nhi", "reviews", "campaigns", c.getId())
                .representation(view).detail("action", "campaign-started").detail("campaignId", c.getId())
                .detail("items", Integer.toString(count)).detail("deadline", view.deadline()).success();
        if (OwnerMail.canSend(realm)) {
            RealmModel reviewerRealm = reviewers.approverRealm();
            for (Map.Entry<String, List<String>> e : byReviewer.entrySet()) {
                // Approvers of another realm are mailed through that realm's settings.
                RealmModel mailRealm = session.users().getUserById(realm, e.getKey()) != null ? realm : reviewerRealm;
                if (OwnerMail.canSend(mailRealm)) {
                    OwnerMail.Mail mail = ReviewMail.requested(session, realm, e.getKey(), c.getId(), Instant.ofEpochMilli(c.getDeadline()),
                            policy.onUndecided(), e.getValue());
                    outbox.afterCommit(new OwnerMail.Mail(mailRealm.getId(), mail.userIds(), mail.template(), mail.subjectKey(),
                            mail.subjectArgs(), mail.attributes()));
                }
            }
        }
        LOG.infof("realm %s: review campaign %s started by %s with %d items, deadline %s", realm.getName(), c.getId(), startedBy,
                count, view.deadline());
        return view;
    }

    private static boolean inScope(ReviewPolicy policy, InventoryEntry e) {
        return switch (policy.scope()) {
            case ReviewPolicy.SCOPE_AGENTS -> e.agent();
            case ReviewPolicy.SCOPE_FLAGGED -> !e.flags().isEmpty();
            default -> true;
        };
    }

    // ---------------------------------------------------------------- read

    List<CampaignView> list(int max) {
        List<ReviewCampaignEntity> rows = em().createQuery("select c from ReviewCampaignEntity c where c.realmId = :realm"
                + " order by c.startedAt desc", ReviewCampaignEntity.class).setParameter("realm", realm.getId()).setMaxResults(max).getResultList();
        List<CampaignView> out = new ArrayList<>();
        for (ReviewCampaignEntity c : rows) {
            out.add(view(c));
        }
        return out;
    }

    CampaignView campaign(String id) {
        return view(campaignEntity(id));
    }

    /** The items of a campaign; with {@code reviewerId}, only those that person reviews. */
    List<ItemView> items(String campaignId, String reviewerId) {
        campaignEntity(campaignId);
        List<ItemView> out = new ArrayList<>();
        for (ReviewItemEntity i : itemEntities(campaignId)) {
            if (reviewerId == null || reviewerIds(i).contains(reviewerId)) {
                out.add(view(i));
            }
        }
        return out;
    }

    ItemView item(String campaignId, String itemId) {
        return view(itemEntity(campaignId, itemId, false));
    }

    List<ReviewItemEntity> itemEntities(String campaignId) {
        return em().createQuery("select i from ReviewItemEntity i where i.campaignId = :c and i.realmId = :realm order by i.clientName",
                ReviewItemEntity.class).setParameter("c", campaignId).setParameter("realm", realm.getId()).getResultList();
    }

    ReviewCampaignEntity campaignEntity(String id) {
        ReviewCampaignEntity c = id == null ? null : em().find(ReviewCampaignEntity.class, id);
        if (c == null || !realm.getId().equals(c.getRealmId())) {
            throw ReviewException.notFound("no review campaign " + id + " in realm " + realm.getName());
        }
        return c;
    }

    private ReviewItemEntity itemEntity(String campaignId, String itemId, boolean lock) {
        ReviewItemEntity i = itemId == null ? null
                : lock ? em().find(ReviewItemEntity.class, itemId, LockModeType.PESSIMISTIC_WRITE) : em().find(ReviewItemEntity.class, itemId);
        if (i == null || !realm.getId().equals(i.getRealmId()) || !i.getCampaignId().equals(campaignId)) {
            throw ReviewException.notFound("no item " + itemId + " in review campaign " + campaignId);
        }
        return i;
    }

    // ---------------------------------------------------------------- decide

    /**
     * Decides an item as one of its reviewers. The reviewer names the snapshot digest they saw;
     * a narrowing drops the named held roles and scopes (default: the unrequested ones).
     */
    ItemView decide(String campaignId, String itemId, String decision, DecisionInput input, UserModel caller) {
        ReviewCampaignEntity c = campaignEntity(campaignId);
        ReviewItemEntity item = itemEntity(campaignId, itemId, true);
        if (caller == null || !reviewerIds(item).contains(caller.getId())) {
            throw ReviewException.forbidden("only the reviewers of " + item.getClientName() + " (" + item.getReviewerSource()
                    + ") may decide it");
        }
        if (item.getDecision() != null) {
            throw ReviewException.conflict("already_decided", item.getClientName() + " was already decided: " + item.getDecision());
        }
        if (!OPEN.equals(c.getState())) {
            throw ReviewException.conflict("campaign_closed", "review campaign " + campaignId + " is closed");
        }
        if (input.digest() == null || input.digest().isBlank()) {
            throw ReviewException.invalid("digest is required: the snapshotDigest of the item you reviewed");
        }
        if (!input.digest().equals(item.getDigest())) {
            throw ReviewException.conflict("snapshot_mismatch", "digest does not match the item's snapshot " + item.getDigest());
        }
        ClientModel client = realm.getClientById(item.getClientId());
        if (client == null) {
            throw ReviewException.conflict("client_gone", "client " + item.getClientName() + " no longer exists");
        }
        ItemSnapshot snapshot = snapshot(item);
        Instant now = AgentClock.now(session, realm);
        Map<String, Object> outcome = new LinkedHashMap<>();
        String reason = "access review " + campaignId + " by " + caller.getUsername()
                + (input.comment() == null || input.comment().isBlank() ? "" : ": " + input.comment());
        switch (decision) {
            case KEEP -> {
                ReviewPolicy policy = ReviewPolicy.stored(c.getPolicy());
                outcome.put("attestedUntil", policy.intervalDays() > 0
                        ? now.plusSeconds(policy.intervalDays() * 86400L).toString() : "next campaign");
            }
            case NARROW -> {
                List<String> roles = input.roles() != null ? input.roles() : snapshot.roles().unrequested();
                List<String> scopes = input.scopes() != null ? input.scopes() : snapshot.scopes().unrequested();
                for (String r : roles) {
                    if (!snapshot.roles().held().contains(r)) {
                        throw ReviewException.invalid("role " + r + " is not held directly by " + item.getClientName());
                    }
                }
                for (String s : scopes) {
                    if (!snapshot.scopes().held().contains(s)) {
                        throw ReviewException.invalid("scope " + s + " is not a client scope of " + item.getClientName());
                    }
                }
                if (roles.isEmpty() && scopes.isEmpty()) {
                    throw ReviewException.invalid("nothing to narrow: no roles or scopes named and none unrequested");
                }
                outcome.put("removedRoles", removeRoles(client, roles));
                outcome.put("removedScopes", removeScopes(client, scopes));
            }
            case RETIRE -> outcome.put("action", retire(client, "review", reason));
            default -> throw ReviewException.invalid("unknown decision " + decision);
        }
        item.setDecision(decision);
        item.setDecidedBy(caller.getId());
        item.setDecidedAt(now.toEpochMilli());
        item.setOutcome(Snapshots.json(outcome));
        emitDecision(c, item, new Person(caller.getId(), caller.getUsername()), input.comment());
        closeIfDone(c);
        return view(item);
    }

    /** Suspends an agent (reversible by resume) or disables another service account (reversible by enabling it). */
    private String retire(ClientModel client, String trigger, String reason) {
        LifecycleActions actions = new LifecycleActions(session, realm, events.get());
        boolean agent = AgentRecord.isAgent(client);
        LifecycleActions.Outcome o = agent ? actions.suspend(client, trigger, reason) : actions.disable(client, trigger, reason);
        if (o == LifecycleActions.Outcome.RATE_LIMITED) {
            throw new ReviewException(ReviewException.Kind.RATE_LIMITED, "rate_limited", "automatic actions of realm " + realm.getName()
                    + " reached the lifecycle policy's hourly limit; try again later");
        }
        return (agent ? "SUSPEND" : LifecycleActions.DISABLE) + ":" + o.name();
    }

    // ---------------------------------------------------------------- pass

    /** Contains the undecided items of campaigns past their deadline and starts a scheduled campaign when due. */
    PassResult pass() {
        Instant now = AgentClock.now(session, realm);
        List<ReviewCampaignEntity> due = em().createQuery("select c from ReviewCampaignEntity c where c.realmId = :realm and c.state = :open"
                        + " and c.deadline <= :now order by c.startedAt", ReviewCampaignEntity.class)
                .setParameter("realm", realm.getId()).setParameter("open", OPEN).setParameter("now", now.toEpochMilli()).getResultList();
        List<String> contained = new ArrayList<>();
        List<String> deferred = new ArrayList<>();
        List<String> closed = new ArrayList<>();
        if (!due.isEmpty()) {
            lockRealm();
        }
        for (ReviewCampaignEntity c : due) {
            em().refresh(c);
            if (!OPEN.equals(c.getState())) {
                continue;
            }
            ReviewPolicy policy = ReviewPolicy.stored(c.getPolicy());
            for (ReviewItemEntity item : itemEntities(c.getId())) {
                em().refresh(item, LockModeType.PESSIMISTIC_WRITE);
                if (item.getDecision() != null) {
                    continue;
                }
                if (contain(c, item, policy, now)) {
                    contained.add(item.getClientName());
                } else {
                    deferred.add(item.getClientName());
                }
            }
            if (closeIfDone(c)) {
                closed.add(c.getId());
            }
        }
        String started = null;
        ReviewPolicy policy = ReviewPolicy.stored(realm.getAttribute(ReviewPolicy.ATTRIBUTE));
        if (policy.intervalDays() > 0) {
            List<Long> last = em().createQuery("select max(c.startedAt) from ReviewCampaignEntity c where c.realmId = :realm", Long.class)
                    .setParameter("realm", realm.getId()).getResultList();
            Long lastStart = last.isEmpty() ? null : last.get(0);
            if (lastStart == null || now.toEpochMilli() - lastStart >= policy.intervalDays() * 86400_000L) {
                started = start(SCHEDULER).id();
            }
        }
        return new PassResult(started, contained, deferred, closed);
    }

    /** Contains one undecided item as the campaign's policy says; false when the rate limit defers it. */
    private boolean contain(ReviewCampaignEntity c, ReviewItemEntity item, ReviewPolicy policy, Instant now) {
        ClientModel client = realm.getClientById(item.getClientId());
        Map<String, Object> outcome = new LinkedHashMap<>();
        String decision;
        String reason = "not reviewed by the deadline of access review " + c.getId();
        if (client == null) {
            decision = CLIENT_GONE;
        } else {
            ItemSnapshot snapshot = snapshot(item);
            List<String> roles = snapshot.roles().unrequested();
            List<String> scopes = snapshot.scopes().unrequested();
            if (ReviewPolicy.UNDECIDED_NARROW.equals(policy.onUndecided()) && (!roles.isEmpty() || !scopes.isEmpty())) {
                decision = CONTAINED_NARROW;
                outcome.put("removedRoles", removeRoles(client, roles));
                outcome.put("removedScopes", removeScopes(client, scopes));
            } else {
                // Suspend, or narrow with nothing unrequested to drop: an unreviewed identity is contained either way.
                String action = retire0(client, reason);
                if (action == null) {
                    return false;
                }
                decision = CONTAINED_SUSPEND;
                outcome.put("action", action);
            }
        }
        item.setDecision(decision);
        item.setDecidedBy(SYSTEM);
        item.setDecidedAt(now.toEpochMilli());
        item.setOutcome(Snapshots.json(outcome));
        emitDecision(c, item, null, reason);
        List<String> told = reviewerIds(item);
        if (client != null && !told.isEmpty() && OwnerMail.canSend(realm)) {
            outbox.afterCommit(ReviewMail.contained(session, realm, told, c.getId(), item.getClientName(), decision, Snapshots.json(outcome)));
        }
        LOG.infof("realm %s: review %s: %s %s (%s)", realm.getName(), c.getId(), decision, item.getClientName(), outcome);
        return true;
    }

    private String retire0(ClientModel client, String reason) {
        try {
            return retire(client, "review-deadline", reason);
        } catch (ReviewException e) {
            if (e.kind() == ReviewException.Kind.RATE_LIMITED) {
                return null;
            }
            throw e;
        }
    }

    private boolean closeIfDone(ReviewCampaignEntity c) {
        Long open = em().createQuery("select count(i) from ReviewItemEntity i where i.campaignId = :c and i.decision is null", Long.class)
                .setParameter("c", c.getId()).getSingleResult();
        if (open > 0 || !OPEN.equals(c.getState())) {
            return false;
        }
        c.setState(CLOSED);
        c.setClosedAt(AgentClock.now(session, realm).toEpochMilli());
        return true;
    }

    // ---------------------------------------------------------------- changes

    /** Removes the named direct role mappings of the service account; answers the names removed. */
    List<String> removeRoles(ClientModel client, List<String> names) {
        UserModel sa = session.users().getServiceAccount(client);
        List<String> removed = new ArrayList<>();
        if (sa == null) {
            return removed;
        }
        Set<String> wanted = new LinkedHashSet<>(names);
        for (RoleModel r : sa.getRoleMappingsStream().toList()) {
            if (wanted.contains(Snapshots.name(r))) {
                sa.deleteRoleMapping(r);
                removed.add(Snapshots.name(r));
            }
        }
        return removed;
    }

    /** Removes the named default or optional client scopes from the client; answers the names removed. */
    List<String> removeScopes(ClientModel client, List<String> names) {
        Map<String, ClientScopeModel> scopes = new HashMap<>();
        scopes.putAll(client.getClientScopes(true));
        scopes.putAll(client.getClientScopes(false));
        List<String> removed = new ArrayList<>();
        for (String n : names) {
            ClientScopeModel s = scopes.get(n);
            if (s != null) {
                client.removeClientScope(s);
                removed.add(n);
            }
        }
        return removed;
    }

    // ---------------------------------------------------------------- helpers

    private void emitDecision(ReviewCampaignEntity c, ReviewItemEntity item, Person by, String comment) {
        JsonNode outcome = parse(item.getOutcome());
        DecisionRecord rec = new DecisionRecord(c.getId(), item.getId(), item.getClientId(), item.getClientName(), item.getDecision(),
                by, Instant.ofEpochMilli(item.getDecidedAt()).toString(), item.getDigest(), comment, outcome);
        events.get().resource(RESOURCE_TYPE).operation(OperationType.ACTION)
                .resourcePath("nhi", "reviews", "campaigns", c.getId(), "items", item.getId())
                .representation(rec)
                .detail("action", "review-" + item.getDecision().toLowerCase(java.util.Locale.ROOT))
                .detail("trigger", by == null ? "review-deadline" : "review")
                .detail("reason", comment == null ? "" : comment)
                .detail("decision", item.getDecision()).detail("campaignId", c.getId()).detail("itemId", item.getId())
                .detail("clientId", item.getClientName()).detail("snapshotDigest", item.getDigest())
                .detail("decidedBy", by == null ? SYSTEM : by.username())
                .success();
    }

    ItemSnapshot snapshot(ReviewItemEntity item) {
        try {
            return Snapshots.JSON.readValue(item.getSnapshot(), ItemSnapshot.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable snapshot of review item " + item.getId(), e);
        }
    }

    static List<String> reviewerIds(ReviewItemEntity item) {
        return item.getReviewers() == null || item.getReviewers().isBlank() ? List.of() : List.of(item.getReviewers().trim().split(" "));
    }

    private CampaignView view(ReviewCampaignEntity c) {
        Long total = em().createQuery("select count(i) from ReviewItemEntity i where i.campaignId = :c", Long.class)
                .setParameter("c", c.getId()).getSingleResult();
        Long decided = em().createQuery("select count(i) from ReviewItemEntity i where i.campaignId = :c and i.decision is not null", Long.class)
                .setParameter("c", c.getId()).getSingleResult();
        return view(c, total.intValue(), decided.intValue());
    }

    private static CampaignView view(ReviewCampaignEntity c, int items, int decided) {
        return new CampaignView(c.getId(), c.getState(), Instant.ofEpochMilli(c.getStartedAt()).toString(),
                Instant.ofEpochMilli(c.getDeadline()).toString(), Instant.ofEpochMilli(c.getPeriodStart()).toString(), c.getStartedBy(),
                ReviewPolicy.stored(c.getPolicy()), items, decided, c.getClosedAt() == null ? null : Instant.ofEpochMilli(c.getClosedAt()).toString());
    }

    ItemView view(ReviewItemEntity i) {
        List<Person> people = new ArrayList<>();
        for (String id : reviewerIds(i)) {
            people.add(person(id));
        }
        return new ItemView(i.getId(), i.getCampaignId(), i.getClientName(), i.getReviewerSource(), people, parse(i.getSnapshot()),
                i.getDigest(), i.getDecision(), i.getDecidedBy() == null ? null : SYSTEM.equals(i.getDecidedBy())
                ? new Person(null, SYSTEM) : person(i.getDecidedBy()),
                i.getDecidedAt() == null ? null : Instant.ofEpochMilli(i.getDecidedAt()).toString(), parse(i.getOutcome()));
    }

    Person person(String userId) {
        UserModel u = session.users().getUserById(realm, userId);
        if (u == null) {
            RealmModel other = new Reviewers(session, realm).approverRealm();
            if (other != realm) {
                u = session.users().getUserById(other, userId);
            }
        }
        return new Person(userId, u == null ? null : u.getUsername());
    }

    static JsonNode parse(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Snapshots.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable stored JSON", e);
        }
    }

    private void lockRealm() {
        em().find(RealmEntity.class, realm.getId(), LockModeType.PESSIMISTIC_WRITE);
    }

    private EntityManager em() {
        return session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }
}
