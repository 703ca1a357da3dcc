package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Twelfth red-team review (2026-12-06), the change-request lifecycle: an approver who sets a client's credential holds
 * it, as one who reads it does. ann (approver and realm admin) created an ordinary client with a secret of her choosing
 * ({@code POST /clients}, not guarded: no service account), asked for its service account (held; ben approved, seeing
 * nothing of who held the secret), had it granted {@code manage-users} (held, ben approved), then used the service
 * account to ask for olive to become an approver and approved that request herself: only a <em>read</em> of the
 * credential kept an approver out, and a write was never recorded. Each test works in a realm of its own copied from
 * {@code guard-attack-fifth} (ann and ben approve and administer, olive holds no role) and is judged by who holds the
 * approver role in the end. ben, who never saw the secret, may still approve: the second person stays possible.
 */
@ExtendWith(KeycloakExtension.class)
class AttackTwelfthReviewIT {

    private static final String SECRET = "ann-chose-this-secret-0123456789";

    /** The review's path: the secret sent with an unguarded client create. */
    @Test
    void anApproverWhoCreatedAClientWithHerSecretDoesNotApproveItsServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "create", rep -> { });
        HttpAdmin.Response created = createOrdinaryClient(r, r.token("ann"), "ann-bot", SECRET);
        assertEquals(201, created.status(), "an ordinary client is everyday work: " + created.body());
        enableServiceAccountAndGrantManageUsers(r, "ann-bot");
        assertHolderCannotMakeOliveAnApprover(r, "ann-bot");
    }

    /** The same secret set later, on an ordinary client someone else created ({@code PUT /clients/{id}}, not guarded). */
    @Test
    void anApproverWhoSetAnOrdinaryClientsSecretDoesNotApproveItsServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "update", rep -> { });
        String master = r.master();
        assertEquals(201, r.http.post(r.admin + "/clients", master, "{\"clientId\":\"shared-bot\",\"publicClient\":false,"
                + "\"standardFlowEnabled\":false}").status());
        HttpAdmin.Response set = r.http.put(r.admin + "/clients/" + r.clientUuid("shared-bot"), r.token("ann"),
                "{\"secret\":\"" + SECRET + "\"}");
        assertEquals(204, set.status(), "an ordinary client's secret is not guarded: " + set.body());
        enableServiceAccountAndGrantManageUsers(r, "shared-bot");
        assertHolderCannotMakeOliveAnApprover(r, "shared-bot");
    }

    /** Through the client admin API v2, whose create passes for a client without a service account. */
    @Test
    void anApproverWhoCreatedAClientThroughApiV2WithHerSecretDoesNotApproveItsServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "v2", rep -> { });
        HttpAdmin.Response created = r.http.post("/admin/api/" + r.name + "/clients/v2", r.token("ann"),
                "{\"clientId\":\"ann-v2-bot\",\"protocol\":\"openid-connect\",\"enabled\":true,\"auth\":{\"method\":\"client-secret\","
                        + "\"secret\":\"" + SECRET + "\"}}");
        assertEquals(201, created.status(), "a v2 client without a service account passes: " + created.body());
        assertEquals(SECRET, r.read("/clients/" + r.clientUuid("ann-v2-bot") + "/client-secret").path("value").asText(),
                "Keycloak stored ann's secret");
        letV2ClientsTokensCarryRoles(r, "ann-v2-bot");
        enableServiceAccountAndGrantManageUsers(r, "ann-v2-bot");
        assertHolderCannotMakeOliveAnApprover(r, "ann-v2-bot");
    }

    /**
     * (Fourteenth review.) A v2 create without a secret: Keycloak generates one and answers it to ann. The answer was
     * recorded in a transaction of its own, which could not see the client not yet committed, so nothing was recorded
     * and ann later approved what she requested as the client's service account.
     */
    @Test
    void anApproverWhoReceivedASecretApiV2GeneratedDoesNotApproveItsServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "v2gen", rep -> { });
        HttpAdmin.Response created = r.http.post("/admin/api/" + r.name + "/clients/v2", r.token("ann"),
                "{\"clientId\":\"ann-v2-gen\",\"protocol\":\"openid-connect\",\"enabled\":true,"
                        + "\"auth\":{\"method\":\"client-secret\"}}");
        assertEquals(201, created.status(), "a v2 client without a service account passes: " + created.body());
        String generated = created.json().at("/auth/secret").asText();
        assertFalse(generated.isBlank(), "Keycloak answers the secret it generated: " + created.body());
        // The chain names the client the create made (its path names none), and not its secret.
        JsonNode chain = r.read("/audit-chain/records?type=ADMIN_WRITE_UNRECORDED");
        assertTrue(chain.toString().contains("\"clientId\":\"ann-v2-gen\""), chain.toString());
        assertFalse(chain.toString().contains(generated), "the secret is not in the chain");
        assertEquals(generated, r.read("/clients/" + r.clientUuid("ann-v2-gen") + "/client-secret").path("value").asText());
        letV2ClientsTokensCarryRoles(r, "ann-v2-gen");
        enableServiceAccountAndGrantManageUsers(r, "ann-v2-gen");
        assertHolderCannotMakeOliveAnApprover(r, "ann-v2-gen", generated);
    }

    /**
     * The client admin API v2 creates a client without the realm's default scopes and full scope: its token would carry
     * no roles. ann gives it both (an ordinary client's scopes are not guarded).
     */
    private static void letV2ClientsTokensCarryRoles(AttackRealm r, String clientId) {
        String roles = null;
        for (JsonNode scope : r.read("/client-scopes")) {
            if ("roles".equals(scope.path("name").asText())) {
                roles = scope.path("id").asText();
            }
        }
        HttpAdmin.Response scoped = r.http.put(r.admin + "/clients/" + r.clientUuid(clientId) + "/default-client-scopes/" + roles,
                r.token("ann"), null);
        assertEquals(204, scoped.status(), "a default scope of an ordinary client: " + scoped.body());
        HttpAdmin.Response fullScope = r.http.put(r.admin + "/clients/" + r.clientUuid(clientId), r.token("ann"),
                "{\"fullScopeAllowed\":true}");
        assertEquals(204, fullScope.status(), "an ordinary client's scope: " + fullScope.body());
    }

    /** Through a partial import of an ordinary client with a secret: held, and applied by ben. */
    @Test
    void anApproverWhoImportedAClientWithHerSecretDoesNotApproveItsServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "import", rep -> { });
        HttpAdmin.Response imported = r.http.post(r.admin + "/partialImport", r.token("ann"), "{\"ifResourceExists\":\"FAIL\","
                + "\"clients\":[{\"clientId\":\"ann-imported\",\"publicClient\":false,\"standardFlowEnabled\":false,"
                + "\"secret\":\"" + SECRET + "\"}]}");
        AttackRealm.assertHeld(imported, "ann importing a client with a secret");
        approveAndApplyAsBen(r, imported);
        enableServiceAccountAndGrantManageUsers(r, "ann-imported");
        assertHolderCannotMakeOliveAnApprover(r, "ann-imported");
    }

    /**
     * Held, the create of a service account with a secret of ann's choosing is applied by ben, who approved it: the
     * requester, who sent the secret, holds it, whoever applies.
     */
    @Test
    void aRequesterWhoseHeldCreateSetTheSecretDoesNotApproveTheServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "held", rep -> { });
        HttpAdmin.Response held = r.http.post(r.admin + "/clients", r.token("ann"), "{\"clientId\":\"ann-held-bot\","
                + "\"publicClient\":false,\"standardFlowEnabled\":false,\"serviceAccountsEnabled\":true,"
                + "\"secret\":\"" + SECRET + "\"}");
        AttackRealm.assertHeld(held, "ann creating a service-account client");
        approveAndApplyAsBen(r, held);
        grantManageUsers(r, "ann-held-bot");
        assertHolderCannotMakeOliveAnApprover(r, "ann-held-bot");
    }

    /**
     * (Code review of the fix.) Keycloak stores a client's secret as sent: its mask {@code **********} is no "unchanged"
     * there, it becomes the secret. ann's client with that secret is hers as any other.
     */
    @Test
    void aSecretThatLooksLikeKeycloaksMaskIsStillTheWritersSecret(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "mask", rep -> { });
        String mask = "**********";
        HttpAdmin.Response created = createOrdinaryClient(r, r.token("ann"), "ann-masked", mask);
        assertEquals(201, created.status(), created.body());
        enableServiceAccountAndGrantManageUsers(r, "ann-masked");
        assertHolderCannotMakeOliveAnApprover(r, "ann-masked", mask);
    }

    /**
     * (Code review of the fix.) A write made with a service account's token is recorded under the service account. ann
     * holds sa-automation's secret (she read it) and, as sa-automation ({@code manage-clients}), created a client with
     * a secret of her choosing: she holds that client's credential through sa-automation.
     */
    @Test
    void aSecretSetThroughAServiceAccountOfHersIsHers(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "through", rep -> { });
        String ann = r.token("ann");
        String automationSecret = r.http.get(r.admin + "/clients/" + r.clientUuid("sa-automation") + "/client-secret", ann).json()
                .path("value").asText();
        String automation = r.http.clientCredentials(r.name, "sa-automation", automationSecret).path("access_token").asText();
        HttpAdmin.Response created = createOrdinaryClient(r, automation, "ann-relayed", SECRET);
        assertEquals(201, created.status(), "sa-automation (manage-clients) creates an ordinary client: " + created.body());
        enableServiceAccountAndGrantManageUsers(r, "ann-relayed");
        assertHolderCannotMakeOliveAnApprover(r, "ann-relayed");
    }

    /**
     * (Code review of the fix.) A client authenticating by a federated assertion ({@code jwt.credential.issuer}) trusts
     * whatever the named identity provider's keys sign: ann, who created that provider (held, approved and applied by
     * ben), holds the credential of fed-bot, a service account naming it.
     */
    @Test
    void whoConfiguresTheIdentityProviderOfAFederatedClientHoldsItsCredential(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "federated", rep -> {
            ObjectNode client = ((ArrayNode) rep.path("clients")).addObject();
            client.put("clientId", "fed-bot");
            client.put("secret", "fed-bot-secret");
            client.put("publicClient", false);
            client.put("standardFlowEnabled", false);
            client.put("serviceAccountsEnabled", true);
            client.putObject("attributes").put("jwt.credential.issuer", "ann-idp").put("jwt.credential.sub", "fed-bot");
            ObjectNode user = ((ArrayNode) rep.path("users")).addObject();
            user.put("username", "service-account-fed-bot");
            user.put("enabled", true);
            user.put("serviceAccountClientId", "fed-bot");
            user.putObject("clientRoles").putArray("realm-management").add("manage-users");
        });
        HttpAdmin.Response idp = r.http.post(r.admin + "/identity-provider/instances", r.token("ann"), "{\"alias\":\"ann-idp\","
                + "\"providerId\":\"oidc\",\"enabled\":true,\"config\":{\"issuer\":\"https://ann.invalid\","
                + "\"authorizationUrl\":\"https://ann.invalid/auth\",\"tokenUrl\":\"https://ann.invalid/token\","
                + "\"clientId\":\"kc\",\"clientSecret\":\"kc-secret\",\"useJwksUrl\":\"true\","
                + "\"jwksUrl\":\"https://ann.invalid/jwks\",\"supportsClientAssertions\":\"true\"}}");
        if (idp.status() == 202) {
            approveAndApplyAsBen(r, idp);
        } else {
            assertEquals(201, idp.status(), idp.body());
        }
        assertHolderCannotMakeOliveAnApprover(r, "fed-bot", "fed-bot-secret");
    }

    /**
     * (Second round, live.) The same trick with a person instead of a service account: ann created report-runner with a
     * password of hers (an ordinary user: not guarded), asked for {@code manage-users} for it (held, ben approved), then
     * signed in as report-runner, asked for olive as an approver and approved that herself. Whoever set how a user signs
     * in (a password, an email address, a linked identity) holds that user, and does not approve its requests.
     */
    @Test
    void anApproverWhoSetAUsersPasswordDoesNotApproveThatUsersRequests(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "puppet", rep -> { });
        HttpAdmin.Response created = r.http.post(r.admin + "/users", r.token("ann"), person("report-runner"));
        assertEquals(201, created.status(), "an ordinary user is everyday work: " + created.body());
        grantManageUsersToUser(r, r.userId("report-runner"));
        assertHolderCannotApproveWhatThePersonAsks(r, "report-runner");
    }

    /**
     * (Second round, live.) Client registration with an initial access token: ann asked for the token (held, ben
     * approved, ann applied and got it in the answer), registered a client with a secret of hers (the token names no
     * person), had its service account turned on and granted {@code manage-users} (held, ben approved both), and
     * approved what the service account then asked. The token's holder holds every client registered with it.
     */
    @Test
    void theHolderOfAnInitialAccessTokenHoldsTheClientsRegisteredWithIt(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "dcr", rep -> { });
        String initialAccess = r.approvedInitialAccessToken("ann", "ben");

        HttpAdmin.Response registered = r.http.post("/realms/" + r.name + "/clients-registrations/default", initialAccess,
                "{\"clientId\":\"ann-registered\",\"publicClient\":false,\"standardFlowEnabled\":false,"
                        + "\"secret\":\"" + SECRET + "\"}");
        assertEquals(201, registered.status(), "registration with the token: " + registered.body());
        enableServiceAccountAndGrantManageUsers(r, "ann-registered");
        assertHolderCannotMakeOliveAnApprover(r, "ann-registered");
    }

    /**
     * (Found while fixing the above.) Client registration with an admin's own access token was to record the new client's
     * credential as read by the admin; the record looked for the client in a transaction of its own, before the
     * registration had committed it, and silently found nothing. Recorded in the registration's transaction now.
     */
    @Test
    void anApproverWhoRegisteredAClientWithHerAccessTokenDoesNotApproveItsServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "dcr-admin", rep -> { });
        HttpAdmin.Response registered = r.http.post("/realms/" + r.name + "/clients-registrations/default", r.token("ann"),
                "{\"clientId\":\"ann-self-registered\",\"publicClient\":false,\"standardFlowEnabled\":false,"
                        + "\"secret\":\"" + SECRET + "\"}");
        assertEquals(201, registered.status(), "registration with ann's access token: " + registered.body());
        enableServiceAccountAndGrantManageUsers(r, "ann-self-registered");
        assertHolderCannotMakeOliveAnApprover(r, "ann-self-registered");
    }

    /**
     * (Code review of the second round.) Impersonating an ordinary user passes unheld, and the impersonated session can
     * set the user's password: ann, who impersonated imp-runner, holds it. (The test signs in as imp-runner with the
     * password it was created with, standing for the one ann would have set in that session.)
     */
    @Test
    void anApproverWhoImpersonatedAUserDoesNotApproveThatUsersRequests(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "impersonated", rep -> { });
        assertEquals(201, r.http.post(r.admin + "/users", r.master(), person("imp-runner")).status());
        String runner = r.userId("imp-runner");
        HttpAdmin.Response impersonated = r.http.post(r.admin + "/users/" + runner + "/impersonation", r.token("ann"), null);
        assertEquals(200, impersonated.status(), "impersonating an ordinary user passes: " + impersonated.body());
        grantManageUsersToUser(r, runner);
        assertHolderCannotApproveWhatThePersonAsks(r, "imp-runner");
    }

    /**
     * (Code review of the second round.) ann's service account ann-bot created puppet with a password; then ann had
     * ann-bot's service account turned off (held, ben approved: it looks like retiring a bot), which deletes its user,
     * where the record of puppet's holder pointed. The record names ann-bot's client too: ann still holds puppet.
     */
    @Test
    void aPersonSetUpThroughAServiceAccountStaysHeldAfterTheServiceAccountIsTurnedOff(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "retired", rep -> { });
        assertEquals(201, createOrdinaryClient(r, r.token("ann"), "ann-bot", SECRET).status());
        enableServiceAccountAndGrantManageUsers(r, "ann-bot");
        String bot = r.http.clientCredentials(r.name, "ann-bot", SECRET).path("access_token").asText();
        HttpAdmin.Response created = r.http.post(r.admin + "/users", bot, person("puppet"));
        assertEquals(201, created.status(), "ann-bot (manage-users) creates an ordinary user: " + created.body());
        HttpAdmin.Response retire = r.http.put(r.admin + "/clients/" + r.clientUuid("ann-bot"), r.token("ann"),
                "{\"serviceAccountsEnabled\":false}");
        AttackRealm.assertHeld(retire, "ann turning ann-bot's service account off");
        approveAndApplyAsBen(r, retire);
        grantManageUsersToUser(r, r.userId("puppet"));
        assertHolderCannotApproveWhatThePersonAsks(r, "puppet");
    }

    /**
     * Not over-blocking: a client whose secret Keycloak generated and only mallory read; ann, who neither read nor set
     * it, approves its service account's request.
     */
    @Test
    void anApproverWhoNeverHeldTheCredentialStillApproves(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "other", rep -> { });
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mallory-bot\",\"publicClient\":false,"
                + "\"standardFlowEnabled\":false}").status());
        String secret = r.http.get(r.admin + "/clients/" + r.clientUuid("mallory-bot") + "/client-secret", mallory).json()
                .path("value").asText();
        enableServiceAccountAndGrantManageUsers(r, "mallory-bot");
        HttpAdmin.Response request = oliveAsApproverRequestedWith(r, "mallory-bot", serviceAccountToken(r, "mallory-bot", secret));
        HttpAdmin.Response byAnn = r.approve(request.json().path("id").asText(), request.json().path("digest").asText(),
                r.token("ann"));
        assertEquals(200, byAnn.status(), "ann never held mallory-bot's credential: " + byAnn.body());
    }

    /**
     * The approver of a service-account turn-on sees who holds the client's credential ({@code credentialHolders} of the
     * change request): ann, who chose the secret, is named, and marked as the requester. For a client whose secret
     * Keycloak generated and mallory never read, mallory's request names neither her nor ann.
     */
    @Test
    void theApproverOfAServiceAccountTurnOnSeesWhoHoldsItsCredential(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twelfth", "view", rep -> { });
        assertEquals(201, createOrdinaryClient(r, r.token("ann"), "ann-view-bot", SECRET).status());
        HttpAdmin.Response byAnn = r.http.put(r.admin + "/clients/" + r.clientUuid("ann-view-bot"), r.token("ann"),
                "{\"serviceAccountsEnabled\":true}");
        AttackRealm.assertHeld(byAnn, "ann turning on ann-view-bot's service account");
        JsonNode annHolders = holdersSeenByBen(r, byAnn);
        assertAll(
                () -> assertTrue(holderNames(annHolders).contains("ann"), annHolders.toString()),
                () -> assertTrue(annHolders.path("requesterHolds").asBoolean(), "ann holds it: " + annHolders),
                () -> assertFalse(holderNames(annHolders).contains("ben"), annHolders.toString()));

        assertEquals(201, r.http.post(r.admin + "/clients", r.master(), "{\"clientId\":\"quiet-bot\",\"publicClient\":false,"
                + "\"standardFlowEnabled\":false}").status());
        HttpAdmin.Response byMallory = r.http.put(r.admin + "/clients/" + r.clientUuid("quiet-bot"), r.token("mallory"),
                "{\"serviceAccountsEnabled\":true}");
        AttackRealm.assertHeld(byMallory, "mallory turning on quiet-bot's service account");
        JsonNode quiet = holdersSeenByBen(r, byMallory);
        assertAll(
                () -> assertFalse(quiet.path("requesterHolds").asBoolean(true), "mallory never read or set it: " + quiet),
                () -> assertFalse(holderNames(quiet).contains("mallory"), quiet.toString()),
                () -> assertFalse(holderNames(quiet).contains("ann"), quiet.toString()));
    }

    // ------------------------------------------------------------------ steps

    /** The change request's {@code credentialHolders} as ben (an approver) reads it. */
    private static JsonNode holdersSeenByBen(AttackRealm r, HttpAdmin.Response held) {
        HttpAdmin.Response seen = r.http.get(r.guard + "/change-requests/"
                + held.json().path("id").asText(), r.token("ben"));
        assertEquals(200, seen.status(), seen.body());
        JsonNode holders = seen.json().path("credentialHolders");
        assertTrue(holders.path("holders").isArray(), "the view names the holders: " + seen.body());
        return holders;
    }

    private static java.util.List<String> holderNames(JsonNode holders) {
        java.util.List<String> names = new java.util.ArrayList<>();
        holders.path("holders").forEach(h -> names.add(h.path("username").asText()));
        return names;
    }

    /** An ordinary user who can sign in with {@code <username>-pass}. */
    private static String person(String username) {
        return "{\"username\":\"" + username + "\",\"email\":\"" + username + "@twelfth.test\",\"firstName\":\"A\","
                + "\"lastName\":\"B\",\"emailVerified\":true,\"enabled\":true,\"credentials\":[{\"type\":\"password\","
                + "\"value\":\"" + username + "-pass\",\"temporary\":false}]}";
    }

    /** ann asks for manage-users for the user (a person or a service account's user); ben approves and applies. */
    private static void grantManageUsersToUser(AttackRealm r, String userId) {
        String management = r.clientUuid("realm-management");
        JsonNode manageUsers = r.read("/clients/" + management + "/roles/manage-users");
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + userId + "/role-mappings/clients/" + management, r.token("ann"),
                "[{\"id\":\"" + manageUsers.path("id").asText() + "\",\"name\":\"manage-users\"}]");
        AttackRealm.assertHeld(grant, "ann granting manage-users to user " + userId);
        approveAndApplyAsBen(r, grant);
    }

    /** The person ({@code <username>-pass}) asks for olive as an approver; ann's approval is refused, ben's is not. */
    private static void assertHolderCannotApproveWhatThePersonAsks(AttackRealm r, String username) {
        String asPerson = r.http.passwordGrant(r.name, "admin-cli", username, username + "-pass", null).path("access_token").asText();
        assertHolderCannotApprove(r, username, asPerson, "You set how the requester signs in");
    }

    /** A confidential client without a service account (not guarded), with this secret. */
    private static HttpAdmin.Response createOrdinaryClient(AttackRealm r, String token, String clientId, String secret) {
        return r.http.post(r.admin + "/clients", token, "{\"clientId\":\"" + clientId + "\",\"publicClient\":false,"
                + "\"standardFlowEnabled\":false,\"secret\":\"" + secret + "\"}");
    }

    /** ann asks for the client's service account and for manage-users on it; ben approves and applies both. */
    private static void enableServiceAccountAndGrantManageUsers(AttackRealm r, String clientId) {
        HttpAdmin.Response enable = r.http.put(r.admin + "/clients/" + r.clientUuid(clientId), r.token("ann"),
                "{\"serviceAccountsEnabled\":true}");
        AttackRealm.assertHeld(enable, "ann turning on " + clientId + "'s service account");
        approveAndApplyAsBen(r, enable);
        grantManageUsers(r, clientId);
    }

    private static void grantManageUsers(AttackRealm r, String clientId) {
        grantManageUsersToUser(r, r.serviceAccountUserId(clientId));
    }

    private static void approveAndApplyAsBen(AttackRealm r, HttpAdmin.Response held) {
        String id = held.json().path("id").asText();
        String ben = r.token("ben");
        HttpAdmin.Response approved = r.approve(id, held.json().path("digest").asText(), ben);
        assertEquals(200, approved.status(), "ben approves: " + approved.body());
        HttpAdmin.Response applied = r.apply(id, ben);
        assertEquals(200, applied.status(), "ben applies: " + applied.body());
        assertEquals("APPLIED", r.changeRequest(id).path("state").asText());
    }

    /**
     * ann, who holds the client's credential, uses the service account to ask for olive as an approver and approves:
     * refused, and olive holds no approver role. ben, who never held it, may approve (the second person).
     */
    private static void assertHolderCannotMakeOliveAnApprover(AttackRealm r, String clientId) {
        assertHolderCannotMakeOliveAnApprover(r, clientId, SECRET);
    }

    private static void assertHolderCannotMakeOliveAnApprover(AttackRealm r, String clientId, String secret) {
        assertHolderCannotApprove(r, clientId, serviceAccountToken(r, clientId, secret), "read or set the credential");
    }

    private static String serviceAccountToken(AttackRealm r, String clientId, String secret) {
        String token = r.http.clientCredentials(r.name, clientId, secret).path("access_token").asText();
        assertFalse(token.isEmpty(), clientId + " gets a token with " + (SECRET.equals(secret) ? "ann's" : "its") + " secret");
        return token;
    }

    /** The requester ({@code token}) asks for olive to hold the approver role: held. */
    private static HttpAdmin.Response oliveAsApproverRequestedWith(AttackRealm r, String who, String token) {
        JsonNode approver = r.realmRole("nhi-approver");
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.userId("olive") + "/role-mappings/realm", token,
                "[{\"id\":\"" + approver.path("id").asText() + "\",\"name\":\"nhi-approver\"}]");
        AttackRealm.assertHeld(held, who + " making olive an approver");
        return held;
    }

    /** ann's approval of what the requester asks is refused with {@code why}; nothing applies; ben may approve. */
    private static void assertHolderCannotApprove(AttackRealm r, String who, String token, String why) {
        HttpAdmin.Response request = oliveAsApproverRequestedWith(r, who, token);
        String id = request.json().path("id").asText();
        String digest = request.json().path("digest").asText();
        HttpAdmin.Response byAnn = r.approve(id, digest, r.token("ann"));
        HttpAdmin.Response applied = r.apply(id, token);
        assertAll(
                () -> assertEquals(403, byAnn.status(), "ann holds " + who + ": " + byAnn.body()),
                () -> assertTrue(byAnn.body().contains(why), byAnn.body()),
                () -> assertTrue(applied.status() >= 400, "nothing approved, nothing applied: " + applied.body()),
                () -> assertFalse(r.directHolders("nhi-approver").contains("olive"), "olive is no approver"),
                () -> assertFalse(r.effectiveRealmRoles(r.userId("olive")).contains("nhi-approver"), "olive holds no approver role"),
                () -> assertEquals(200, r.approve(id, digest, r.token("ben")).status(), "ben, who never held it, approves"));
    }
}
