package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.it.agent.AgentKey;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Fifteenth red-team review (2026-12-06): an agent's owners and delegates are named in its change request by username
 * or group path, and the agent module resolved the names only when the request was applied. Between ben's approval and
 * the apply, mallory made the approved names stand for accounts of her own, unheld; the stolen key then acted for them.
 * The names are now pinned like an agent's allowed scopes: a name that stands for another user or group at apply is a
 * changed target ({@code 409}). Each test runs in a realm copied from {@code guard-attack-fifth}.
 */
@ExtendWith(KeycloakExtension.class)
class AttackFifteenthReviewIT {

    static Map<String, Object> agent(String name, Map<String, Object> owner) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("owner", owner);
        body.put("purpose", "reconciles invoices");
        body.put("expiresAt", java.time.Instant.now().plus(java.time.Duration.ofDays(30))
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        body.put("allowedScopes", List.of());
        body.put("keyBinding", Map.of("type", "jwk", "jwk", new AgentKey().publicJwk()));
        return body;
    }

    static String createdId(HttpAdmin.Response created, String what) {
        assertEquals(201, created.status(), what + ": " + created.body());
        String location = created.header("Location");
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /** Owner group {@code /gown}, approved; mallory renames it and renames her own group to {@code gown}; the apply. */
    @Test
    void anOwnerGroupPathThatStandsForAnotherGroupAtApplyIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fifteenth", "owner-group", rep -> { });
        String mallory = r.token("mallory");
        String gown = createdId(r.http.post(r.admin + "/groups", mallory, "{\"name\":\"gown\"}"), "group gown");
        String mine = createdId(r.http.post(r.admin + "/groups", mallory, "{\"name\":\"mallorys\"}"), "group mallorys");
        r.http.put(r.admin + "/users/" + r.userId("olive") + "/groups/" + gown, mallory, null);
        HttpAdmin.Response held = r.http.post(r.admin + "/agents", mallory,
                AttackRealm.json(agent("group-bot", Map.of("type", "group", "path", "/gown"))));
        AttackRealm.assertHeld(held, "registering an agent");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());
        HttpAdmin.Response away = r.http.put(r.admin + "/groups/" + gown, mallory, "{\"name\":\"gown-old\"}");
        HttpAdmin.Response swapped = r.http.put(r.admin + "/groups/" + mine, mallory, "{\"name\":\"gown\"}");
        HttpAdmin.Response applied = r.apply(id, mallory);
        try {
            assertAll(
                    () -> assertEquals(204, away.status(), "fixture: renaming a group nobody's privilege comes from: " + away.body()),
                    () -> assertEquals(204, swapped.status(), "fixture: " + swapped.body()),
                    () -> assertEquals(409, applied.status(), "the registration after its owner's path changed hands: " + applied.body()),
                    () -> assertNull(r.clientUuidOrNull("group-bot"), "the agent was registered"));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", mallory, null);
        }
    }

    /** Owner {@code dave} by username, approved; mallory deletes dave and creates a dave of her own; the apply. */
    @Test
    void anOwnerUsernameReCreatedAfterTheApprovalIsAChangedTarget(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fifteenth", "owner-user", rep -> { });
        String mallory = r.token("mallory");
        String dave = createdId(r.http.post(r.admin + "/users", mallory,
                "{\"username\":\"dave\",\"enabled\":true,\"email\":\"dave@example.org\",\"firstName\":\"Dave\",\"lastName\":\"D\"}"),
                "user dave");
        HttpAdmin.Response held = r.http.post(r.admin + "/agents", mallory,
                AttackRealm.json(agent("dave-bot", Map.of("type", "user", "username", "dave"))));
        AttackRealm.assertHeld(held, "registering an agent");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());
        HttpAdmin.Response deleted = r.http.delete(r.admin + "/users/" + dave, mallory);
        HttpAdmin.Response recreated = r.http.post(r.admin + "/users", mallory,
                "{\"username\":\"dave\",\"enabled\":true,\"email\":\"dave2@example.org\",\"firstName\":\"Dave\",\"lastName\":\"M\","
                        + "\"credentials\":[{\"type\":\"password\",\"value\":\"mallorys-dave\",\"temporary\":false}]}");
        HttpAdmin.Response applied = r.apply(id, mallory);
        try {
            assertAll(
                    () -> assertEquals(204, deleted.status(), "fixture: deleting an ordinary user: " + deleted.body()),
                    () -> assertEquals(201, recreated.status(), "fixture: " + recreated.body()),
                    () -> assertEquals(409, applied.status(), "the registration after its owner's name changed hands: " + applied.body()),
                    () -> assertNull(r.clientUuidOrNull("dave-bot"), "the agent was registered"));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", mallory, null);
        }
    }

    /**
     * mallory created the realm's missing {@code nhi-approvals} in the documented shape, with a second redirect URI
     * {@code /resources/%2e%2e/realms/…/auth?client_id=evil&redirect_uri=https://evil.example/…}: the check refused a
     * literal {@code ..} only. A browser resolves {@code %2e%2e} to the parent; Keycloak's exact match does not. ann's
     * code went through Keycloak's authorization endpoint on to mallory's site, and mallory approved as ann. Such a
     * client is now held, and one that exists anyway (imported by an operator, created before) decides nothing.
     */
    @Test
    void anApprovalsClientWhoseCodesCanLeaveTheThemeFilesIsHeldAndDecidesNothing(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fifteenth", "approvals-dots", rep -> { });
        String mallory = r.token("mallory");
        for (String uri : new String[] {"/resources/%2e%2e/realms/" + r.name + "/protocol/openid-connect/auth?client_id=evil",
                "/resources/.%2e/realms/*", "/resources/%2E%2E/*", "/resources/x/../../realms/*", "/resources//evil/*",
                "/resources/x?next=/realms/*", "/resources/x#/realms"}) {
            HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, AttackRealm.json(Map.of(
                    "clientId", "nhi-approvals", "publicClient", true, "standardFlowEnabled", true,
                    "directAccessGrantsEnabled", false, "rootUrl", "${authBaseUrl}",
                    "redirectUris", List.of("/resources/*", uri), "webOrigins", List.of("+"),
                    "attributes", Map.of("pkce.code.challenge.method", "S256"))));
            AttackRealm.assertHeld(created, "nhi-approvals with the redirect URI " + uri);
            r.cancelHeld(mallory, created);
        }

        AttackRealm planted = AttackRealm.copyOfFifth(keycloak, "fifteenth", "approvals-planted", rep -> rep.withArray("clients")
                .add(AttackRealm.JSON.valueToTree(Map.of("clientId", "nhi-approvals", "publicClient", true,
                        "standardFlowEnabled", true, "directAccessGrantsEnabled", true, "rootUrl", "${authBaseUrl}",
                        "redirectUris", List.of("/resources/%2e%2e/realms/*")))));
        com.fasterxml.jackson.databind.JsonNode held = planted.heldSecretRegeneration(planted.token("mallory"));
        HttpAdmin.Response annThroughIt = planted.passwordGrant("nhi-approvals", null, "ann", "ann-pass");
        assertEquals(200, annThroughIt.status(), "fixture: ann's token through the planted client: " + annThroughIt.body());
        HttpAdmin.Response approved = planted.approve(held.path("id").asText(), held.path("digest").asText(),
                annThroughIt.json().path("access_token").asText());
        assertEquals(403, approved.status(), "a decision through an approvals client whose codes can leave: " + approved.body());
        assertTrue(approved.body().contains("%2e%2e"), approved.body());
    }
}
