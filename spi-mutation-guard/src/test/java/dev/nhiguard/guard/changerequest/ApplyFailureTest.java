package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.SQLException;

import org.junit.jupiter.api.Test;
import org.keycloak.models.ModelException;

/** Only a lost race answers an apply 409 "being applied by a concurrent request"; a fault is not hidden behind it. */
class ApplyFailureTest {

    @Test
    void lockTimeoutsAreBusyRealms() {
        assertEquals(ApplyFailure.LOCK_TIMEOUT, ApplyFailure.of(new jakarta.persistence.LockTimeoutException("x")));
        assertEquals(ApplyFailure.LOCK_TIMEOUT, ApplyFailure.of(new ModelException("w", new SQLException("t", "HYT00"))));
    }

    @Test
    void rowConflictsStaleVersionsAndDeadlocksAreConcurrentApplies() {
        // ChangeRequestStore.lock's answer to a row-lock conflict (GuardErrors.conflict, 409)
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.ofAnswer(409));
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.of(new jakarta.persistence.OptimisticLockException("stale")));
        assertEquals(ApplyFailure.CONCURRENT,
                ApplyFailure.of(new RuntimeException(new org.hibernate.StaleObjectStateException("ChangeRequestEntity", "id"))));
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.of(new ModelException("w", new SQLException("deadlock", "40P01"))));
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.of(new ModelException("w", new SQLException("deadlock", "40001"))));
    }

    @Test
    void deliberateAnswersOtherThanAConflictAreAnsweredAsTheyAre() {
        // (the JAX-RS runtime that builds a Response is not on the unit tests' class path: the status is what decides)
        assertEquals(ApplyFailure.ANSWER, ApplyFailure.ofAnswer(403));
        assertEquals(ApplyFailure.ANSWER, ApplyFailure.ofAnswer(404));
        assertEquals(ApplyFailure.ANSWER, ApplyFailure.ofAnswer(422));
    }

    @Test
    void faultsAreUnexpectedNotConcurrent() {
        // what every apply under --features=stateless threw (RealmWriteLock.beforeRecheck, no user cache)
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new NullPointerException(
                "Cannot invoke \"org.keycloak.models.cache.UserCache.clear()\" because the return value of getProvider is null")));
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new IllegalStateException("no transaction")));
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new ModelException("w", new SQLException("dup", "23505"))));
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new RuntimeException(new SQLException("gone", "08006"))));
    }
}
