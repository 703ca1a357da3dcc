package dev.nhiguard.guard.changerequest;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.admin.AdminAuth;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.policy.GuardPolicy;

/**
 * Who is an approver, counted one way everywhere: an enabled human user of the approver realm
 * (the policy's {@code approverRealm}, else the guarded realm itself) who holds the approver
 * role <em>directly</em>. Groups, composite roles and the default roles never make an approver,
 * so no admin can manufacture one through them; direct grants and revocations of the role are
 * guarded changes, and no admin request bootstraps approvers (the operator does, at start-up or
 * by realm import).
 */
public final class Approvers {

    private Approvers() {
    }

    /** The realm whose users approve changes to {@code guarded}; null when the policy names a realm that does not exist. */
    public static RealmModel approverRealm(KeycloakSession s, RealmModel guarded, GuardPolicy policy) {
        return policy.approverRealm() == null ? guarded : s.realms().getRealmByName(policy.approverRealm());
    }

    /**
     * The realm role names whose direct holders approve through {@code realm}: {@code ownApproverRole} (its own
     * policy's), and, in the administration realm, the approver role of every realm whose policy takes approvers from
     * it. A guarded realm may name its own role there ({@code approverRole} with {@code approverRealm}); granting,
     * revoking or renaming to that role in the administration realm is then an approver change like any other. Only
     * the administration realm's users can call another realm's admin API, so no other realm approves for another.
     */
    public static java.util.Set<String> approverRoleNames(KeycloakSession s, RealmModel realm, String ownApproverRole) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        names.add(ownApproverRole);
        if (org.keycloak.Config.getAdminRealm().equals(realm.getName())) {
            s.realms().getRealmsStream().filter(r -> !r.getId().equals(realm.getId())).forEach(r -> {
                String attribute = r.getAttribute(Catalogue.POLICY_ATTRIBUTE);
                if (attribute == null) {
                    return;
                }
                try {
                    GuardPolicy policy = GuardPolicy.fromAttribute(attribute);
                    if (realm.getName().equals(policy.approverRealm())) {
                        names.add(policy.approverRole());
                    }
                } catch (dev.nhiguard.guard.policy.PolicyException e) {
                    // an unreadable policy: the guard refuses that realm's guarded writes, nobody approves for it
                }
            });
        }
        return names;
    }

    /**
     * Whether the user holds the role by a direct mapping stored in Keycloak's own database: not through groups,
     * composites or default roles, nor through a user-storage provider's mappers (an LDAP role mapper presents the
     * directory's memberships as role mappings, and a realm admin can write the directory through Keycloak: seventeenth
     * review). A user a provider keeps without importing (no row in Keycloak's database) holds no role this way.
     */
    public static boolean holdsDirectly(KeycloakSession s, RealmModel realm, UserModel user, RoleModel role) {
        if (role == null || !org.keycloak.storage.StorageId.isLocalStorage(user.getId())) {
            return false;
        }
        UserModel stored = s.getProvider(org.keycloak.models.UserProvider.class).getUserById(realm, user.getId());
        return stored != null && stored.getRealmRoleMappingsStream().anyMatch(r -> r.getId().equals(role.getId()));
    }

    /**
     * The users holding the role by a mapping stored in Keycloak's database ({@link #holdsDirectly}): the approvers,
     * counted, listed and notified the way they are checked.
     */
    public static java.util.stream.Stream<UserModel> directHolders(KeycloakSession s, RealmModel realm, RoleModel role) {
        return s.getProvider(org.keycloak.models.UserProvider.class).getRoleMembersStream(realm, role);
    }

    /**
     * The realm role by this name that makes approvers, or null: none by that name, or the realm's default role, which
     * Keycloak grants directly to every user it creates (a policy naming it is refused; this holds if it was renamed).
     */
    public static RoleModel approverRole(RealmModel realm, String name) {
        RoleModel role = realm.getRole(name);
        RoleModel defaults = realm.getDefaultRole();
        return role == null || (defaults != null && defaults.getId().equals(role.getId())) ? null : role;
    }

    public static boolean isApprover(KeycloakSession s, AdminAuth auth, RealmModel guarded, GuardPolicy policy) {
        return isApprover(s, auth.getRealm(), auth.getUser(), guarded, policy);
    }

    static boolean isApprover(KeycloakSession s, RealmModel userRealm, UserModel user, RealmModel guarded, GuardPolicy policy) {
        String approverRealm = policy.approverRealm() == null ? guarded.getName() : policy.approverRealm();
        if (!userRealm.getName().equals(approverRealm) || user.getServiceAccountClientLink() != null || !user.isEnabled()) {
            return false;
        }
        return holdsDirectly(s, userRealm, user, approverRole(userRealm, policy.approverRole()));
    }

    /** Approvers other than {@code exceptUserId}, counted up to {@code approvalsRequired + 1}. */
    static long eligible(KeycloakSession s, RealmModel guarded, GuardPolicy policy, String exceptUserId) {
        RealmModel realm = approverRealm(s, guarded, policy);
        RoleModel role = realm == null ? null : approverRole(realm, policy.approverRole());
        if (role == null) {
            return 0;
        }
        return directHolders(s, realm, role)
                .filter(u -> u.isEnabled() && u.getServiceAccountClientLink() == null && !u.getId().equals(exceptUserId))
                .limit(policy.approvalsRequired() + 1L)
                .count();
    }

    /**
     * The realm's approvers as the operator's bootstrap counts them, up to {@code approvalsRequired + 1}: direct holders
     * that are enabled, or disabled only by a permanent brute-force lockout (Keycloak's {@code disabledReason}
     * {@code permanentLockout}: anyone who knows the username can cause it, so it must not make room for the bootstrap).
     */
    static long appointed(KeycloakSession s, RealmModel guarded, GuardPolicy policy) {
        RealmModel realm = approverRealm(s, guarded, policy);
        RoleModel role = realm == null ? null : approverRole(realm, policy.approverRole());
        if (role == null) {
            return 0;
        }
        return directHolders(s, realm, role)
                .filter(u -> u.getServiceAccountClientLink() == null && (u.isEnabled()
                        || org.keycloak.services.managers.BruteForceProtector.DISABLED_BY_PERMANENT_LOCKOUT
                                .equals(u.getFirstAttribute(UserModel.DISABLED_REASON))))
                .limit(policy.approvalsRequired() + 1L)
                .count();
    }

    /**
     * The clients an approver decides through: the approvals page's {@code nhi-approvals}, the
     * admin console and {@code admin-cli} (kcadm.sh). They are administration clients: creating one
     * under these names, renaming a client to one, and changing or deleting one are held, so
     * their redirect URIs and flows stay as approved. A token Keycloak issued to any other
     * client of the approver realm (one a requester may create, with a redirect URI of their own,
     * to collect an authorization code from an approver's browser session) decides nothing.
     */
    public static final java.util.Set<String> DECISION_CLIENTS = java.util.Set.of("nhi-approvals",
            org.keycloak.models.Constants.ADMIN_CONSOLE_CLIENT_ID, org.keycloak.models.Constants.ADMIN_CLI_CLIENT_ID);

    /** Why the token's client may not carry a decision, or null when it may. */
    public static String decisionClientProblem(AdminAuth auth) {
        org.keycloak.models.ClientModel client = auth.getClient();
        String clientId = client == null ? null : client.getClientId();
        if (clientId == null || !DECISION_CLIENTS.contains(clientId)) {
            return "Decisions are taken with a token of the approvals page (nhi-approvals), the admin console or admin-cli; "
                    + "this token was issued to " + (clientId == null ? "an unknown client" : "client " + clientId);
        }
        String flaw = tokensNotOnlyFromOwnSignIn(client);
        return flaw == null ? null : "Decisions are taken with a token of a public client that gives tokens to users who "
                + "sign in themselves; client " + clientId + " " + flaw + ", so its tokens may have been obtained for an "
                + "approver by someone else";
    }

    /**
     * Why a decision client's tokens may not come from the approver's own sign-in in the approver's own browser, or
     * null: a confidential client can exchange any token of the approver's (Keycloak's standard token exchange keeps
     * the session and names the exchanging client as {@code azp}); {@link Catalogue#TOKEN_MINTING_FLAGS} give a
     * sign-in's tokens to someone else; a service account is no approver; and {@code nhi-approvals}' authorization
     * codes must go to Keycloak's own theme files, not to a page that passes them on. The approvals page, the console
     * and admin-cli are public clients without those.
     */
    static String tokensNotOnlyFromOwnSignIn(org.keycloak.models.ClientModel client) {
        if (!client.isPublicClient()) {
            return "is confidential (it can exchange an approver's token obtained through another client)";
        }
        if (client.isServiceAccountsEnabled()) {
            return "has a service account";
        }
        for (String flag : Catalogue.TOKEN_MINTING_FLAGS) {
            if (Boolean.parseBoolean(client.getAttribute(flag))) {
                return "has " + flag + " on";
            }
        }
        if ("nhi-approvals".equals(client.getClientId())) {
            // Where its codes go: Keycloak's theme files only, whoever created it and whenever (fifteenth review: a
            // redirect URI through /resources/%2e%2e/ reached a page that sent the code on).
            if (!"${authBaseUrl}".equals(client.getRootUrl())) {
                return "sends its authorization codes below root URL " + client.getRootUrl() + ", not Keycloak's own";
            }
            for (String uri : client.getRedirectUris()) {
                if (!Catalogue.isThemeResourcePath(uri, true)) {
                    return "has the redirect URI " + uri + ", which is not a plain path below Keycloak's /resources/";
                }
            }
        }
        return null;
    }

    /** The requirement in words, for refusals. */
    public static String requirement(RealmModel guarded, GuardPolicy policy) {
        String realm = policy.approverRealm() == null ? guarded.getName() : policy.approverRealm();
        return "Approving needs the realm role '" + policy.approverRole() + "' held directly (a role mapping in Keycloak's "
                + "own database, not through a group, a composite role, the default roles or a user-storage provider such "
                + "as LDAP) by an enabled user of realm " + realm;
    }
}
