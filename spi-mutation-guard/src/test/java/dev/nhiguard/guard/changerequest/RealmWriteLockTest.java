package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelException;
import org.keycloak.models.cache.CacheRealmProvider;
import org.keycloak.models.cache.UserCache;

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

    @Test
    void beforeRecheckDropsTheCachesKeycloakRuns() {
        List<String> cleared = new ArrayList<>();
        RealmWriteLock.beforeRecheck(session(cleared, true, true));
        assertEquals(List.of("CacheRealmProvider", "UserCache"), cleared);
    }

    @Test
    void beforeRecheckSkipsACacheKeycloakRunsWithout() {
        // --features=stateless turns the user cache off: getProvider(UserCache.class) is null (it threw a
        // NullPointerException, which every apply answered as a 409 "concurrent request")
        List<String> cleared = new ArrayList<>();
        RealmWriteLock.beforeRecheck(session(cleared, true, false));
        assertEquals(List.of("CacheRealmProvider"), cleared);
        cleared.clear();
        RealmWriteLock.beforeRecheck(session(cleared, false, false));
        assertEquals(List.of(), cleared);
    }

    /** A session whose getProvider answers a cache recording clear() where present, null otherwise. */
    private static KeycloakSession session(List<String> cleared, boolean realmCache, boolean userCache) {
        return (KeycloakSession) Proxy.newProxyInstance(RealmWriteLockTest.class.getClassLoader(),
                new Class<?>[] {KeycloakSession.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("getProvider") || args.length != 1) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    Class<?> type = (Class<?>) args[0];
                    boolean present = type == CacheRealmProvider.class ? realmCache : type == UserCache.class && userCache;
                    return present ? cache(type, cleared) : null;
                });
    }

    private static Object cache(Class<?> type, List<String> cleared) {
        return Proxy.newProxyInstance(RealmWriteLockTest.class.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (!method.getName().equals("clear")) {
                throw new UnsupportedOperationException(method.getName());
            }
            cleared.add(type.getSimpleName());
            return null;
        });
    }
}
