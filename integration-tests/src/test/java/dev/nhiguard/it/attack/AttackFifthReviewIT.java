package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ways around the guard and its records found in the fifth red-team review (one helper checking
 * the classification against Keycloak's code, one on the client admin API v2 and client
 * registration, one on the less-travelled endpoints), each judged by its effect. Realm
 * {@code guard-attack-fifth}: the attack realm's people and clients (ann and ben approve, mallory
 * administers, olive is ordinary; sa-automation holds manage-clients and manage-users), group
 * {@code user-viewers} holding realm-management {@code view-users}, credential cooldown 0, and
 * Keycloak's SCIM API turned on (the test server runs the preview feature {@code scim-api}).
 *
 * <ul>
 * <li><b>Class 2 and 3:</b> a role-mapping delete without a body (or with {@code null}) removes
 * every mapping of the user or group: the approver role, an admin role, a login gate's role. The
 * guard read only the roles a body names, so it saw none.</li>
 * <li><b>Class 2:</b> a user created with {@code "groups":["user-viewers"]} (no leading slash) is put
 * in {@code /user-viewers} by Keycloak, which reads every entry as a path; the guard read it as a
 * group id, found nothing, and a new administrator with a password mallory chose was unheld.</li>
 * <li><b>Credential readers:</b> client registration with two {@code Authorization} headers (Keycloak
 * takes the first, the record filter read both joined, found no token and took the read for a
 * registration access token's); a registration {@code PUT} answered with the secret unrecorded; and
 * the requester who applied a held secret regeneration received the new secret without becoming its
 * reader, so she could later act as the service account and approve its request herself.</li>
 * <li><b>Outside the admin API:</b> SCIM writes (group members, users) are not classified and cannot be
 * held; in a guarded realm they are refused.</li>
 * </ul>
 */
@ExtendWith(KeycloakExtension.class)
class AttackFifthReviewIT {

    static final String REALM = "guard-attack-fifth";

    @Test
    void aMappingDeleteWithoutAListIsReadAsEveryMappingItRemoves(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String ann = r.userId("ann");
        String ben = r.userId("ben");
        assertEquals(java.util.Set.of("ann", "ben"), r.directHolders("nhi-approver"), "fixture: the approvers");

        HttpAdmin.Response noBody = r.http.delete(r.admin + "/users/" + ann + "/role-mappings/realm", mallory);
        HttpAdmin.Response jsonNull = r.http.send("DELETE", r.admin + "/users/" + ben + "/role-mappings/realm", mallory,
                "application/json", "null");
        // An ordinary user's mappings removed the same way stay everyday work.
        String plain = "plain-" + System.nanoTime();
        assertEquals(201, r.http.post(r.admin + "/users", mallory, "{\"username\":\"" + plain + "\",\"enabled\":true}").status());
        String plainId = r.userId(plain);
        HttpAdmin.Response ordinary = r.http.delete(r.admin + "/users/" + plainId + "/role-mappings/realm", mallory);

        assertAll(
                () -> assertHeldOrRefused(noBody, "removing every realm role of ann (an approver) without a body"),
                () -> assertHeldOrRefused(jsonNull, "removing every realm role of ben (an approver) with a null body"),
                () -> assertEquals(java.util.Set.of("ann", "ben"), r.directHolders("nhi-approver"), "the approvers"),
                // Held with the list Keycloak would delete: what is approved is exactly what is removed.
                () -> assertTrue(noBody.status() == 202
                        && r.changeRequest(noBody.json().path("id").asText()).path("body").toString().contains("nhi-approver"),
                        "the held request names the approver role it removes: " + noBody.body()),
                () -> assertEquals(204, ordinary.status(), "an ordinary user's mappings: " + ordinary.body()),
                () -> assertFalse(r.effectiveRealmRoles(plainId).contains("default-roles-" + REALM),
                        "Keycloak removed the ordinary user's mappings"));
    }

    /**
     * Realm {@code guard-attack-gates}: a direct grant whose conditional sub-flows stop holders of
     * {@code plain-app.required} (ada3) and of {@code second-factor-group} (ada2, through group
     * {@code factor-holders}). A client-role or group mapping delete without a body removes the gate
     * role as surely as one that names it.
     */
    @Test
    void aGateRoleRemovedByAMappingDeleteWithoutAListIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, "guard-attack-gates");
        for (String ada : new String[] {"ada2", "ada3"}) {
            assertNotEquals(200, r.passwordGrant("admin-cli", null, ada, ada + "-pass").status(), "fixture: the flow stops " + ada);
        }
        String mallory = r.token("mallory");
        HttpAdmin.Response clientRoles = r.http.delete(r.admin + "/users/" + r.userId("ada3") + "/role-mappings/clients/"
                + r.clientUuid("plain-app"), mallory);
        HttpAdmin.Response groupRoles = r.http.delete(r.admin + "/groups/" + r.groupIdOrNull("factor-holders")
                + "/role-mappings/realm", mallory);
        assertAll(
                () -> assertHeldOrRefused(clientRoles, "removing ada3's plain-app roles without a body"),
                () -> assertHeldOrRefused(groupRoles, "removing factor-holders' realm roles without a body"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "ada3", "ada3-pass").status(),
                        "ada3 signs in with her password alone"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "ada2", "ada2-pass").status(),
                        "ada2 signs in with her password alone"));
    }

    @Test
    void aGroupNamedWithoutItsLeadingSlashIsTheSameGroup(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String eve = "eve-" + System.nanoTime();
        HttpAdmin.Response created = r.http.post(r.admin + "/users", mallory, "{\"username\":\"" + eve + "\",\"enabled\":true,"
                + "\"groups\":[\"user-viewers\"],\"credentials\":[{\"type\":\"password\",\"value\":\"eve-pass\",\"temporary\":false}]}");
        String bea = "bea-" + System.nanoTime();
        HttpAdmin.Response bystander = r.http.post(r.admin + "/users", mallory, "{\"username\":\"" + bea + "\",\"enabled\":true,"
                + "\"groups\":[\"bystanders\"]}");
        assertAll(
                () -> assertHeldOrRefused(created, "creating a user in user-viewers, named without its leading slash"),
                () -> assertTrue(r.read("/users?exact=true&username=" + eve).isEmpty(), "the user exists"),
                () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, eve, "eve-pass").status(),
                        "mallory signs in as the new user"),
                () -> assertEquals(201, bystander.status(), "a user in an ordinary group: " + bystander.body()));
    }

    @Test
    void aRegistrationReadWithTwoAuthorizationHeadersAndARegistrationReplaceAreRecorded(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String registrations = "/realms/" + REALM + "/clients-registrations/";
        long before = r.read("/audit-chain/head").path("seq").asLong();
        String ann = r.token("ann");
        HttpAdmin.Response twoHeaders = r.http.sendWithHeaders("GET", registrations + "default/sa-target", null,
                "Authorization", "Bearer " + ann, "Authorization", "Bearer x");
        String mallory = r.token("mallory");
        HttpAdmin.Response replaced = r.http.sendWithHeaders("PUT", registrations + "default/plain-app",
                "{\"clientId\":\"plain-app\"}", "Authorization", "Bearer " + mallory, "Content-Type", "application/json");

        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertEquals(200, twoHeaders.status(), "Keycloak takes the first header: " + twoHeaders.body()),
                () -> assertTrue(twoHeaders.body().contains("sa-target-secret"), "the answer carries the secret"),
                () -> assertTrue(read(records, "sa-target", r.userId("ann"), r),
                        "ann's read of sa-target's secret is in the chain: " + records),
                () -> assertEquals(200, replaced.status(), "a registration replace: " + replaced.body()),
                () -> assertTrue(replaced.body().contains("plain-app-secret"), "its answer carries the secret"),
                () -> assertTrue(read(records, "plain-app", r.userId("mallory"), r),
                        "mallory's read of plain-app's secret through a replace is in the chain: " + records));
    }

    @Test
    void theRequesterWhoAppliesASecretRegenerationIsItsReader(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String automation = r.clientUuid("sa-automation");
        long before = r.read("/audit-chain/head").path("seq").asLong();
        // A held key generation hands out nothing yet: admission's 202 is no credential read.
        HttpAdmin.Response heldKey = r.http.post(r.admin + "/clients/" + automation + "/certificates/jwt.credential/generate",
                r.token("ann"), null);
        assertEquals(202, heldKey.status(), "a key generation for a service account is held: " + heldKey.body());
        assertFalse(r.recordsAfter(before).stream().anyMatch(x -> "CREDENTIAL_READ".equals(x.path("type").asText())),
                "a held key generation was recorded as a credential read");
        HttpAdmin.Response regenerate = r.http.post(r.admin + "/clients/" + automation + "/client-secret", r.token("ann"), null);
        assertEquals(202, regenerate.status(), "a secret regeneration is held: " + regenerate.body());
        String id = regenerate.json().path("id").asText();
        assertEquals(200, r.approve(id, regenerate.json().path("digest").asText(), r.token("ben")).status(), "ben approves");
        HttpAdmin.Response applied = r.apply(id, r.token("ann"));
        assertEquals(200, applied.status(), applied.body());
        String secret = applied.json().at("/result/body/value").asText();
        assertFalse(secret.isBlank(), "the requester receives the new secret: " + applied.body());

        // ann now holds sa-automation's secret: a change sa-automation asks for is not hers to approve.
        String asAutomation = r.http.clientCredentials(REALM, "sa-automation", secret).path("access_token").asText();
        HttpAdmin.Response request = r.http.post(r.admin + "/clients/" + r.clientUuid("sa-target") + "/protocol-mappers/models",
                asAutomation, "{\"name\":\"pwned-" + System.nanoTime() + "\",\"protocol\":\"openid-connect\","
                        + "\"protocolMapper\":\"oidc-hardcoded-claim-mapper\",\"config\":{\"claim.name\":\"pwned\","
                        + "\"claim.value\":\"yes\",\"jsonType.label\":\"String\",\"access.token.claim\":\"true\"}}");
        assertEquals(202, request.status(), "sa-automation's mapper on sa-target is held: " + request.body());
        HttpAdmin.Response annApproves = r.approve(request.json().path("id").asText(), request.json().path("digest").asText(),
                r.token("ann"));
        List<JsonNode> records = r.recordsAfter(before);
        assertAll(
                () -> assertNotEquals(200, annApproves.status(), "ann approves sa-automation's request: " + annApproves.body()),
                () -> assertEquals("PENDING", r.changeRequest(request.json().path("id").asText()).path("state").asText()),
                () -> assertTrue(read(records, "sa-automation", r.userId("ann"), r),
                        "the apply that handed ann the secret is a credential read in the chain: " + records));
    }

    @Test
    void scimWritesAreRefusedInAGuardedRealm(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String scim = "/realms/" + REALM + "/scim/v2";
        // SCIM takes tokens of confidential clients whose audience is the SCIM endpoint: an ordinary client of mallory's.
        String app = "scim-" + System.nanoTime();
        String audience = keycloak.baseUri().toString().replaceAll("/$", "") + scim;
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"" + app + "\",\"secret\":\"" + app
                + "-secret\",\"publicClient\":false,\"directAccessGrantsEnabled\":true,\"protocolMappers\":[{\"name\":\"scim\","
                + "\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-audience-mapper\",\"config\":{"
                + "\"included.custom.audience\":\"" + audience + "\",\"access.token.claim\":\"true\"}}]}").status());
        String token = r.passwordGrant(app, app + "-secret", "mallory", "mallory-pass").json().path("access_token").asText();
        HttpAdmin.Response groups = r.http.get(scim + "/Groups", token);
        assertEquals(200, groups.status(), "fixture: SCIM is on for the realm: " + groups.body());
        String viewers = null;
        for (JsonNode g : groups.json().path("Resources")) {
            if ("user-viewers".equals(g.path("displayName").asText())) {
                viewers = g.path("id").asText();
            }
        }
        String olive = r.userId("olive");
        HttpAdmin.Response joined = r.http.send("PATCH", scim + "/Groups/" + viewers, token, "application/scim+json",
                "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\","
                        + "\"path\":\"members\",\"value\":[{\"value\":\"" + olive + "\"}]}]}");
        HttpAdmin.Response search = r.http.send("POST", scim + "/Users/.search", token, "application/scim+json",
                "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],\"count\":1}");
        assertAll(
                () -> assertEquals(403, joined.status(), "olive added to user-viewers through SCIM: " + joined.body()),
                () -> assertEquals("change_refused", joined.json().path("error").asText(), joined.body()),
                () -> assertFalse(r.effectiveClientRoles(olive, "realm-management").contains("view-users"), "olive holds view-users"),
                () -> assertEquals(200, search.status(), "a SCIM search reads: " + search.body()));
    }

    /**
     * Client registration turned a service account off (unheld: the backstop looked at the client as
     * the update left it, no longer a service account); from then on the client was "ordinary" and
     * its key, secret and grants changed unheld. A client with a service-account user stays a
     * non-human identity whether its account is on or off.
     */
    @Test
    void clientRegistrationCannotTurnAServiceAccountOff(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String registrations = "/realms/" + REALM + "/clients-registrations/";
        HttpAdmin.Response off = r.http.sendWithHeaders("PUT", registrations + "default/sa-target",
                "{\"clientId\":\"sa-target\",\"serviceAccountsEnabled\":false,\"directAccessGrantsEnabled\":true,"
                        + "\"secret\":\"mallory-secret\"}", "Authorization", "Bearer " + mallory, "Content-Type", "application/json");
        HttpAdmin.Response oidc = r.http.sendWithHeaders("PUT", registrations + "openid-connect/sa-target",
                "{\"client_id\":\"sa-target\",\"grant_types\":[\"authorization_code\"],\"redirect_uris\":[\"https://evil.example/cb\"]}",
                "Authorization", "Bearer " + mallory, "Content-Type", "application/json");
        JsonNode client = r.read("/clients/" + r.clientUuid("sa-target"));
        assertAll(
                () -> assertHeldOrRefused(off, "turning sa-target's service account off through client registration"),
                () -> assertHeldOrRefused(oidc, "replacing sa-target's grants through OpenID Connect registration"),
                () -> assertTrue(client.path("serviceAccountsEnabled").asBoolean(), "sa-target's service account: " + client),
                () -> assertFalse(client.path("directAccessGrantsEnabled").asBoolean(), "sa-target's password grant: " + client),
                () -> assertEquals(200, r.clientCredentialsStatus("sa-target", "sa-target-secret"), "sa-target's own secret"));
    }

    /**
     * The agent registry's attributes ({@code nhi.agent*}, {@code nhi.owner*}) made an ordinary client
     * an agent in the registry's eyes (owner, expiry, delegation), created and changed unheld.
     */
    @Test
    void theRegistrysAttributesAreWrittenOnlyThroughAGuardedChange(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String fake = "fake-agent-" + System.nanoTime();
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"" + fake + "\",\"publicClient\":false,"
                + "\"attributes\":{\"nhi.agent\":\"true\",\"nhi.agent.owner.type\":\"user\",\"nhi.agent.owner.id\":\""
                + r.userId("olive") + "\",\"nhi.agent.status\":\"ACTIVE\",\"nhi.agent.expires\":\"2099-01-01T00:00:00Z\"}}");
        String plain = r.clientUuid("plain-app");
        JsonNode rep = r.read("/clients/" + plain);
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep.path("attributes")).put("nhi.owner.id", r.userId("olive"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep.path("attributes")).put("nhi.owner.type", "user");
        HttpAdmin.Response owned = r.http.put(r.admin + "/clients/" + plain, mallory, rep.toString());
        // The console sends every attribute back with an edit: unchanged registry attributes (none here) and a
        // description change stay everyday work for an ordinary client.
        JsonNode again = r.read("/clients/" + plain);
        ((com.fasterxml.jackson.databind.node.ObjectNode) again).put("description", "described " + System.nanoTime());
        HttpAdmin.Response described = r.http.put(r.admin + "/clients/" + plain, mallory, again.toString());
        assertAll(
                () -> assertHeldOrRefused(created, "creating a client that carries the agent registry's attributes"),
                () -> assertEquals(null, r.clientUuidOrNull(fake), "the fake agent exists"),
                () -> assertHeldOrRefused(owned, "naming an owner of plain-app through its attributes"),
                () -> assertTrue(r.read("/clients/" + plain).path("attributes").path("nhi.owner.id").isMissingNode(),
                        "plain-app's owner attribute"),
                () -> assertEquals(204, described.status(), "describing an ordinary client: " + described.body()));
    }

    /**
     * The guessing oracle (open after the fifth review): a realm admin sends a guess at a service
     * account's secret and reads the answer. A guess that equals the secret passed (204) where any
     * other value was held (202), and a held request showed {@code "unchanged"}, fingerprints
     * comparable with the before-image's, a rollback flag and a digest that told a right guess
     * from a wrong one. Now a right guess that passes makes its sender a recorded reader, and two
     * held requests, one with the right secret and one with a wrong one, look the same to her.
     */
    @Test
    void aGuessAtAServiceAccountsSecretTellsTheGuesserNothingUnrecorded(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String target = r.clientUuid("sa-target");
        long before = r.read("/audit-chain/head").path("seq").asLong();

        // Sent alone, the right secret changes nothing and passes; the answer confirms it, so mallory is its reader.
        HttpAdmin.Response right = r.http.put(r.admin + "/clients/" + target, mallory,
                "{\"clientId\":\"sa-target\",\"secret\":\"sa-target-secret\"}");
        HttpAdmin.Response wrong = r.http.put(r.admin + "/clients/" + target, mallory,
                "{\"clientId\":\"sa-target\",\"secret\":\"sa-target-guess\"}");
        List<JsonNode> records = r.recordsAfter(before);

        // With a guarded change beside it, a right guess and a wrong one are both held: they must look alike.
        HttpAdmin.Response heldRight = r.http.put(r.admin + "/clients/" + target, mallory,
                "{\"clientId\":\"sa-target\",\"secret\":\"sa-target-secret\",\"rootUrl\":\"https://guess.example\"}");
        HttpAdmin.Response heldWrong = r.http.put(r.admin + "/clients/" + target, mallory,
                "{\"clientId\":\"sa-target\",\"secret\":\"sa-target-guess\",\"rootUrl\":\"https://guess.example\"}");
        // The same request again (as if repeating another admin's request with a guess): its own digest.
        HttpAdmin.Response heldAgain = r.http.put(r.admin + "/clients/" + target, mallory,
                "{\"clientId\":\"sa-target\",\"secret\":\"sa-target-secret\",\"rootUrl\":\"https://guess.example\"}");
        assertEquals(202, heldRight.status(), heldRight.body());
        assertEquals(202, heldWrong.status(), heldWrong.body());
        assertEquals(202, heldAgain.status(), heldAgain.body());
        String rightId = heldRight.json().path("id").asText();
        String wrongId = heldWrong.json().path("id").asText();
        JsonNode viewRight = r.http.get(r.guard + "/change-requests/" + rightId, mallory).json();
        JsonNode viewWrong = r.http.get(r.guard + "/change-requests/" + wrongId, mallory).json();
        List<JsonNode> created = r.recordsAfter(before).stream()
                .filter(x -> "CHANGE_REQUEST".equals(x.path("type").asText())
                        && "CREATED".equals(x.at("/details/transition").asText())
                        && List.of(rightId, wrongId).contains(x.at("/details/changeRequestId").asText()))
                .toList();
        try {
            assertAll(
                    () -> assertEquals(204, right.status(), "the unchanged secret alone: " + right.body()),
                    () -> assertEquals(202, wrong.status(), "another secret is held: " + wrong.body()),
                    () -> assertTrue(read(records, "sa-target", r.userId("mallory"), r),
                            "the pass that confirmed sa-target's secret records mallory as its reader: " + records),
                    () -> assertEquals(viewRight.path("body"), viewWrong.path("body"), "the bodies as shown"),
                    () -> assertEquals(viewRight.path("beforeImage"), viewWrong.path("beforeImage"), "the before-images"),
                    () -> assertEquals(viewRight.path("diff"), viewWrong.path("diff"), "the diffs"),
                    () -> assertEquals(viewRight.path("proposedAfter"), viewWrong.path("proposedAfter"), "the after-images"),
                    () -> assertEquals(viewRight.path("rollbackRestoresSecret"), viewWrong.path("rollbackRestoresSecret"),
                            "whether a rollback restores a secret"),
                    () -> assertFalse(viewRight.toString().contains("hmac-sha256:") || viewWrong.toString().contains("hmac-sha256:"),
                            "a fingerprint is shown: " + viewRight),
                    () -> assertNotEquals(heldRight.json().path("digest"), heldAgain.json().path("digest"),
                            "two requests with the same body share a digest"),
                    () -> assertEquals(2, created.size(), "the two held requests' records: " + created),
                    () -> assertEquals(created.get(0).at("/representation/diff"), created.get(1).at("/representation/diff"),
                            "the diffs in the audit chain"));
        } finally {
            r.cancelHeld(mallory, wrong, heldRight, heldWrong, heldAgain);
        }
    }

    /**
     * The audit chain's side of the oracle: its fingerprints were keyed per realm, so an admin who
     * reads the chain could write a guess where the chain records it (an ordinary client's
     * attribute) and compare its fingerprint with one of an earlier record. Now each record has its
     * own key: the same value written twice gives two fingerprints.
     */
    @Test
    void aValueWrittenIntoTheChainTwiceCarriesTwoFingerprints(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String plain = r.clientUuid("plain-app");
        long before = r.read("/audit-chain/head").path("seq").asLong();
        for (int i = 0; i < 2; i++) {
            HttpAdmin.Response written = r.http.put(r.admin + "/clients/" + plain, mallory,
                    "{\"clientId\":\"plain-app\",\"attributes\":{\"my.api.token\":\"guess-" + before + "\"}}");
            assertEquals(204, written.status(), "an ordinary client's attribute: " + written.body());
        }
        List<String> sealed = r.recordsAfter(before).stream()
                .map(x -> x.at("/representation/attributes/my.api.token").asText())
                .filter(v -> !v.isEmpty())
                .toList();
        assertEquals(2, sealed.size(), "both writes are recorded: " + sealed);
        assertAll(
                () -> assertTrue(sealed.get(0).startsWith("**sealed** hmac-sha256:"), sealed.toString()),
                () -> assertNotEquals(sealed.get(0), sealed.get(1), "the same value in two records compares"));
    }

    /** Whether the records hold a credential read of the client by the user. */
    static boolean read(List<JsonNode> records, String clientId, String userId, AttackRealm r) {
        String uuid = r.clientUuid(clientId);
        return records.stream().anyMatch(x -> "CREDENTIAL_READ".equals(x.path("type").asText())
                && uuid.equals(x.at("/details/clientUuid").asText()) && userId.equals(x.at("/actor/userId").asText()));
    }
}
