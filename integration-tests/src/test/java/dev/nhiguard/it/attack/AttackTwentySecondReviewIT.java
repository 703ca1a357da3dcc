package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.it.ConsoleSignIn;
import dev.nhiguard.it.OffByDefaultFeaturesExtension;
import dev.nhiguard.it.OffByDefaultFeaturesExtension.OffByDefaultFeatures;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Twenty-second red-team review (2026-12-07): a token that carries only {@code impersonation}, and decisions taken in an
 * impersonated session. Each test runs in a copy of {@code guard-attack-fifth} (ann and ben approve, mallory
 * administers).
 */
@ExtendWith({KeycloakExtension.class, OffByDefaultFeaturesExtension.class})
class AttackTwentySecondReviewIT {

    /**
     * The filter passed a guarded write of a caller without an admin role on to "Keycloak's own 403", counting the roles
     * {@code requireAnyAdminRole} counts, which leave out {@code impersonation}; Keycloak impersonates on that role alone.
     * mallory gave a client of hers a scope mapping to {@code realm-management/impersonation} (ordinary clients are not
     * guarded), signed in through it and impersonated ann (200, ann's SSO cookies), where her full token is held. A token
     * carrying any role of the realm's management client now counts: the impersonation is held and opens no session.
     */
    @Test
    void aTokenCarryingOnlyImpersonationIsHeldLikeAnAdmins(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentysecond", "imp", rep -> { });
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mal-imp\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false,\"fullScopeAllowed\":false}").status());
        String rm = r.clientUuid("realm-management");
        JsonNode impersonation = r.read("/clients/" + rm + "/roles/impersonation");
        HttpAdmin.Response mapped = r.http.post(r.admin + "/clients/" + r.clientUuid("mal-imp") + "/scope-mappings/clients/" + rm,
                mallory, "[" + impersonation + "]");
        assertEquals(204, mapped.status(), "a scope mapping of an ordinary client passes: " + mapped.body());
        HttpAdmin.Response signIn = r.passwordGrant("mal-imp", null, "mallory", "mallory-pass");
        assertEquals(200, signIn.status(), signIn.body());
        String narrow = signIn.json().path("access_token").asText();
        JsonNode claims = AttackRealm.claims(narrow);
        assertEquals("[\"impersonation\"]", claims.path("resource_access").path("realm-management").path("roles").toString(),
                "the token carries impersonation and no other admin role: " + claims);
        int sessionsBefore = r.read("/users/" + r.userId("ann") + "/sessions").size();

        HttpAdmin.Response impersonated = r.http.post(r.admin + "/users/" + r.userId("ann") + "/impersonation", narrow, null);
        String cookies = impersonated.header("set-cookie");
        assertAll(
                () -> AttackRealm.assertHeld(impersonated, "impersonating ann with a token carrying only impersonation"),
                () -> assertTrue(impersonated.body().contains("privileged-user-impersonation"), impersonated.body()),
                () -> assertTrue(cookies == null || !cookies.contains("KEYCLOAK_IDENTITY="), "an SSO cookie for ann: " + cookies),
                () -> assertEquals(sessionsBefore, r.read("/users/" + r.userId("ann") + "/sessions").size(), "a session of ann"));
        r.cancelHeld(narrow, impersonated);
    }

    /**
     * An impersonated session decides nothing: approving refused it, rejecting and a containment's review did not (the
     * review found ann's impersonated console session reverting ben's containment of sa-target and rejecting ben's
     * request), nor applying another person's approved request (recorded as ann's, a code review of the fixes). The fixture lets the master admin impersonate ann while the realm guards nothing, then puts the guard's
     * policy back; ann's console token from that session rejects, reverts and approves nothing.
     */
    @Test
    void anImpersonatedApproverRejectsAndReviewsNothing(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentysecond", "decide", rep ->
                ((ObjectNode) rep.get("attributes")).put("nhi.guard.policy", "{\"guardedOperations\":[]}"));
        HttpAdmin.Response impersonated = r.http.post(r.admin + "/users/" + r.userId("ann") + "/impersonation", r.master(), null);
        assertEquals(200, impersonated.status(), impersonated.body());
        HttpAdmin.Response guarded = r.http.put(r.guard + "/policy", r.master(), "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0}}");
        assertEquals(2, guarded.status() / 100, guarded.body());
        assertTrue(r.read("/mutation-guard/policy").path("effective").path("guardedOperations").size() > 0, "the policy is back");
        JsonNode console = ConsoleSignIn.tokens(r.http, r.keycloak.baseUri(), r.name, impersonated.header("set-cookie"));
        String asAnn = console.path("access_token").asText();
        assertEquals(r.userId("ann"), AttackRealm.claims(console.path("id_token").asText()).path("sub").asText(),
                "the console's tokens of ann's session");

        JsonNode held = r.heldSecretRegeneration(r.token("ben"));
        String id = held.path("id").asText();
        JsonNode approvedByBen = r.heldSecretRegeneration(r.token("mallory"));
        String approvedId = approvedByBen.path("id").asText();
        assertEquals(200, r.approve(approvedId, approvedByBen.path("digest").asText(), r.token("ben")).status());
        HttpAdmin.Response contained = r.http.post(r.guard + "/containment", r.token("ben"),
                "{\"clientId\":\"" + r.clientUuid("sa-target") + "\",\"reason\":\"a leaked secret\"}");
        assertEquals(201, contained.status(), contained.body());
        String containment = contained.json().path("id").asText();

        HttpAdmin.Response reject = r.http.post(r.guard + "/change-requests/" + id + "/reject", asAnn, "{\"reason\":\"not needed\"}");
        HttpAdmin.Response revert = r.http.post(r.guard + "/change-requests/" + containment + "/revert", asAnn, null);
        HttpAdmin.Response confirm = r.http.post(r.guard + "/change-requests/" + containment + "/confirm", asAnn, null);
        HttpAdmin.Response approve = r.approve(id, held.path("digest").asText(), asAnn);
        HttpAdmin.Response apply = r.apply(approvedId, asAnn);
        assertAll(
                () -> assertEquals(403, reject.status(), reject.body()),
                () -> assertTrue(reject.body().contains("impersonated session"), reject.body()),
                () -> assertEquals(403, revert.status(), revert.body()),
                () -> assertTrue(revert.body().contains("impersonated session"), revert.body()),
                () -> assertEquals(403, confirm.status(), confirm.body()),
                () -> assertEquals(403, approve.status(), approve.body()),
                () -> assertEquals(403, apply.status(), "an approved request applied in ann's name: " + apply.body()),
                () -> assertEquals("APPROVED", r.changeRequest(approvedId).path("state").asText()),
                () -> assertEquals("PENDING", r.changeRequest(id).path("state").asText()),
                () -> assertEquals("CONTAINED", r.changeRequest(containment).path("state").asText()),
                () -> assertEquals(false, r.read("/clients/" + r.clientUuid("sa-target")).path("enabled").asBoolean(),
                        "sa-target stays contained"));
    }

    /**
     * (Code review of this review's fixes) Keycloak's OID4VCI credential offer mail is the verification mail's twin: its
     * link marks the address verified and runs the user's pending required actions for whoever holds it, built on the
     * request's Host without a configured hostname. Held like an execute-actions mail (for every user: it is a preview
     * feature's mail, and its path is not that operation's template), applied on a trusted base only.
     */
    @Test
    void aCredentialOfferMailIsHeldLikeAnExecuteActionsMail(OffByDefaultFeatures server) {
        AttackRealm r = AttackRealm.copyOfFifth(server.keycloak(), "twentysecond", "offer", rep ->
                rep.put("verifiableCredentialsEnabled", true));
        String mallory = r.token("mallory");
        HttpAdmin.Response offer = r.http.put(r.admin + "/users/" + r.userId("ben") + "/vc/credentials/send-credential-offer"
                + "?lifespan=31536000", mallory, "{\"credentialConfigurationId\":\"any-config\"}");
        AttackRealm.assertHeld(offer, "mallory mailing ben a credential offer");
        assertTrue(offer.body().contains("privileged-user-execute-actions-email"), offer.body());
        r.cancelHeld(mallory, offer);
    }

    /**
     * Keycloak's partial export masks the clients' secrets but not their stored private keys: ann exported
     * {@code keyed-bot}'s {@code jwt.credential.private.key} (the review signed a client assertion with such a key and got
     * the service account's token), and nothing recorded her as holding it, so she was not named to the approver of a
     * change that hands the client a service account. Now the export records a credential read of every client whose
     * key it carries.
     */
    @Test
    void aPartialExportOfAStoredPrivateKeyIsRecordedAsItsRead(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentysecond", "export", rep -> {
            ObjectNode keyed = ((com.fasterxml.jackson.databind.node.ArrayNode) rep.get("clients")).addObject()
                    .put("clientId", "keyed-bot").put("publicClient", false).put("standardFlowEnabled", false);
            keyed.putObject("attributes").put("jwt.credential.private.key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ");
        });
        HttpAdmin.Response export = r.http.post(r.admin + "/partial-export?exportClients=true&exportGroupsAndRoles=false",
                r.token("ann"), null);
        assertEquals(200, export.status(), export.body());
        assertTrue(export.body().contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ"), "Keycloak exports the key");

        HttpAdmin.Response turnOn = r.http.put(r.admin + "/clients/" + r.clientUuid("keyed-bot"), r.token("mallory"),
                "{\"serviceAccountsEnabled\":true}");
        AttackRealm.assertHeld(turnOn, "mallory turning on keyed-bot's service account");
        HttpAdmin.Response seen = r.http.get(r.guard + "/change-requests/" + turnOn.json().path("id").asText(), r.token("ben"));
        List<String> holders = new ArrayList<>();
        seen.json().path("credentialHolders").path("holders").forEach(h -> holders.add(h.path("username").asText()));
        assertTrue(holders.contains("ann"), "ann, who exported the key, holds it: " + seen.body());
        r.cancelHeld(r.token("mallory"), turnOn);
    }
}
