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
    void staleVersionsAndDeadlocksAreConcurrentApplies() {
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.of(new jakarta.persistence.OptimisticLockException("stale")));
        assertEquals(ApplyFailure.CONCURRENT,
                ApplyFailure.of(new RuntimeException(new org.hibernate.StaleObjectStateException("ChangeRequestEntity", "id"))));
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.of(new ModelException("w", new SQLException("deadlock", "40P01"))));
        assertEquals(ApplyFailure.CONCURRENT, ApplyFailure.of(new ModelException("w", new SQLException("deadlock", "40001"))));
    }

    // A WebApplicationException (ChangeRequestStore.lock's 409 for a row-lock conflict, its transition's 409 naming the
    // state, a 403 or 404 on the way) is answered as it is; building one needs the JAX-RS runtime, which the unit tests
    // do not have: the integration tests' concurrent applies (ApplyOnceIT, ApplyOnceClusterIT) cover it.

    @Test
    void faultsAreUnexpectedNotConcurrent() {
        // what every apply under --features=stateless threw (RealmWriteLock.beforeRecheck, no user cache)
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new NullPointerException(
                "Cannot invoke \"org.keycloak.models.cache.UserCache.clear()\" because the return value of getProvider is null")));
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new IllegalStateException("no transaction")));
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new ModelException("w", new SQLException("dup", "23505"))));
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(new RuntimeException(new SQLException("gone", "08006"))));
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b); // a cause chain that loops ends the walk
        assertEquals(ApplyFailure.UNEXPECTED, ApplyFailure.of(a));
    }
}
