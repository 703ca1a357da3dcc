package dev.nhiguard.it.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Unreviewed means contained: items left undecided past the policy's (tiny) deadline are
 * narrowed or disabled by the scheduled review pass (the test server runs it every 3 s; the test
 * never calls the pass itself), recorded and chained, the owner mailed before and after; nothing
 * is deleted.
 */
@ExtendWith(KeycloakExtension.class)
class ReviewDeadlineIT {

    static final Duration WAIT = Duration.ofSeconds(40);

    @Test
    void anItemUndecidedAtTheDeadlineIsNarrowedByTheScheduledPass(KeycloakTarget keycloak) throws Exception {
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            ReviewRealm r = new ReviewRealm(keycloak, "review-deadline-narrow", "{\"deadlineSeconds\":2,\"onUndecided\":\"narrow\"}",
                    "{\"guardedOperations\":[]}", smtp.smtpServerConfig());
            r.realmRole("orders-read");
            r.realmRole("orders-admin");
            String olive = r.user("olive", List.of(), Map.of("realm-management", List.of("view-clients")));
            String orders = r.clientScope("orders", List.of("orders-read"));
            String reports = r.clientScope("reports", List.of());
            r.serviceAccount("svc-stale", olive, List.of(orders, reports));
            r.grantRealmRole(r.serviceAccountUser("svc-stale"), "orders-read");
            r.grantRealmRole(r.serviceAccountUser("svc-stale"), "orders-admin");
            r.tokenWithScope("svc-stale", "orders");
            r.awaitUsed("svc-stale");

            JsonNode campaign = r.startCampaign(r.masterToken());
            String cid = campaign.get("id").asText();
            SmtpReceiver.Message before = smtp.await(m -> m.recipients().contains("olive@review-deadline-narrow.example")
                    && m.subject().startsWith("Access review"), WAIT);
            assertTrue(before.text().contains("contained automatically (narrow)"), before.text());

            JsonNode item = r.items(cid, r.masterToken()).get("svc-stale");
            ReviewRealm.await(() -> r.items(cid, r.masterToken()).get("svc-stale").has("decision"), "the scheduled pass");
            JsonNode contained = r.items(cid, r.masterToken()).get("svc-stale");
            assertEquals("CONTAINED_NARROW", contained.get("decision").asText(), contained.toString());
            assertEquals("system", contained.at("/decidedBy/username").asText());
            assertTrue(ReviewRealm.texts(contained.at("/outcome/removedRoles")).contains("orders-admin"), contained.toString());
            assertTrue(ReviewRealm.texts(contained.at("/outcome/removedScopes")).contains("reports"), contained.toString());

            TreeSet<String> roles = r.directRoles("svc-stale");
            assertTrue(roles.contains("orders-read"), "the role its tokens were requested for stays: " + roles);
            assertFalse(roles.contains("orders-admin"), roles.toString());
            assertTrue(r.optionalScopes("svc-stale").contains("orders"));
            assertFalse(r.optionalScopes("svc-stale").contains("reports"));
            JsonNode client = ReviewRealm.ok(r.http.get(r.admin + "/clients/" + r.clientUuid("svc-stale"), r.masterToken()));
            assertTrue(client.get("enabled").asBoolean(), "narrowed, not disabled or deleted");
            assertEquals("CLOSED", ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/campaigns/" + cid, r.masterToken())).get("state").asText());

            SmtpReceiver.Message afterMail = smtp.await(m -> m.recipients().contains("olive@review-deadline-narrow.example")
                    && m.subject().contains("contained"), WAIT);
            assertTrue(afterMail.text().contains("svc-stale") && afterMail.text().contains("orders-admin"), afterMail.text());

            JsonNode rec = r.chain("NHI_REVIEW", "nhi/reviews/campaigns/" + cid + "/items/" + item.get("id").asText(), 1).get(0);
            assertEquals("CONTAINED_NARROW", rec.at("/details/decision").asText(), rec.toString());
            assertEquals("system", rec.at("/details/decidedBy").asText());
            assertEquals(item.get("snapshotDigest").asText(), rec.at("/details/snapshotDigest").asText());
            r.assertChainVerifies();
        }
    }

    @Test
    void anItemUndecidedAtTheDeadlineIsDisabledWhenThePolicySaysSuspend(KeycloakTarget keycloak) {
        ReviewRealm r = new ReviewRealm(keycloak, "review-deadline-suspend", "{\"deadlineSeconds\":2,\"onUndecided\":\"suspend\"}",
                "{\"guardedOperations\":[]}", null);
        String oscar = r.user("oscar", List.of(), Map.of());
        r.serviceAccount("svc-forgotten", oscar, List.of());
        // A group owner: its members review.
        String gina = r.user("gina", List.of(), Map.of());
        HttpAdmin.Response group = r.http.post(r.admin + "/groups", r.masterToken(), "{\"name\":\"team\"}");
        assertEquals(201, group.status(), group.body());
        String groupId = group.header("Location").replaceAll(".*/", "");
        assertEquals(204, r.http.put(r.admin + "/users/" + gina + "/groups/" + groupId, r.masterToken(), null).status());
        r.serviceAccount("svc-team", "group", groupId, List.of());

        // The policy is validated on write (this realm's guard holds nothing, so it is written at once).
        HttpAdmin.Response bad = r.http.put(r.admin + "/nhi/reviews/policy", r.masterToken(), "{\"deadlineSeconds\":0}");
        assertEquals(400, bad.status(), bad.body());
        assertEquals("invalid_request", bad.json().get("error").asText());
        assertTrue(bad.json().get("error_description").asText().contains("deadlineSeconds"), bad.body());
        HttpAdmin.Response good = r.http.put(r.admin + "/nhi/reviews/policy", r.masterToken(),
                "{\"deadlineSeconds\":2,\"onUndecided\":\"suspend\",\"scope\":\"all\"}");
        assertEquals(200, good.status(), good.body());

        JsonNode campaign = r.startCampaign(r.masterToken());
        String cid = campaign.get("id").asText();
        JsonNode team = r.items(cid, r.masterToken()).get("svc-team");
        assertEquals("owner", team.get("reviewerSource").asText(), team.toString());
        assertEquals(1, team.get("reviewers").size(), team.toString());
        assertEquals("gina", team.at("/reviewers/0/username").asText(), team.toString());
        ReviewRealm.await(() -> r.items(cid, r.masterToken()).get("svc-forgotten").has("decision"), "the scheduled pass");
        JsonNode contained = r.items(cid, r.masterToken()).get("svc-forgotten");
        assertEquals("CONTAINED_SUSPEND", contained.get("decision").asText(), contained.toString());
        JsonNode client = ReviewRealm.ok(r.http.get(r.admin + "/clients/" + r.clientUuid("svc-forgotten"), r.masterToken()));
        assertFalse(client.get("enabled").asBoolean(), "disabled (reversible), still there: " + client);
        JsonNode actions = ReviewRealm.ok(r.http.get(r.admin + "/nhi/actions?clientId=svc-forgotten", r.masterToken()));
        assertEquals("DISABLE", actions.get(0).get("action").asText(), actions.toString());
        assertEquals("review-deadline", actions.get(0).get("trigger").asText());
        // a plain service account's action is chained where Keycloak records that client (a CLIENT event, not an agent's)
        String forgotten = r.clientUuid("svc-forgotten");
        ReviewRealm.await(() -> r.chain("CLIENT", "clients/" + forgotten, 1).stream()
                .anyMatch(rec -> "ACTION".equals(rec.path("operation").asText())), "the chained CLIENT action of svc-forgotten");
        r.chain("NHI_REVIEW", "nhi/reviews/campaigns/" + cid + "/items/" + contained.get("id").asText(), 1);
        r.assertChainVerifies();
    }

    @Test
    void theScheduledPassStartsACampaignWhenTheIntervalIsDueOverThePolicysScope(KeycloakTarget keycloak) {
        ReviewRealm r = new ReviewRealm(keycloak, "review-scheduled", "{\"intervalDays\":30,\"scope\":\"agents\"}",
                "{\"guardedOperations\":[]}", null);
        String sam = r.user("sam", List.of(), Map.of());
        r.serviceAccount("svc-not-an-agent", sam, List.of());
        ReviewRealm.await(() -> ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/campaigns", r.masterToken())).size() > 0,
                "a campaign started by the scheduled pass");
        ReviewRealm.sleep(7000); // two more passes: the interval is not due again
        JsonNode campaigns = ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/campaigns", r.masterToken()));
        assertEquals(1, campaigns.size(), campaigns.toString());
        assertEquals("scheduler", campaigns.get(0).get("startedBy").asText());
        assertEquals(0, campaigns.get(0).get("items").asInt(), "scope agents: the plain service account is not reviewed");
    }
}
