package dev.nhiguard.guard.changerequest;

import jakarta.ws.rs.WebApplicationException;

/**
 * What an apply that failed before its replay ran into (nothing was changed; the request keeps its state), and so how
 * it is answered: only a lost race answers 409 "being applied by a concurrent request".
 */
enum ApplyFailure {
    /** The realm's write lock, or the request's row, was not granted in time: 503 realm_busy. */
    LOCK_TIMEOUT,
    /** Another transaction changed the request's row meanwhile (a stale version, a deadlock): 409. */
    CONCURRENT,
    /** A deliberate answer thrown on the way (a WebApplicationException: a row-lock conflict, a state): answered as it is. */
    ANSWER,
    /** Anything else is a fault, not a race: logged with its cause and answered 503 guard_unavailable. */
    UNEXPECTED;

    static ApplyFailure of(Throwable e) {
        if (RealmWriteLock.isLockTimeout(e)) {
            return LOCK_TIMEOUT;
        }
        if (e instanceof WebApplicationException) {
            // A deliberate answer thrown on the way, answered as it is: ChangeRequestStore.lock's 409 says the request
            // is being changed by a concurrent request, its transition's 409 which state it is in.
            return ANSWER;
        }
        int causes = 0;
        for (Throwable t = e; t != null && causes < MAX_CAUSES; t = t.getCause(), causes++) {
            if (t instanceof jakarta.persistence.OptimisticLockException || t instanceof org.hibernate.StaleStateException) {
                return CONCURRENT;
            }
            // serialization failure / deadlock (H2 and PostgreSQL 40001, PostgreSQL 40P01), as Keycloak may wrap them
            if (t instanceof java.sql.SQLException sql && ("40001".equals(sql.getSQLState()) || "40P01".equals(sql.getSQLState()))) {
                return CONCURRENT;
            }
        }
        return UNEXPECTED;
    }

    /** Causes looked through (a cause chain may loop). */
    private static final int MAX_CAUSES = 32;
}
