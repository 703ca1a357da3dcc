package dev.nhiguard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.OptionalDouble;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Our meters on Keycloak's management port ({@code --metrics-enabled}): a change request held,
 * approved and applied in the realm {@code guard-metrics}, another left pending, a third whose
 * apply Keycloak refuses, then {@code /metrics} scraped until the gauges (read from the
 * database at most every 10 s per node) show it.
 */
@ExtendWith(KeycloakExtension.class)
class MetricsIT {

    static final String REALM = "guard-metrics";
    static final String ADMIN = "/admin/realms/" + REALM;
    static final String GUARD = ADMIN + "/mutation-guard";
    static final long WAIT_MILLIS = 45_000;

    @Test
    void changeRequestsAppliesChainHeadAndSinkLagAreScraped(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String realm = "realm=\"" + REALM + "\"";

        PrometheusScrape before = PrometheusScrape.of(keycloak);
        assertTrue(before.text().contains("# TYPE nhi_guard_metrics_reading_age_seconds gauge"),
                "our meters are registered with Keycloak's registry:\n" + before.grep("nhi_guard"));
        double appliesBefore = before.value("nhi_guard_change_requests_applies_total", realm).orElse(0);
        double failuresBefore = before.value("nhi_guard_change_requests_apply_failures_total", realm).orElse(0);

        String ann = token(http, "ann");
        String cara = token(http, "cara");
        String applied = hold(http, "sa-metrics-a", ann, cara);
        hold(http, "sa-metrics-b", ann, cara);
        JsonNode cr = http.get(GUARD + "/change-requests/" + applied, ann).json();
        HttpAdmin.Response approve = http.post(GUARD + "/change-requests/" + applied + "/approve", ann,
                "{\"digest\":\"" + cr.path("digest").asText() + "\"}");
        assertEquals(200, approve.status(), approve.body());
        HttpAdmin.Response apply = http.post(GUARD + "/change-requests/" + applied + "/apply", cara, null);
        assertEquals(200, apply.status(), apply.body());

        // Keycloak's partial import fails on a group without a path (a NullPointerException inside Keycloak):
        // held, approved, and the replay is refused, so the request becomes FAILED.
        HttpAdmin.Response heldImport = http.post(ADMIN + "/partialImport", cara, "{\"ifResourceExists\":\"FAIL\","
                + "\"roles\":{\"realm\":[{\"name\":\"metrics-role\"}]},"
                + "\"groups\":[{\"name\":\"metrics-team\",\"realmRoles\":[\"metrics-role\"],\"subGroups\":[{\"name\":\"metrics-sub\"}]}]}");
        assertEquals(202, heldImport.status(), heldImport.body());
        String failing = heldImport.json().path("id").asText();
        assertEquals(200, http.post(GUARD + "/change-requests/" + failing + "/approve", ann,
                "{\"digest\":\"" + heldImport.json().path("digest").asText() + "\"}").status());
        HttpAdmin.Response failed = http.post(GUARD + "/change-requests/" + failing + "/apply", cara, null);
        assertEquals(409, failed.status(), failed.body());
        assertEquals("FAILED", failed.json().path("state").asText(), failed.body());

        PrometheusScrape after = PrometheusScrape.of(keycloak);
        assertEquals(appliesBefore + 1, after.value("nhi_guard_change_requests_applies_total", realm).orElse(0),
                "the apply is counted at once (a counter, after commit):\n" + after.grep(REALM));
        assertEquals(failuresBefore + 1, after.value("nhi_guard_change_requests_apply_failures_total", realm).orElse(0),
                "the failed apply is counted:\n" + after.grep(REALM));

        // Gauges are read from the database at scrape time, at most every 10 s: wait for a reading after the apply.
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        String why;
        PrometheusScrape s;
        do {
            Thread.sleep(1000);
            s = PrometheusScrape.of(keycloak);
            long head = http.get(ADMIN + "/audit-chain/head", ann).json().path("seq").asLong();
            why = check(s, realm, head);
        } while (why != null && System.currentTimeMillis() < deadline);
        if (why != null) {
            fail(why + "\n" + s.grep("nhi_guard"));
        }
        assertEquals(0, s.value("nhi_guard_change_requests", realm, "state=\"REJECTED\"").orElse(-1),
                "every state of a realm with requests is reported, zero included");
        assertTrue(s.value("nhi_guard_change_requests_oldest_pending_age_seconds", realm).orElse(-1) >= 0, s.grep(REALM));
        assertEquals(0, s.value("nhi_guard_audit_staged_events", realm).orElse(-1), s.grep(REALM));
        assertTrue(s.value("nhi_guard_audit_staged_oldest_age_seconds", realm).isPresent(), s.grep(REALM));
        assertTrue(s.value("nhi_guard_metrics_reading_age_seconds", "module=\"mutation-guard\"").orElse(-1) >= 0, s.grep("reading_age"));
        assertTrue(s.value("nhi_guard_metrics_reading_age_seconds", "module=\"audit\"").orElse(-1) >= 0, s.grep("reading_age"));
        assertTrue(s.text().contains("# TYPE nhi_guard_audit_sink_lag gauge"), s.grep("sink"));
        assertTrue(s.text().contains("jvm_"), "Keycloak's own meters are still there");
    }

    /** Null when the scrape shows the realm's state: one applied, one pending, one failed request, the chain head, the file sink. */
    private static String check(PrometheusScrape s, String realm, long head) {
        OptionalDouble appliedCount = s.value("nhi_guard_change_requests", realm, "state=\"APPLIED\"");
        OptionalDouble pending = s.value("nhi_guard_change_requests", realm, "state=\"PENDING\"");
        OptionalDouble failedCount = s.value("nhi_guard_change_requests", realm, "state=\"FAILED\"");
        if (appliedCount.orElse(-1) != 1 || pending.orElse(-1) != 1 || failedCount.orElse(-1) != 1) {
            return "change requests of " + REALM + ": APPLIED " + appliedCount + ", PENDING " + pending + ", FAILED " + failedCount
                    + " (want 1 each)";
        }
        // A reading that finds a new realm registers its series while a scrape runs, so one scrape may
        // show some of them: wait for a scrape with all.
        if (s.value("nhi_guard_change_requests_oldest_pending_age_seconds", realm).orElse(-1) < 0) {
            return "oldest pending age of " + REALM + " not shown yet";
        }
        OptionalDouble chain = s.value("nhi_guard_audit_chain_head", realm);
        if (head == 0 || chain.orElse(-1) != head) {
            return "chain head of " + REALM + ": metric " + chain + ", audit API " + head;
        }
        OptionalDouble lag = s.value("nhi_guard_audit_sink_lag", realm, "sink=\"file\"");
        if (lag.isEmpty() || lag.getAsDouble() < 0 || lag.getAsDouble() > head) {
            return "lag of the file sink for " + REALM + ": " + lag + " (chain head " + head + ")";
        }
        return null;
    }

    private static String hold(HttpAdmin http, String clientId, String ann, String cara) {
        String uuid = http.get(ADMIN + "/clients?clientId=" + clientId, ann).json().get(0).path("id").asText();
        HttpAdmin.Response held = http.post(ADMIN + "/clients/" + uuid + "/client-secret", cara, null);
        assertEquals(202, held.status(), held.body());
        return held.json().path("id").asText();
    }

    private static String token(HttpAdmin http, String user) {
        return http.passwordGrant(REALM, "admin-cli", user, user + "-pass", null).path("access_token").asText();
    }

}
