package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ways around admission found in the red-team review of issue 10, in realm
 * {@code guard-attack-redteam}, each judged by its effect read back through Keycloak. mallory is a
 * realm admin and not an approver; ann and ben are approvers.
 *
 * <p><b>Class 4, privileges around the catalogue: a client scope's role gate.</b> A client scope
 * with role scope mappings applies only to users holding one of those roles (Keycloak's
 * {@code DefaultClientSessionContext#isClientScopePermittedForUser}); without any, it applies to
 * everyone. sa-target has six default scopes {@code gated-a} … {@code gated-f}, each with a
 * hardcoded claim {@code gated_<x>} and gated by a role nobody holds ({@code gate-a} … {@code gate-d}
 * realm roles, {@code gate-e} of client gate-app, {@code gate-f} of gate-app-2). Taking the gate
 * away is a removal (of a scope mapping, a role, a client), which looks privilege-reducing, and
 * gives sa-target's tokens the scope's mappers.
 *
 * <p><b>Class 3, privileged accounts: agent owners.</b> owen owns service account sa-owned
 * ({@code nhi.owner.*}), opal owns agent sa-agent ({@code nhi.agent.owner.*}); neither holds an
 * admin or approver role. The promise counts agent owners among the privileged users whose
 * recovery and authentication one admin alone cannot change.
 */
@ExtendWith(KeycloakExtension.class)
class AttackRedTeamIT {

    static final String REALM = "guard-attack-redteam";

    /** The {@code gated_*} claims in a fresh client-credentials token of sa-target. */
    static Set<String> gatedClaims(AttackRealm r) {
        Set<String> out = new TreeSet<>();
        r.serviceAccountClaims("sa-target").fieldNames().forEachRemaining(n -> {
            if (n.startsWith("gated_")) {
                out.add(n);
            }
        });
        return out;
    }

    static String scopeId(AttackRealm r, String name) {
        for (JsonNode s : r.read("/client-scopes")) {
            if (name.equals(s.path("name").asText())) {
                return s.path("id").asText();
            }
        }
        throw new AssertionError("no client scope " + name);
    }

    @Test
    void takingAwayAClientScopesRoleGateIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        assertEquals(Set.of(), gatedClaims(r), "fixture: every gated scope is closed to sa-target");
        String scopesBefore = r.read("/clients/" + r.clientUuid("sa-target") + "/default-client-scopes").toString();
        for (String g : new String[] {"a", "b", "c", "d", "e", "f"}) {
            assertTrue(scopesBefore.contains("\"gated-" + g + "\""), "fixture: sa-target uses gated-" + g);
        }
        JsonNode gateA = r.realmRole("gate-a");
        JsonNode gateB = r.realmRole("gate-b");
        String gateD = r.realmRole("gate-d").path("id").asText();
        String gateApp2 = r.clientUuid("gate-app-2");

        // a: the scope mapping removed from the client scope (Keycloak's admin API)
        HttpAdmin.Response mappingRemoved = r.http.send("DELETE", r.admin + "/client-scopes/" + scopeId(r, "gated-a")
                + "/scope-mappings/realm", mallory, "application/json", "[" + gateA + "]");
        // b: the same through the admin console's unassign (ui-ext)
        HttpAdmin.Response consoleUnassign = r.http.post(r.admin + "/ui-ext/role-mapping-delete/clientScopes/"
                + scopeId(r, "gated-b"), mallory, "[{\"roleId\":\"" + gateB.path("id").asText() + "\",\"roleName\":\"gate-b\"}]");
        // c, d: the gating realm role deleted, by name and by id
        HttpAdmin.Response roleDeleted = r.http.delete(r.admin + "/roles/gate-c", mallory);
        HttpAdmin.Response roleDeletedById = r.http.delete(r.admin + "/roles-by-id/" + gateD, mallory);
        // e: the ordinary client whose role gates gated-e deleted (its roles go with it)
        HttpAdmin.Response clientDeleted = r.http.delete(r.admin + "/clients/" + r.clientUuid("gate-app"), mallory);
        // f: the gating client role deleted
        HttpAdmin.Response clientRoleDeleted = r.http.delete(r.admin + "/clients/" + gateApp2 + "/roles/gate-f", mallory);

        Set<String> after = gatedClaims(r);
        assertAll(
                () -> assertHeldOrRefused(mappingRemoved, "removing gate-a from client scope gated-a"),
                () -> assertHeldOrRefused(consoleUnassign, "removing gate-b from gated-b through ui-ext role-mapping-delete"),
                () -> assertHeldOrRefused(roleDeleted, "deleting realm role gate-c"),
                () -> assertHeldOrRefused(roleDeletedById, "deleting realm role gate-d by id"),
                () -> assertHeldOrRefused(clientDeleted, "deleting client gate-app, whose role gate-e gates gated-e"),
                () -> assertHeldOrRefused(clientRoleDeleted, "deleting client role gate-f"),
                () -> assertEquals(Set.of(), after, "claims of gated client scopes reached sa-target's token"),
                () -> assertTrue(r.get("/roles/gate-c").status() == 200, "gate-c was deleted"),
                () -> assertTrue(r.get("/clients/" + gateApp2 + "/roles/gate-f").status() == 200, "gate-f was deleted"),
                () -> assertTrue(r.clientUuidOrNull("gate-app") != null, "gate-app was deleted"));
    }

    @Test
    void aScopeMappingRemovalThatLeavesAGateIsStillEverydayWorkOnAnUnusedScope(KeycloakTarget keycloak) {
        // Held only where it can widen a service account's tokens: a client scope no service
        // account uses loses its scope mapping at once.
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        HttpAdmin.Response created = r.http.post(r.admin + "/client-scopes", mallory,
                "{\"name\":\"unused-scope\",\"protocol\":\"openid-connect\"}");
        assertEquals(201, created.status(), created.body());
        String scope = scopeId(r, "unused-scope");
        HttpAdmin.Response added = r.http.post(r.admin + "/client-scopes/" + scope + "/scope-mappings/realm", mallory,
                "[" + r.realmRole("reports-reader") + "]");
        assertEquals(204, added.status(), "a scope mapping on an unused scope: " + added.body());
        HttpAdmin.Response removed = r.http.send("DELETE", r.admin + "/client-scopes/" + scope + "/scope-mappings/realm", mallory,
                "application/json", "[" + r.realmRole("reports-reader") + "]");
        assertAll(
                () -> assertEquals(204, removed.status(), "removing it: " + removed.body()),
                () -> assertEquals(0, r.read("/client-scopes/" + scope + "/scope-mappings/realm").size(), "the mapping is gone"));
    }

    @Test
    void anOwnersPasswordEmailAndCredentialsAreHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String owen = r.userId("owen");
        String opal = r.userId("opal");
        assertEquals(owen, r.read("/clients/" + r.clientUuid("sa-owned")).path("attributes").path("nhi.owner.id").asText(),
                "fixture: owen owns sa-owned");
        assertEquals(opal, r.read("/clients/" + r.clientUuid("sa-agent")).path("attributes").path("nhi.agent.owner.id").asText(),
                "fixture: opal owns agent sa-agent");
        assertEquals(200, r.passwordGrant("admin-cli", null, "owen", "owen-pass").status(), "fixture: owen signs in");

        HttpAdmin.Response owenReset = r.http.put(r.admin + "/users/" + owen + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"mallory-knows-this-1\",\"temporary\":false}");
        HttpAdmin.Response opalReset = r.http.put(r.admin + "/users/" + opal + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"mallory-knows-this-2\",\"temporary\":false}");
        HttpAdmin.Response owenEmail = r.http.put(r.admin + "/users/" + owen, mallory, "{\"email\":\"owen@mallory.test\"}");
        String opalPassword = null;
        for (JsonNode c : r.read("/users/" + opal + "/credentials")) {
            if ("password".equals(c.path("type").asText())) {
                opalPassword = c.path("id").asText();
            }
        }
        HttpAdmin.Response opalCredential = r.http.delete(r.admin + "/users/" + opal + "/credentials/" + opalPassword, mallory);
        HttpAdmin.Response impersonation = r.http.post(r.admin + "/users/" + owen + "/impersonation", mallory, null);

        assertAll(
                () -> assertHeldOrRefused(owenReset, "resetting the password of owen, owner of sa-owned"),
                () -> assertHeldOrRefused(opalReset, "resetting the password of opal, owner of agent sa-agent"),
                () -> assertHeldOrRefused(owenEmail, "changing owen's email"),
                () -> assertHeldOrRefused(opalCredential, "deleting opal's password"),
                () -> assertHeldOrRefused(impersonation, "impersonating owen"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "owen", "mallory-knows-this-1").status(),
                        "mallory signs in as owen with the password she set"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "opal", "mallory-knows-this-2").status(),
                        "mallory signs in as opal with the password she set"),
                () -> assertEquals(200, r.passwordGrant("admin-cli", null, "owen", "owen-pass").status(), "owen's own password"),
                () -> assertEquals(200, r.passwordGrant("admin-cli", null, "opal", "opal-pass").status(), "opal's own password"),
                () -> assertEquals("owen@guard-attack-redteam.test", r.read("/users/" + owen).path("email").asText(), "owen's email"));
    }

    @Test
    void aMemberOfAnOwningGroupsSubgroupIsAnOwnerToo(KeycloakTarget keycloak) {
        // sa-team is owned by group /owners; tess is in its subgroup /owners/owners-oncall, bea in
        // /bystanders. Ownership is looked up by the client attribute's value, group by group up
        // from the user's groups: tess's password is held, bea's is everyday work.
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        JsonNode owner = r.read("/clients/" + r.clientUuid("sa-team")).path("attributes");
        assertEquals("group", owner.path("nhi.owner.type").asText(), "fixture: " + owner);
        assertEquals(r.read("/groups/" + owner.path("nhi.owner.id").asText()).path("name").asText(), "owners",
                "fixture: /owners owns sa-team");

        HttpAdmin.Response tessReset = r.http.put(r.admin + "/users/" + r.userId("tess") + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"mallory-knows-this-3\",\"temporary\":false}");
        HttpAdmin.Response beaReset = r.http.put(r.admin + "/users/" + r.userId("bea") + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"bea-new-pass\",\"temporary\":false}");
        // tess's own password first: a failed sign-in just before it can trip the realm's quick-login check
        // (brute-force detection, 1 ms) and refuse the right password as "temporarily disabled".
        int tessOwn = r.passwordGrant("admin-cli", null, "tess", "tess-pass").status();
        int malloryAsTess = r.passwordGrant("admin-cli", null, "tess", "mallory-knows-this-3").status();
        assertAll(
                () -> assertHeldOrRefused(tessReset, "resetting the password of tess, in a subgroup of sa-team's owning group"),
                () -> assertNotEquals(200, malloryAsTess, "mallory signs in as tess with the password she set"),
                () -> assertEquals(200, tessOwn, "tess's own password"),
                () -> assertEquals(204, beaReset.status(), "bea owns nothing: " + beaReset.body()),
                () -> assertEquals(200, r.passwordGrant("admin-cli", null, "bea", "bea-new-pass").status(), "bea's new password"));
    }

    @Test
    void anOrdinaryUsersPasswordIsStillEverydayWork(KeycloakTarget keycloak) {
        // olive owns nothing and holds no admin role: resetting her password stays unheld.
        AttackRealm r = new AttackRealm(keycloak, REALM);
        HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + r.userId("olive") + "/reset-password", r.token("mallory"),
                "{\"type\":\"password\",\"value\":\"olive-new-pass\",\"temporary\":false}");
        assertAll(
                () -> assertEquals(204, reset.status(), reset.body()),
                () -> assertEquals(200, r.passwordGrant("admin-cli", null, "olive", "olive-new-pass").status(), "olive's new password"));
    }

    /**
     * Class 2, approvers manufactured: in a realm that has no approver role yet (a realm created
     * without it, as every new realm is), mallory gives an everyday role to an account of her own and
     * renames the role to the approver role's name. Nobody guarded holds the role, so the rename
     * looked harmless; afterwards mallory2 holds {@code nhi-approver} directly, which is what the
     * guard counts as an approver (she still needs admin API access to approve, itself a guarded grant).
     */
    @Test
    void renamingARoleToTheApproverRolesNameMakesNoApprover(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, "guard-attack-norole");
        String mallory = r.token("mallory");
        assertEquals(404, r.get("/roles/nhi-approver").status(), "fixture: the realm has no approver role");
        HttpAdmin.Response user = r.http.post(r.admin + "/users", mallory, "{\"username\":\"mallory2\",\"enabled\":true,"
                + "\"email\":\"mallory2@guard-attack-norole.test\",\"emailVerified\":true,\"firstName\":\"M\",\"lastName\":\"Two\","
                + "\"credentials\":[{\"type\":\"password\",\"value\":\"mallory2-pass\",\"temporary\":false}]}");
        assertEquals(201, user.status(), "an ordinary user is everyday work: " + user.body());
        HttpAdmin.Response role = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"soon-approver\"}");
        assertEquals(201, role.status(), role.body());
        String m2 = r.userId("mallory2");
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + m2 + "/role-mappings/realm", mallory,
                "[" + r.realmRole("soon-approver") + "]");
        assertEquals(204, grant.status(), "an ordinary role to an ordinary user is everyday work: " + grant.body());
        String roleId = r.realmRole("soon-approver").path("id").asText();

        HttpAdmin.Response rename = r.http.put(r.admin + "/roles-by-id/" + roleId, mallory, "{\"name\":\"nhi-approver\"}");
        // The approver role created empty, then granted: the grant names it and is held.
        HttpAdmin.Response created = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"nhi-approver\"}");
        HttpAdmin.Response grantApprover = r.get("/roles/nhi-approver").status() == 200
                ? r.http.post(r.admin + "/users/" + m2 + "/role-mappings/realm", mallory, "[" + r.realmRole("nhi-approver") + "]")
                : null;

        JsonNode held = r.heldSecretRegeneration(mallory);
        HttpAdmin.Response approval = r.approve(held.path("id").asText(), held.path("digest").asText(), r.token("mallory2"));
        JsonNode after = r.changeRequest(held.path("id").asText());
        System.out.println("mallory2 approving -> " + approval.status() + " " + AttackRealm.abbreviate(approval.body()));
        assertAll(
                () -> assertHeldOrRefused(rename, "renaming soon-approver, held by mallory2, to nhi-approver"),
                () -> System.out.println("creating nhi-approver empty -> " + created.status()),
                () -> assertTrue(grantApprover == null || AttackRealm.HELD_OR_REFUSED.contains(grantApprover.status()),
                        "granting nhi-approver to mallory2: " + (grantApprover == null ? "" : grantApprover.status() + " " + grantApprover.body())),
                () -> assertEquals("soon-approver", r.read("/roles-by-id/" + roleId).path("name").asText(), "the role's name"),
                () -> assertTrue(r.get("/roles/nhi-approver").status() == 404 || r.directHolders("nhi-approver").isEmpty(),
                        "direct holders of nhi-approver: " + (r.get("/roles/nhi-approver").status() == 200 ? r.directHolders("nhi-approver") : "")),
                () -> assertNotEquals(200, approval.status(), "mallory2 approving mallory's change: " + approval.body()),
                () -> assertEquals(0, after.path("approvals").size(), "approvals of mallory's change: " + after),
                () -> assertEquals(200, r.clientCredentialsStatus("sa-target", "sa-target-secret"), "sa-target's secret"));
    }

    /**
     * Class 3, how a privileged user authenticates: realm {@code guard-attack-flowrole} signs users
     * in by password through a direct-grant flow whose conditional sub-flow stops holders of
     * {@code second-factor-required} (standing in for "asks them for a second factor"); ada, an
     * approver, holds it. Keycloak's {@code conditional-user-role} reads a deleted role as
     * "condition not met": deleting the role lets ada sign in with her password alone. The realm's
     * policy guards only {@code role-delete}, so that the flow can be built here without approvals.
     */
    @Test
    void deletingARoleAFlowConditionNamesIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, "guard-attack-flowrole");
        String admin = r.master();
        String a = r.admin + "/authentication";
        assertEquals(201, r.http.post(a + "/flows/direct%20grant/copy", admin, "{\"newName\":\"gated-direct-grant\"}").status());
        assertEquals(201, r.http.post(a + "/flows/gated-direct-grant/executions/flow", admin,
                "{\"alias\":\"gated-second-factor\",\"type\":\"basic-flow\",\"provider\":\"registration-page-form\","
                        + "\"description\":\"holders of second-factor-required\"}").status());
        for (JsonNode e : r.read("/authentication/flows/gated-direct-grant/executions")) {
            if ("gated-second-factor".equals(e.path("displayName").asText())) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("requirement", "CONDITIONAL");
                assertEquals(204, r.http.put(a + "/flows/gated-direct-grant/executions", admin, e.toString()).status());
            }
        }
        for (String provider : new String[] {"conditional-user-role", "deny-access-authenticator"}) {
            assertEquals(201, r.http.post(a + "/flows/gated-second-factor/executions/execution", admin,
                    "{\"provider\":\"" + provider + "\"}").status(), provider);
        }
        for (JsonNode e : r.read("/authentication/flows/gated-second-factor/executions")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) e).put("requirement", "REQUIRED");
            assertEquals(204, r.http.put(a + "/flows/gated-second-factor/executions", admin, e.toString()).status());
            if ("conditional-user-role".equals(e.path("providerId").asText())) {
                HttpAdmin.Response config = r.http.post(a + "/executions/" + e.path("id").asText() + "/config", admin,
                        "{\"alias\":\"needs-second-factor\",\"config\":{\"condUserRole\":\"second-factor-required\",\"negate\":\"false\"}}");
                assertEquals(201, config.status(), config.body());
            }
        }
        assertEquals(204, r.http.put(r.admin, admin, "{\"directGrantFlow\":\"gated-direct-grant\"}").status());
        assertEquals(200, r.passwordGrant("admin-cli", null, "olive", "olive-pass").status(), "fixture: olive signs in by password");
        assertNotEquals(200, r.passwordGrant("admin-cli", null, "ada", "ada-pass").status(), "fixture: the flow stops ada");

        HttpAdmin.Response deleted = r.http.delete(r.admin + "/roles/second-factor-required", r.token("mallory"));
        assertAll(
                () -> assertHeldOrRefused(deleted, "deleting second-factor-required, named by a flow condition"),
                () -> assertEquals(200, r.get("/roles/second-factor-required").status(), "second-factor-required was deleted"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "ada", "ada-pass").status(),
                        "ada, an approver, signs in with her password alone"));
    }

    @Test
    void heldPathsStayHeld(KeycloakTarget keycloak) {
        // Paths tried in the review that admission already held; kept so that they stay held.
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String target = r.clientUuid("sa-target");
        Set<String> rolesBefore = r.tokenRealmRoles("sa-target");
        // A method override header does not turn a read into a write Keycloak runs unheld.
        HttpAdmin.Response override = RawHttp.send(r.keycloak.baseUri(), "POST", r.admin + "/clients/" + target + "/client-secret",
                java.util.Map.of("Authorization", "Bearer " + mallory, "X-HTTP-Method-Override", "GET", "Content-Type",
                        "application/json"), "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // A new client scope carrying a claim, then made a default of sa-target or of the realm.
        HttpAdmin.Response scope = r.http.post(r.admin + "/client-scopes", mallory, "{\"name\":\"mallory-scope\",\"protocol\":"
                + "\"openid-connect\",\"protocolMappers\":[{\"name\":\"m\",\"protocol\":\"openid-connect\",\"protocolMapper\":"
                + "\"oidc-hardcoded-claim-mapper\",\"config\":{\"claim.name\":\"mallory_claim\",\"claim.value\":\"1\","
                + "\"access.token.claim\":\"true\"}}]}");
        assertEquals(201, scope.status(), "creating a client scope is unheld: " + scope.body());
        String malloryScope = scopeId(r, "mallory-scope");
        HttpAdmin.Response onClient = r.http.put(r.admin + "/clients/" + target + "/default-client-scopes/" + malloryScope, mallory, null);
        HttpAdmin.Response onRealm = r.http.put(r.admin + "/default-default-client-scopes/" + malloryScope, mallory, null);
        // Partial import overwriting sa-target with full scope and a hardcoded role mapper.
        HttpAdmin.Response overwrite = r.http.post(r.admin + "/partialImport", mallory,
                "{\"ifResourceExists\":\"OVERWRITE\",\"clients\":[{\"clientId\":\"sa-target\",\"serviceAccountsEnabled\":true,"
                        + "\"secret\":\"mallory\",\"protocolMappers\":[{\"name\":\"r\",\"protocol\":\"openid-connect\","
                        + "\"protocolMapper\":\"oidc-hardcoded-role-mapper\",\"config\":{\"role\":\"nhi-approver\"}}]}]}");
        JsonNode claims = r.serviceAccountClaims("sa-target");
        System.out.println("POST client-secret with X-HTTP-Method-Override: GET -> " + override.status());
        assertAll(
                () -> assertEquals(200, r.clientCredentialsStatus("sa-target", "sa-target-secret"), "sa-target's secret"),
                () -> assertHeldOrRefused(onClient, "mallory-scope as a default scope of sa-target"),
                () -> assertHeldOrRefused(onRealm, "mallory-scope as a realm default scope"),
                () -> assertHeldOrRefused(overwrite, "partial import OVERWRITE of sa-target"),
                () -> assertFalse(claims.has("mallory_claim"), "sa-target's token carries mallory_claim: " + claims),
                () -> assertEquals(rolesBefore, r.tokenRealmRoles("sa-target"), "sa-target's token roles"));
    }
}
