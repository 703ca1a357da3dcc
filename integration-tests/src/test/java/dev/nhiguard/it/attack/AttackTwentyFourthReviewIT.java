package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Twenty-fourth red-team review (2026-12-08): links Keycloak's own view does not show. Each test runs in a copy of
 * {@code guard-attack-fifth} (ann and ben approve, mallory administers).
 */
@ExtendWith(KeycloakExtension.class)
class AttackTwentyFourthReviewIT {

    /**
     * mallory linked a client scope to an ordinary client of hers, switched the scope to SAML (Keycloak then leaves it out
     * of the client's scopes, but keeps the link), had the client's service account turned on with an approval that showed
     * nothing of the scope, then gave the scope mappers (a claim, an audience, {@code nhi-approver}) and switched it back:
     * unheld, the service account's token carried them. The guard now finds a scope's clients in Keycloak's link table,
     * whatever the protocols: the approval pins the hidden scope, and its later changes are held.
     */
    @Test
    void aScopeLinkHiddenBySwitchingTheScopesProtocolStillCounts(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentyfourth", "scope", rep -> { });
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mal-pipe\",\"publicClient\":false,"
                + "\"secret\":\"mal-pipe-secret\",\"standardFlowEnabled\":false}").status(), "an ordinary client");
        String pipe = r.clientUuid("mal-pipe");
        HttpAdmin.Response scope = r.http.post(r.admin + "/client-scopes", mallory, "{\"name\":\"s-hidden\",\"protocol\":\"openid-connect\"}");
        assertEquals(201, scope.status(), scope.body());
        String scopeId = scope.header("location").substring(scope.header("location").lastIndexOf('/') + 1);
        assertEquals(204, r.http.put(r.admin + "/clients/" + pipe + "/default-client-scopes/" + scopeId, mallory, null).status(),
                "linking a scope to an ordinary client is no guarded change");
        HttpAdmin.Response toSaml = r.http.put(r.admin + "/client-scopes/" + scopeId, mallory, "{\"name\":\"s-hidden\",\"protocol\":\"saml\"}");
        assertEquals(204, toSaml.status(), "only an ordinary client uses it: " + toSaml.body());
        assertFalse(r.http.get(r.admin + "/clients/" + pipe + "/default-client-scopes", r.master()).body().contains("s-hidden"),
                "fixture: Keycloak's view of the client's scopes no longer lists it");

        HttpAdmin.Response turnOn = r.http.put(r.admin + "/clients/" + pipe, mallory,
                "{\"clientId\":\"mal-pipe\",\"serviceAccountsEnabled\":true}");
        AttackRealm.assertHeld(turnOn, "the service account of mal-pipe");
        String id = turnOn.json().path("id").asText();
        JsonNode request = r.changeRequest(id);
        assertTrue(request.toString().contains(scopeId), "the approval pins the hidden scope: " + request);
        assertEquals(200, r.approve(id, turnOn.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response applied = r.apply(id, mallory);
        assertEquals(200, applied.status(), applied.body());

        HttpAdmin.Response claim = r.http.post(r.admin + "/client-scopes/" + scopeId + "/protocol-mappers/models", mallory,
                "{\"name\":\"hc\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\",\"config\":{"
                        + "\"claim.name\":\"injected\",\"claim.value\":\"after-approval\",\"jsonType.label\":\"String\","
                        + "\"access.token.claim\":\"true\"}}");
        HttpAdmin.Response role = r.http.post(r.admin + "/client-scopes/" + scopeId + "/protocol-mappers/models", mallory,
                "{\"name\":\"hr\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-role-mapper\",\"config\":{"
                        + "\"role\":\"nhi-approver\"}}");
        HttpAdmin.Response back = r.http.put(r.admin + "/client-scopes/" + scopeId, mallory,
                "{\"name\":\"s-hidden\",\"protocol\":\"openid-connect\"}");
        assertAll(
                () -> AttackRealm.assertHeld(claim, "a claim mapper on the hidden scope"),
                () -> AttackRealm.assertHeld(role, "an approver-role mapper on the hidden scope"),
                () -> AttackRealm.assertHeld(back, "switching the hidden scope back to OpenID Connect"));
        assertEquals(204, r.http.post(r.admin + "/clear-realm-cache", r.master(), null).status());
        JsonNode claims = r.serviceAccountClaims("mal-pipe");
        assertAll(
                () -> assertTrue(claims.path("injected").isMissingNode(), claims.toString()),
                () -> assertFalse(claims.path("realm_access").path("roles").toString().contains("nhi-approver"), claims.toString()));
    }
}
