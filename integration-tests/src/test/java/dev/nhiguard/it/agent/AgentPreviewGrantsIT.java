package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.it.OffByDefaultFeaturesExtension;
import dev.nhiguard.it.OffByDefaultFeaturesExtension.OffByDefaultFeatures;
import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.ServerChecks;

/**
 * Grants behind Keycloak features that are off by default, with an agent's credential, on the run's server with those
 * features on ({@link OffByDefaultFeaturesExtension}): they are not on the shared one.
 *
 * <p>OID4VCI's pre-authorized code grant ({@code urn:ietf:params:oauth:grant-type:pre-authorized_code}) gives a token of
 * the client a credential offer names to whoever holds the offer's code: no client authentication, no client-policy
 * event, and the client need only be enabled, which a suspended agent is. A red-team review (tenth, 2026-12-06) found
 * an agent's offers redeemable without its key and after its suspension. The agent module replaces the grant type and
 * refuses agents; an ordinary client's offer still gives a token.
 *
 * <p>Keycloak's legacy token exchange ({@code token-exchange}): its provider serves every exchange the standard one
 * does not, among them {@code requested_subject} (impersonation of any user the subject token's user may impersonate)
 * and the exchanges of an agent whose standard exchange is off, and it issues tokens without {@code act}. The eleventh
 * red-team review (2026-12-06) had an agent act for any user of its realm that way, with its owner's token. An agent
 * exchanges by standard token exchange only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OffByDefaultFeaturesExtension.class)
class AgentPreviewGrantsIT {

    static final String PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
    static final String REALM = "agent-oid4vci";

    private DistributionKeycloak keycloak;
    private AgentApi api;

    @BeforeAll
    void start(OffByDefaultFeatures server) {
        keycloak = server.keycloak();
        api = new AgentApi(keycloak, REALM);
        HttpAdmin.Response realm = api.http.post("/admin/realms", api.adminToken(), AgentApi.json(Map.of("realm", REALM,
                "enabled", true, "verifiableCredentialsEnabled", true,
                "attributes", Map.of("nhi.guard.policy", "{\"guardedOperations\":[]}"),
                // Keycloak creates the role offers to other users need only in realms created with the feature on
                "roles", Map.of("realm", List.of(Map.of("name", "credential-offer-create"))),
                "users", List.of(Map.of("username", "olga", "enabled", true, "email", "olga@example.org", "emailVerified", true,
                        "firstName", "Olga", "lastName", "Owner",
                        "credentials", List.of(Map.of("type", "password", "value", "olga-pass", "temporary", false))),
                        Map.of("username", "ursula", "enabled", true, "email", "ursula@example.org", "emailVerified", true,
                        "firstName", "Ursula", "lastName", "User",
                        "credentials", List.of(Map.of("type", "password", "value", "ursula-pass", "temporary", false)))))));
        assertEquals(201, realm.status(), realm.body());
        created(api.http.post(admin() + "/client-scopes", api.adminToken(), AgentApi.json(Map.of("name", "test-vc",
                "protocol", "oid4vc", "attributes", Map.of("vc.credential_configuration_id", "test-vc-config",
                        "vc.format", "dc+sd-jwt")))));
        created(api.http.post(admin() + "/clients", api.adminToken(), AgentApi.json(Map.of("clientId", "vc-wallet",
                "publicClient", true, "directAccessGrantsEnabled", true, "standardFlowEnabled", false,
                "attributes", Map.of("oid4vci.enabled", "true"), "optionalClientScopes", List.of("test-vc")))));
        HttpAdmin.Response credential = api.http.post(admin() + "/users/" + api.userId("olga") + "/vc/credentials",
                api.adminToken(), "{\"credentialScopeName\":\"test-vc\"}");
        assertTrue(credential.status() / 100 == 2, "olga's verifiable credential entry: " + credential.body());
    }

    @AfterAll
    void noErrors() {
        ServerChecks.assertNoErrorsLogged(keycloak);
    }

    @Test
    void anOrdinaryClientsOfferGivesAToken() {
        String olga = api.http.passwordGrant(REALM, "vc-wallet", "olga", "olga-pass", null).get("access_token").asText();
        HttpAdmin.Response token = redeem(offerCode(olga, null));
        assertEquals(200, token.status(), "the pre-authorized code of vc-wallet's offer: " + token.body());
        assertEquals("vc-wallet", AgentApi.claims(token.json().path("access_token").asText()).path("azp").asText());
    }

    @Test
    void anAgentsOfferGivesNoTokenActiveOrSuspended() {
        AgentKey key = new AgentKey();
        JsonNode agent = api.registerOk(AgentApi.registration("vc-bot", key, List.of()));
        String id = agent.path("id").asText();
        ObjectNode client = (ObjectNode) api.client(id);
        ((ObjectNode) client.path("attributes")).put("oid4vci.enabled", "true");
        api.putClient(id, client);
        String serviceAccount = api.http.get(admin() + "/clients/" + id + "/service-account-user", api.adminToken())
                .json().path("id").asText();
        JsonNode role = api.http.get(admin() + "/roles/credential-offer-create", api.adminToken()).json();
        assertEquals(204, api.http.post(admin() + "/users/" + serviceAccount + "/role-mappings/realm", api.adminToken(),
                "[" + role + "]").status());
        HttpAdmin.Response own = api.clientCredentialsWithKey("vc-bot", key, key.thumbprint(), null);
        assertEquals(200, own.status(), own.body());
        String bearer = own.json().path("access_token").asText();
        String beforeSuspension = offerCode(bearer, "olga");
        String afterSuspension = offerCode(bearer, "olga");

        HttpAdmin.Response active = redeem(beforeSuspension);
        assertEquals(200, api.action(id, "suspend", "test").status());
        HttpAdmin.Response suspended = redeem(afterSuspension);
        assertAll(
                () -> assertEquals(400, active.status(), "the active agent's code: " + active.body()),
                () -> assertEquals("unauthorized_client", active.json().path("error").asText(), active.body()),
                () -> assertFalse(active.body().contains("access_token"), active.body()),
                () -> assertEquals(400, suspended.status(), "the suspended agent's code, made before: " + suspended.body()),
                () -> assertEquals("unauthorized_client", suspended.json().path("error").asText(), suspended.body()));
    }

    /**
     * Nineteenth red-team review (2026-12-07): a realm admin granted herself {@code credential-offer-create} and made
     * pre-authorized offers for an approver and for a service account's user (each with a verifiable-credential entry,
     * an unheld write): each code gave, with no password and no client authentication, an access token of that user with
     * its roles ({@code nhi-approver}, realm-admin; the service account's roles without its secret). In a realm the guard
     * guards, such offers are refused when they are made; an ordinary user's offer still gives a token. Judged by the
     * token endpoint's answer.
     */
    @Test
    void aPreAuthorizedOfferForAGuardedSubjectIsRefusedWhenMade() {
        String realm = "vc-guarded";
        AgentApi guarded = vcRealm(realm, Map.of());
        String admin = "/admin/realms/" + realm;
        String serviceAccount = "service-account-sa-x";
        String mallory = guarded.http.passwordGrant(realm, "vc-wallet", "mallory", "mallory-pass", null)
                .get("access_token").asText();

        HttpAdmin.Response forAnn = offer(realm, mallory, "ann");
        HttpAdmin.Response forServiceAccount = offer(realm, mallory, serviceAccount);
        HttpAdmin.Response forUrsula = offer(realm, mallory, "ursula");
        assertAll(
                () -> assertRefusedOffer(forAnn, "the approver ann"),
                () -> assertRefusedOffer(forServiceAccount, "sa-x's service account"),
                () -> assertEquals(200, forUrsula.status(), "an ordinary user's offer: " + forUrsula.body()));
        HttpAdmin.Response token = redeem(realm, preAuthorizedCode(forUrsula));
        assertEquals(200, token.status(), "ursula's code: " + token.body());
        assertEquals(guarded.userId("ursula"), AgentApi.claims(token.json().path("access_token").asText()).path("sub").asText());
        // On the record: the two refused offers, the one made, and the token given for its code.
        api.http.get(admin + "/audit-chain/head", api.adminToken()); // a read sequences what is staged
        HttpAdmin.Response records = api.http.get(admin + "/audit-chain/records?limit=200&after=0", api.adminToken());
        assertEquals(200, records.status(), records.body());
        Map<String, Integer> types = new java.util.HashMap<>();
        records.json().path("records").forEach(rec -> types.merge(rec.path("type").asText(), 1, Integer::sum));
        assertAll(
                () -> assertEquals(2, types.getOrDefault("VERIFIABLE_CREDENTIAL_CREATE_OFFER_ERROR", 0), types.toString()),
                () -> assertEquals(1, types.getOrDefault("VERIFIABLE_CREDENTIAL_CREATE_OFFER", 0), types.toString()),
                () -> assertEquals(1, types.getOrDefault("VERIFIABLE_CREDENTIAL_PRE_AUTHORIZED_GRANT", 0), types.toString()));
    }

    /**
     * A realm with verifiable credentials on: ann (approver), mallory (may make offers for others), ursula, the service
     * account of {@code sa-x}, each with a verifiable-credential entry, and the wallet client {@code vc-wallet}.
     */
    private AgentApi vcRealm(String realm, Map<String, Object> attributes) {
        HttpAdmin.Response created = api.http.post("/admin/realms", api.adminToken(), AgentApi.json(Map.of("realm", realm,
                "enabled", true, "verifiableCredentialsEnabled", true, "attributes", attributes,
                "roles", Map.of("realm", List.of(Map.of("name", "credential-offer-create"), Map.of("name", "nhi-approver"))),
                "users", List.of(user("ann", List.of("nhi-approver")), user("mallory", List.of("credential-offer-create")),
                        user("ursula", List.of())),
                "clients", List.of(Map.of("clientId", "sa-x", "publicClient", false, "secret", "sa-x-secret",
                        "serviceAccountsEnabled", true, "standardFlowEnabled", false)))));
        assertEquals(201, created.status(), created.body());
        AgentApi vc = new AgentApi(keycloak, realm);
        String admin = "/admin/realms/" + realm;
        created(vc.http.post(admin + "/client-scopes", api.adminToken(), AgentApi.json(Map.of("name", "test-vc",
                "protocol", "oid4vc", "attributes", Map.of("vc.credential_configuration_id", "test-vc-config",
                        "vc.format", "dc+sd-jwt")))));
        created(vc.http.post(admin + "/clients", api.adminToken(), AgentApi.json(Map.of("clientId", "vc-wallet",
                "publicClient", true, "directAccessGrantsEnabled", true, "standardFlowEnabled", false,
                "attributes", Map.of("oid4vci.enabled", "true"), "optionalClientScopes", List.of("test-vc")))));
        for (String username : List.of("ann", "ursula", "service-account-sa-x")) {
            HttpAdmin.Response entry = vc.http.post(admin + "/users/" + vc.userId(username) + "/vc/credentials",
                    api.adminToken(), "{\"credentialScopeName\":\"test-vc\"}");
            assertTrue(entry.status() / 100 == 2, username + "'s verifiable credential entry: " + entry.body());
        }
        return vc;
    }

    /**
     * A code review of the fix: a code made while its user was not guarded (an offer of thirty days, the user promoted
     * to approver since) still gave a token. The code is judged again when it is redeemed; here the offers are made while
     * the realm's policy guards nothing, and redeemed once it guards.
     */
    @Test
    void aPreAuthorizedCodeWhoseUserIsGuardedByNowGivesNoToken() {
        String realm = "vc-later";
        AgentApi later = vcRealm(realm, Map.of("nhi.guard.policy", "{\"guardedOperations\":[]}"));
        String mallory = later.http.passwordGrant(realm, "vc-wallet", "mallory", "mallory-pass", null).get("access_token").asText();
        HttpAdmin.Response forAnn = offer(realm, mallory, "ann");
        HttpAdmin.Response forServiceAccount = offer(realm, mallory, "service-account-sa-x");
        assertEquals(200, forAnn.status(), "made while the realm guards nothing: " + forAnn.body());
        assertEquals(200, forServiceAccount.status(), forServiceAccount.body());
        String annsCode = preAuthorizedCode(forAnn);
        JsonNode rep = later.http.get("/admin/realms/" + realm, api.adminToken()).json();
        ((ObjectNode) rep.with("attributes")).remove("nhi.guard.policy");
        assertEquals(204, later.http.put("/admin/realms/" + realm, api.adminToken(),
                "{\"attributes\":" + rep.get("attributes") + "}").status(), "the default policy from now on");

        HttpAdmin.Response token = redeem(realm, annsCode);
        assertAll(
                () -> assertEquals(400, token.status(), "ann's code: " + token.body()),
                () -> assertEquals("unauthorized_client", token.json().path("error").asText(), token.body()),
                () -> assertFalse(token.body().contains("access_token"), token.body()));
    }

    /**
     * The agent module's grant refuses a service account's code as well (an offer made where the guard does not refuse
     * it: here a realm whose policy guards nothing), after Keycloak has checked the code and before any token is made.
     */
    @Test
    void aServiceAccountsPreAuthorizedCodeGivesNoToken() {
        created(api.http.post(admin() + "/clients", api.adminToken(), AgentApi.json(Map.of("clientId", "sa-vc",
                "publicClient", false, "secret", "sa-vc-secret", "serviceAccountsEnabled", true, "standardFlowEnabled", false))));
        String serviceAccount = api.userId("service-account-sa-vc");
        HttpAdmin.Response entry = api.http.post(admin() + "/users/" + serviceAccount + "/vc/credentials", api.adminToken(),
                "{\"credentialScopeName\":\"test-vc\"}");
        assertTrue(entry.status() / 100 == 2, "the service account's verifiable credential entry: " + entry.body());
        JsonNode role = api.http.get(admin() + "/roles/credential-offer-create", api.adminToken()).json();
        assertEquals(204, api.http.post(admin() + "/users/" + api.userId("ursula") + "/role-mappings/realm", api.adminToken(),
                "[" + role + "]").status());
        String ursula = api.http.passwordGrant(REALM, "vc-wallet", "ursula", "ursula-pass", null).get("access_token").asText();

        HttpAdmin.Response token = redeem(REALM, offerCode(ursula, "service-account-sa-vc"));
        assertAll(
                () -> assertEquals(400, token.status(), "the service account's code: " + token.body()),
                () -> assertEquals("unauthorized_client", token.json().path("error").asText(), token.body()),
                () -> assertFalse(token.body().contains("access_token"), token.body()));
    }

    private static Map<String, Object> user(String username, List<String> roles) {
        return Map.of("username", username, "enabled", true, "email", username + "@example.org", "emailVerified", true,
                "firstName", username, "lastName", "Test", "realmRoles", roles,
                "credentials", List.of(Map.of("type", "password", "value", username + "-pass", "temporary", false)));
    }

    private HttpAdmin.Response offer(String realm, String bearer, String targetUser) {
        return api.http.get("/realms/" + realm + "/protocol/oid4vc/create-credential-offer"
                + "?credential_configuration_id=test-vc-config&pre_authorized=true&target_user=" + enc(targetUser), bearer);
    }

    private static void assertRefusedOffer(HttpAdmin.Response r, String who) {
        assertEquals(400, r.status(), "the offer for " + who + ": " + r.body());
        assertTrue(r.json().path("error_description").asText().contains("NHI Guard"), "the offer for " + who + ": " + r.body());
        assertFalse(r.body().contains("nonce"), r.body());
    }

    private String preAuthorizedCode(HttpAdmin.Response offer) {
        HttpAdmin.Response grants = api.http.get(offer.json().path("issuer").asText() + "/" + offer.json().path("nonce").asText(), null);
        assertEquals(200, grants.status(), grants.body());
        String code = grants.json().path("grants").path(PRE_AUTH).path("pre-authorized_code").asText("");
        assertFalse(code.isEmpty(), "the offer's pre-authorized code: " + grants.body());
        return code;
    }

    /**
     * olga owns the agent and may impersonate (realm-management's {@code impersonation}, as every realm admin). With
     * her token, the agent asked the legacy provider for ursula ({@code requested_subject}) and for olga with its
     * standard exchange off: both gave tokens without {@code act}. Now refused; the standard exchange for olga still
     * gives a token that names the agent in {@code act}.
     */
    @Test
    void anAgentExchangesByStandardTokenExchangeOnly() {
        String realmMgmt = api.http.get(admin() + "/clients?clientId=realm-management", api.adminToken()).json().get(0).get("id").asText();
        JsonNode impersonation = api.http.get(admin() + "/clients/" + realmMgmt + "/roles/impersonation", api.adminToken()).json();
        assertEquals(204, api.http.post(admin() + "/users/" + api.userId("olga") + "/role-mappings/clients/" + realmMgmt,
                api.adminToken(), "[" + impersonation + "]").status());
        AgentKey key = new AgentKey();
        Map<String, Object> body = AgentApi.registration("legacy-bot", key, List.of());
        body.put("tokenExchange", true);
        JsonNode agent = api.registerOk(body);
        api.audienceOnAdminCli("legacy-bot");
        String olga = api.realmUserToken("olga");

        HttpAdmin.Response standard = api.exchange("legacy-bot", key, olga, null);
        HttpAdmin.Response impersonating = api.exchange("legacy-bot", key, olga, null, Map.of("requested_subject", "ursula"));
        assertEquals(200, api.updateAgent(agent.path("id").asText(), Map.of("tokenExchange", false)).status());
        HttpAdmin.Response standardOff = api.exchange("legacy-bot", key, olga, null);
        assertAll(
                () -> assertEquals(200, standard.status(), "the standard exchange for the owner: " + standard.body()),
                () -> assertEquals(agent.path("serviceAccountUserId").asText(),
                        AgentApi.claims(standard.json().path("access_token").asText()).at("/act/sub").asText(), standard.body()),
                () -> assertRefusedAsNotStandard(impersonating, "ursula by requested_subject"),
                () -> assertRefusedAsNotStandard(standardOff, "olga with the agent's standard exchange off"));
    }

    /**
     * Twenty-third red-team review: another client's legacy exchange with an agent as its {@code audience} (a v1
     * {@code token-exchange} permission on the agent's client lets it) was built in the agent's client session, so the
     * agent's mapper wrote {@code agent} and {@code act} naming the agent as acting for the subject token's user, into
     * the requester's token: for a user the agent's delegation does not grant, while the agent was suspended. Refused
     * now; the same client's exchange for itself still works and carries no agent claim.
     */
    @Test
    void anotherClientsLegacyExchangeIntoAnAgentIsRefused() {
        AgentKey key = new AgentKey();
        JsonNode agent = api.registerOk(AgentApi.registration("exchanged-into-bot", key, List.of()));
        created(api.http.post(admin() + "/clients", api.adminToken(), AgentApi.json(Map.of("clientId", "gw-legacy",
                "publicClient", false, "secret", "gw-legacy-secret", "standardFlowEnabled", false))));
        String gw = api.http.get(admin() + "/clients?clientId=gw-legacy", api.adminToken()).json().get(0).get("id").asText();
        String realmMgmt = api.http.get(admin() + "/clients?clientId=realm-management", api.adminToken()).json().get(0).get("id").asText();
        HttpAdmin.Response permissions = api.http.put(admin() + "/clients/" + agent.path("id").asText() + "/management/permissions",
                api.adminToken(), "{\"enabled\":true}");
        assertEquals(200, permissions.status(), permissions.body());
        String exchangePermission = permissions.json().path("scopePermissions").path("token-exchange").asText();
        String authz = admin() + "/clients/" + realmMgmt + "/authz/resource-server";
        HttpAdmin.Response policy = api.http.post(authz + "/policy/client", api.adminToken(),
                AgentApi.json(Map.of("name", "gw-legacy-may-exchange", "clients", List.of(gw))));
        created(policy);
        com.fasterxml.jackson.databind.node.ObjectNode permission = (com.fasterxml.jackson.databind.node.ObjectNode)
                api.http.get(authz + "/permission/scope/" + exchangePermission, api.adminToken()).json();
        permission.putArray("policies").add(policy.json().path("id").asText());
        assertEquals(201, api.http.put(authz + "/permission/scope/" + exchangePermission, api.adminToken(), permission.toString()).status());
        api.audienceOnAdminCli("gw-legacy");
        String ursula = api.realmUserToken("ursula");

        HttpAdmin.Response intoAgent = api.http.postForm("/realms/" + REALM + "/protocol/openid-connect/token", Map.of(
                "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange", "client_id", "gw-legacy",
                "client_secret", "gw-legacy-secret", "subject_token", ursula,
                "subject_token_type", "urn:ietf:params:oauth:token-type:access_token", "audience", "exchanged-into-bot"));
        HttpAdmin.Response forItself = api.http.postForm("/realms/" + REALM + "/protocol/openid-connect/token", Map.of(
                "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange", "client_id", "gw-legacy",
                "client_secret", "gw-legacy-secret", "subject_token", ursula,
                "subject_token_type", "urn:ietf:params:oauth:token-type:access_token"));
        assertAll(
                () -> assertEquals(400, intoAgent.status(), "into the agent's session: " + intoAgent.body()),
                () -> assertEquals("access_denied", intoAgent.json().path("error").asText(), intoAgent.body()),
                () -> assertFalse(intoAgent.body().contains("access_token"), intoAgent.body()),
                () -> assertEquals(200, forItself.status(), "the client's exchange for itself: " + forItself.body()),
                () -> assertFalse(AgentApi.claims(forItself.json().path("access_token").asText()).has("agent"), forItself.body()));
    }

    private static void assertRefusedAsNotStandard(HttpAdmin.Response r, String who) {
        assertEquals(400, r.status(), who + ": " + r.body());
        assertEquals("access_denied", r.json().path("error").asText(), who + ": " + r.body());
        assertTrue(r.json().path("error_description").asText().contains("standard token exchange only"), who + ": " + r.body());
        assertFalse(r.body().contains("access_token"), who + ": " + r.body());
    }

    private String admin() {
        return "/admin/realms/" + REALM;
    }

    private static void created(HttpAdmin.Response r) {
        assertEquals(201, r.status(), r.body());
    }

    /** A pre-authorized credential offer made with the bearer's token (for another user: {@code targetUser}), its code. */
    private String offerCode(String bearer, String targetUser) {
        HttpAdmin.Response offer = api.http.get("/realms/" + REALM + "/protocol/oid4vc/create-credential-offer"
                + "?credential_configuration_id=test-vc-config&pre_authorized=true"
                + (targetUser == null ? "" : "&target_user=" + targetUser), bearer);
        assertEquals(200, offer.status(), "the credential offer: " + offer.body());
        return preAuthorizedCode(offer);
    }

    private HttpAdmin.Response redeem(String code) {
        return redeem(REALM, code);
    }

    private HttpAdmin.Response redeem(String realm, String code) {
        return api.http.postForm("/realms/" + realm + "/protocol/openid-connect/token", Map.of("grant_type", PRE_AUTH,
                "pre-authorized_code", code));
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
