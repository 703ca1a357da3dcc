package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Names Keycloak resolves only at login or token time (a second red-team review of issue 10), in
 * realm {@code guard-attack-gates}, default policy, each case judged by its effect read back
 * through Keycloak. mallory is a realm admin and not an approver.
 *
 * <p><b>Flow conditions (class 3, how a privileged user authenticates).</b> The realm's direct
 * grant runs three conditional sub-flows after the password, each denying the holders of one role
 * (standing in for "asks them for a second factor"): {@code second-factor-required} (held by ada1
 * directly), {@code second-factor-group} (held by ada2 through group {@code factor-holders}) and
 * {@code plain-app.required} (a client role, held by ada3). ada1–3 are approvers. Keycloak's
 * {@code conditional-user-role} reads a role the user no longer holds, or a name that no longer
 * resolves, as "condition not met": the approver then signs in with the password alone. Two more
 * sub-flows deny on a user attribute ({@code conditional-user-attribute}): ada4 by
 * {@code second-factor=required}, ada5 by last name {@code Guarded}.
 *
 * <p><b>Client policies (class 4, what a service account's tokens are subject to).</b> Profile
 * {@code block} refuses every request. Policy {@code frozen-clients} applies it to clients with a
 * client role {@code frozen} (svc); {@code untrusted-svc3} to clients with {@code svc3-marker} and
 * without {@code trusted} (svc3); {@code strict-scope} to clients with default scope {@code strict}
 * (svc2). A policy's conditions name roles and scopes: deleting or creating the role, or removing the
 * scope, takes the client out of the policy (here: it gets tokens; in a real realm: no more
 * holder-of-key, DPoP or secret rotation).
 *
 * <p><b>The service_account scope (class 4).</b> Keycloak gives client scope {@code service_account}
 * by name to every client whose service account is turned on: a mapper on it reaches every future
 * service account's tokens, whether or not an existing service account uses the scope.
 */
@ExtendWith(KeycloakExtension.class)
class AttackGatesIT {

    static final String REALM = "guard-attack-gates";

    /** Held as a change request (202 or 409, state PENDING); not refused by Keycloak's own validation. */
    static void assertHeldAsChangeRequest(HttpAdmin.Response r, String what) {
        System.out.println("held? " + what + " -> " + r.status() + " " + AttackRealm.abbreviate(r.body()));
        assertTrue((r.status() == 202 || r.status() == 409) && r.body().contains("\"PENDING\""),
                what + " must be held as a change request, answered " + r.status() + " " + r.body());
    }

    private static int passwordGrant(AttackRealm r, String user) {
        return r.passwordGrant("admin-cli", null, user, user + "-pass").status();
    }

    @Test
    void approversSecondFactorStaysWhenAGatedRoleIsRevokedOrItsNameMoved(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        assertEquals(200, passwordGrant(r, "olive"), "fixture: olive signs in by password");
        for (String ada : new String[] {"ada1", "ada2", "ada3"}) {
            assertNotEquals(200, passwordGrant(r, ada), "fixture: the flow stops " + ada);
        }
        String mallory = r.token("mallory");
        JsonNode role = r.realmRole("second-factor-required");
        HttpAdmin.Response revoke = r.http.send("DELETE", r.admin + "/users/" + r.userId("ada1") + "/role-mappings/realm",
                mallory, "application/json", "[" + role + "]");
        HttpAdmin.Response leave = r.http.delete(r.admin + "/users/" + r.userId("ada2") + "/groups/"
                + r.groupIdOrNull("factor-holders"), mallory);
        JsonNode groupRole = r.realmRole("second-factor-group");
        // The admin console's own unassign (ui-ext), which takes role ids.
        HttpAdmin.Response unassign = r.http.post(r.admin + "/ui-ext/role-mapping-delete/groups/" + r.groupIdOrNull("factor-holders"),
                mallory, "[{\"roleId\":\"" + groupRole.path("id").asText() + "\",\"roleName\":\"second-factor-group\"}]");
        String plainApp = r.clientUuid("plain-app");
        JsonNode client = r.read("/clients/" + plainApp);
        ((com.fasterxml.jackson.databind.node.ObjectNode) client).put("clientId", "plain-app-renamed");
        HttpAdmin.Response rename = r.http.put(r.admin + "/clients/" + plainApp, mallory, client.toString());
        assertAll(
                () -> assertHeldAsChangeRequest(revoke, "revoking ada1's second-factor-required"),
                () -> assertHeldAsChangeRequest(leave, "removing ada2 from factor-holders"),
                () -> assertHeldAsChangeRequest(unassign, "unassigning second-factor-group from factor-holders (ui-ext)"),
                () -> assertHeldAsChangeRequest(rename, "renaming plain-app (a condition names plain-app.required)"),
                () -> assertTrue(r.effectiveRealmRoles(r.userId("ada1")).contains("second-factor-required"), "ada1's role was revoked"),
                () -> assertEquals("plain-app", r.read("/clients/" + plainApp).path("clientId").asText(), "plain-app was renamed"),
                () -> assertNotEquals(200, passwordGrant(r, "ada1"), "ada1 signs in with her password alone"),
                () -> assertNotEquals(200, passwordGrant(r, "ada2"), "ada2 signs in with her password alone"),
                () -> assertNotEquals(200, passwordGrant(r, "ada3"), "ada3 signs in with her password alone"));
    }

    /**
     * Keycloak's {@code conditional-user-attribute} reads the user's attributes at login, the last
     * name among them: sub-flow {@code gate-d} denies users with {@code second-factor=required}
     * (approver ada4), {@code gate-e} users whose last name is {@code Guarded} (approver ada5).
     * Attributes and names are otherwise harmless edits of a privileged user; these are not.
     */
    @Test
    void approversSecondFactorStaysWhenAnAttributeAConditionReadsIsChanged(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        for (String ada : new String[] {"ada4", "ada5"}) {
            assertNotEquals(200, passwordGrant(r, ada), "fixture: the flow stops " + ada);
        }
        String mallory = r.token("mallory");
        String ada4 = r.userId("ada4");
        String ada5 = r.userId("ada5");
        // The full GET-then-PUT round trip, as the console makes it, with the condition's attribute left out.
        com.fasterxml.jackson.databind.node.ObjectNode four = (com.fasterxml.jackson.databind.node.ObjectNode) r.read("/users/" + ada4);
        ((com.fasterxml.jackson.databind.node.ObjectNode) four.get("attributes")).remove("second-factor");
        HttpAdmin.Response dropped = r.http.put(r.admin + "/users/" + ada4, mallory, four.toString());
        com.fasterxml.jackson.databind.node.ObjectNode five = (com.fasterxml.jackson.databind.node.ObjectNode) r.read("/users/" + ada5);
        five.put("lastName", "Gates");
        HttpAdmin.Response renamed = r.http.put(r.admin + "/users/" + ada5, mallory, five.toString());
        // An attribute no condition reads stays an everyday edit of a privileged user.
        com.fasterxml.jackson.databind.node.ObjectNode team = (com.fasterxml.jackson.databind.node.ObjectNode) r.read("/users/" + ada4);
        ((com.fasterxml.jackson.databind.node.ObjectNode) team.get("attributes")).putArray("team").add("gates-2");
        HttpAdmin.Response harmless = r.http.put(r.admin + "/users/" + ada4, mallory, team.toString());
        assertAll(
                () -> assertHeldAsChangeRequest(dropped, "removing ada4's second-factor attribute"),
                () -> assertHeldAsChangeRequest(renamed, "changing ada5's last name (a condition reads it)"),
                () -> assertEquals(204, harmless.status(), "ada4's team attribute: " + harmless.body()),
                () -> assertEquals("gates-2", r.read("/users/" + ada4).path("attributes").path("team").path(0).asText(),
                        "ada4's team attribute was not changed"),
                () -> assertEquals("required", r.read("/users/" + ada4).path("attributes").path("second-factor").path(0).asText(),
                        "ada4's second-factor attribute was removed"),
                () -> assertNotEquals(200, passwordGrant(r, "ada4"), "ada4 signs in with her password alone"),
                () -> assertNotEquals(200, passwordGrant(r, "ada5"), "ada5 signs in with her password alone"));
    }

    @Test
    void clientPoliciesStayOnWhenTheRolesAndScopesTheyNameChange(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        for (String c : new String[] {"svc", "svc2", "svc3"}) {
            assertNotEquals(200, r.clientCredentialsStatus(c, c + "-secret"), "fixture: a client policy refuses " + c);
        }
        String mallory = r.token("mallory");
        HttpAdmin.Response deleted = r.http.delete(r.admin + "/clients/" + r.clientUuid("svc") + "/roles/frozen", mallory);
        HttpAdmin.Response created = r.http.post(r.admin + "/clients/" + r.clientUuid("svc3") + "/roles", mallory,
                "{\"name\":\"trusted\"}");
        String strict = scopeId(r, "strict");
        HttpAdmin.Response removed = r.http.delete(r.admin + "/clients/" + r.clientUuid("svc2") + "/default-client-scopes/"
                + strict, mallory);
        // Keycloak's client-scope update commits its transaction itself: the guard must not dry-run it.
        HttpAdmin.Response saml = r.http.put(r.admin + "/client-scopes/" + strict, mallory,
                "{\"id\":\"" + strict + "\",\"name\":\"strict\",\"protocol\":\"saml\"}");
        assertAll(
                () -> assertHeldAsChangeRequest(deleted, "deleting svc's role frozen (policy frozen-clients names it)"),
                () -> assertHeldAsChangeRequest(created, "creating svc3's role trusted (a negated condition names it)"),
                () -> assertHeldAsChangeRequest(removed, "removing scope strict from svc2 (policy strict-scope names it)"),
                () -> assertHeldAsChangeRequest(saml, "turning scope strict, which svc2 uses, into a SAML scope"),
                () -> assertEquals("openid-connect", r.read("/client-scopes/" + strict).path("protocol").asText(),
                        "the held scope update was applied before approval"),
                () -> assertNotEquals(200, r.clientCredentialsStatus("svc", "svc-secret"), "svc escaped frozen-clients"),
                () -> assertNotEquals(200, r.clientCredentialsStatus("svc2", "svc2-secret"), "svc2 escaped strict-scope"),
                () -> assertNotEquals(200, r.clientCredentialsStatus("svc3", "svc3-secret"), "svc3 escaped untrusted-svc3"));
    }

    /**
     * Client registration ({@code /realms/{realm}/clients-registrations}) with mallory's admin token
     * is the admin API by another door, where nothing can be held: the model backstop refuses what
     * the admin API would hold — a client bound to its own flows, an administration client's
     * update, the deletion of a client whose roles a flow condition names.
     */
    @Test
    void clientRegistrationIsNoDoorAroundTheGuard(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String dcr = "/realms/" + REALM + "/clients-registrations/default";
        String directGrant = null;
        for (JsonNode f : r.read("/authentication/flows")) {
            if ("direct grant".equals(f.path("alias").asText())) {
                directGrant = f.path("id").asText();
            }
        }
        HttpAdmin.Response bound = r.http.post(dcr, mallory, "{\"clientId\":\"mallory-dcr\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false,"
                + "\"authenticationFlowBindingOverrides\":{\"direct_grant\":\"" + directGrant + "\"}}");
        JsonNode console = r.read("/clients/" + r.clientUuid("security-admin-console"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) console).withArray("redirectUris").add("https://attacker.example/*");
        HttpAdmin.Response consoleUpdate = r.http.put(dcr + "/security-admin-console", mallory, console.toString());
        HttpAdmin.Response deleted = r.http.delete(dcr + "/plain-app", mallory);
        // Keycloak turns the service account on for authorization services after the client's last update event.
        HttpAdmin.Response authz = r.http.post(dcr, mallory, "{\"clientId\":\"mallory-authz\",\"publicClient\":false,"
                + "\"authorizationServicesEnabled\":true}");
        // defaultRoles adds the new client's roles to the realm's default role, which every service account holds.
        HttpAdmin.Response defaults = r.http.post(dcr, mallory, "{\"clientId\":\"mallory-defaults\",\"publicClient\":false,"
                + "\"defaultRoles\":[\"boost\"]}");
        // The registration is read under the same size limit as an admin write: an oversized body is refused unread.
        HttpAdmin.Response oversized = r.http.post(dcr, mallory, "{\"clientId\":\"mallory-big\",\"description\":\""
                + "x".repeat(1_100_000) + "\",\"authorizationServicesEnabled\":true}");
        assertAll(
                () -> assertEquals(413, oversized.status(), "an oversized registration: " + oversized.body()),
                () -> assertEquals(null, r.clientUuidOrNull("mallory-big"), "mallory-big was registered"),
                () -> assertEquals(403, bound.status(), "a client bound to the built-in direct grant: " + bound.body()),
                () -> assertEquals(null, r.clientUuidOrNull("mallory-dcr"), "mallory-dcr was registered"),
                () -> assertEquals(403, consoleUpdate.status(), "security-admin-console's redirect URIs: " + consoleUpdate.body()),
                () -> assertFalse(r.read("/clients/" + r.clientUuid("security-admin-console")).path("redirectUris").toString()
                        .contains("attacker.example"), "the console's redirect URIs were changed"),
                () -> assertEquals(403, deleted.status(), "deleting plain-app (a flow condition names plain-app.required): "
                        + deleted.body()),
                () -> assertTrue(r.clientUuidOrNull("plain-app") != null, "plain-app was deleted"),
                () -> assertNotEquals(200, passwordGrant(r, "ada3"), "ada3 signs in with her password alone"),
                () -> assertEquals(403, authz.status(), "a client with authorization services (a service account): " + authz.body()),
                () -> assertEquals(null, r.clientUuidOrNull("mallory-authz"), "mallory-authz was registered"),
                () -> assertEquals(403, defaults.status(), "a client whose role joins the default roles: " + defaults.body()),
                () -> assertFalse(r.read("/roles/default-roles-" + REALM + "/composites").toString().contains("boost"),
                        "boost joined the default roles"));
    }

    /**
     * Keycloak accepts a link to an identity-provider alias that does not exist yet, and its broker
     * login then signs in the linked user without asking whether it is a service account: an
     * interactive session, through any client, as the non-human identity.
     */
    @Test
    void linkingAServiceAccountUserToAnIdentityProviderIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String sa = r.serviceAccountUserId("svc");
        HttpAdmin.Response link = r.http.post(r.admin + "/users/" + sa + "/federated-identity/corp", r.token("mallory"),
                "{\"identityProvider\":\"corp\",\"userId\":\"mallory-at-corp\",\"userName\":\"mallory\"}");
        JsonNode links = r.read("/users/" + sa + "/federated-identity");
        assertAll(
                () -> assertHeldAsChangeRequest(link, "linking service-account-svc to identity provider corp"),
                () -> assertEquals(0, links.size(), "service-account-svc was linked: " + links));
    }

    @Test
    void aMapperOnTheServiceAccountScopeIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String scope = scopeId(r, "service_account");
        int before = r.read("/client-scopes/" + scope + "/protocol-mappers/models").size();
        HttpAdmin.Response mapper = r.http.post(r.admin + "/client-scopes/" + scope + "/protocol-mappers/models",
                r.token("mallory"), "{\"name\":\"sa-approver\",\"protocol\":\"openid-connect\",\"protocolMapper\":"
                        + "\"oidc-hardcoded-role-mapper\",\"config\":{\"role\":\"nhi-approver\"}}");
        JsonNode after = r.read("/client-scopes/" + scope + "/protocol-mappers/models");
        assertAll(
                () -> assertHeldAsChangeRequest(mapper, "a hardcoded approver-role mapper on service_account"),
                () -> assertEquals(before, after.size(), "the mapper was added: " + after),
                () -> assertFalse(after.toString().contains("sa-approver"), "the mapper was added: " + after));
    }

    @Test
    void rolesAndScopesNoGateNamesStayEverydayWork(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        HttpAdmin.Response role = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"reports-viewer\"}");
        HttpAdmin.Response clientRole = r.http.post(r.admin + "/clients/" + r.clientUuid("plain-app") + "/roles", mallory,
                "{\"name\":\"viewer\"}");
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + r.userId("otto") + "/role-mappings/realm", mallory,
                "[" + r.realmRole("second-factor-required") + "]");
        assertAll(
                () -> assertEquals(201, role.status(), "an ordinary realm role: " + role.body()),
                () -> assertEquals(201, clientRole.status(), "an ordinary client role: " + clientRole.body()),
                () -> assertEquals(204, grant.status(), "a gated role for an ordinary user: " + grant.body()));
    }

    private static String scopeId(AttackRealm r, String name) {
        for (JsonNode s : r.read("/client-scopes")) {
            if (name.equals(s.path("name").asText())) {
                return s.path("id").asText();
            }
        }
        throw new AssertionError("no client scope " + name);
    }
}
