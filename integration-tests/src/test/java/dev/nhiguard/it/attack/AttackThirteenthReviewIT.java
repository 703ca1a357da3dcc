package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Thirteenth red-team review (2026-12-06): races, and a group path a login mapper names. An approved change's apply
 * re-checked its target without ordering itself against the writes admitted beside it: mallory, with one approval of a
 * harmless-looking request, sent the apply and an unguarded write at the same moment, and both landed on a target that
 * the apply made guarded (an approver with mallory's password; a new service account with her mapper); two approved
 * requests, each refused after the other, applied together. Each race test runs its rounds in a realm of its own copied
 * from {@code guard-attack-fifth} and is judged by the end state read back through Keycloak; the races won in the first
 * round or two against the code before the fix.
 */
@ExtendWith(KeycloakExtension.class)
class AttackThirteenthReviewIT {

    private static final int ROUNDS = 3;

    /**
     * mallory asks for olive-N to become an approver (ann approves: olive-N's sign-in is nobody's), then applies it while
     * she resets olive-N's password. Before the fix the reset was classified while olive-N was ordinary and committed
     * after the apply's re-check: an approver with mallory's password, every round.
     */
    @Test
    void aPasswordResetRacingTheApplyThatMakesItsUserAnApproverNeverLandsWithIt(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "reset", rep -> {
            for (int i = 1; i <= ROUNDS; i++) {
                ((ArrayNode) rep.get("users")).addObject().put("username", "olive-" + i).put("enabled", true)
                        .put("email", "olive-" + i + "@thirteenth.test").put("firstName", "O").put("lastName", "L")
                        .put("emailVerified", true);
            }
        });
        JsonNode approver = r.realmRole("nhi-approver");
        for (int i = 1; i <= ROUNDS; i++) {
            String olive = r.userId("olive-" + i);
            String mallory = r.token("mallory");
            HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + olive + "/role-mappings/realm", mallory,
                    "[{\"id\":\"" + approver.path("id").asText() + "\",\"name\":\"nhi-approver\"}]");
            AttackRealm.assertHeld(grant, "mallory making olive-" + i + " an approver");
            assertEquals(200, r.approve(grant.json().path("id").asText(), grant.json().path("digest").asText(), r.token("ann")).status());
            String password = "mallory-owns-olive-" + i;
            HttpAdmin.Response[] both = together(
                    () -> r.apply(grant.json().path("id").asText(), mallory),
                    () -> r.http.put(r.admin + "/users/" + olive + "/reset-password", mallory,
                            "{\"type\":\"password\",\"value\":\"" + password + "\",\"temporary\":false}"));
            boolean isApprover = r.effectiveRealmRoles(olive).contains("nhi-approver");
            boolean malloryCanSignIn = r.http.postForm("/realms/" + r.name + "/protocol/openid-connect/token", java.util.Map.of(
                    "grant_type", "password", "client_id", "admin-cli", "username", "olive-" + i, "password", password))
                    .status() == 200;
            String round = "round " + i + ": apply " + both[0].status() + " " + AttackRealm.abbreviate(both[0].body())
                    + "; reset " + both[1].status() + " " + AttackRealm.abbreviate(both[1].body());
            assertFalse(isApprover && malloryCanSignIn, "an approver with mallory's password: " + round);
            assertTrue(isApprover || malloryCanSignIn, "one of the two lands (the other is refused or held): " + round);
        }
    }

    /**
     * Two approved requests, each harmless alone: an empty role granted to sa-target's service account, and
     * {@code manage-users} added to that role. Applied one after the other, the second is refused ({@code target_changed});
     * applied together, both landed before the fix and sa-target's service account held {@code manage-users}.
     */
    @Test
    void twoApprovedRequestsAppliedTogetherNeverBothLand(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "pair", rep -> {
            ArrayNode roles = (ArrayNode) rep.with("roles").withArray("realm");
            for (int i = 1; i <= ROUNDS; i++) {
                roles.addObject().put("name", "bundle-" + i).put("description", "an empty role");
            }
        });
        String saUser = r.serviceAccountUserId("sa-target");
        String management = r.clientUuid("realm-management");
        JsonNode manageUsers = r.read("/clients/" + management + "/roles/manage-users");
        for (int i = 1; i <= ROUNDS; i++) {
            JsonNode bundle = r.realmRole("bundle-" + i);
            String mallory = r.token("mallory");
            HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + saUser + "/role-mappings/realm", mallory,
                    "[{\"id\":\"" + bundle.path("id").asText() + "\",\"name\":\"bundle-" + i + "\"}]");
            AttackRealm.assertHeld(grant, "granting an empty role to sa-target");
            HttpAdmin.Response composite = r.http.post(r.admin + "/roles/bundle-" + i + "/composites", mallory,
                    "[" + manageUsers + "]");
            AttackRealm.assertHeld(composite, "adding manage-users to the empty role");
            String ann = r.token("ann");
            assertEquals(200, r.approve(grant.json().path("id").asText(), grant.json().path("digest").asText(), ann).status());
            assertEquals(200, r.approve(composite.json().path("id").asText(), composite.json().path("digest").asText(), ann).status());
            HttpAdmin.Response[] both = together(
                    () -> r.apply(grant.json().path("id").asText(), mallory),
                    () -> r.apply(composite.json().path("id").asText(), mallory));
            String round = "round " + i + ": grant " + both[0].status() + " " + AttackRealm.abbreviate(both[0].body())
                    + "; composite " + both[1].status() + " " + AttackRealm.abbreviate(both[1].body());
            assertAll(
                    () -> assertFalse(r.effectiveClientRoles(saUser, "realm-management").contains("manage-users"),
                            "sa-target's service account holds manage-users: " + round),
                    () -> assertFalse(both[0].status() == 200 && both[1].status() == 200, "both applied: " + round),
                    () -> assertTrue(both[0].status() == 200 || both[1].status() == 200, "one of them applies: " + round));
        }
    }

    /**
     * An approved "turn on plain-app's service account", applied while mallory adds a hardcoded-claim mapper to
     * plain-app (unguarded while it has no service account). Before the fix both landed and the new service account's
     * token carried her claim.
     */
    @Test
    void aMapperRacingTheApplyThatTurnsOnAServiceAccountNeverLandsWithIt(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "mapper", rep -> {
            for (int i = 1; i <= ROUNDS; i++) {
                ((ArrayNode) rep.get("clients")).addObject().put("clientId", "plain-app-" + i).put("publicClient", false)
                        .put("standardFlowEnabled", false).put("secret", "plain-app-" + i + "-secret");
            }
        });
        for (int i = 1; i <= ROUNDS; i++) {
            String client = r.clientUuid("plain-app-" + i);
            String mallory = r.token("mallory");
            HttpAdmin.Response enable = r.http.put(r.admin + "/clients/" + client, mallory, "{\"serviceAccountsEnabled\":true}");
            AttackRealm.assertHeld(enable, "mallory turning on plain-app-" + i + "'s service account");
            assertEquals(200, r.approve(enable.json().path("id").asText(), enable.json().path("digest").asText(), r.token("ann")).status());
            HttpAdmin.Response[] both = together(
                    () -> r.apply(enable.json().path("id").asText(), mallory),
                    () -> r.http.post(r.admin + "/clients/" + client + "/protocol-mappers/models", mallory,
                            "{\"name\":\"mallory-claim\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                                    + "\"config\":{\"claim.name\":\"mallory_claim\",\"claim.value\":\"realm-admin\","
                                    + "\"access.token.claim\":\"true\",\"jsonType.label\":\"String\"}}"));
            boolean serviceAccount = r.read("/clients/" + client).path("serviceAccountsEnabled").asBoolean();
            boolean mapper = r.read("/clients/" + client + "/protocol-mappers/models").findValuesAsText("name").contains("mallory-claim");
            String round = "round " + i + ": apply " + both[0].status() + " " + AttackRealm.abbreviate(both[0].body())
                    + "; mapper " + both[1].status() + " " + AttackRealm.abbreviate(both[1].body());
            assertFalse(serviceAccount && mapper, "a service account with mallory's mapper: " + round);
            assertTrue(serviceAccount || mapper, "one of the two lands: " + round);
        }
    }

    /**
     * The race's second half, sequential: whoever set how an approver signs in does not get that approver's approval.
     * mallory set olive's password (olive was ordinary: not guarded); ann, shown that mallory holds olive, made olive an
     * approver anyway. olive's approval of mallory's next request is refused; ben's is not.
     */
    @Test
    void anApproverWhoseSignInTheRequesterSetDoesNotApproveTheRequestersChanges(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "reverse", rep -> { });
        String olive = r.userId("olive");
        String mallory = r.token("mallory");
        assertEquals(204, r.http.put(r.admin + "/users/" + olive + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"mallory-set-this\",\"temporary\":false}").status(), "olive is ordinary");
        JsonNode approver = r.realmRole("nhi-approver");
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + olive + "/role-mappings/realm", mallory,
                "[{\"id\":\"" + approver.path("id").asText() + "\",\"name\":\"nhi-approver\"}]");
        AttackRealm.assertHeld(grant, "mallory making olive an approver");
        JsonNode holders = r.http.get(r.guard + "/change-requests/" + grant.json().path("id").asText(), r.token("ann")).json()
                .path("credentialHolders");
        assertTrue(holders.path("requesterHolds").asBoolean() && holders.toString().contains("\"mallory\""),
                "ann is shown that mallory holds olive: " + holders);
        assertEquals(200, r.approve(grant.json().path("id").asText(), grant.json().path("digest").asText(), r.token("ann")).status());
        assertEquals(200, r.apply(grant.json().path("id").asText(), mallory).status());
        assertTrue(r.effectiveRealmRoles(olive).contains("nhi-approver"));
        // An approver reaches the guard's admin endpoints through an admin role: view-realm, approved by ann too.
        String management = r.clientUuid("realm-management");
        HttpAdmin.Response view = r.http.post(r.admin + "/users/" + olive + "/role-mappings/clients/" + management, r.token("mallory"),
                "[" + r.read("/clients/" + management + "/roles/view-realm") + "]");
        AttackRealm.assertHeld(view, "mallory giving olive view-realm");
        assertEquals(200, r.approve(view.json().path("id").asText(), view.json().path("digest").asText(), r.token("ann")).status());
        assertEquals(200, r.apply(view.json().path("id").asText(), r.token("mallory")).status());

        JsonNode reader = r.realmRole("reports-reader");
        HttpAdmin.Response next = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-automation") + "/role-mappings/realm",
                r.token("mallory"), "[{\"id\":\"" + reader.path("id").asText() + "\",\"name\":\"reports-reader\"}]");
        AttackRealm.assertHeld(next, "mallory granting a role to sa-automation");
        String oliveToken = r.http.passwordGrant(r.name, "admin-cli", "olive", "mallory-set-this", null).path("access_token").asText();
        HttpAdmin.Response byOlive = r.approve(next.json().path("id").asText(), next.json().path("digest").asText(), oliveToken);
        assertAll(
                () -> assertEquals(403, byOlive.status(), byOlive.body()),
                () -> assertTrue(byOlive.body().contains("The requester set how you sign in"), byOlive.body()),
                () -> assertEquals("PENDING", r.changeRequest(next.json().path("id").asText()).path("state").asText()),
                () -> assertEquals(200, r.approve(next.json().path("id").asText(), next.json().path("digest").asText(),
                        r.token("ben")).status(), "ben, whose sign-in mallory never set, approves"));
    }

    /**
     * An identity provider's group mapper finds its group by path at each broker login; Keycloak follows a rename of
     * that group, not its deletion. mallory emptied a privileged group, deleted the group a mapper named and renamed the
     * privileged group to the freed path: a login through the provider then created an administrator. Renaming or moving
     * a privileged group is now held, members or not.
     */
    @Test
    void aPrivilegedGroupWithoutMembersIsNotRenamedOrMovedUnheld(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "group", rep -> {
            ArrayNode groups = rep.withArray("groups");
            ObjectNode admins = groups.addObject().put("name", "approvers");
            admins.putArray("realmRoles").add("nhi-approver");
            admins.putObject("clientRoles").putArray("realm-management").add("realm-admin");
            groups.addObject().put("name", "staff");
        });
        String admins = r.groupIdOrNull("approvers");
        String mallory = r.token("mallory");
        HttpAdmin.Response renamed = r.http.put(r.admin + "/groups/" + admins, mallory, "{\"name\":\"staff-old\"}");
        AttackRealm.assertHeld(renamed, "renaming an empty privileged group");
        HttpAdmin.Response moved = r.http.post(r.admin + "/groups/" + r.groupIdOrNull("staff") + "/children", mallory,
                "{\"id\":\"" + admins + "\",\"name\":\"approvers\"}");
        AttackRealm.assertHeld(moved, "moving an empty privileged group under another");
        HttpAdmin.Response description = r.http.put(r.admin + "/groups/" + admins, mallory,
                "{\"name\":\"approvers\",\"description\":\"who approves\"}");
        assertEquals(204, description.status(), "a description is everyday work: " + description.body());
        assertEquals("approvers", r.read("/groups/" + admins).path("name").asText());
        assertEquals("/approvers", r.read("/groups/" + admins).path("path").asText());
    }

    /**
     * (Live review of the write lock.) An admin write that only tests a connection takes no realm write lock: pointed at
     * a server that never answers, it held the lock for its whole timeout, and every other admin write of the realm
     * was refused (503) meanwhile. Now ann's ordinary write lands while mallory's LDAP test still waits.
     */
    @Test
    void aConnectionTestWaitingOnASilentServerHoldsUpNoOtherWrite(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "silent", rep -> { });
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            String mallory = r.token("mallory");
            CompletableFuture<HttpAdmin.Response> test = CompletableFuture.supplyAsync(() -> r.http.post(r.admin
                    + "/testLDAPConnection", mallory, "{\"action\":\"testAuthentication\",\"connectionUrl\":\"ldap://127.0.0.1:"
                    + silent.getLocalPort() + "\",\"authType\":\"simple\",\"bindDn\":\"cn=x\",\"bindCredential\":\"x\","
                    + "\"connectionTimeout\":\"20000\"}"));
            java.net.Socket accepted = silent.accept(); // the test is connected and waits for an answer that never comes
            try {
                HttpAdmin.Response role = r.http.post(r.admin + "/roles", r.token("ann"), "{\"name\":\"while-ldap-waits\"}");
                assertFalse(test.isDone(), "the LDAP test is still waiting");
                assertEquals(201, role.status(), "ann's write is not held up by the LDAP test: " + role.body());
            } finally {
                accepted.close();
            }
            test.get();
        }
    }

    /**
     * (Fourteenth red-team review.) Client registration's {@code openid-connect} provider was not ordered with applies
     * (only {@code default} was): ann, who held plain-app-N's key, approved turning its service account on; mallory sent
     * the apply and a registration update putting her own key on plain-app-N at the same moment, and both landed in 10
     * of 15 rounds. A service account that signs in with mallory's key, which nobody approved.
     */
    @Test
    void aRegistrationUpdateRacingTheApplyThatTurnsOnItsServiceAccountNeverLandsWithIt(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "thirteenth", "dcr", rep -> {
            for (int i = 1; i <= ROUNDS; i++) {
                rep.withArray("clients").addObject().put("clientId", "plain-app-" + i).put("publicClient", false)
                        .put("standardFlowEnabled", true).put("secret", "plain-app-" + i + "-secret")
                        .putArray("redirectUris").add("http://127.0.0.1/plain-app/*");
            }
        });
        for (int i = 1; i <= ROUNDS; i++) {
            String client = "plain-app-" + i;
            HttpAdmin.Response annKey = r.http.put("/realms/" + r.name + "/clients-registrations/openid-connect/" + client,
                    r.token("ann"), registration(client, "ann-" + i, 1));
            assertEquals(200, annKey.status(), "ann puts her key on an ordinary client: " + annKey.body());
            String mallory = r.token("mallory");
            HttpAdmin.Response turnOn = r.http.put(r.admin + "/clients/" + r.clientUuid(client), mallory,
                    "{\"serviceAccountsEnabled\":true}");
            AttackRealm.assertHeld(turnOn, "turning " + client + "'s service account on");
            assertEquals(200, r.approve(turnOn.json().path("id").asText(), turnOn.json().path("digest").asText(), r.token("ann")).status());
            // A long body keeps the registration in flight while the apply commits.
            String malloryKey = registration(client, "mallory-" + i, 400);
            HttpAdmin.Response[] both = together(
                    () -> r.apply(turnOn.json().path("id").asText(), mallory),
                    () -> r.http.put("/realms/" + r.name + "/clients-registrations/openid-connect/" + client, mallory, malloryKey));
            JsonNode now = r.read("/clients/" + r.clientUuid(client));
            boolean serviceAccount = now.path("serviceAccountsEnabled").asBoolean();
            boolean malloryHolds = ("mallory-" + i).equals(now.at("/attributes/jwt.credential.kid").asText())
                    || now.path("attributes").toString().contains("mallory-" + i);
            String round = "round " + i + ": apply " + both[0].status() + " " + AttackRealm.abbreviate(both[0].body())
                    + "; registration " + both[1].status() + " " + AttackRealm.abbreviate(both[1].body());
            assertFalse(serviceAccount && malloryHolds, "a service account with mallory's key: " + round);
        }
    }

    /** OpenID Connect registration metadata for a private_key_jwt client with one RSA key ({@code kid}). */
    private static String registration(String clientId, String kid, int redirectUris) throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        java.security.interfaces.RSAPublicKey key = (java.security.interfaces.RSAPublicKey) generator.generateKeyPair().getPublic();
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        StringBuilder uris = new StringBuilder();
        for (int i = 0; i < redirectUris; i++) {
            uris.append(i == 0 ? "" : ",").append("\"http://127.0.0.1/plain-app/r").append(i).append("/*\"");
        }
        return "{\"client_id\":\"" + clientId + "\",\"redirect_uris\":[" + uris + "],\"token_endpoint_auth_method\":\"private_key_jwt\","
                + "\"grant_types\":[\"authorization_code\"],\"response_types\":[\"code\"],\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"kid\":\""
                + kid + "\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"" + b64.encodeToString(unsigned(key.getModulus()))
                + "\",\"e\":\"" + b64.encodeToString(unsigned(key.getPublicExponent())) + "\"}]}}";
    }

    private static byte[] unsigned(java.math.BigInteger n) {
        byte[] b = n.toByteArray();
        return b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
    }

    // ------------------------------------------------------------------ steps

    /** Sends both requests at the same moment and waits for both answers. */
    private static HttpAdmin.Response[] together(Supplier<HttpAdmin.Response> first, Supplier<HttpAdmin.Response> second)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        CompletableFuture<HttpAdmin.Response> a = CompletableFuture.supplyAsync(() -> awaitThen(start, first));
        CompletableFuture<HttpAdmin.Response> b = CompletableFuture.supplyAsync(() -> awaitThen(start, second));
        Thread.sleep(50);
        start.countDown();
        return new HttpAdmin.Response[] {a.get(), b.get()};
    }

    private static HttpAdmin.Response awaitThen(CountDownLatch start, Supplier<HttpAdmin.Response> request) {
        try {
            start.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return request.get();
    }
}
