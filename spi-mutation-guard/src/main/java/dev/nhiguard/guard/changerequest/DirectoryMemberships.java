package dev.nhiguard.guard.changerequest;

import java.util.Set;

import org.keycloak.component.ComponentModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.storage.StorageId;
import org.keycloak.storage.UserStorageProvider;

/**
 * Whether a role grant or group join of a user is written into a user-storage provider rather than
 * Keycloak's database. An LDAP provider in {@code WRITABLE} edit mode with a role or group mapper in
 * {@code LDAP_ONLY} mode sends a grant or join to the directory as a group membership, and every
 * mapper of the provider then reads the directory back: two mappers reading the same branch turn a
 * harmless role into a privileged group, or a group named after the approver role into that role
 * (seventeenth review). The guard cannot see what a directory makes of a write, so such writes are
 * held. A provider the guard does not know (not LDAP, not Kerberos) may map memberships anywhere:
 * its users' writes are held too.
 */
final class DirectoryMemberships {

    static final String LDAP = "ldap";
    static final String KERBEROS = "kerberos";
    static final String LDAP_MAPPER_TYPE = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper";

    private DirectoryMemberships() {
    }

    /** Whether a role grant or group join of this user goes to a user-storage provider. */
    static boolean reachesADirectory(RealmModel realm, UserModel user) {
        if (user == null) {
            return false;
        }
        String providerId = user.getFederationLink() != null ? user.getFederationLink()
                : StorageId.isLocalStorage(user.getId()) ? null : StorageId.providerId(user.getId());
        if (providerId == null) {
            return false;
        }
        ComponentModel provider = realm.getComponent(providerId);
        return provider != null && writesMemberships(realm, provider);
    }

    /**
     * Whether a user created in this realm is created in a directory that takes memberships: an LDAP
     * provider that synchronizes registrations ({@code syncRegistrations}) and writes memberships. The
     * groups of a new user are then joined there.
     */
    static boolean newUsersReachADirectory(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), UserStorageProvider.class.getName())
                .filter(p -> Boolean.parseBoolean(p.get("syncRegistrations")))
                .anyMatch(p -> writesMemberships(realm, p));
    }

    private static boolean writesMemberships(RealmModel realm, ComponentModel provider) {
        if (KERBEROS.equals(provider.getProviderId())) {
            return false; // Kerberos maps no roles or groups: grants stay in Keycloak's database
        }
        if (!LDAP.equals(provider.getProviderId())) {
            return true;
        }
        if (!"WRITABLE".equals(provider.get("editMode"))) {
            return false; // a READ_ONLY or UNSYNCED directory is not written
        }
        return realm.getComponentsStream(provider.getId(), LDAP_MAPPER_TYPE)
                .anyMatch(m -> MEMBERSHIP_WRITING_MODES.contains(String.valueOf(m.get("mode"))));
    }

    /** The mapper modes in which a role or group mapper writes grants and joins to the directory. */
    private static final Set<String> MEMBERSHIP_WRITING_MODES = Set.of("LDAP_ONLY");
}
