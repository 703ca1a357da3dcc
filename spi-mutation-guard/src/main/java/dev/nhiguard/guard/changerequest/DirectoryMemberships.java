package dev.nhiguard.guard.changerequest;

import org.keycloak.component.ComponentModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.storage.StorageId;
import org.keycloak.storage.UserStorageProvider;

/**
 * Whether a role grant or group join of a user is written into a user-storage provider rather than
 * Keycloak's database. An LDAP provider with a role or group mapper in {@code LDAP_ONLY} mode (in any
 * edit mode: the mapper writes the directory itself) sends a grant or join to the directory as a group membership, and every
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
        // Keycloak hands a new user to every enabled provider that takes registrations; for LDAP, syncRegistrations
        // says whether it does. Another provider may take them: it counts.
        return realm.getComponentsStream(realm.getId(), UserStorageProvider.class.getName())
                .filter(p -> !LDAP.equals(p.getProviderId()) || Boolean.parseBoolean(p.get("syncRegistrations")))
                .anyMatch(p -> writesMemberships(realm, p));
    }

    /**
     * Whether reading this realm's users may write Keycloak's database: a user-storage provider imports the users a
     * lookup or search finds, and an LDAP role or group mapper creates, on a user's first read, the realm roles and groups
     * the directory's memberships name ({@code RoleLDAPStorageMapper#getLDAPRoleMappingsConverted},
     * {@code GroupLDAPStorageMapper#findKcGroupOrSyncFromLDAP}). Such a read leaves rows in its transaction until that
     * commits: a second transaction that reads the same user inserts the same role, group or user and waits on them.
     */
    static boolean readsMayWrite(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), UserStorageProvider.class.getName()).findAny().isPresent();
    }

    private static boolean writesMemberships(RealmModel realm, ComponentModel provider) {
        if (KERBEROS.equals(provider.getProviderId())) {
            return false; // Kerberos maps no roles or groups: grants stay in Keycloak's database
        }
        if (!LDAP.equals(provider.getProviderId())) {
            return true;
        }
        // Whatever the provider's edit mode: a mapper in LDAP_ONLY mode writes a grant or join into the directory itself
        // (the provider's read-only wrapper is inside the mappers' proxies), and Keycloak reads the mode case-blind.
        return realm.getComponentsStream(provider.getId(), LDAP_MAPPER_TYPE)
                .anyMatch(m -> LDAP_ONLY.equalsIgnoreCase(String.valueOf(m.get("mode")).trim()));
    }

    /** The mapper mode in which a role or group mapper writes grants and joins to the directory. */
    private static final String LDAP_ONLY = "LDAP_ONLY";
}
