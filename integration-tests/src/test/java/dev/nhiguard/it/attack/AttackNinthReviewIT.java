package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ninth red-team review: an approver's token exchanged into one of the approvals client, a realm re-created with the
 * id of a deleted one, the claims and attributes that say how a user signed in, and an admin the audit did not know.
 * Each test works in a realm of its own, copied from {@code guard-attack-fifth} (ann and ben approve, mallory
 * administers), and is judged by effect.
 */
@ExtendWith(KeycloakExtension.class)
class AttackNinthReviewIT {

    /**
     * mallory created {@code nhi-approvals} herself, confidential and with standard token exchange (only its redirect
     * URIs were checked), exchanged ann's token from a client of her own into one of {@code nhi-approvals} and approved
     * her own request with it; sa-target got {@code realm-admin}. Creating the client so is held, and a decision client
     * that can mint tokens for someone who did not sign in through it (confidential, device or CIBA grant, service
     * account) carries no decision, whoever made it so.
     */
    @Test
    void anApproversTokenExchangedIntoTheApprovalsClientDecidesNothing(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "exchange", rep -> rep.withArray("clients").addObject()
                .put("clientId", "nhi-approvals").put("publicClient", false).put("secret", "approvals-secret")
                .put("rootUrl", "${authBaseUrl}").put("standardFlowEnabled", true)
                .putObject("attributes").put("standard.token.exchange.enabled", "true"));
        AttackRealm fresh = realmOfItsOwn(keycloak, "approvals", rep -> { });
        String mallory = r.token("mallory");
        HttpAdmin.Response created = fresh.http.post(fresh.admin + "/clients", fresh.token("mallory"), "{\"clientId\":\"nhi-approvals\","
                + "\"rootUrl\":\"${authBaseUrl}\",\"redirectUris\":[\"/resources/*\"],\"publicClient\":false,\"secret\":\"x\","
                + "\"attributes\":{\"standard.token.exchange.enabled\":\"true\"}}");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"x-portal\",\"secret\":\"x-portal-secret\","
                + "\"directAccessGrantsEnabled\":true,\"redirectUris\":[\"http://127.0.0.1:9/*\"],\"protocolMappers\":[{\"name\":\"aud\","
                + "\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-audience-mapper\",\"config\":{"
                + "\"included.client.audience\":\"nhi-approvals\",\"access.token.claim\":\"true\"}}]}").status(), "an ordinary client");
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-target") + "/role-mappings/realm",
                mallory, "[" + r.realmRole("nhi-approver") + "]");
        AttackRealm.assertHeld(held, "a grant to sa-target");

        String annThroughPortal = r.passwordGrant("x-portal", "x-portal-secret", "ann", "ann-pass").json().path("access_token").asText();
        HttpAdmin.Response exchanged = r.http.postForm("/realms/" + r.name + "/protocol/openid-connect/token", Map.of(
                "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange", "client_id", "nhi-approvals",
                "client_secret", "approvals-secret", "subject_token", annThroughPortal,
                "subject_token_type", "urn:ietf:params:oauth:token-type:access_token"));
        String asAnn = exchanged.json().path("access_token").asText();
        HttpAdmin.Response decided = r.approve(held.json().path("id").asText(), held.json().path("digest").asText(), asAnn);
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(created, "creating a confidential nhi-approvals with token exchange"),
                    () -> assertEquals(200, exchanged.status(), "the exchange itself is Keycloak's: " + exchanged.body()),
                    () -> assertEquals("nhi-approvals", AttackRealm.claims(asAnn).path("azp").asText()),
                    () -> assertEquals(403, decided.status(), "a decision with the exchanged token: " + decided.body()),
                    () -> assertTrue(decided.body().contains("confidential"), decided.body()),
                    () -> assertEquals(0, r.changeRequest(held.json().path("id").asText()).path("approvalsGiven").asInt()),
                    () -> assertFalse(r.tokenRealmRoles("sa-target").contains("nhi-approver")));
        } finally {
            r.cancelHeld(mallory, held);
            fresh.cancelHeld(fresh.token("mallory"), created);
        }
    }

    /**
     * A realm deleted with an approved, unapplied grant to sa-target, re-created from its export with the same id: the
     * grant was listed in the new realm and applied there (sa-target got realm-admin, approved by nobody of the new
     * realm). The guard's records of a realm go with it, and an approved deletion of a guarded realm applies (it failed
     * with 500: the apply looked for the realm it had just deleted).
     */
    @Test
    void aRealmDeletedAndCreatedAgainWithItsIdStartsWithoutTheOldRequests(KeycloakTarget keycloak) {
        String id = UUID.randomUUID().toString();
        ObjectNode[] exported = new ObjectNode[1];
        AttackRealm r = realmOfItsOwn(keycloak, "reborn", rep -> {
            rep.put("id", id);
            exported[0] = rep.deepCopy();
        });
        String mallory = r.token("mallory");
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-target") + "/role-mappings/realm",
                mallory, "[" + r.realmRole("nhi-approver") + "]");
        AttackRealm.assertHeld(held, "a grant to sa-target");
        String grant = held.json().path("id").asText();
        assertEquals(200, r.approve(grant, held.json().path("digest").asText(), r.token("ann")).status());
        assertEquals("APPROVED", r.changeRequest(grant).path("state").asText());

        HttpAdmin.Response deletion = r.http.delete(r.admin, r.master());
        AttackRealm.assertHeld(deletion, "deleting the realm");
        String deletionId = deletion.json().path("id").asText();
        assertEquals(200, r.approve(deletionId, deletion.json().path("digest").asText(), r.token("ann")).status());
        HttpAdmin.Response applied = r.apply(deletionId, r.master());
        assertEquals(200, applied.status(), "the approved deletion applies: " + applied.body());
        assertEquals(404, r.http.get(r.admin, r.master()).status(), "the realm is gone");

        assertEquals(201, r.http.post("/admin/realms", r.master(), exported[0].toString()).status(), "created again, same id");
        assertEquals(id, r.realm().path("id").asText());
        HttpAdmin.Response oldApply = r.apply(grant, r.token("mallory"));
        JsonNode listed = r.read("/mutation-guard/change-requests");
        assertAll(
                () -> assertEquals(404, oldApply.status(), "the old realm's approved grant: " + oldApply.body()),
                () -> assertFalse(listed.toString().contains(grant), "the old realm's requests are not listed: " + listed),
                () -> assertFalse(r.tokenRealmRoles("sa-target").contains("nhi-approver")));
    }

    /**
     * Claims and settings that say who a token is for or how its user signed in, beyond the eighth review's list: a
     * client's own map of authentication levels to acr values ({@code acr.loa.map}: any password sign-in read as the
     * strongest), and the principal names of introspection ({@code username}) and MicroProfile JWT ({@code upn}).
     */
    @Test
    void anAcrMapAndPrincipalNameMappersAreHeld(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "acr", rep -> { });
        String mallory = r.token("mallory");
        String map = "{\\\"urn:example:hardware-key\\\":0}";
        HttpAdmin.Response createdWithMap = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"x-acr\","
                + "\"directAccessGrantsEnabled\":true,\"attributes\":{\"acr.loa.map\":\"" + map + "\"}}");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"x-plain\",\"publicClient\":true,\"directAccessGrantsEnabled\":true,"
                + "\"attributes\":{\"acr.loa.map\":\"{}\"}}").status(), "an ordinary client with an empty map");
        String plain = r.clientUuid("x-plain");
        JsonNode rep = r.read("/clients/" + plain);
        ((ObjectNode) rep.path("attributes")).put("acr.loa.map", "{\"urn:example:hardware-key\":0}");
        HttpAdmin.Response updatedWithMap = r.http.put(r.admin + "/clients/" + plain, mallory, rep.toString());
        HttpAdmin.Response upn = r.http.post(r.admin + "/clients/" + plain + "/protocol-mappers/models", mallory,
                mapper("upn", "upn", "service-account-sa-target"));
        HttpAdmin.Response username = r.http.post(r.admin + "/clients/" + plain + "/protocol-mappers/models", mallory,
                mapper("username", "username", "service-account-sa-target"));
        String annToken = r.passwordGrant("x-plain", null, "ann", "ann-pass").json().path("access_token").asText();
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(createdWithMap, "a client created with an acr map"),
                    () -> AttackRealm.assertHeld(updatedWithMap, "an acr map set on a client"),
                    () -> AttackRealm.assertHeld(upn, "a upn mapper"),
                    () -> AttackRealm.assertHeld(username, "a username mapper"),
                    () -> assertFalse(AttackRealm.claims(annToken).has("upn"), AttackRealm.claims(annToken).toString()),
                    () -> assertFalse("urn:example:hardware-key".equals(AttackRealm.claims(annToken).path("acr").asText()),
                            AttackRealm.claims(annToken).toString()));
        } finally {
            r.cancelHeld(mallory, createdWithMap, updatedWithMap, upn, username);
        }
    }

    /**
     * A pairwise-subject mapper on mallory's own client gave her tokens a {@code sub} other than her id; Keycloak took
     * her from the token's session and let her write, and the audit chain, which took the admin from {@code sub}, left
     * writes Keycloak records no event for (admin API v2) out of the chain. The chain takes the admin as Keycloak does.
     */
    @Test
    void aWriteWithAPairwiseSubjectIsStillChainedUnderItsAdmin(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "pairwise", rep -> { });
        String mallory = r.token("mallory");
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"x-pairwise\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"redirectUris\":[\"http://127.0.0.1:9/cb\"]}").status());
        HttpAdmin.Response mapper = r.http.post(r.admin + "/clients/" + r.clientUuid("x-pairwise") + "/protocol-mappers/models", mallory,
                "{\"name\":\"pairwise\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-sha256-pairwise-sub-mapper\","
                + "\"config\":{\"pairwiseSubAlgorithmSalt\":\"x\"}}");
        assertEquals(201, mapper.status(), "a pairwise subject is everyday work: " + mapper.body());
        String pairwise = r.passwordGrant("x-pairwise", null, "mallory", "mallory-pass").json().path("access_token").asText();
        String malloryId = r.userId("mallory");
        assertFalse(malloryId.equals(AttackRealm.claims(pairwise).path("sub").asText()), "the sub is pairwise");
        long before = r.read("/audit-chain/head").path("seq").asLong();
        String created = "x-v2-" + System.nanoTime();
        HttpAdmin.Response write = r.http.post("/admin/api/" + r.name + "/clients/v2", pairwise,
                "{\"clientId\":\"" + created + "\",\"protocol\":\"openid-connect\"}");
        assertEquals(201, write.status(), "Keycloak lets her write: " + write.body());
        List<JsonNode> records = r.recordsAfter(before);
        assertTrue(records.stream().anyMatch(x -> "ADMIN_WRITE_UNRECORDED".equals(x.path("type").asText())
                && malloryId.equals(x.at("/actor/userId").asText()) && "POST".equals(x.at("/details/method").asText())),
                "the v2 write is chained under mallory: " + records);
    }

    private static AttackRealm realmOfItsOwn(KeycloakTarget keycloak, String suffix, Consumer<ObjectNode> change) {
        return AttackRealm.copyOfFifth(keycloak, "guard-attack-ninth", suffix, change);
    }

    private static String mapper(String name, String claim, String value) {
        return "{\"name\":\"" + name + "\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                + "\"config\":{\"claim.name\":\"" + claim + "\",\"claim.value\":\"" + value + "\",\"jsonType.label\":\"String\","
                + "\"access.token.claim\":\"true\",\"id.token.claim\":\"true\",\"introspection.token.claim\":\"true\"}}";
    }
}
