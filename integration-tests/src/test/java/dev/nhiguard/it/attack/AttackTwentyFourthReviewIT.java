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

    /**
     * Keycloak stores a client's secret as sent: a vault reference its vault does not hold, and its own mask, are the
     * secret itself. The guard kept both in clear under a credential's name (as "not a secret"), so a requester's
     * {@code ${vault.…}} client secret stood in the change request, the audit chain, the sinks and Keycloak's stored
     * admin events, and authenticated the service account; a {@code **********} secret read as a mask to the approver.
     * Both are sealed now, wherever the guard and the chain show them.
     */
    @Test
    void aSecretThatLooksLikeAVaultReferenceOrTheMaskIsSealedEverywhere(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentyfourth", "vault", rep -> rep.put("adminEventsEnabled", true)
                .put("adminEventsDetailsEnabled", true));
        String mallory = r.token("mallory");
        long start = r.read("/audit-chain/head").path("seq").asLong();
        String vaulted = "${vault.live-" + Long.toString(System.nanoTime(), 36) + "}";
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mal-vault\",\"publicClient\":false,"
                + "\"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false,\"secret\":\"" + vaulted + "\"}");
        AttackRealm.assertHeld(created, "a service-account client");
        String id = created.json().path("id").asText();
        JsonNode request = r.changeRequest(id);
        assertTrue(request.at("/body/secret/sealed").isTextual(), "sealed in the request: " + request.at("/body"));
        assertEquals(200, r.approve(id, created.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response applied = r.apply(id, mallory);
        assertEquals(200, applied.status(), applied.body());
        assertEquals(200, r.clientCredentialsStatus("mal-vault", vaulted), "fixture: the text is the live secret (no vault holds it)");

        HttpAdmin.Response masked = r.http.put(r.admin + "/clients/" + r.clientUuid("mal-vault"), mallory,
                "{\"clientId\":\"mal-vault\",\"secret\":\"**********\"}");
        AttackRealm.assertHeld(masked, "a new secret that looks like Keycloak's mask");
        JsonNode maskRequest = r.changeRequest(masked.json().path("id").asText());
        assertTrue(maskRequest.at("/body/secret/sealed").isTextual(), "sealed, not shown as a mask: " + maskRequest.at("/body"));
        assertFalse(maskRequest.toString().contains(vaulted), "the current secret is in no image or diff: " + maskRequest);

        String records = r.recordsAfter(start).toString();
        String events = r.http.get(r.admin + "/admin-events?max=1000", r.master()).body();
        assertAll(
                () -> assertTrue(records.contains("mal-vault"), "fixture: the chain has the client's records"),
                () -> assertFalse(records.contains(vaulted), "the chain: " + records),
                () -> assertTrue(events.contains("mal-vault"), "fixture: Keycloak stored the events"),
                () -> assertFalse(events.contains(vaulted), "Keycloak's stored admin events: " + events),
                () -> assertFalse(request.toString().contains(vaulted), "the request: " + request));
    }

    /**
     * A service account owned by an organization's group: Keycloak's list of a user's groups leaves organization groups
     * out, while the owner group's members are counted from the membership table (its reviewers, its mails, the owner's
     * standing). olive, in that group, was no owner to the guard: mallory reset her password unheld and could have
     * decided sa-target's review as her. Her recovery is held like any owner's now.
     */
    @Test
    void aMemberOfAnOrganizationGroupThatOwnsAServiceAccountIsAnOwner(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentyfourth", "org", rep -> {
            rep.put("organizationsEnabled", true);
            ((com.fasterxml.jackson.databind.node.ObjectNode) rep.get("attributes")).put("nhi.guard.policy",
                    "{\"guardedOperations\":[\"privileged-user-reset-password\",\"privileged-user-update\"]}");
        });
        String olive = r.userId("olive");
        HttpAdmin.Response org = r.http.post(r.admin + "/organizations", r.master(),
                "{\"name\":\"acme\",\"domains\":[{\"name\":\"acme.example\"}]}");
        assertEquals(201, org.status(), org.body());
        String orgPath = r.admin + "/organizations/" + lastSegment(org.header("location"));
        assertEquals(201, r.http.post(orgPath + "/members", r.master(), "\"" + olive + "\"").status(), "olive joins acme");
        HttpAdmin.Response group = r.http.post(orgPath + "/groups", r.master(), "{\"name\":\"ops\"}");
        assertEquals(201, group.status(), group.body());
        String groupId = lastSegment(group.header("location"));
        HttpAdmin.Response joined = r.http.put(orgPath + "/groups/" + groupId + "/members/" + olive, r.master(), null);
        assertEquals(204, joined.status(), joined.body());
        assertEquals("[]", r.http.get(r.admin + "/users/" + olive + "/groups", r.master()).body().replaceAll("\\s", ""),
                "fixture: Keycloak's list of olive's groups leaves the organization group out");
        HttpAdmin.Response owned = r.http.put(r.admin + "/clients/" + r.clientUuid("sa-target"), r.master(),
                "{\"clientId\":\"sa-target\",\"attributes\":{\"nhi.owner.type\":\"group\",\"nhi.owner.id\":\"" + groupId + "\"}}");
        assertEquals(204, owned.status(), "client updates are not guarded in this realm: " + owned.body());

        HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + olive + "/reset-password", r.token("mallory"),
                "{\"type\":\"password\",\"value\":\"mallory-owns-olive\",\"temporary\":false}");
        AttackRealm.assertHeld(reset, "the password of an owner through an organization group");
        assertEquals(200, r.passwordGrant("admin-cli", null, "olive", "olive-pass").status(), "olive's password is hers");
    }

    private static String lastSegment(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }
}
