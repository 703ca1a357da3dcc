package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;

import org.junit.jupiter.api.Test;
import org.keycloak.models.ModelException;

/** Which failures answer {@code 503 realm_busy} (a lock wait that ran out) rather than {@code guard_unavailable}. */
class RealmWriteLockTest {

    @Test
    void jpaAndHibernateLockFailuresAreLockTimeouts() {
        assertTrue(RealmWriteLock.isLockTimeout(new jakarta.persistence.PessimisticLockException("x")));
        assertTrue(RealmWriteLock.isLockTimeout(new jakarta.persistence.LockTimeoutException("x")));
        assertTrue(RealmWriteLock.isLockTimeout(new org.hibernate.PessimisticLockException("x", null, "select")));
    }

    @Test
    void databaseLockTimeoutsAreFoundThroughKeycloaksWrapping() {
        // H2 (HYT00) and PostgreSQL (55P03, lock_not_available), as Keycloak's ModelException wraps them
        assertTrue(RealmWriteLock.isLockTimeout(new ModelException("wrapped", new RuntimeException(new SQLException("t", "HYT00")))));
        assertTrue(RealmWriteLock.isLockTimeout(new ModelException("wrapped", new SQLException("t", "55P03"))));
    }

    @Test
    void otherFailuresAreNot() {
        assertFalse(RealmWriteLock.isLockTimeout(new IllegalStateException("no transaction to hold the realm's write lock in")));
        // a unique-key violation (23505) or a lost connection (08006) is not a busy realm
        assertFalse(RealmWriteLock.isLockTimeout(new ModelException("wrapped", new SQLException("dup", "23505"))));
        assertFalse(RealmWriteLock.isLockTimeout(new RuntimeException(new SQLException("gone", "08006"))));
    }
}
