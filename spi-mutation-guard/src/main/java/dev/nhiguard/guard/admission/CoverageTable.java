package dev.nhiguard.guard.admission;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the guard treats every admin write method: Keycloak's admin API (26.7), the admin
 * extensions of the Keycloak distribution and our own modules. Keyed by
 * {@code <fully.qualified.ClassName>#<methodName>} of the resource class the request reaches
 * (overloads share one entry); {@code <fqcn>#*} is a class-level default that method entries
 * override. A write method without an entry is held as {@code unclassified-write}.
 * {@code EndpointCoverageTest} enumerates the methods by reflection and fails on a method without
 * an entry, an entry without a method, and an operation the catalogue does not know.
 *
 * <p>Reading a reason: a {@link Coverage.Catalogue} reason says which targets the operations'
 * predicates hold; a {@link Coverage.Guarded} reason says what the write can change that is
 * guarded, and why no predicate can tell the harmless cases apart; an {@link Coverage.Unguarded}
 * reason says why it cannot change a guarded subject (or that it only takes something away).
 * "wants its own operation" marks writes held as {@code unclassified-write} on purpose, because no
 * catalogue operation describes them yet.
 */
public final class CoverageTable {

    private static final String KC = "org.keycloak.services.resources.admin.";
    private static final String AUTHZ = "org.keycloak.authorization.admin.";
    private static final String ORG = "org.keycloak.organization.admin.resource.";
    private static final String WF = "org.keycloak.workflow.admin.resource.";
    private static final String VC = "org.keycloak.protocol.oid4vc.resources.admin.";
    private static final String UI = "org.keycloak.admin.ui.rest.";
    private static final String SSF = "org.keycloak.ssf.services.admin.";
    private static final String GUARD = "dev.nhiguard.guard.rest.";
    private static final String AGENT = "dev.nhiguard.agent.";
    private static final String AUDIT = "dev.nhiguard.audit.rest.";

    private static final Map<String, Coverage> ENTRIES = build();

    /**
     * Unguarded writes that store nothing: reads and tests sent as POST, and pushes of what is stored. They take no
     * realm write lock (they cannot race an apply), so one that waits on a slow server it was pointed at holds up no
     * other write of the realm.
     */
    private static final java.util.Set<String> STORE_NOTHING = java.util.Set.of(
            KC + "RealmAdminResource#partialExport", KC + "RealmAdminResource#convertClientDescription",
            KC + "RealmAdminResource#testSMTPConnection", KC + "RealmAdminResource#pushRevocation",
            KC + "IdentityProvidersResource#importFrom", KC + "IdentityProvidersResource#uploadCertificate",
            KC + "ClientResource#pushRevocation", AUTHZ + "PolicyEvaluationService#evaluate",
            KC + "TestLdapConnectionResource#testLDAPConnection", KC + "LdapServerCapabilitiesResource#ldapServerCapabilities",
            SSF + "SsfAdminResource#checkSubject", SSF + "SsfAdminResource#verifyClientStream");

    /** Whether the write method stores nothing (see {@link #STORE_NOTHING}). */
    public static boolean storesNothing(String className, String methodName) {
        return STORE_NOTHING.contains(className + "#" + methodName);
    }

    /** The methods that store nothing, for the coverage test. */
    static java.util.Set<String> storesNothing() {
        return STORE_NOTHING;
    }

    private CoverageTable() {
    }

    /** The coverage of a write method, by its resource class and method name; a method entry wins over the class default. */
    public static Optional<Coverage> of(String className, String methodName) {
        Coverage c = ENTRIES.get(className + "#" + methodName);
        if (c == null) {
            c = ENTRIES.get(className + "#*");
        }
        return Optional.ofNullable(c);
    }

    /** Every entry, in table order. */
    public static Map<String, Coverage> entries() {
        return ENTRIES;
    }

    private static Map<String, Coverage> build() {
        Map<String, Coverage> t = new LinkedHashMap<>();

        // --- realm (/admin/realms, /admin/realms/{realm}) ---
        put(t, KC + "RealmsAdminResource#importRealm", unguarded("creates a new realm (master admins with create-realm only): no existing realm's guarded subjects change, its creator administers the new realm alone; a clear audit-sink secret in its attributes is refused (400)"));
        put(t, KC + "RealmAdminResource#updateRealm", catalogue("events, listeners, password/OTP policy, flows, brute force, client policies and the guard-policy attribute decide", "realm-security-settings", "realm-guard-policy-attribute"));
        put(t, KC + "RealmAdminResource#deleteRealm", guarded("realm-delete", "deletes every subject of the realm, the guard's records and policy with it"));
        put(t, KC + "RealmAdminResource#updateRealmEventsConfig", catalogue("events and admin-events settings and listeners", "realm-events-config"));
        put(t, KC + "RealmAdminResource#clearEvents", guarded("events-delete", "deletes the realm's login events (the record)"));
        put(t, KC + "RealmAdminResource#clearAdminEvents", guarded("events-delete", "deletes the realm's admin events (the record)"));
        put(t, KC + "RealmAdminResource#partialImport", catalogue("clients, users, groups, roles or identity providers in the import decide", "realm-partial-import"));
        put(t, KC + "RealmAdminResource#partialExport", unguarded("a read sent as POST: exports the realm (secrets masked; stored private keys are not, and are recorded as credential reads of their clients), changes nothing"));
        put(t, KC + "RealmAdminResource#convertClientDescription", unguarded("a read sent as POST: parses a client description into a representation, stores nothing"));
        put(t, KC + "RealmAdminResource#testSMTPConnection", unguarded("a test sent as POST: mails the calling admin; stored SMTP credentials are reused only for the same host, port and user"));
        put(t, KC + "RealmAdminResource#addDefaultDefaultClientScope", guarded("realm-default-client-scope", "every new client, service-account clients included, gets the scope's mappers and scope mappings"));
        put(t, KC + "RealmAdminResource#addDefaultOptionalClientScope", guarded("realm-default-client-scope", "every new client, service-account clients included, may request the scope's mappers and scope mappings"));
        put(t, KC + "RealmAdminResource#removeDefaultDefaultClientScope", reducing("new clients no longer get the scope; existing clients keep theirs"));
        put(t, KC + "RealmAdminResource#removeDefaultOptionalClientScope", reducing("new clients no longer get the scope; existing clients keep theirs"));
        put(t, KC + "RealmAdminResource#addDefaultGroup", guarded("realm-default-group", "every new user joins the group and holds its roles"));
        put(t, KC + "RealmAdminResource#removeDefaultGroup", reducing("new users no longer join the group; members stay"));
        put(t, KC + "RealmAdminResource#setUsersManagementPermissionsEnabled", guarded("admin-permissions", "FGAP v1: turns on permissions deciding who may manage users"));
        put(t, KC + "RealmAdminResource#logoutAll", reducing("sets the realm's not-before and ends every session; pushes logout to clients' admin URLs"));
        put(t, KC + "RealmAdminResource#pushRevocation", unguarded("pushes the existing not-before to clients' admin URLs (outbound HTTP); stores nothing"));
        put(t, KC + "RealmAdminResource#deleteSession", reducing("ends one user session"));
        put(t, KC + "RealmLocalizationResource#*", unguarded("removes realm localization overrides: the theme's own texts apply again"));
        put(t, KC + "RealmLocalizationResource#createOrUpdateRealmLocalizationTexts", catalogue("a mail's text can wrap an action link (a password reset of an approver) in another address; overrides of NHI Guard's own texts (nhi…) are refused before this (Admission.guardTextsOverridden)", "realm-localization-texts"));
        put(t, KC + "RealmLocalizationResource#saveRealmLocalizationText", catalogue("one text as text/plain: refused where the texts are guarded (the guard could hold it but not show it), see createOrUpdateRealmLocalizationTexts", "realm-localization-texts"));
        put(t, KC + "RealmLocalizationResource#createOrUpdateRealmLocalizationTextsFromFile", unguarded("refused before this (Admission.guardTextsOverridden): texts are sent as JSON"));
        put(t, KC + "AttackDetectionResource#clearBruteForceForUser", catalogue("unlocking a privileged user lets password guessing resume against it", "brute-force-clear"));
        put(t, KC + "AttackDetectionResource#clearAllBruteForce", catalogue("unlocking every user includes privileged ones", "brute-force-clear-all"));
        put(t, KC + "UserProfileResource#update", guarded("user-profile-config", "the user profile decides which attributes (email, username …) users and admins may set, and their validation"));

        // --- authentication, identity providers, components, user federation, client policies ---
        put(t, KC + "AuthenticationManagementResource#*", guarded("authentication-config", "flows, executions, authenticator configs and required actions decide how every user, privileged ones included, authenticates and recovers"));
        put(t, KC + "IdentityProvidersResource#*", guarded("identity-provider-config", "identity providers are a way to log in as a privileged user"));
        put(t, KC + "IdentityProvidersResource#importFrom", unguarded("a read sent as POST: parses an identity provider's metadata (uploaded, or fetched from a URL) into a config map and returns it, stores nothing; creating the provider is held"));
        put(t, KC + "IdentityProvidersResource#uploadCertificate", unguarded("a read sent as POST: parses an uploaded certificate, key or JWKS and returns it, stores nothing"));
        put(t, KC + "IdentityProviderResource#*", guarded("identity-provider-config", "an identity provider and its mappers (hardcoded roles, claim-to-role): login and roles of brokered users"));
        put(t, KC + "IdentityProviderResource#setManagementPermissionsEnabled", guarded("admin-permissions", "FGAP v1: turns on permissions deciding who may exchange tokens through the identity provider"));
        put(t, KC + "ComponentResource#*", guarded("component-config", "components are realm keys, user storage and LDAP mappers, client-registration policies: keys, federation and registration rules"));
        put(t, KC + "UserStorageProviderResource#*", guarded("user-federation-action", "sync, unlink and remove-imported change or delete federated users (privileged ones included) and, for mapper sync, their groups and roles"));
        put(t, KC + "ClientPoliciesResource#updatePolicies", guarded("client-policies-config", "client policies enforce client authentication, PKCE, holder-of-key … on every client"));
        put(t, KC + "ClientProfilesResource#updateProfiles", guarded("client-policies-config", "client profiles are the executors client policies apply"));
        put(t, KC + "ClientTypesResource#updateClientTypes", guarded("client-policies-config", "client types set and pin properties (service accounts, client authentication) of every client of a type"));
        put(t, KC + "ClientInitialAccessResource#create", guarded("client-registration-access-token", "mints an initial access token: a credential to register clients outside the admin API"));
        put(t, KC + "ClientInitialAccessResource#delete", reducing("revokes an initial access token"));

        // --- clients ---
        put(t, KC + "ClientsResource#createClient", catalogue("a service account, flow overrides, the clientId of an administration client or a clientId a flow condition's role name starts with decide", "client-create-service-account", "client-flow-override", "admin-client-create", "identity-claim-mapper"));
        put(t, KC + "ClientResource#update", catalogue("security fields of a service-account client, flow overrides, built-in admin clients, mappers writing identity claims decide", "client-update", "client-flow-override", "identity-claim-mapper"));
        put(t, KC + "ClientResource#deleteClient", catalogue("deleting a service-account or administration client, or one whose roles gate a client scope a service account uses or a flow condition", "client-delete"));
        put(t, KC + "ClientResource#regenerateSecret", catalogue("a service-account client's secret", "client-secret-regenerate"));
        put(t, KC + "ClientResource#invalidateRotatedSecret", catalogue("a service-account client's rotated secret", "client-secret-rotated-invalidate"));
        put(t, KC + "ClientResource#regenerateRegistrationAccessToken", guarded("client-registration-access-token", "a new registration access token lets its holder change the client through client registration"));
        put(t, KC + "ClientResource#addDefaultClientScope", catalogue("a scope added to a service-account client shapes its tokens; a scope a client policy names decides which policies apply (any client)", "client-default-scope-add", "client-scope-policy-gate"));
        put(t, KC + "ClientResource#addOptionalClientScope", catalogue("a scope added to a service-account client shapes its tokens; a scope a client policy names decides which policies apply (any client)", "client-optional-scope-add", "client-scope-policy-gate"));
        put(t, KC + "ClientResource#removeDefaultClientScope", catalogue("removal from a service-account client (privilege-reducing), or of a scope a client policy names (any client)", "client-default-scope-remove", "client-scope-policy-gate"));
        put(t, KC + "ClientResource#removeOptionalClientScope", catalogue("removal from a service-account client (privilege-reducing), or of a scope a client policy names (any client)", "client-optional-scope-remove", "client-scope-policy-gate"));
        put(t, KC + "ClientResource#setManagementPermissionsEnabled", guarded("admin-permissions", "FGAP v1: turns on permissions deciding who may manage the client"));
        put(t, KC + "ClientResource#pushRevocation", unguarded("pushes the client's existing not-before to its admin URL (outbound HTTP); stores nothing"));
        put(t, KC + "ClientResource#registerNode", unguarded("records a cluster node the client's admin callbacks go to; no credential, role or token content"));
        put(t, KC + "ClientResource#unregisterNode", unguarded("forgets a cluster node of the client's admin callbacks"));
        put(t, KC + "ClientAttributeCertificateResource#generate", catalogue("new key pair of a service-account client", "client-certificate-generate"));
        put(t, KC + "ClientAttributeCertificateResource#generateAndGetKeystore", catalogue("new key pair of a service-account client", "client-certificate-generate-and-download"));
        put(t, KC + "ClientAttributeCertificateResource#uploadJks", catalogue("uploaded key of a service-account client", "client-certificate-upload"));
        put(t, KC + "ClientAttributeCertificateResource#uploadJksCertificate", catalogue("uploaded certificate of a service-account client", "client-certificate-upload-certificate"));
        put(t, KC + "ClientAttributeCertificateResource#getKeystore", unguarded("a read sent as POST: returns the stored key as a keystore (private key included), changes nothing"));
        put(t, KC + "ProtocolMappersResource#createMapper", catalogue("mappers of a service-account client, or of a client scope one uses, shape its tokens", "client-protocol-mapper-create", "client-protocol-mappers-add", "client-scope-config", "identity-claim-mapper"));
        put(t, KC + "ProtocolMappersResource#update", catalogue("mappers of a service-account client, or of a client scope one uses, or a mapper writing an identity claim", "client-protocol-mapper-update", "client-scope-config", "identity-claim-mapper"));
        put(t, KC + "ProtocolMappersResource#delete", catalogue("mappers of a service-account client, or of a client scope one uses", "client-protocol-mapper-delete", "client-scope-config"));
        put(t, KC + "ScopeMappedResource#addRealmScopeMappings", catalogue("realm-role scope of a service-account client, or of a client scope one uses", "client-scope-mapping-realm-add", "client-scope-config"));
        put(t, KC + "ScopeMappedResource#deleteRealmScopeMappings", catalogue("realm-role scope removal: privilege-reducing on a client, but on a client scope a service account uses the last one removed opens the scope to everyone", "client-scope-mapping-realm-remove", "client-scope-config"));
        put(t, KC + "ScopeMappedClientResource#addClientScopeMapping", catalogue("client-role scope of a service-account client, or of a client scope one uses", "client-scope-mapping-client-add", "client-scope-config"));
        put(t, KC + "ScopeMappedClientResource#deleteClientScopeMapping", catalogue("client-role scope removal: privilege-reducing on a client, but on a client scope a service account uses the last one removed opens the scope to everyone", "client-scope-mapping-client-remove", "client-scope-config"));

        // --- client scopes ---
        put(t, KC + "ClientScopesResource#createClientScope", catalogue("a new client scope is used by no client until it is added to one (those adds are classified); one created with a mapper writing an identity claim, or under a name a flow condition or a client policy names, is held", "identity-claim-mapper", "client-scope-config"));
        put(t, KC + "ClientScopeResource#update", catalogue("a scope a service-account client uses or a realm default scope (name, protocol, attributes)", "client-scope-config"));
        put(t, KC + "ClientScopeResource#deleteClientScope", catalogue("a scope a service-account client uses or a realm default scope", "client-scope-config"));

        // --- roles ---
        put(t, KC + "RoleContainerResource#createRole", catalogue("a new role is held by nobody (granting it, and composites of held roles, is classified), but a flow condition or a client policy may name it, and one created with composites may be what a name Keycloak resolves at login stands for", "gate-role-create", "role-composite-add"));
        put(t, KC + "RoleContainerResource#updateRole", catalogue("renaming a role, or touching the approver role", "role-update"));
        put(t, KC + "RoleContainerResource#deleteRole", catalogue("deleting the approver role, or a role gating a client scope a service account uses or named by an authenticator config (a flow condition)", "role-delete"));
        put(t, KC + "RoleContainerResource#addComposites", guarded("role-composite-add", "every holder of the role, direct or through groups and default roles, gains the composites"));
        put(t, KC + "RoleContainerResource#deleteComposites", catalogue("holders of the role lose the composites (privilege-reducing), unless one is a role a flow condition or a client policy names", "gate-role-composite-remove"));
        put(t, KC + "RoleContainerResource#setManagementPermissionsEnabled", guarded("admin-permissions", "FGAP v1: turns on permissions deciding who may map the role"));
        put(t, KC + "RoleByIdResource#updateRole", catalogue("renaming a role, or touching the approver role", "role-update"));
        put(t, KC + "RoleByIdResource#deleteRole", catalogue("deleting the approver role, or a role gating a client scope a service account uses or named by an authenticator config (a flow condition)", "role-delete"));
        put(t, KC + "RoleByIdResource#addComposites", guarded("role-composite-add", "every holder of the role, direct or through groups and default roles, gains the composites"));
        put(t, KC + "RoleByIdResource#deleteComposites", catalogue("holders of the role lose the composites (privilege-reducing), unless one is a role a flow condition or a client policy names", "gate-role-composite-remove"));
        put(t, KC + "RoleByIdResource#setManagementPermissionsEnabled", guarded("admin-permissions", "FGAP v1: turns on permissions deciding who may map the role"));
        put(t, KC + "RoleMapperResource#addRealmRoleMappings", catalogue("shared by /users, /groups and /organizations/{o}/groups: a service-account user, the approver role, a role that makes an admin, or any group grant", "service-account-realm-role-grant", "approver-role-grant", "privileged-role-grant", "group-role-grant", "privileged-user-gate-role", "directory-membership-write"));
        put(t, KC + "ClientRoleMappingsResource#addClientRoleMapping", catalogue("shared by /users, /groups and /organizations/{o}/groups: a service-account user, a role that makes an admin, or any group grant", "service-account-client-role-grant", "privileged-role-grant", "group-role-grant", "privileged-user-gate-role", "directory-membership-write"));
        put(t, KC + "RoleMapperResource#deleteRealmRoleMappings", catalogue("revoking the approver role (fewer approvers can reopen bootstrap), a service account's roles, or a privileged user's role a flow condition names", "approver-role-revoke", "service-account-realm-role-revoke", "privileged-user-gate-role", "gate-group-role-revoke", "directory-membership-remove"));
        put(t, KC + "ClientRoleMappingsResource#deleteClientRoleMapping", catalogue("revoking a service account's client roles (privilege-reducing), or a privileged user's client role a flow condition names", "service-account-client-role-revoke", "privileged-user-gate-role", "gate-group-role-revoke", "directory-membership-remove"));

        // --- groups ---
        put(t, KC + "GroupsResource#addTopLevelGroup", catalogue("creating a group passes; moving an existing group with guarded members, or a privileged one (group mappers find groups by path), decides", "group-move"));
        put(t, KC + "GroupResource#addChild", catalogue("creating a subgroup passes; moving an existing group under this one decides (members inherit its roles)", "group-move"));
        put(t, KC + "GroupResource#updateGroup", catalogue("a description passes; a rename of a privileged group (identity-provider and LDAP group mappers find groups by path at login), or a rename or an attribute change of a group with guarded members, decides (tokens carry group paths and attributes)", "group-update"));
        put(t, KC + "GroupResource#deleteGroup", catalogue("members lose the group's roles (privilege-reducing), unless privileged or service-account members lose a role a flow condition or a client policy names", "gate-group-delete"));
        put(t, KC + "GroupResource#setManagementPermissionsEnabled", guarded("admin-permissions", "FGAP v1: turns on permissions deciding who may manage the group's members"));

        // --- users ---
        put(t, KC + "UsersResource#createUser", catalogue("a new user in groups holding privileged roles, or under a username the operator names a bootstrap approver of the realm, decides; a plain new user passes", "user-create-privileged", "user-create-bootstrap-approver", "directory-user-create-in-groups"));
        put(t, KC + "UserResource#updateUser", catalogue("email, required actions, enabled, credentials or IdP links of a privileged user (an attributes map removes the email and names it leaves out); attributes or names of a service-account user; or a rename to a username the operator names a bootstrap approver", "privileged-user-update", "service-account-user-attributes", "user-rename-bootstrap-approver"));
        put(t, KC + "UserResource#deleteUser", catalogue("deleting a privileged user (fewer approvers can reopen bootstrap) or a service-account user", "privileged-user-delete", "service-account-user-delete"));
        put(t, KC + "UserResource#joinGroup", catalogue("a service-account user, a group holding admin or approver roles, or a privileged user joining a group holding a role a flow condition names", "service-account-group-join", "privileged-group-join", "privileged-user-gate-group", "directory-membership-write"));
        put(t, KC + "UserResource#removeMembership", catalogue("a service-account user leaving a group (privilege-reducing), or a privileged user leaving a group holding a role a flow condition names", "service-account-group-leave", "privileged-user-gate-group", "directory-membership-remove"));
        put(t, KC + "UserResource#resetPassword", catalogue("a privileged user's password", "privileged-user-reset-password"));
        put(t, KC + "UserResource#executeActionsEmail", catalogue("actions mailed to a privileged user", "privileged-user-execute-actions-email"));
        put(t, KC + "UserResource#resetPasswordEmail", guarded("privileged-user-execute-actions-email", "deprecated UPDATE_PASSWORD mail under a path that operation's template does not match; held for every user"));
        put(t, KC + "UserResource#sendVerifyEmail", catalogue("verification mail to a privileged user: whoever holds its link verifies the address and runs the user's pending required actions (a password update), and without a configured hostname the link is built on the request's Host", "privileged-user-send-verify-email"));
        put(t, KC + "UserResource#removeCredential", catalogue("a privileged user's credential", "privileged-user-credential-delete"));
        put(t, KC + "UserResource#moveCredentialToFirst", catalogue("credential order of a privileged user", "privileged-user-credential-move-first"));
        put(t, KC + "UserResource#moveCredentialAfter", catalogue("credential order of a privileged user", "privileged-user-credential-move-after"));
        put(t, KC + "UserResource#setCredentialUserLabel", unguarded("the display label of a credential; not the secret, type or order"));
        put(t, KC + "UserResource#disableCredentialType", catalogue("credential types of a privileged user", "privileged-user-disable-credential-types"));
        put(t, KC + "UserResource#addFederatedIdentity", catalogue("an identity-provider account linked to a privileged user can log in as it", "privileged-user-idp-link"));
        put(t, KC + "UserResource#removeFederatedIdentity", catalogue("unlinking from a privileged user (privilege-reducing)", "privileged-user-idp-unlink"));
        put(t, KC + "UserResource#impersonate", catalogue("impersonating a privileged user", "privileged-user-impersonation"));
        put(t, KC + "UserResource#logout", reducing("ends the user's sessions"));
        put(t, KC + "UserResource#revokeConsent", reducing("revokes a consent and its offline tokens"));
        put(t, VC + "UserVerifiableCredentialResource#createCredential", unguarded("OID4VCI: lets the user fetch a wallet credential of their own attributes; a pre-authorized offer for a guarded user is refused when made (GuardedCredentialOffers)"));
        put(t, VC + "UserVerifiableCredentialResource#updateCredential", unguarded("OID4VCI: refreshes the attribute snapshot of a wallet credential"));
        put(t, VC + "UserVerifiableCredentialResource#sendCredentialOffer", guarded("privileged-user-execute-actions-email", "OID4VCI credential offer mail: following its link verifies the user's address and runs their pending required actions (a password update) for whoever holds it, and without a configured hostname the link is built on the request's Host; held for every user (that operation's template does not match this path)"));
        put(t, VC + "UserVerifiableCredentialResource#revokeCredential", reducing("OID4VCI: revokes a wallet credential type"));
        put(t, VC + "UserVerifiableCredentialResource#revokeIssuedCredential", reducing("OID4VCI: revokes an issued wallet credential"));

        // --- authorization services (/clients/{id}/authz/resource-server) ---
        put(t, AUTHZ + "ResourceServerService#*", guarded("admin-permissions", "on realm-management (FGAP v1) or admin-permissions (FGAP v2) the resource server decides who may administer; the method cannot tell the client"));
        put(t, AUTHZ + "ResourceSetService#*", guarded("admin-permissions", "authorization resources: on the admin clients they are what admin permissions protect"));
        put(t, AUTHZ + "ScopeService#*", guarded("admin-permissions", "authorization scopes: on the admin clients they are the admin actions permitted"));
        put(t, AUTHZ + "PolicyService#*", guarded("admin-permissions", "authorization policies (negative ones too): on the admin clients they decide who may administer"));
        put(t, AUTHZ + "PermissionService#*", guarded("admin-permissions", "authorization permissions: on the admin clients they decide who may administer"));
        put(t, AUTHZ + "PolicyEvaluationService#evaluate", unguarded("a read sent as POST: evaluates policies for a subject, changes nothing"));

        // --- organizations ---
        put(t, ORG + "OrganizationsResource#create", unguarded("a new organization has no member, group or identity provider; adding them is classified"));
        put(t, ORG + "OrganizationResource#update", guarded("organization-identity-provider", "domains (and their verified flag) decide whose login the organization's identity providers take over"));
        put(t, ORG + "OrganizationResource#delete", guarded("organization-identity-provider", "deletes its managed members (admins or approvers among them) and unlinks its identity providers"));
        put(t, ORG + "OrganizationIdentityProvidersResource#addIdentityProvider", guarded("organization-identity-provider", "the organization's members (by domain) may be sent to this identity provider to log in"));
        put(t, ORG + "OrganizationIdentityProvidersResource#delete", guarded("organization-identity-provider", "changes where the organization's members log in"));
        put(t, ORG + "OrganizationMemberResource#addMember", guarded("unclassified-write", "membership puts the organization claim in the user's tokens, a service-account user's too; wants its own operation (organization-membership)"));
        put(t, ORG + "OrganizationMemberResource#delete", guarded("unclassified-write", "removing a managed member deletes the user (an admin or approver among them); wants its own operation (organization-membership)"));
        put(t, ORG + "OrganizationMemberResource#inviteUser", guarded("unclassified-write", "to an existing user's email it is an invitation of that user: whoever holds the mailed link makes them a member with one click, no credentials asked (and without a configured hostname the link's host is the request's); as adding a member"));
        put(t, ORG + "OrganizationMemberResource#inviteExistingUser", guarded("unclassified-write", "whoever holds the mailed link makes the user a member with one click, no credentials asked (and without a configured hostname the link's host is the request's); as adding a member"));
        put(t, ORG + "OrganizationInvitationResource#resendInvitation", guarded("unclassified-write", "not only a second mail: Keycloak deletes the invitation and invites the address again, so to an address an existing user holds now it is the one-click invitation of that user (held as inviteUser is), its link built on the request's Host without a configured hostname"));
        put(t, ORG + "OrganizationInvitationResource#deleteInvitation", reducing("withdraws an invitation"));
        put(t, ORG + "OrganizationGroupsResource#addTopLevelGroup", catalogue("creating an empty organization group passes; moving one to the top decides as a group move (its path changes, and Keycloak rewrites the identity-provider mappers that name it)", "group-move"));
        put(t, ORG + "OrganizationGroupResource#addSubGroup", guarded("group-move", "moving an organization group under this one gives its members this group's roles; a subgroup create is held too"));
        put(t, ORG + "OrganizationGroupResource#joinGroup", guarded("privileged-group-join", "the member gains the organization group's role mappings (it can hold admin or approver roles)"));
        put(t, ORG + "OrganizationGroupResource#leaveGroup", catalogue("the member loses the organization group's roles, unless a privileged member leaves a group holding a role a flow condition names or carrying an attribute one reads", "privileged-user-gate-group"));
        put(t, ORG + "OrganizationGroupResource#updateGroup", catalogue("name, description and attributes of an organization group, as for groups (a rename of one an identity-provider mapper names, of a privileged one, or a rename or attribute change of one with guarded members decides)", "group-update"));
        put(t, ORG + "OrganizationGroupResource#deleteGroup", catalogue("members lose the organization group's roles, unless privileged members lose a role a flow condition names or an attribute one reads", "gate-group-delete"));

        // --- workflows ---
        put(t, WF + "WorkflowsResource#*", guarded("workflow-config", "workflows act on users later without an admin (grant roles, join groups, disable, delete)"));
        put(t, WF + "WorkflowResource#*", guarded("workflow-config", "workflows act on users later without an admin; activation binds one to a user"));

        // --- admin extensions of the distribution ---
        put(t, UI + "UIRealmResource#updateRealm", catalogue("the admin console's realm save (PUT /ui-ext): RealmAdminResource#updateRealm plus the user profile; names and themes pass", "realm-guard-policy-attribute", "realm-security-settings"));
        put(t, UI + "RoleMappingDeleteResource#deleteUserRoleMappings", guarded("approver-role-revoke", "the admin console's role unassign, by role id: can revoke the approver role (fewer approvers can reopen bootstrap)"));
        put(t, UI + "RoleMappingDeleteResource#deleteGroupRoleMappings", catalogue("the admin console's unassign from a group: members lose the roles (privilege-reducing), unless guarded members lose a role a flow condition or a client policy names", "gate-group-role-revoke"));
        put(t, UI + "RoleMappingDeleteResource#deleteClientRoleMappings", reducing("the admin console's removal of a client's scope mappings"));
        put(t, UI + "RoleMappingDeleteResource#deleteClientScopeRoleMappings", catalogue("the admin console's removal of a client scope's scope mappings: the last one removed opens a scope a service account uses to everyone", "client-scope-config"));
        put(t, UI + "RoleMappingDeleteResource#deleteCompositeRoles", catalogue("the admin console's removal of composites: holders lose them (privilege-reducing), unless a guarded subject loses a role a flow condition or a client policy names", "gate-role-composite-remove"));
        put(t, KC + "ClearRealmCacheResource#clearRealmCache", unguarded("drops cached realm data; the database is unchanged"));
        put(t, KC + "ClearUserCacheResource#clearUserCache", unguarded("drops cached users; the database is unchanged"));
        put(t, KC + "ClearKeysCacheResource#clearKeysCache", unguarded("drops cached external keys; they are fetched again"));
        put(t, KC + "ClearCrlCacheResource#clearCrlCache", unguarded("drops cached CRLs; they are fetched again"));
        put(t, KC + "TestLdapConnectionResource#testLDAPConnection", unguarded("a test sent as POST: connects to LDAP; a stored bind credential is reused only for the same URL and bind DN"));
        put(t, KC + "LdapServerCapabilitiesResource#ldapServerCapabilities", unguarded("a read sent as POST: queries an LDAP server's capabilities, as the connection test"));
        put(t, SSF + "SsfAdminResource#createClientStream", guarded("unclassified-write", "SSF: where a receiver gets security events about users; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#updateClientStream", guarded("unclassified-write", "SSF: delivery and events of a receiver's stream; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#updateClientStreamStatus", guarded("unclassified-write", "SSF: pausing or disabling a stream silences security events; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#deleteClientStream", guarded("unclassified-write", "SSF: deleting a stream silences security events; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#addSubject", guarded("unclassified-write", "SSF: which users a stream reports on; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#removeSubject", guarded("unclassified-write", "SSF: stops reporting on a user; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#ignoreSubject", guarded("unclassified-write", "SSF: stops reporting on a user; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#emitEvent", guarded("unclassified-write", "SSF: sends a security event an admin composed to a receiver, which may act on it; wants its own operation (ssf-config)"));
        put(t, SSF + "SsfAdminResource#checkSubject", unguarded("a read sent as POST: whether a stream reports on a user"));
        put(t, SSF + "SsfAdminResource#verifyClientStream", unguarded("sends the stream's verification event (outbound); stores nothing"));
        put(t, SSF + "SsfAdminResource#deleteEvents", guarded("events-delete", "purges stored SSF security events, delivered or not"));
        put(t, SSF + "SsfAdminResource#deleteQueuedEvents", guarded("events-delete", "purges SSF security events before receivers got them"));
        put(t, SSF + "SsfAdminResource#deleteClientEvents", guarded("events-delete", "purges a receiver's stored SSF security events"));
        put(t, SSF + "SsfAdminResource#deleteClientQueuedEvents", guarded("events-delete", "purges a receiver's SSF security events before it got them"));

        // --- our modules ---
        put(t, GUARD + "MutationGuardResource#putPolicy", catalogue("the guard's policy", "guard-policy-update"));
        put(t, GUARD + "MutationGuardResource#create", unguarded("stores a change request without trying the write; nothing changes until it is approved and applied"));
        put(t, GUARD + "MutationGuardResource#approve", unguarded("the guard's own decision: approver role, not the requester, fresh authentication, digest"));
        put(t, GUARD + "MutationGuardResource#reject", unguarded("the guard's own decision on a pending request"));
        put(t, GUARD + "MutationGuardResource#cancel", unguarded("the requester withdraws a pending request"));
        put(t, GUARD + "MutationGuardResource#apply", unguarded("replays an approved request under the requester's permissions; the approval was the hold"));
        put(t, GUARD + "MutationGuardResource#rollback", unguarded("creates the restoring change request, itself held for approval"));
        put(t, GUARD + "MutationGuardResource#contain", reducing("containment: disables a service-account client at once; a second admin reviews it"));
        put(t, GUARD + "MutationGuardResource#confirm", unguarded("a second admin confirms a containment (the client stays disabled)"));
        put(t, GUARD + "MutationGuardResource#revert", unguarded("a second admin, not the one who contained, re-enables a contained client: the guard's own four-eyes rule"));
        put(t, AGENT + "registry.AgentsResource#register", catalogue("registering an agent", "agent-register"));
        put(t, AGENT + "registry.AgentsResource#update", catalogue("changing an agent", "agent-update"));
        put(t, AGENT + "registry.AgentsResource#resume", catalogue("resuming a suspended agent", "agent-resume"));
        put(t, AGENT + "registry.AgentsResource#suspend", reducing("suspends an agent"));
        put(t, AGENT + "registry.AgentsResource#retire", reducing("retires an agent"));
        put(t, AGENT + "inventory.NhiResource#updatePolicy", guarded("unclassified-write", "the lifecycle policy decides when dormant, orphaned or expired service accounts and agents are suspended; wants its own operation (nhi-lifecycle-policy)"));
        put(t, AGENT + "inventory.NhiResource#signal", reducing("a risk signal suspends an agent or replaces a leaked secret, rate-limited by the lifecycle policy"));
        put(t, AGENT + "inventory.NhiResource#runLifecycle", reducing("runs the lifecycle pass now: suspends and flags per the stored policy"));
        put(t, AGENT + "review.ReviewsResource#updatePolicy", guarded("unclassified-write", "the review policy decides which identities are reviewed and whether undecided ones are narrowed or suspended, and which risk signals narrow; wants its own operation (nhi-review-policy)"));
        put(t, AGENT + "review.ReviewsResource#start", unguarded("starts an access-review campaign: snapshots identities and names their reviewers; changes no identity"));
        put(t, AGENT + "review.ReviewsResource#keep", unguarded("a reviewer attests an identity as it is; changes no identity"));
        put(t, AGENT + "review.ReviewsResource#narrow", guarded("unclassified-write", "a reviewer's narrowing drops roles and client scopes a service account's tokens were not requested for; proposed by one person, applied after a second one approves; wants its own operation (nhi-review-narrow)"));
        put(t, AGENT + "review.ReviewsResource#retire", reducing("a reviewer retires an identity: suspends the agent or disables the service account (reversible)"));
        put(t, AGENT + "review.ReviewsResource#run", reducing("runs the review pass now: contains items past their deadline as the stored policy says"));
        put(t, AGENT + "review.ReviewsResource#revalidate", guarded("unclassified-write", "the owner's revalidation gives a narrowed service account back the roles and groups the narrowing took; wants its own operation (nhi-review-revalidate)"));
        put(t, AUDIT + "AuditChainResource#putRealmSinks", catalogue("where the realm's audit records, checkpoints and sink secrets go", "audit-realm-sinks-update"));
        put(t, AUDIT + "AuditChainResource#prune", guarded("audit-chain-prune", "removes records from the start of the audit chain"));
        return Collections.unmodifiableMap(t);
    }

    private static void put(Map<String, Coverage> t, String key, Coverage c) {
        if (t.put(key, c) != null) {
            throw new IllegalStateException("duplicate coverage entry " + key);
        }
    }

    private static Coverage catalogue(String reason, String... operations) {
        return new Coverage.Catalogue(List.of(operations), reason);
    }

    private static Coverage guarded(String operation, String reason) {
        return new Coverage.Guarded(operation, reason);
    }

    private static Coverage unguarded(String reason) {
        return new Coverage.Unguarded(reason, false);
    }

    private static Coverage reducing(String reason) {
        return new Coverage.Unguarded(reason, true);
    }
}
