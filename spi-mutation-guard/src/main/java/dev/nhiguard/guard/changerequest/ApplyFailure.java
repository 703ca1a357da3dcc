package dev.nhiguard.guard.changerequest;

import jakarta.ws.rs.WebApplicationException;

/**
 * What an apply that failed before its replay ran into (nothing was changed; the request keeps its state), and so how
 * it is answered: only a lost race answers 409 "being applied by a concurrent request".
 */
enum ApplyFailure {
    /** The realm's write lock, or the request's row, was not granted in time: 503 realm_busy. */
    LOCK_TIMEOUT,
    /** Another transaction changed or held the request's row (its row-lock conflict, a stale version, a deadlock): 409. */
    CONCURRENT,
    /** A deliberate answer thrown on the way (a WebApplicationException other than a conflict): answered as it is. */
    ANSWER,
    /** Anything else is a fault, not a race: logged with its cause and answered 503 guard_unavailable. */
    UNEXPECTED;

    static ApplyFailure of(Throwable e) {
        if (RealmWriteLock.isLockTimeout(e)) {
            return LOCK_TIMEOUT;
        }
        if (e instanceof WebApplicationException w) {
            return ofAnswer(w.getResponse() == null ? 500 : w.getResponse().getStatus());
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof jakarta.persistence.OptimisticLockException || t instanceof org.hibernate.StaleStateException) {
                return CONCURRENT;
            }
            // serialization failure / deadlock (H2 and PostgreSQL 40001, PostgreSQL 40P01), as Keycloak may wrap them
            if (t instanceof java.sql.SQLException sql && ("40001".equals(sql.getSQLState()) || "40P01".equals(sql.getSQLState()))) {
                return CONCURRENT;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return UNEXPECTED;
    }

    /** A deliberate answer thrown on the way: ChangeRequestStore.lock answers a row-lock conflict 409. */
    static ApplyFailure ofAnswer(int status) {
        return status == 409 ? CONCURRENT : ANSWER;
    }
}
