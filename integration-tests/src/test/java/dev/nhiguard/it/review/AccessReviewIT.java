package dev.nhiguard.it.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.it.ConsoleSignIn;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Access reviews against a real Keycloak: a campaign over used and unused service accounts and
 * roles, decided by their owners (keep, narrow through the mutation guard, retire) and by the
 * approvers for an identity without an owner; an item left undecided past its deadline,
 * contained by the scheduled pass; a risk signal that narrows and the owner's revalidation that
 * restores. Each step is judged by its effect (roles, scopes, client state) and its chained record.
 */
@ExtendWith(KeycloakExtension.class)
class AccessReviewIT {

    static final Duration WAIT = Duration.ofSeconds(30);
    /** Only the writes no catalogue operation describes are held: our narrowing, revalidation and policy writes among them. */
    static final String GUARD_POLICY = "{\"guardedOperations\":[\"unclassified-write\"]}";

    /**
     * Tokens a gateway holds for a person: a confidential client with standard token exchange exchanges the person's
     * token (from a client whose tokens name the gateway as audience) for an access and a refresh token, and refreshes.
     * Returns the person's own token of that other client, the exchanged access token and the refreshed one; all name the
     * person's live session.
     */
    static String[] tokensAnotherClientHolds(ReviewRealm r, String username) {
        String clients = r.admin + "/clients";
        HttpAdmin.Response gateway = r.http.post(clients, r.masterToken(), "{\"clientId\":\"gateway\",\"publicClient\":false,"
                + "\"secret\":\"gateway-secret\",\"standardFlowEnabled\":false,\"attributes\":{\"standard.token.exchange.enabled\":\"true\","
                + "\"standard.token.exchange.enableRefreshRequestedTokenType\":\"SAME_SESSION\"}}");
        assertEquals(201, gateway.status(), gateway.body());
        HttpAdmin.Response app = r.http.post(clients, r.masterToken(), "{\"clientId\":\"person-app\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false,\"protocolMappers\":[{\"name\":\"to-gateway\","
                + "\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-audience-mapper\",\"config\":{"
                + "\"included.client.audience\":\"gateway\",\"access.token.claim\":\"true\"}}]}");
        assertEquals(201, app.status(), app.body());
        String subject = r.http.passwordGrant(r.realm, "person-app", username, username + "-pass", null).get("access_token").asText();
        String tokenPath = "/realms/" + r.realm + "/protocol/openid-connect/token";
        HttpAdmin.Response exchange = r.http.postForm(tokenPath, Map.of("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange",
                "client_id", "gateway", "client_secret", "gateway-secret", "subject_token", subject,
                "subject_token_type", "urn:ietf:params:oauth:token-type:access_token",
                "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"));
        assertEquals(200, exchange.status(), exchange.body());
        String exchangedAccess = exchange.json().path("access_token").asText();
        assertEquals(claims(subject).path("sid").asText(), claims(exchangedAccess).path("sid").asText(),
                "fixture: the exchanged token names the person's live session");
        HttpAdmin.Response refreshed = r.http.postForm(tokenPath, Map.of("grant_type", "refresh_token", "client_id", "gateway",
                "client_secret", "gateway-secret", "refresh_token", exchange.json().path("refresh_token").asText()));
        assertEquals(200, refreshed.status(), refreshed.body());
        return new String[] {subject, exchangedAccess, refreshed.json().path("access_token").asText()};
    }

    private static JsonNode claims(String jwt) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void ownersDecideFromUsageAndEveryDecisionIsChainedAndExported(KeycloakTarget keycloak) throws Exception {
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            ReviewRealm r = new ReviewRealm(keycloak, "review-decide",
                    "{\"deadlineSeconds\":3600,\"onUndecided\":\"suspend\"}", GUARD_POLICY, smtp.smtpServerConfig());
            r.realmRole("orders-read");
            r.realmRole("orders-admin");
            r.realmRole("nhi-approver");
            // an owner is an ordinary user: no admin role (a red-team review found an owner's guarded decisions passed unheld then)
            String owen = r.user("owen", List.of(), Map.of());
            r.user("rita", List.of(), Map.of("realm-management", List.of("realm-admin")));
            r.user("ann", List.of("nhi-approver"), Map.of("realm-management", List.of("realm-admin")));
            r.user("ben", List.of("nhi-approver"), Map.of("realm-management", List.of("realm-admin")));
            String orders = r.clientScope("orders", List.of("orders-read"));
            String reports = r.clientScope("reports", List.of());

            r.serviceAccount("svc-used", owen, List.of(orders, reports));
            r.grantRealmRole(r.serviceAccountUser("svc-used"), "orders-read");
            r.grantRealmRole(r.serviceAccountUser("svc-used"), "orders-admin");
            r.serviceAccount("svc-idle", owen, List.of());
            r.grantRealmRole(r.serviceAccountUser("svc-idle"), "orders-admin");
            r.serviceAccount("svc-keep", owen, List.of(orders));
            r.grantRealmRole(r.serviceAccountUser("svc-keep"), "orders-read");
            r.serviceAccount("svc-orphan", null, List.of());

            JsonNode token = r.tokenWithScope("svc-used", "orders");
            assertTrue(token.get("scope").asText().contains("orders"), token.toString());
            r.tokenWithScope("svc-keep", "orders");
            r.awaitUsed("svc-used");
            r.awaitUsed("svc-keep");

            JsonNode campaign = r.startCampaign(r.token("rita"));
            String cid = campaign.get("id").asText();
            assertEquals("OPEN", campaign.get("state").asText());
            assertEquals(4, campaign.get("items").asInt(), campaign.toString());
            Map<String, JsonNode> items = r.items(cid, r.token("rita"));
            assertEquals(Set.of("svc-used", "svc-idle", "svc-keep", "svc-orphan"), items.keySet());

            // What the reviewer sees: held against requested, from the tokens actually issued.
            JsonNode used = items.get("svc-used");
            assertEquals("owner", used.get("reviewerSource").asText());
            assertEquals("owen", used.at("/reviewers/0/username").asText());
            JsonNode snap = used.get("snapshot");
            assertEquals("owen", snap.at("/owner/name").asText(), snap.toString());
            assertEquals("tests svc-used", snap.get("purpose").asText());
            assertTrue(snap.has("lastUsedAt") && !snap.get("lastUsedAt").isNull(), snap.toString());
            assertEquals("client-secret", snap.at("/credential/type").asText());
            assertTrue(ReviewRealm.texts(snap.at("/roles/held")).containsAll(List.of("orders-read", "orders-admin")), snap.toString());
            assertTrue(ReviewRealm.texts(snap.at("/roles/requested")).contains("orders-read"), snap.toString());
            assertTrue(ReviewRealm.texts(snap.at("/roles/unrequested")).contains("orders-admin"), snap.toString());
            assertTrue(ReviewRealm.texts(snap.at("/scopes/requested")).contains("orders"), snap.toString());
            assertTrue(ReviewRealm.texts(snap.at("/scopes/unrequested")).contains("reports"), snap.toString());
            assertEquals(ReviewRealm.sha256(ReviewRealm.json(snap)), used.get("snapshotDigest").asText(),
                    "the digest is the SHA-256 of the snapshot as stored and shown");
            JsonNode idle = items.get("svc-idle");
            assertTrue(idle.at("/snapshot/lastUsedAt").isMissingNode() || idle.at("/snapshot/lastUsedAt").isNull(), idle.toString());
            assertTrue(ReviewRealm.texts(idle.at("/snapshot/roles/unrequested")).contains("orders-admin"));
            assertTrue(ReviewRealm.texts(idle.at("/snapshot/roles/requested")).isEmpty(), "never used: nothing requested " + idle);
            JsonNode orphan = items.get("svc-orphan");
            assertEquals("approvers", orphan.get("reviewerSource").asText(), orphan.toString());
            assertEquals(Set.of("ann", "ben"), Set.copyOf(orphan.findValuesAsText("username")));

            // The reviewers were mailed, with a link to the reviews page.
            SmtpReceiver.Message mail = smtp.await(m -> m.recipients().contains("owen@review-decide.example"), WAIT);
            assertTrue(mail.subject().startsWith("Access review in realm review-decide"), mail.subject());
            assertTrue(mail.text().contains("svc-used") && mail.text().contains("svc-idle") && mail.text().contains("svc-keep"), mail.text());
            assertFalse(mail.text().contains("svc-orphan"), mail.text());
            assertTrue(mail.text().contains("/common/nhi-guard/reviews/index.html#realm=review-decide&campaign=" + cid), mail.text());
            smtp.await(m -> m.recipients().contains("ann@review-decide.example") && m.text().contains("svc-orphan"), WAIT);

            // Only the reviewer decides: a realm admin who is not the owner is refused, nothing changes.
            JsonNode keep = items.get("svc-keep");
            String keepDigest = keep.get("snapshotDigest").asText();
            HttpAdmin.Response byRita = r.decide(keep, "keep", r.token("rita"), Map.of("digest", keepDigest));
            assertEquals(403, byRita.status(), byRita.body());
            assertEquals("not_reviewer", byRita.json().get("error").asText());
            HttpAdmin.Response owenOnOrphan = r.decide(orphan, "keep", r.token("owen"), Map.of("digest", orphan.get("snapshotDigest").asText()));
            assertEquals(403, owenOnOrphan.status(), owenOnOrphan.body());
            HttpAdmin.Response stale = r.decide(keep, "keep", r.token("owen"), Map.of("digest", "0".repeat(64)));
            assertEquals(409, stale.status(), stale.body());
            HttpAdmin.Response noDigest = r.decide(keep, "keep", r.token("owen"), Map.of("comment", "x"));
            assertEquals(400, noDigest.status(), noDigest.body());
            assertEquals("invalid_request", noDigest.json().get("error").asText());

            // An admin impersonating the owner decides nothing in his name (the record would name owen alone).
            HttpAdmin.Response impersonation = r.http.post(r.admin + "/users/" + owen + "/impersonation", r.masterToken(), null);
            assertEquals(200, impersonation.status(), impersonation.body());
            String asOwen = ConsoleSignIn.tokens(r.http, r.keycloak.baseUri(), r.realm, impersonation.header("set-cookie"))
                    .path("access_token").asText();
            HttpAdmin.Response impersonated = r.decide(keep, "keep", asOwen, Map.of("digest", keepDigest));
            assertEquals(403, impersonated.status(), impersonated.body());
            assertTrue(impersonated.body().contains("impersonated session"), impersonated.body());

            // Nor does a token another client holds for the owner (twenty-fourth red-team review: an agent exchanged its
            // owner's token, which keeps his live session, and attested its own item as him): a gateway's standard token
            // exchange of owen's token, the refresh of what it got, and owen's own token of another client, the one he
            // handed the gateway (a re-attack of the first fix decided with it). A narrowing, which the guard holds, is
            // refused when it is held, not filed in his name.
            String[] held = tokensAnotherClientHolds(r, "owen");
            for (String notHis : held) {
                HttpAdmin.Response byGateway = r.decide(keep, "keep", notHis, Map.of("digest", keepDigest));
                assertEquals(403, byGateway.status(), byGateway.body());
                assertTrue(byGateway.body().contains("in person"), byGateway.body());
            }
            HttpAdmin.Response narrowByGateway = r.decide(items.get("svc-used"), "narrow", held[1],
                    Map.of("digest", items.get("svc-used").get("snapshotDigest").asText()));
            assertEquals(403, narrowByGateway.status(), "refused, not held: " + narrowByGateway.body());
            assertTrue(narrowByGateway.body().contains("issued to client gateway"), narrowByGateway.body());

            // keep
            HttpAdmin.Response kept = r.decide(keep, "keep", r.token("owen"), Map.of("digest", keepDigest, "comment", "still needed"));
            assertEquals(200, kept.status(), kept.body());
            assertEquals("KEEP", kept.json().get("decision").asText());
            assertEquals("owen", kept.json().at("/decidedBy/username").asText());
            HttpAdmin.Response again = r.decide(keep, "retire", r.token("owen"), Map.of("digest", keepDigest));
            assertEquals(409, again.status(), again.body());

            // keep by an approver, for the identity without an owner
            HttpAdmin.Response annKeeps = r.decide(orphan, "keep", r.token("ann"), Map.of("digest", orphan.get("snapshotDigest").asText()));
            assertEquals(200, annKeeps.status(), annKeeps.body());

            // retire: the unused service account is disabled, not deleted
            HttpAdmin.Response retired = r.decide(idle, "retire", r.token("owen"), Map.of("digest", idle.get("snapshotDigest").asText(),
                    "comment", "never used"));
            assertEquals(200, retired.status(), retired.body());
            assertEquals("RETIRE", retired.json().get("decision").asText());
            JsonNode idleClient = ReviewRealm.ok(r.http.get(r.admin + "/clients/" + r.clientUuid("svc-idle"), r.masterToken()));
            assertFalse(idleClient.get("enabled").asBoolean(), idleClient.toString());

            // narrow: proposed by the owner, held by the guard, applied only after an approver agrees
            TreeSet<String> rolesBefore = r.directRoles("svc-used");
            HttpAdmin.Response proposed = r.decide(used, "narrow", r.token("owen"), Map.of("digest", used.get("snapshotDigest").asText(),
                    "roles", List.of("orders-admin"), "scopes", List.of("reports"), "comment", "admin role and reports never used"));
            assertEquals(202, proposed.status(), proposed.body());
            String crId = proposed.json().get("id").asText();
            assertEquals(rolesBefore, r.directRoles("svc-used"), "nothing changes while the narrowing is held");
            assertTrue(r.optionalScopes("svc-used").contains("reports"));
            assertTrue(r.items(cid, r.token("owen")).get("svc-used").path("decision").isMissingNode());
            HttpAdmin.Response approved = r.http.post(r.admin + "/mutation-guard/change-requests/" + crId + "/approve", r.token("ann"),
                    "{\"digest\":\"" + proposed.json().get("digest").asText() + "\"}");
            assertEquals(200, approved.status(), approved.body());
            HttpAdmin.Response applied = r.http.post(r.admin + "/mutation-guard/change-requests/" + crId + "/apply", r.token("owen"), null);
            assertEquals(200, applied.status(), applied.body());
            TreeSet<String> expected = new TreeSet<>(rolesBefore);
            expected.remove("orders-admin");
            assertEquals(expected, r.directRoles("svc-used"));
            assertFalse(r.optionalScopes("svc-used").contains("reports"));
            assertTrue(r.optionalScopes("svc-used").contains("orders"));
            JsonNode narrowed = r.items(cid, r.token("owen")).get("svc-used");
            assertEquals("NARROW", narrowed.get("decision").asText(), narrowed.toString());
            assertEquals(List.of("orders-admin"), ReviewRealm.texts(narrowed.at("/outcome/removedRoles")));
            assertEquals(List.of("reports"), ReviewRealm.texts(narrowed.at("/outcome/removedScopes")));

            JsonNode after = ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/campaigns/" + cid, r.token("rita")));
            assertEquals("CLOSED", after.get("state").asText(), "every item decided closes the campaign");

            // Every decision is a chained record: who, when, and the digest of what they saw.
            for (String client : List.of("svc-used", "svc-idle", "svc-keep", "svc-orphan")) {
                JsonNode item = items.get(client);
                String target = "nhi/reviews/campaigns/" + cid + "/items/" + item.get("id").asText();
                JsonNode rec = r.chain("NHI_REVIEW", target, 1).get(0);
                assertEquals(item.get("snapshotDigest").asText(), rec.at("/details/snapshotDigest").asText(), rec.toString());
                assertEquals(client, rec.at("/details/clientId").asText());
                assertEquals(client.equals("svc-orphan") ? "ann" : "owen", rec.at("/details/decidedBy").asText(), rec.toString());
                assertNotNull(rec.get("time"), rec.toString());
            }
            List<JsonNode> started = r.chain("NHI_REVIEW", "nhi/reviews/campaigns/" + cid, 5).stream() // the target filter is a prefix
                    .filter(x -> x.get("target").asText().equals("nhi/reviews/campaigns/" + cid)).toList();
            assertEquals(1, started.size(), "the campaign start is chained too: " + started);
            assertEquals("CREATE", started.get(0).get("operation").asText());
            r.assertChainVerifies();

            // Evidence: each row carries the seq and hash of its decision's chained record.
            JsonNode evidence = ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/campaigns/" + cid + "/evidence", r.token("rita")));
            assertEquals(4, evidence.get("rows").size(), evidence.toString());
            assertTrue(evidence.get("chainAvailable").asBoolean());
            for (JsonNode row : evidence.get("rows")) {
                String target = "nhi/reviews/campaigns/" + cid + "/items/" + row.get("itemId").asText();
                JsonNode rec = r.chain("NHI_REVIEW", target, 1).get(0);
                assertEquals(rec.get("seq").asLong(), row.get("chainSeq").asLong(), row.toString());
                assertEquals(rec.get("hash").asText(), row.get("chainHash").asText());
                assertEquals(ReviewRealm.sha256(row.get("snapshot").asText()), row.get("snapshotDigest").asText());
            }
            HttpAdmin.Response csv = r.http.send("GET", r.admin + "/nhi/reviews/campaigns/" + cid + "/evidence?format=csv", r.token("rita"), null, null);
            assertEquals(200, csv.status(), csv.body());
            String[] lines = csv.body().split("\r\n");
            assertTrue(lines[0].startsWith("campaignId,itemId,clientUuid,clientId,reviewerSource,reviewers,decision,decidedBy,decidedAt,snapshotDigest"), lines[0]);
            assertTrue(csv.body().contains(",svc-idle,owner,owen,RETIRE,owen,"), csv.body());
            // Changing the review policy is a guarded write: held, nothing changes until approved and applied.
            HttpAdmin.Response policy = r.http.put(r.admin + "/nhi/reviews/policy", r.token("rita"),
                    "{\"deadlineSeconds\":1,\"onUndecided\":\"suspend\"}");
            assertEquals(202, policy.status(), policy.body());
            assertEquals(3600, ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/policy", r.token("rita"))).get("deadlineSeconds").asInt());

            HttpAdmin.Response badFormat = r.http.get(r.admin + "/nhi/reviews/campaigns/" + cid + "/evidence?format=xml", r.token("rita"));
            assertEquals(400, badFormat.status(), badFormat.body());
        }
    }
}
