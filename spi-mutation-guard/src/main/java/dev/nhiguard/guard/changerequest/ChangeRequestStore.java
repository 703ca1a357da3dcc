package dev.nhiguard.guard.changerequest;

import java.util.List;
import java.util.UUID;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.TypedQuery;

import org.keycloak.common.util.Time;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.KeycloakSession;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.sealing.Sealer;
import dev.nhiguard.guard.store.ApprovalEntity;
import dev.nhiguard.guard.store.ChangeRequestEntity;
import dev.nhiguard.guard.store.HistoryEntity;

/** Change requests, approvals and history in the guard's own tables, in the session's transaction. */
public final class ChangeRequestStore {

    private final EntityManager em;

    public ChangeRequestStore(KeycloakSession session) {
        this.em = session.getProvider(JpaConnectionProvider.class).getEntityManager();
    }

    public void persist(ChangeRequestEntity cr, String actorUserId, String detail) {
        em.persist(cr);
        history(cr, actorUserId, "CREATED", null, cr.getState(), detail);
        em.flush();
    }

    public ChangeRequestEntity find(String realmId, String id) {
        ChangeRequestEntity cr = id == null || id.length() > 36 ? null : em.find(ChangeRequestEntity.class, id);
        return cr != null && cr.getRealmId().equals(realmId) ? cr : null;
    }

    /** The request locked for update (SELECT … FOR UPDATE) until this transaction ends. */
    public ChangeRequestEntity lock(String realmId, String id) {
        ChangeRequestEntity cr;
        try {
            cr = id == null || id.length() > 36 ? null : em.find(ChangeRequestEntity.class, id, LockModeType.PESSIMISTIC_WRITE);
            if (cr != null) {
                em.refresh(cr, LockModeType.PESSIMISTIC_WRITE);
            }
        } catch (jakarta.persistence.PessimisticLockException | jakarta.persistence.LockTimeoutException e) {
            throw GuardErrors.conflict("Change request " + id + " is being changed by a concurrent request; retry", null);
        }
        return cr != null && cr.getRealmId().equals(realmId) ? cr : null;
    }

    public List<ChangeRequestEntity> list(String realmId, String state, String target, String requester, int first, int max) {
        StringBuilder q = new StringBuilder("select c from ChangeRequestEntity c where c.realmId = :realm");
        if (state != null) {
            q.append(" and c.state = :state");
        }
        if (target != null) {
            q.append(" and (c.target = :target or c.targetId = :target)");
        }
        if (requester != null) {
            q.append(" and (c.requesterUserId = :requester or c.requesterUsername = :requester)");
        }
        q.append(" order by c.createdAt desc, c.id");
        TypedQuery<ChangeRequestEntity> query = em.createQuery(q.toString(), ChangeRequestEntity.class)
                .setParameter("realm", realmId);
        if (state != null) {
            query.setParameter("state", state);
        }
        if (target != null) {
            query.setParameter("target", target);
        }
        if (requester != null) {
            query.setParameter("requester", requester);
        }
        return query.setFirstResult(first).setMaxResults(max).getResultList();
    }

    /** Requests on one target that a user made (or made while impersonating someone) and that were applied before {@code before}. */
    public List<ChangeRequestEntity> appliedBefore(String realmId, String targetId, String userId, long before) {
        return em.createQuery("select c from ChangeRequestEntity c where c.realmId = :realm and c.targetId = :target "
                        + "and (c.requesterUserId = :user or c.requesterImpersonatorId = :user) and c.appliedAt is not null "
                        + "and c.appliedAt < :before", ChangeRequestEntity.class)
                .setParameter("realm", realmId).setParameter("target", targetId).setParameter("user", userId)
                .setParameter("before", before).getResultList();
    }

    /**
     * How many requests count against the person acting's cap in the realm: the open ones (pending, approved, cooling
     * down), and those cancelled or rejected that were made since {@code closedSince} (each mailed the approvers when it
     * was made: a loop that makes and cancels requests, or an approver's that makes and rejects their own, would
     * otherwise mail them without end; twenty-fourth red-team review). Their own, and those they made impersonating
     * someone else (which do not count against the one impersonated).
     */
    public long countAgainstCap(String realmId, String actorUserId, long closedSince) {
        return em.createQuery("select count(c) from ChangeRequestEntity c where c.realmId = :realm "
                + "and (c.state in :open or (c.state in :closed and c.createdAt >= :since)) "
                + "and ((c.requesterUserId = :actor and c.requesterImpersonatorId is null) or c.requesterImpersonatorId = :actor)",
                Long.class)
                .setParameter("realm", realmId).setParameter("actor", actorUserId)
                .setParameter("open", List.of(State.PENDING.name(), State.APPROVED.name(), State.COOLING_DOWN.name()))
                .setParameter("closed", List.of(State.CANCELLED.name(), State.REJECTED.name())).setParameter("since", closedSince)
                .getSingleResult();
    }

    /** Open requests past their expiry, any realm, oldest first, locked for update. */
    public List<ChangeRequestEntity> lockExpired(long now, int max) {
        return em.createQuery("select c from ChangeRequestEntity c where c.state in :open and c.expiresAt < :now order by c.expiresAt",
                ChangeRequestEntity.class)
                .setParameter("open", List.of(State.PENDING.name(), State.APPROVED.name(), State.COOLING_DOWN.name()))
                .setParameter("now", now).setMaxResults(max).setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList();
    }

    /** Applied requests still holding sealed rollback material, any realm, oldest first, locked for update. */
    public List<ChangeRequestEntity> lockWithRollbackMaterial(int max) {
        return em.createQuery("select c from ChangeRequestEntity c where c.state = :state and c.rollbackMaterial is not null "
                + "order by c.appliedAt", ChangeRequestEntity.class)
                .setParameter("state", State.APPLIED.name()).setMaxResults(max)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList();
    }

    /** Requests whose cooldown has ended, any realm: candidates for auto-apply. */
    public List<ChangeRequestEntity> cooledDown(long now, int max) {
        return em.createQuery("select c from ChangeRequestEntity c where c.state = :state and c.approvedAt is not null "
                + "and c.approvedAt + c.cooldownSeconds * 1000 <= :now order by c.approvedAt", ChangeRequestEntity.class)
                .setParameter("state", State.COOLING_DOWN.name()).setParameter("now", now).setMaxResults(max).getResultList();
    }

    public List<ApprovalEntity> approvals(String changeRequestId) {
        return em.createQuery("select a from ApprovalEntity a where a.changeRequestId = :id order by a.approvedAt, a.id",
                ApprovalEntity.class).setParameter("id", changeRequestId).getResultList();
    }

    public List<HistoryEntity> history(String changeRequestId) {
        return em.createQuery("select h from HistoryEntity h where h.changeRequestId = :id order by h.seq",
                HistoryEntity.class).setParameter("id", changeRequestId).getResultList();
    }

    public void addApproval(ApprovalEntity a) {
        em.persist(a);
        em.flush();
    }

    /** Moves the request to a new state, checking the transition, and records it. */
    public void transition(ChangeRequestEntity cr, State next, String actorUserId, String step, String detail) {
        State current = State.valueOf(cr.getState());
        if (!current.canMoveTo(next)) {
            throw GuardErrors.conflict("Change request " + cr.getId() + " is " + current + "; cannot become " + next,
                    current.name());
        }
        cr.setState(next.name());
        cr.setUpdatedAt(Time.currentTimeMillis());
        if (!next.isOpen()) {
            // Leaving the open states: the ciphertexts go, the fingerprints stay for the history.
            cr.setBody(Sealer.destroy(cr.getBody(), CanonicalJson::canonicalize));
            if (next != State.APPLIED) {
                // Only an applied request can be rolled back; rolled back, it needs the old secret no more.
                cr.setRollbackMaterial(null);
            }
        }
        history(cr, actorUserId, step, current.name(), next.name(), detail);
        em.flush();
    }

    public void history(ChangeRequestEntity cr, String actorUserId, String step, String from, String to, String detail) {
        Long count = em.createQuery("select count(h) from HistoryEntity h where h.changeRequestId = :id", Long.class)
                .setParameter("id", cr.getId()).getSingleResult();
        HistoryEntity h = new HistoryEntity();
        h.setId(UUID.randomUUID().toString());
        h.setChangeRequestId(cr.getId());
        h.setAt(Time.currentTimeMillis());
        h.setSeq(count.intValue() + 1);
        h.setActorUserId(actorUserId);
        h.setAction(step);
        h.setFromState(from);
        h.setToState(to);
        h.setDetail(detail == null || detail.length() <= 4000 ? detail : detail.substring(0, 4000));
        em.persist(h);
    }
}
