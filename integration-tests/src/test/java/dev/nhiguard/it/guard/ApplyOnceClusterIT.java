package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakCluster;
import dev.nhiguard.testing.KeycloakClusterExtension;

/**
 * The guard on two Keycloak nodes sharing one PostgreSQL schema (the shared test cluster, which
 * imports the same realms as the single-node harness): change requests live in the database, so
 * a request made through one node is approved and applied through the other, concurrent
 * approvals and applies sent to both nodes yield one approval and one apply (row lock on the
 * request), and the cluster-aware expiry task marks an overdue request EXPIRED once.
 */
@ExtendWith(KeycloakClusterExtension.class)
class ApplyOnceClusterIT {

    static final String A = GuardTestRealm.ADMIN;
    static final int CALLS_PER_NODE = 3;

    /** The guard-table realm as seen through each node; tokens are issued per node (the issuer names the node's port). */
    static List<GuardTestRealm> realms(KeycloakCluster cluster) {
        return List.of(new GuardTestRealm(cluster.node(0)), new GuardTestRealm(cluster.node(1)));
    }

    @Test
    void requestMadeOnOneNodeIsVisibleApprovableAndAppliableOnTheOther(KeycloakCluster cluster) {
        List<GuardTestRealm> nodes = realms(cluster);
        GuardTestRealm one = nodes.get(0);
        GuardTestRealm two = nodes.get(1);
        String before = ApprovalRulesIT.secretOf(two, "sa-changed");
        JsonNode held = ApprovalRulesIT.holdSecretRegeneration(one, "sa-changed", one.token("cara"));
        String id = held.path("id").asText();

        String annOnTwo = two.token("ann");
        JsonNode seen = two.changeRequest(id, annOnTwo);
        assertEquals("PENDING", seen.path("state").asText(), seen.toString());
        assertEquals(held.path("digest").asText(), seen.path("digest").asText());
        HttpAdmin.Response listed = two.http.get(GuardTestRealm.GUARD + "/change-requests?state=PENDING&target="
                + two.clientUuid("sa-changed", annOnTwo), annOnTwo);
        assertEquals(200, listed.status(), listed.body());
        assertTrue(listed.body().contains(id), listed.body());

        HttpAdmin.Response approved = two.approve(id, seen.path("digest").asText(), annOnTwo);
        assertEquals(200, approved.status(), approved.body());
        assertEquals("APPROVED", approved.json().path("state").asText());
        assertEquals("APPROVED", one.changeRequest(id, one.token("ben")).path("state").asText());

        HttpAdmin.Response applied = two.apply(id, two.token("cara"));
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText());
        String secret = applied.json().path("result").path("body").path("value").asText();
        assertNotEquals(before, secret);
        assertEquals(secret, ApprovalRulesIT.secretOf(one, "sa-changed"), "node 1 sees the secret node 2 applied");
        assertEquals("APPLIED", one.changeRequest(id, one.token("ann")).path("state").asText());
    }

    @Test
    void concurrentApprovalsAndAppliesOnBothNodesYieldOneApprovalAndOneApply(KeycloakCluster cluster) throws Exception {
        List<GuardTestRealm> nodes = realms(cluster);
        String before = ApprovalRulesIT.secretOf(nodes.get(0), "sa-parallel");
        JsonNode held = ApprovalRulesIT.holdSecretRegeneration(nodes.get(0), "sa-parallel", nodes.get(0).token("cara"));
        String id = held.path("id").asText();
        String digest = held.path("digest").asText();

        // Two approvers, each through both nodes at once: one approval completes the request.
        List<Callable<HttpAdmin.Response>> approvals = new ArrayList<>();
        for (GuardTestRealm node : nodes) {
            String ann = node.token("ann");
            String ben = node.token("ben");
            approvals.add(() -> node.approve(id, digest, ann));
            approvals.add(() -> node.approve(id, digest, ben));
        }
        List<HttpAdmin.Response> approveAnswers = runAll(approvals);
        assertEquals(1, count(approveAnswers, 200), statuses(approveAnswers));
        for (HttpAdmin.Response r : approveAnswers) {
            if (r.status() != 200) {
                assertConflictWithState(r);
            }
        }

        // The requester applies through both nodes at once, several times each.
        List<Callable<HttpAdmin.Response>> applies = new ArrayList<>();
        for (GuardTestRealm node : nodes) {
            String cara = node.token("cara");
            for (int i = 0; i < CALLS_PER_NODE; i++) {
                applies.add(() -> node.apply(id, cara));
            }
        }
        List<HttpAdmin.Response> applyAnswers = runAll(applies);
        assertEquals(1, count(applyAnswers, 200), statuses(applyAnswers));
        String secret = null;
        for (HttpAdmin.Response r : applyAnswers) {
            if (r.status() == 200) {
                secret = r.json().path("result").path("body").path("value").asText();
            } else {
                assertConflictWithState(r);
            }
        }
        assertNotEquals(before, secret);
        for (GuardTestRealm node : nodes) {
            assertEquals(secret, ApprovalRulesIT.secretOf(node, "sa-parallel"), "the one new secret, on both nodes");
        }

        GuardTestRealm two = nodes.get(1);
        String ann = two.token("ann");
        JsonNode full = two.changeRequest(id, ann);
        assertEquals("APPLIED", full.path("state").asText());
        assertEquals(1, full.path("approvals").size(), full.path("approvals").toString());
        assertEquals(1, steps(full, "APPROVED"), full.path("history").toString());
        assertEquals(1, steps(full, "APPLIED"), full.path("history").toString());

        // The audit chain holds one APPLIED record of the request and one replayed secret regeneration.
        List<JsonNode> crRecords = auditRecords(two, ann, "CHANGE_REQUEST", "mutation-guard/change-requests/" + id);
        assertEquals(1, crRecords.stream().filter(r -> "APPLIED".equals(r.path("details").path("transition").asText())).count(),
                crRecords.toString());
        assertEquals(1, crRecords.stream().filter(r -> "APPROVED".equals(r.path("details").path("transition").asText())).count(),
                crRecords.toString());
        List<JsonNode> replays = auditRecords(two, ann, "CLIENT", null).stream()
                .filter(r -> id.equals(r.path("details").path("changeRequestId").asText())).toList();
        assertEquals(1, replays.size(), replays.toString());
    }

    @Test
    void theExpiryTaskMarksAnOverdueRequestExpiredOnce(KeycloakCluster cluster) throws Exception {
        // guard-short: requests expire after 10 s; both nodes run the expiry task every 2 s.
        String realm = "guard-short";
        HttpAdmin one = cluster.node(0).http();
        HttpAdmin two = cluster.node(1).http();
        String cara = StepUpAndExpiryIT.token(one, realm, "cara");
        String uuid = StepUpAndExpiryIT.clientUuid(one, realm, cara, "sa-x");
        HttpAdmin.Response held = one.post("/admin/realms/" + realm + "/clients/" + uuid + "/client-secret", cara, null);
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();

        JsonNode seen = null;
        for (int i = 0; i < 30; i++) {
            Thread.sleep(1_000);
            seen = two.get("/admin/realms/" + realm + "/mutation-guard/change-requests/" + id,
                    StepUpAndExpiryIT.token(two, realm, "ann")).json();
            if ("EXPIRED".equals(seen.path("state").asText())) {
                break;
            }
        }
        assertEquals("EXPIRED", seen.path("state").asText(), seen.toString());
        // several more task runs on both nodes change nothing
        Thread.sleep(6_000);
        String ann = StepUpAndExpiryIT.token(one, realm, "ann");
        JsonNode after = one.get("/admin/realms/" + realm + "/mutation-guard/change-requests/" + id, ann).json();
        assertEquals("EXPIRED", after.path("state").asText());
        assertEquals(1, steps(after, "EXPIRED"), after.path("history").toString());
        JsonNode last = after.path("history").get(after.path("history").size() - 1);
        assertEquals("EXPIRED", last.path("step").asText());
        assertNull(last.path("actorUserId").textValue(), "marked by the scheduled task, not by a caller");

        HttpAdmin.Response records = one.get("/admin/realms/" + realm + "/audit-chain/records?limit=500&type=CHANGE_REQUEST"
                + "&target=mutation-guard/change-requests/" + id, ann);
        assertEquals(200, records.status(), records.body());
        long expiredRecords = 0;
        for (JsonNode r : records.json().path("records")) {
            if ("EXPIRED".equals(r.path("details").path("transition").asText())) {
                expiredRecords++;
            }
        }
        assertEquals(1, expiredRecords, records.body());
    }

    // ------------------------------------------------------------------ helpers

    private static List<HttpAdmin.Response> runAll(List<Callable<HttpAdmin.Response>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            List<HttpAdmin.Response> out = new ArrayList<>();
            for (Future<HttpAdmin.Response> f : pool.invokeAll(calls)) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long count(List<HttpAdmin.Response> answers, int status) {
        return answers.stream().filter(r -> r.status() == status).count();
    }

    private static String statuses(List<HttpAdmin.Response> answers) {
        return answers.stream().map(r -> r.status() + " " + r.body()).toList().toString();
    }

    /** A refusal of a concurrent loser: 409 with Keycloak's error JSON and the request's current state. */
    private static void assertConflictWithState(HttpAdmin.Response r) {
        assertEquals(409, r.status(), r.body());
        JsonNode body = r.json();
        assertTrue(body.path("error").isTextual(), r.body());
        assertTrue(body.path("error_description").isTextual(), r.body());
        assertTrue(List.of("APPROVED", "APPLIED").contains(body.path("state").asText()), r.body());
    }

    private static long steps(JsonNode changeRequest, String step) {
        long n = 0;
        for (JsonNode h : changeRequest.path("history")) {
            if (step.equals(h.path("step").asText())) {
                n++;
            }
        }
        return n;
    }

    /** The guard-table realm's audit-chain records of a type (and target prefix), following the cursor. */
    private static List<JsonNode> auditRecords(GuardTestRealm realm, String token, String type, String target) {
        List<JsonNode> out = new ArrayList<>();
        long cursor = 0;
        while (true) {
            HttpAdmin.Response r = realm.http.get(A + "/audit-chain/records?limit=200&after=" + cursor + "&type=" + type
                    + (target == null ? "" : "&target=" + target), token);
            assertEquals(200, r.status(), r.body());
            r.json().path("records").forEach(out::add);
            JsonNode next = r.json().path("next");
            if (next.isMissingNode() || next.isNull()) {
                return out;
            }
            cursor = next.asLong();
        }
    }
}
