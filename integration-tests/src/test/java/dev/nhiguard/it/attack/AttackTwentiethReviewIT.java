package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Twentieth red-team review (2026-12-07): effects that arrive later. mallory's write is ordinary when she makes it (it
 * reaches no guarded subject yet); the privilege reaches a new service account when an approver's approved creation of
 * it is applied, and the change request the approver read did not show it. Judged by what the new service account's
 * token and effective roles carry. Each test runs in a copy of {@code guard-attack-fifth}.
 */
@ExtendWith(KeycloakExtension.class)
class AttackTwentiethReviewIT {

    /**
     * A client created with the deprecated {@code clientTemplate} gets the client scope of that name as a default scope
     * (Keycloak attaches it by name at creation, besides the realm's defaults). The guard pinned only the scopes named in
     * {@code defaultClientScopes}/{@code optionalClientScopes}: after ann approved {@code sa-batch}, mallory created the
     * scope {@code batch-defaults} (no client used it: not held) with a hardcoded {@code nhi-approver} role mapper, and the
     * apply made sa-batch's tokens carry it. The scope the template names is now pinned (absent too) and shown.
     */
    @Test
    void aScopeNamedByClientTemplateIsPinnedAndShown(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "template", rep -> { });
        HttpAdmin.Response held = r.http.post(r.admin + "/clients", r.token("mallory"), "{\"clientId\":\"sa-batch\","
                + "\"serviceAccountsEnabled\":true,\"publicClient\":false,\"standardFlowEnabled\":false,"
                + "\"secret\":\"sa-batch-secret\",\"clientTemplate\":\"batch defaults\"}");
        AttackRealm.assertHeld(held, "a service-account client created");
        String id = held.json().path("id").asText();
        assertTrue(r.changeRequest(id).toString().contains("batch_defaults"),
                "the approver is shown the scope the template names (Keycloak's name for it): " + r.changeRequest(id));
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());

        // after the approval: the scope, and a mapper in it (no client has it yet)
        String mallory = r.token("mallory");
        HttpAdmin.Response scope = r.http.post(r.admin + "/client-scopes", mallory,
                "{\"name\":\"batch_defaults\",\"protocol\":\"openid-connect\"}");
        assertEquals(201, scope.status(), "a client scope nobody uses: " + scope.body());
        String scopeId = scope.header("location").replaceAll(".*/", "");
        HttpAdmin.Response mapper = r.http.post(r.admin + "/client-scopes/" + scopeId + "/protocol-mappers/models", mallory,
                "{\"name\":\"r1\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-role-mapper\","
                        + "\"config\":{\"role\":\"nhi-approver\"}}");
        assertEquals(201, mapper.status(), "a mapper in it: " + mapper.body());

        HttpAdmin.Response applied = r.apply(id, mallory);
        assertAll(
                () -> assertEquals(409, applied.status(), "the scope the template names changed since approval: " + applied.body()),
                () -> assertNull(r.clientUuidOrNull("sa-batch"), "no client sa-batch was created"));
    }

    /**
     * Keycloak puts every user it creates in the realm's default groups, a service account's too. The guard pinned a new
     * service account's default role but not its default groups, and counted a default group as reaching nobody while no
     * guarded subject was in it: after ann approved {@code sa-new}, mallory moved the (empty) default group {@code staff}
     * under {@code reporting}, which holds {@code reports-writer}, unheld, and the apply made sa-new hold it. A default
     * group now reaches every user to come, and a new service account's default groups are pinned and shown.
     */
    @Test
    void aNewServiceAccountsDefaultGroupsArePinnedAndGuarded(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "groups", rep -> {
            ObjectNode role = ((com.fasterxml.jackson.databind.node.ArrayNode) rep.path("roles").path("realm")).addObject();
            role.put("name", "reports-writer");
            var groups = (com.fasterxml.jackson.databind.node.ArrayNode) rep.get("groups");
            groups.addObject().put("name", "reporting").put("path", "/reporting").putArray("realmRoles").add("reports-writer");
            groups.addObject().put("name", "staff").put("path", "/staff");
            rep.putArray("defaultGroups").add("/staff");
        });
        String staff = r.groupIdOrNull("staff");
        String reporting = r.groupIdOrNull("reporting");
        // "TRUE": Keycloak binds it as true (a code review found the pins read the text as sent, and made none)
        HttpAdmin.Response held = r.http.post(r.admin + "/clients", r.token("mallory"), "{\"clientId\":\"sa-new\","
                + "\"serviceAccountsEnabled\":\"TRUE\",\"publicClient\":false,\"standardFlowEnabled\":false,"
                + "\"secret\":\"sa-new-secret\"}");
        AttackRealm.assertHeld(held, "a service-account client created");
        String id = held.json().path("id").asText();
        assertTrue(r.changeRequest(id).toString().contains("/staff"),
                "the approver is shown the default group the service account joins: " + r.changeRequest(id));
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());

        String mallory = r.token("mallory");
        HttpAdmin.Response move = r.http.post(r.admin + "/groups/" + reporting + "/children", mallory,
                "{\"id\":\"" + staff + "\",\"name\":\"staff\"}");
        AttackRealm.assertHeld(move, "moving a default group under a group holding a role");
        r.cancelHeld(mallory, move);
        HttpAdmin.Response rename = r.http.put(r.admin + "/groups/" + staff, mallory, "{\"name\":\"staff-2\"}");
        AttackRealm.assertHeld(rename, "renaming a default group (group mappers find groups by path)");
        r.cancelHeld(mallory, rename);

        // a move approved between approval and apply (here by the operator's hand in the database's stead: the master
        // admin's move is held alike, so the fixture moves it through a second approved request)
        HttpAdmin.Response heldMove = r.http.post(r.admin + "/groups/" + reporting + "/children", r.token("ben"),
                "{\"id\":\"" + staff + "\",\"name\":\"staff\"}");
        AttackRealm.assertHeld(heldMove, "ben's move of the default group");
        assertEquals(200, r.approve(heldMove.json().path("id").asText(), heldMove.json().path("digest").asText(),
                r.token("ann")).status());
        HttpAdmin.Response moved = r.apply(heldMove.json().path("id").asText(), r.token("ben"));
        assertEquals(200, moved.status(), "ben's move applied: " + moved.body());

        HttpAdmin.Response applied = r.apply(id, mallory);
        assertAll(
                () -> assertEquals(409, applied.status(), "the default group the service account joins changed: " + applied.body()),
                () -> assertNull(r.clientUuidOrNull("sa-new"), "no client sa-new was created"));
    }

    /** Ordinary work stays ordinary: a new service account held and applied as approved joins the default groups shown. */
    @Test
    void aServiceAccountApprovedWithItsDefaultGroupsIsCreatedAsShown(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "plain", rep -> {
            ((com.fasterxml.jackson.databind.node.ArrayNode) rep.get("groups")).addObject().put("name", "staff").put("path", "/staff");
            rep.putArray("defaultGroups").add("/staff");
        });
        HttpAdmin.Response held = r.http.post(r.admin + "/clients", r.token("mallory"), "{\"clientId\":\"sa-plain\","
                + "\"serviceAccountsEnabled\":true,\"publicClient\":false,\"standardFlowEnabled\":false,"
                + "\"secret\":\"sa-plain-secret\"}");
        AttackRealm.assertHeld(held, "a service-account client created");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response applied = r.apply(id, r.token("mallory"));
        assertEquals(200, applied.status(), applied.body());
        JsonNode groups = r.read("/users/" + r.serviceAccountUserId("sa-plain") + "/groups");
        assertEquals("/staff", groups.path(0).path("path").asText(), groups.toString());
        assertFalse(r.clientUuid("sa-plain").isEmpty());
    }
    /**
     * A value the guard would have to hide outside a credential's place (a JSON Web Key's members in the guard's policy,
     * percent-encoded JSON in a redirect URI, JSON in a hardcoded claim's value) was held sealed: the approver saw
     * {@code {"sealed":"supplied"}} and the apply wrote the policy {@code guardedOperations: []}, a redirect URI that sent
     * an approver's code to mallory, or {@code realm_access} with {@code nhi-approver} into sa-target's token. Such a
     * request is now refused (400, nothing held): a change request is shown to its approvers.
     */
    @Test
    void aValueTheGuardWouldHaveToHideIsRefusedNotHeld(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "hidden", rep -> { });
        String mallory = r.token("mallory");
        int before = r.changeRequestCount();
        ObjectNode jwk = AttackRealm.JSON.createObjectNode().put("kty", "EC").put("crv", "P-256")
                .put("x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").put("y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")
                .put("d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
        ObjectNode attributes = r.realm().path("attributes").deepCopy();
        attributes.put("nhi.guard.policy", AttackRealm.JSON.createObjectNode().<ObjectNode>set("guardedOperations",
                AttackRealm.JSON.createArrayNode()).put("approverRole", jwk.toString()).toString());
        HttpAdmin.Response policy = r.http.put(r.admin, mallory,
                AttackRealm.JSON.createObjectNode().set("attributes", attributes).toString());
        String console = r.clientUuid("security-admin-console");
        HttpAdmin.Response redirect = r.http.put(r.admin + "/clients/" + console, mallory, "{\"redirectUris\":[\"/admin/"
                + r.name + "/console/*\",\"http://evil.example:8080/cb?s=%7B%22pwd%22%3A%22x%22%7D\"]}");
        ObjectNode claimValue = jwk.deepCopy();
        claimValue.putArray("roles").add("nhi-approver");
        ObjectNode mapper = AttackRealm.JSON.createObjectNode().put("name", "ra").put("protocol", "openid-connect")
                .put("protocolMapper", "oidc-hardcoded-claim-mapper");
        mapper.putObject("config").put("claim.name", "realm_access").put("jsonType.label", "JSON")
                .put("access.token.claim", "true").put("claim.value", claimValue.toString());
        HttpAdmin.Response claim = r.http.post(r.admin + "/clients/" + r.clientUuid("sa-target") + "/protocol-mappers/models",
                mallory, mapper.toString());
        assertAll(
                () -> assertEquals(400, policy.status(), "the policy with a key in it: " + policy.body()),
                () -> assertEquals(400, redirect.status(), "the console's redirect URI: " + redirect.body()),
                () -> assertEquals(400, claim.status(), "the hardcoded claim: " + claim.body()),
                () -> assertTrue(claim.body().contains("approvers could not be shown it"), claim.body()),
                () -> assertEquals(before, r.changeRequestCount(), "nothing held"),
                () -> assertFalse(r.tokenRealmRoles("sa-target").contains("nhi-approver"), "sa-target's token"),
                () -> assertFalse(r.read("/clients/" + console).path("redirectUris").toString().contains("evil.example")),
                () -> assertFalse(r.realm().path("attributes").path("nhi.guard.policy").asText("").contains("guardedOperations"),
                        "the realm's policy is unchanged"));
    }

    /**
     * A partial import hid whole role definitions and grants under a client id the guard took for a credential's name
     * ({@code authorization}, names ending in {@code secret}): the approver saw {@code [{"sealed":"supplied"}]} where a
     * role composite of {@code realm-admin} was defined. A map keyed by client id is now read as ids, shown in full, and
     * the roles the import names by name are pinned with their closure.
     */
    @Test
    void aPartialImportShowsTheRolesItDefinesAndGrantsUnderAnyClientId(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "clientid", rep -> { });
        HttpAdmin.Response held = r.http.post(r.admin + "/partialImport", r.token("mallory"), "{\"ifResourceExists\":\"SKIP\","
                + "\"clients\":[{\"clientId\":\"authorization\",\"bearerOnly\":true,\"publicClient\":false}],"
                + "\"roles\":{\"client\":{\"authorization\":[{\"name\":\"reader\",\"composite\":true,"
                + "\"composites\":{\"client\":{\"realm-management\":[\"realm-admin\"]}}}]}},"
                + "\"users\":[{\"username\":\"imported-one\",\"enabled\":true,\"clientRoles\":{\"authorization\":[\"reader\"]}}]}");
        AttackRealm.assertHeld(held, "a partial import");
        JsonNode cr = r.changeRequest(held.json().path("id").asText());
        assertAll(
                () -> assertFalse(cr.path("body").toString().contains("sealed"), "nothing sealed: " + cr.path("body")),
                () -> assertEquals("realm-admin", cr.at("/body/roles/client/authorization/0/composites/client/realm-management/0").asText(),
                        cr.path("body").toString()),
                () -> assertTrue(cr.path("beforeImage").path("effectTargets").has("definition:role-name:client:realm-management:realm-admin"),
                        "the role a composite names is pinned with its closure: " + cr.path("beforeImage").path("effectTargets").fieldNames()));
    }

    /**
     * The roles a partial import grants by name were resolved when it was applied, and neither shown nor pinned: after
     * ann approved sa-target's {@code report-viewer}, mallory renamed it and renamed {@code payments-transfer} to
     * {@code report-viewer} (neither reached a guarded subject: unheld), and the apply gave sa-target the other role. A
     * code review of the fix: Keycloak trims the names it looks up, so {@code "report-viewer "} must be pinned trimmed.
     */
    @Test
    void aRoleAPartialImportGrantsByNameIsTheRoleApproved(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "rolename", rep -> {
            var roles = (com.fasterxml.jackson.databind.node.ArrayNode) rep.path("roles").path("realm");
            roles.addObject().put("name", "report-viewer");
            roles.addObject().put("name", "payments-transfer");
        });
        String sa = r.serviceAccountUserId("sa-target");
        HttpAdmin.Response held = r.http.post(r.admin + "/partialImport", r.token("mallory"), "{\"ifResourceExists\":\"OVERWRITE\","
                + "\"users\":[{\"username\":\"service-account-sa-target\",\"serviceAccountClientId\":\"sa-target\",\"enabled\":true,"
                + "\"realmRoles\":[\"reports-reader\",\"default-roles-" + r.name + "\",\"report-viewer \"]}]}"); // Keycloak trims names
        AttackRealm.assertHeld(held, "a partial import granting sa-target a role");
        String id = held.json().path("id").asText();
        JsonNode pinned = r.changeRequest(id).at("/beforeImage/effectTargets/definition:role-name:realm:report-viewer/image");
        assertEquals(r.realmRole("report-viewer").path("id").asText(), pinned.path("id").asText(), "shown: " + pinned);
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());

        String mallory = r.token("mallory");
        assertEquals(204, r.http.put(r.admin + "/roles/report-viewer", mallory, "{\"name\":\"rv-old\"}").status());
        assertEquals(204, r.http.put(r.admin + "/roles/payments-transfer", mallory, "{\"name\":\"report-viewer\"}").status());
        HttpAdmin.Response applied = r.apply(id, mallory);
        assertAll(
                () -> assertEquals(409, applied.status(), "the name stands for another role now: " + applied.body()),
                () -> assertFalse(r.effectiveRealmRoles(r.serviceAccountUserId("sa-target")).contains("report-viewer"),
                        "sa-target holds no role named report-viewer"),
                () -> assertEquals(sa, r.serviceAccountUserId("sa-target"), "sa-target's user is the one it was"));
    }

    /**
     * Any admin role read every change request whole: a {@code query-groups} holder, who may not view sa-target or ann
     * in Keycloak, read their representations in the before-images and who holds sa-target's credential. Only an
     * approver, or an admin who may view the realm, its users and its clients reads a request whole; other admins read
     * its summary, their own requests too (a code review: held before Keycloak checks the requester's permissions).
     */
    @Test
    void anAdminWhoMayNotViewTheTargetReadsOnlyTheSummary(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "reads", rep -> {
            ObjectNode quinn = ((com.fasterxml.jackson.databind.node.ArrayNode) rep.get("users")).addObject()
                    .put("username", "quinn").put("enabled", true).put("firstName", "Quinn").put("lastName", "Query")
                    .put("email", "quinn@twentieth.test").put("emailVerified", true);
            quinn.putArray("credentials").addObject().put("type", "password").put("value", "quinn-pass").put("temporary", false);
            quinn.putObject("clientRoles").putArray("realm-management").add("query-groups");
        });
        String id = r.heldSecretRegeneration(r.token("mallory")).path("id").asText();
        String path = r.guard + "/change-requests/" + id;
        HttpAdmin.Response byQuinn = r.http.get(path, r.token("quinn"));
        // a request of quinn's own on a user quinn may not view (held before Keycloak checks her permissions)
        HttpAdmin.Response asked = r.http.post(r.guard + "/change-requests", r.token("quinn"), "{\"method\":\"PUT\",\"path\":\""
                + r.admin + "/users/" + r.userId("ann") + "\",\"body\":{\"attributes\":{\"x\":[\"1\"]}}}");
        HttpAdmin.Response ownByQuinn = asked.status() == 201
                ? r.http.get(r.guard + "/change-requests/" + asked.json().path("id").asText(), r.token("quinn")) : asked;
        HttpAdmin.Response byAnn = r.http.get(path, r.token("ann"));
        HttpAdmin.Response byMallory = r.http.get(path, r.token("mallory"));
        assertAll(
                () -> assertEquals(403, r.http.get(r.admin + "/clients/" + r.clientUuid("sa-target"), r.token("quinn")).status(),
                        "quinn may not view sa-target in Keycloak"),
                () -> assertEquals(200, byQuinn.status(), byQuinn.body()),
                () -> assertEquals("summary", byQuinn.json().path("view").asText(), byQuinn.body()),
                () -> assertTrue(byQuinn.json().path("beforeImage").isMissingNode(), byQuinn.body()),
                () -> assertTrue(byQuinn.json().path("credentialHolders").isMissingNode(), byQuinn.body()),
                () -> assertFalse(byQuinn.body().contains("\"serviceAccountsEnabled\""), byQuinn.body()),
                () -> assertEquals("summary", ownByQuinn.json().path("view").asText(),
                        "quinn's own request on ann is shown as its summary: " + ownByQuinn.body()),
                () -> assertFalse(ownByQuinn.body().contains("\"beforeImage\"")
                        || ownByQuinn.body().contains(r.read("/users/" + r.userId("ann")).path("email").asText()),
                        "nothing of ann: " + ownByQuinn.body()),
                () -> assertTrue(byAnn.json().has("beforeImage"), "an approver reads it whole: " + byAnn.body()),
                () -> assertTrue(byMallory.json().has("beforeImage"), "its requester reads it whole: " + byMallory.body()));
    }
    /**
     * A code review of the pins: a partial import with {@code OVERWRITE} removes what it finds under each name (a client
     * by client id, a role by name, a user by username or else by email) and creates it anew. After ann approved an
     * import of a new client {@code billing-ui}, mallory renamed {@code gate-app} (whose role gates a client scope
     * sa-target uses) to {@code billing-ui}, unheld, and the apply removed it with its gate; an import of user
     * {@code newhire} with ben's email removed ben, an approver. What exists under each name the import uses is now pinned
     * and shown; a name that stands for something else at apply is a changed target.
     */
    @Test
    void whatAnOverwritingImportFindsUnderItsNamesIsPinnedAndShown(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "twentieth", "overwrite", rep -> { });
        String ben = r.userId("ben");
        String benEmail = r.read("/users/" + ben).path("email").asText();
        HttpAdmin.Response held = r.http.post(r.admin + "/partialImport", r.token("mallory"), "{\"ifResourceExists\":\"OVERWRITE\","
                + "\"clients\":[{\"clientId\":\"billing-ui\",\"publicClient\":true}],"
                + "\"users\":[{\"username\":\"newhire\",\"email\":\"" + benEmail + "\",\"enabled\":true}]}");
        AttackRealm.assertHeld(held, "an overwriting partial import");
        String id = held.json().path("id").asText();
        JsonNode pins = r.changeRequest(id).at("/beforeImage/effectTargets");
        assertEquals("ben", pins.at("/definition:user-email:" + benEmail.replace("~", "~0").replace("/", "~1") + "/image/username").asText(),
                "the approver is shown that the email is ben's: " + pins);
        assertTrue(pins.has("definition:client-id:billing-ui"), "the client id is pinned: " + pins.fieldNames());
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ann")).status());

        String mallory = r.token("mallory");
        String plain = r.clientUuid("plain-app");
        JsonNode plainRep = r.read("/clients/" + plain);
        ((ObjectNode) plainRep).put("clientId", "billing-ui");
        assertEquals(204, r.http.put(r.admin + "/clients/" + plain, mallory, plainRep.toString()).status(),
                "an ordinary client renamed to the imported client id");
        HttpAdmin.Response applied = r.apply(id, mallory);
        assertAll(
                () -> assertEquals(409, applied.status(), "the client id stands for an existing client now: " + applied.body()),
                () -> assertEquals(plain, r.clientUuid("billing-ui"), "the renamed client was not removed"),
                () -> assertEquals(200, r.get("/users/" + ben).status(), "ben is still there"));
    }
}
