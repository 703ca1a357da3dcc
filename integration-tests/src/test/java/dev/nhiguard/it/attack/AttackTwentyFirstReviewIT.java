package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.it.OffByDefaultFeaturesExtension;
import dev.nhiguard.it.OffByDefaultFeaturesExtension.OffByDefaultFeatures;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Twenty-first red-team review (2026-12-07): where admission failed open. Each test runs in a copy of
 * {@code guard-attack-fifth} (ann and ben approve, mallory administers).
 */
@ExtendWith({KeycloakExtension.class, OffByDefaultFeaturesExtension.class})
class AttackTwentyFirstReviewIT {

    /**
     * Fine-grained admin permissions, first version ({@code admin-fine-grained-authz:v1}): an approved permission lets
     * the group {@code helpdesk} manage users. The filter passed every guarded write of a caller without any admin role
     * ("Keycloak answers 403 itself"), and counted only v2's permission subjects as privileged: mallory put an account of
     * hers in {@code helpdesk} unheld, and with it reset ann's password (204), signed in as ann and approved her own
     * request. A v1 delegate's guarded writes are now held, and the users, groups and roles v1's policies name are
     * privileged (joining {@code helpdesk}, a delegate's recovery: held). Judged by ann's password and helpdesk's members.
     */
    @Test
    void aFineGrainedV1DelegateIsPrivilegedAndHerGuardedWritesAreHeld(OffByDefaultFeatures server) {
        AttackRealm r = AttackRealm.copyOfFifth(server.keycloak(), "twentyfirst", "v1", rep -> {
            ((ArrayNode) rep.get("groups")).addObject().put("name", "helpdesk").put("path", "/helpdesk");
            ObjectNode helen = ((ArrayNode) rep.get("users")).addObject().put("username", "helen").put("enabled", true)
                    .put("firstName", "Helen").put("lastName", "Helpdesk").put("email", "helen@v1.test").put("emailVerified", true);
            helen.putArray("credentials").addObject().put("type", "password").put("value", "helen-pass").put("temporary", false);
            helen.putArray("groups").add("/helpdesk");
            // the fixture sets the permission up while the realm guards nothing, then puts the guard's policy back
            ((ObjectNode) rep.get("attributes")).put("nhi.guard.policy", "{\"guardedOperations\":[]}");
        });
        String master = r.master();
        String helpdesk = r.groupIdOrNull("helpdesk");
        assertEquals(200, r.http.put(r.admin + "/users-management-permissions", master, "{\"enabled\":true}").status());
        String rm = r.clientUuid("realm-management");
        String authz = r.admin + "/clients/" + rm + "/authz/resource-server";
        HttpAdmin.Response policy = r.http.post(authz + "/policy/group", master,
                "{\"name\":\"helpdesk-policy\",\"logic\":\"POSITIVE\",\"groups\":[{\"id\":\"" + helpdesk + "\"}]}");
        assertEquals(201, policy.status(), policy.body());
        String manage = r.read("/users-management-permissions").path("scopePermissions").path("manage").asText();
        ObjectNode permission = (ObjectNode) r.read("/clients/" + rm + "/authz/resource-server/permission/scope/" + manage);
        permission.putArray("policies").add(policy.json().path("id").asText());
        HttpAdmin.Response permitted = r.http.put(authz + "/permission/scope/" + manage, master, permission.toString());
        assertEquals(2, permitted.status() / 100, permitted.body());
        HttpAdmin.Response guarded = r.http.put(r.guard + "/policy", master, "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0}}");
        assertEquals(2, guarded.status() / 100, guarded.body());
        JsonNode effective = r.read("/mutation-guard/policy").path("effective");
        assertTrue(effective.path("guardedOperations").size() > 0, "the guard's policy is back: " + effective);

        // helen, in helpdesk, holds no admin role: Keycloak lets her manage users through the permission
        String helen = r.token("helen");
        String ann = r.userId("ann");
        HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + ann + "/reset-password", helen,
                "{\"type\":\"password\",\"value\":\"Taken-by-helen-2026\",\"temporary\":false}");
        // mallory puts an account of hers in helpdesk, and resets helen's password
        String mallory = r.token("mallory");
        HttpAdmin.Response mx = r.http.post(r.admin + "/users", mallory,
                "{\"username\":\"mx1\",\"enabled\":true,\"firstName\":\"M\",\"lastName\":\"X\",\"email\":\"mx1@v1.test\"}");
        assertEquals(201, mx.status(), mx.body());
        String mx1 = r.userId("mx1");
        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + mx1 + "/groups/" + helpdesk, mallory, null);
        HttpAdmin.Response helensReset = r.http.put(r.admin + "/users/" + r.userId("helen") + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"Taken-by-mallory-2026\",\"temporary\":false}");
        JsonNode members = r.read("/groups/" + helpdesk + "/members");
        assertAll(
                () -> AttackRealm.assertHeld(reset, "a v1 delegate's reset of an approver's password"),
                () -> assertEquals(200, r.passwordGrant("admin-cli", null, "ann", "ann-pass").status(), "ann's password unchanged"),
                () -> AttackRealm.assertHeld(join, "joining a group a v1 admin permission names"),
                () -> assertEquals(1, members.size(), "helen alone in helpdesk: " + members),
                () -> AttackRealm.assertHeld(helensReset, "a v1 delegate's recovery"),
                () -> assertEquals(200, r.passwordGrant("admin-cli", null, "helen", "helen-pass").status(), "helen's password unchanged"));
    }

    /**
     * A value the guard would have to hide outside a credential's place, stored while nothing guarded used it: mallory
     * created a client scope (and an ordinary client) with a hardcoded {@code realm_access} claim whose JSON value
     * carries a JSON Web Key's private member, then asked for the scope as sa-target's default (and for the client's
     * service account). The twentieth review's rule refused such a value in a request's body, but the images sealed it:
     * the approver saw {@code claim.value: {"sealed":"present"}}, and the apply put {@code nhi-approver} in the service
     * account's token. A change request whose images hold such a value is now refused (400, the place named, nothing
     * held) until the value is rewritten or removed. Judged by the answers and the change requests stored.
     */
    @Test
    void aValueTheImagesWouldHideIsRefusedNotHeld(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentyfirst", "hidden", rep -> { });
        String mallory = r.token("mallory");
        String mapper = "{\"name\":\"ra\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                + "\"config\":{\"claim.name\":\"realm_access\",\"jsonType.label\":\"JSON\",\"access.token.claim\":\"true\","
                + "\"claim.value\":\"{\\\"roles\\\":[\\\"nhi-approver\\\"],\\\"jwk\\\":{\\\"kty\\\":\\\"oct\\\","
                + "\\\"k\\\":\\\"c2VjcmV0LXNpZ25pbmcta2V5LTIwMjYtYWJjZGVm\\\"}}\"}}";
        HttpAdmin.Response scope = r.http.post(r.admin + "/client-scopes", mallory,
                "{\"name\":\"extra-claims\",\"protocol\":\"openid-connect\"}");
        assertEquals(201, scope.status(), "a client scope nobody uses: " + scope.body());
        String scopeId = scope.header("location").replaceAll(".*/", "");
        HttpAdmin.Response planted = r.http.post(r.admin + "/client-scopes/" + scopeId + "/protocol-mappers/models", mallory, mapper);
        assertEquals(201, planted.status(), "its mapper: " + planted.body());
        HttpAdmin.Response client = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"svc-x\",\"publicClient\":false,"
                + "\"standardFlowEnabled\":false,\"protocolMappers\":[" + mapper + "]}");
        assertEquals(201, client.status(), "an ordinary client with the mapper: " + client.body());
        String svcX = r.clientUuid("svc-x");
        int before = r.changeRequestCount();

        HttpAdmin.Response asDefault = r.http.put(r.admin + "/clients/" + r.clientUuid("sa-target") + "/default-client-scopes/"
                + scopeId, mallory, null);
        HttpAdmin.Response serviceAccount = r.http.put(r.admin + "/clients/" + svcX, mallory, "{\"serviceAccountsEnabled\":true}");
        assertAll(
                () -> assertEquals(400, asDefault.status(), "the scope as sa-target's default: " + asDefault.body()),
                () -> assertTrue(asDefault.body().contains("claim.value"), "the place is named: " + asDefault.body()),
                () -> assertFalse(asDefault.body().contains("c2VjcmV0"), "never the value: " + asDefault.body()),
                () -> assertEquals(400, serviceAccount.status(), "svc-x's service account: " + serviceAccount.body()),
                () -> assertEquals(before, r.changeRequestCount(), "nothing held"),
                () -> assertFalse(r.read("/clients/" + svcX).path("serviceAccountsEnabled").asBoolean(), "svc-x unchanged"));
    }

    /**
     * A value that looks like a token, written unheld into a field no guarded change reads for privilege (sa-target's
     * description): with the images rule above, every guarded change to sa-target (its secret's rotation, its disable)
     * was refused, a denial of service on incident response (fourth helper of this review). What the guard lets anyone
     * write on a guarded subject grants nothing, so it no longer blocks that subject's changes; the approver sees its
     * fingerprint. Judged by the answer to a secret rotation.
     */
    @Test
    void aTokenLikeValueInADescriptionDoesNotBlockAGuardedSubjectsChanges(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentyfirst", "planted", rep -> { });
        String mallory = r.token("mallory");
        String saTarget = r.clientUuid("sa-target");
        HttpAdmin.Response planted = r.http.put(r.admin + "/clients/" + saTarget, mallory,
                "{\"description\":\"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ\"}");
        assertEquals(204, planted.status(), "a description is no guarded field: " + planted.body());
        HttpAdmin.Response rotation = r.http.post(r.admin + "/clients/" + saTarget + "/client-secret", r.token("ann"), null);
        AttackRealm.assertHeld(rotation, "ann's rotation of sa-target's secret");
    }

    /**
     * Anyone with a token of the realm could fill the approvers' list and inboxes: the filter held guarded writes of
     * callers without an admin role on every endpoint of this project (an ordinary user made 388 change requests a
     * minute, 776 mails to the approvers, with {@code PUT …/mutation-guard/policy}). Only the endpoints that admit
     * people without an admin role (a reviewer's narrowing, an owner's revalidation) hold such a caller's write now;
     * the others answer 403 as Keycloak would. And no requester may have more open requests than the policy's
     * {@code maxOpenPerRequester} (here 3): the next write that would be held answers 429, also after a cancellation
     * (a cancelled request counts for an hour: a make-and-cancel loop mailed the approvers without end).
     */
    @Test
    void anOrdinaryUserCannotFillTheApproversListAndNoRequesterOpensMoreThanThePolicyAllows(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentyfirst", "flood", rep -> ((ObjectNode) rep.get("attributes"))
                .put("nhi.guard.policy", "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0},\"maxOpenPerRequester\":3}"));
        String olive = r.token("olive");
        HttpAdmin.Response policy = r.http.put(r.guard + "/policy", olive, "{\"cooldownSeconds\":{\"credential\":5}}");
        HttpAdmin.Response lifecycle = r.http.put(r.admin + "/nhi/policy", olive, "{}");
        HttpAdmin.Response agent = r.http.post(r.admin + "/agents", olive, "{\"name\":\"olive-bot\"}");
        assertAll(
                () -> assertEquals(403, policy.status(), "olive's policy change: " + policy.body()),
                () -> assertEquals(403, lifecycle.status(), "olive's lifecycle policy: " + lifecycle.body()),
                () -> assertEquals(403, agent.status(), "olive's agent: " + agent.body()),
                () -> assertEquals(0, r.changeRequestCount(), "nothing held for olive"));

        String mallory = r.token("mallory");
        java.util.List<HttpAdmin.Response> held = new java.util.ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            held.add(r.http.put(r.guard + "/policy", mallory, "{\"cooldownSeconds\":{\"credential\":" + i + "}}"));
            AttackRealm.assertHeld(held.get(i - 1), "mallory's request " + i);
        }
        HttpAdmin.Response fourth = r.http.put(r.guard + "/policy", mallory, "{\"cooldownSeconds\":{\"credential\":4}}");
        assertEquals(429, fourth.status(), fourth.body());
        assertEquals("too_many_requests", fourth.json().path("error").asText(), fourth.body());
        assertEquals(3, r.changeRequestCount());
        // A cancelled request mailed the approvers when it was made: it counts for an hour, so a loop of requests made
        // and cancelled (each mailing every approver) stops at the cap too.
        r.cancelHeld(mallory, held.get(0));
        HttpAdmin.Response afterCancel = r.http.put(r.guard + "/policy", mallory, "{\"cooldownSeconds\":{\"credential\":5}}");
        assertEquals(429, afterCancel.status(), "after one is cancelled: " + afterCancel.body());
        assertEquals(3, r.changeRequestCount());
        // Another requester's cap is their own. An approver who rejects her own requests (any approver may reject) stops
        // at it too: a rejected request mailed the approvers when it was made (twenty-fourth red-team review).
        String ann = r.token("ann");
        for (int i = 6; i <= 8; i++) {
            HttpAdmin.Response annHeld = r.http.put(r.guard + "/policy", ann, "{\"cooldownSeconds\":{\"credential\":" + i + "}}");
            AttackRealm.assertHeld(annHeld, "ann's request " + i);
            HttpAdmin.Response rejected = r.http.post(r.guard + "/change-requests/" + annHeld.json().path("id").asText() + "/reject",
                    ann, "{\"reason\":\"her own\"}");
            assertEquals(200, rejected.status(), rejected.body());
        }
        HttpAdmin.Response afterRejects = r.http.put(r.guard + "/policy", ann, "{\"cooldownSeconds\":{\"credential\":9}}");
        assertEquals(429, afterRejects.status(), "after three made and rejected: " + afterRejects.body());
    }
}
