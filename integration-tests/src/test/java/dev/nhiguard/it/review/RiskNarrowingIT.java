package dev.nhiguard.it.review;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Narrowing as a risk response: a signal the review policy names takes the service account's
 * admin roles and groups (keeping the policy's allow-list), the inventory shows it as NARROWED,
 * and the owner's revalidation — held by the mutation guard until an approver agrees — restores
 * exactly what was taken. Every step is chained.
 */
@ExtendWith(KeycloakExtension.class)
class RiskNarrowingIT {

    @Test
    void aSignalNarrowsAndTheOwnersApprovedRevalidationRestoresExactly(KeycloakTarget keycloak) {
        ReviewRealm r = new ReviewRealm(keycloak, "review-risk",
                "{\"narrowOnSignals\":[\"new-source-network\",\"leaked-secret\"],\"narrowKeepRoles\":[\"orders-read\"]}",
                "{\"guardedOperations\":[\"unclassified-write\"]}", null);
        r.realmRole("orders-read");
        r.realmRole("nhi-approver");
        // an owner is an ordinary user: no admin role (a red-team review found an owner's guarded decisions passed unheld then)
        String owen = r.user("owen", List.of(), Map.of());
        r.user("rita", List.of(), Map.of("realm-management", List.of("realm-admin")));
        r.user("ann", List.of("nhi-approver"), Map.of("realm-management", List.of("realm-admin")));
        HttpAdmin.Response group = r.http.post(r.admin + "/groups", r.masterToken(), "{\"name\":\"ops\"}");
        assertEquals(201, group.status(), group.body());
        String groupId = group.header("Location").replaceAll(".*/", "");
        r.serviceAccount("svc-risky", owen, List.of());
        String sa = r.serviceAccountUser("svc-risky");
        r.grantRealmRole(sa, "orders-read");
        r.grantClientRole(sa, "realm-management", "manage-users");
        r.grantClientRole(sa, "realm-management", "view-clients");
        assertEquals(204, r.http.put(r.admin + "/users/" + sa + "/groups/" + groupId, r.masterToken(), null).status());
        TreeSet<String> rolesBefore = r.directRoles("svc-risky");
        TreeSet<String> groupsBefore = r.groups("svc-risky");
        assertTrue(rolesBefore.contains("realm-management/manage-users"), rolesBefore.toString());

        HttpAdmin.Response signal = r.http.post(r.admin + "/nhi/signals", r.token("rita"),
                "{\"type\":\"new-source-network\",\"clientId\":\"svc-risky\",\"detail\":\"token from 203.0.113.0/24\"}");
        assertEquals(200, signal.status(), signal.body());
        assertEquals("NARROW", signal.json().get("action").asText(), signal.body());
        assertEquals("DONE", signal.json().get("outcome").asText());

        assertEquals(new TreeSet<>(List.of("orders-read")), r.directRoles("svc-risky"), "only the allow-list stays");
        assertEquals(new TreeSet<>(), r.groups("svc-risky"));
        JsonNode inventory = ReviewRealm.ok(r.http.get(r.admin + "/nhi/inventory?flag=NARROWED", r.masterToken()));
        assertEquals(1, inventory.get("total").asInt(), inventory.toString());
        assertEquals("svc-risky", inventory.at("/items/0/clientId").asText());
        assertFalse(ReviewRealm.texts(inventory.at("/items/0/flags")).contains("OVER_PRIVILEGED"), inventory.toString());
        JsonNode narrowing = ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/narrowings?clientId=svc-risky", r.masterToken())).get(0);
        assertEquals("ACTIVE", narrowing.get("state").asText());
        assertTrue(narrowing.findValuesAsText("name").containsAll(List.of("realm-management/manage-users", "/ops")), narrowing.toString());

        HttpAdmin.Response twice = r.http.post(r.admin + "/nhi/signals", r.token("rita"),
                "{\"type\":\"leaked-secret\",\"clientId\":\"svc-risky\"}");
        assertEquals("NOT_APPLICABLE", twice.json().get("outcome").asText(), "already narrowed: " + twice.body());

        // The owner revalidates; the guard holds it until an approver agrees.
        String uuid = r.clientUuid("svc-risky");
        HttpAdmin.Response proposed = r.http.post(r.admin + "/nhi/reviews/narrowings/" + uuid + "/revalidate", r.token("owen"),
                "{\"comment\":\"the new network is our new CI runner pool\"}");
        assertEquals(202, proposed.status(), proposed.body());
        assertEquals(new TreeSet<>(List.of("orders-read")), r.directRoles("svc-risky"), "nothing restored while held");
        String crId = proposed.json().get("id").asText();
        HttpAdmin.Response approved = r.http.post(r.admin + "/mutation-guard/change-requests/" + crId + "/approve", r.token("ann"),
                "{\"digest\":\"" + proposed.json().get("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = r.http.post(r.admin + "/mutation-guard/change-requests/" + crId + "/apply", r.token("owen"), null);
        assertEquals(200, applied.status(), applied.body());

        assertEquals(rolesBefore, r.directRoles("svc-risky"), "exactly the roles taken are back");
        assertEquals(groupsBefore, r.groups("svc-risky"));
        JsonNode clean = ReviewRealm.ok(r.http.get(r.admin + "/nhi/inventory?flag=NARROWED", r.masterToken()));
        assertEquals(0, clean.get("total").asInt(), clean.toString());
        JsonNode restored = ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/narrowings?clientId=svc-risky", r.masterToken())).get(0);
        assertEquals("RESTORED", restored.get("state").asText(), restored.toString());

        // A revalidation by someone who is not the owner is refused when it is applied (after the guard's hold).
        HttpAdmin.Response again = r.http.post(r.admin + "/nhi/signals", r.token("rita"),
                "{\"type\":\"leaked-secret\",\"clientId\":\"svc-risky\"}");
        assertEquals("DONE", again.json().get("outcome").asText(), again.body());
        HttpAdmin.Response byRita = r.http.post(r.admin + "/nhi/reviews/narrowings/" + uuid + "/revalidate", r.token("rita"), "{}");
        assertEquals(202, byRita.status(), byRita.body());
        String ritaCr = byRita.json().get("id").asText();
        assertEquals(200, r.http.post(r.admin + "/mutation-guard/change-requests/" + ritaCr + "/approve", r.token("ann"),
                "{\"digest\":\"" + byRita.json().get("digest").asText() + "\"}").status());
        HttpAdmin.Response ritaApply = r.http.post(r.admin + "/mutation-guard/change-requests/" + ritaCr + "/apply", r.token("rita"), null);
        assertEquals(409, ritaApply.status(), ritaApply.body());
        JsonNode failed = ReviewRealm.ok(r.http.get(r.admin + "/mutation-guard/change-requests/" + ritaCr, r.token("ann")));
        assertEquals("FAILED", failed.get("state").asText(), failed.toString());
        assertTrue(failed.toString().contains("not_reviewer"), failed.toString());
        assertEquals(new TreeSet<>(List.of("orders-read")), r.directRoles("svc-risky"), "still narrowed");

        // The chain holds the narrowing, the restoration and the change requests around it.
        // (svc-risky is a plain service account: its actions are CLIENT records on clients/<id>, beside Keycloak's own)
        List<JsonNode> actionRecords = new java.util.ArrayList<>();
        ReviewRealm.await(() -> {
            actionRecords.clear();
            r.chain("CLIENT", "clients/" + uuid, 1).stream().filter(x -> "ACTION".equals(x.path("operation").asText()))
                    .forEach(actionRecords::add);
            return actionRecords.size() >= 3;
        }, "three chained CLIENT actions of svc-risky");
        assertEquals(List.of("narrowed", "restored", "narrowed"),
                actionRecords.stream().map(x -> x.at("/details/action").asText()).toList(), actionRecords.toString());
        assertTrue(ReviewRealm.any(r.chain("CHANGE_REQUEST", null, 1), x -> x.toString().contains(crId)));
        r.assertChainVerifies();
    }

    /**
     * (Fourteenth red-team review.) While a service account is narrowed it holds none of what was taken, so renaming a
     * taken role, giving it a composite, or moving a taken group under one that maps a role reaches no guarded subject
     * and is not held. The revalidation gave back by id whatever those had become: the account came back holding
     * {@code x}, which no approver saw. It now gives back only what still gives what it gave when it was taken.
     */
    @Test
    void aRevalidationGivesBackNothingThatChangedWhileTheAccountWasNarrowed(KeycloakTarget keycloak) {
        ReviewRealm r = new ReviewRealm(keycloak, "review-pinned", "{\"narrowOnSignals\":[\"leaked-secret\"]}",
                "{\"guardedOperations\":[\"unclassified-write\"]}", null);
        for (String role : List.of("reports", "orders", "stable", "x", "nhi-approver")) {
            r.realmRole(role);
        }
        // an owner is an ordinary user: no admin role (a red-team review found an owner's guarded decisions passed unheld then)
        String owen = r.user("owen", List.of(), Map.of());
        r.user("ann", List.of("nhi-approver"), Map.of("realm-management", List.of("realm-admin")));
        String master = r.masterToken();
        String ops = created(r.http.post(r.admin + "/groups", master, "{\"name\":\"ops\"}"));
        String team = created(r.http.post(r.admin + "/groups", master, "{\"name\":\"team\"}"));
        r.serviceAccount("svc-pinned", owen, List.of());
        String sa = r.serviceAccountUser("svc-pinned");
        for (String role : List.of("reports", "orders", "stable")) {
            r.grantRealmRole(sa, role);
        }
        for (String group : List.of(ops, team)) {
            assertEquals(204, r.http.put(r.admin + "/users/" + sa + "/groups/" + group, master, null).status());
        }
        HttpAdmin.Response signal = r.http.post(r.admin + "/nhi/signals", master, "{\"type\":\"leaked-secret\",\"clientId\":\"svc-pinned\"}");
        assertEquals("DONE", signal.json().path("outcome").asText(), signal.body());
        assertEquals(new TreeSet<>(), r.groups("svc-pinned"));

        // While narrowed: reports renamed, orders given x as a composite, ops moved under a group that maps x.
        JsonNode reports = ReviewRealm.ok(r.http.get(r.admin + "/roles/reports", master));
        JsonNode x = ReviewRealm.ok(r.http.get(r.admin + "/roles/x", master));
        assertEquals(204, r.http.put(r.admin + "/roles-by-id/" + reports.path("id").asText(), master,
                "{\"name\":\"reports-admin\"}").status());
        String orders = ReviewRealm.ok(r.http.get(r.admin + "/roles/orders", master)).path("id").asText();
        assertEquals(204, r.http.post(r.admin + "/roles-by-id/" + orders + "/composites", master, "[" + x + "]").status());
        String admins = created(r.http.post(r.admin + "/groups", master, "{\"name\":\"admins\"}"));
        assertEquals(204, r.http.post(r.admin + "/groups/" + admins + "/role-mappings/realm", master, "[" + x + "]").status());
        HttpAdmin.Response moved = r.http.post(r.admin + "/groups/" + admins + "/children", master,
                "{\"id\":\"" + ops + "\",\"name\":\"ops\"}");
        assertTrue(moved.status() == 201 || moved.status() == 204, moved.body());

        HttpAdmin.Response proposed = r.http.post(r.admin + "/nhi/reviews/narrowings/" + r.clientUuid("svc-pinned") + "/revalidate",
                r.token("owen"), "{\"comment\":\"false alarm\"}");
        assertEquals(202, proposed.status(), proposed.body());
        String crId = proposed.json().get("id").asText();
        assertEquals(200, r.http.post(r.admin + "/mutation-guard/change-requests/" + crId + "/approve", r.token("ann"),
                "{\"digest\":\"" + proposed.json().get("digest").asText() + "\"}").status());
        HttpAdmin.Response applied = r.http.post(r.admin + "/mutation-guard/change-requests/" + crId + "/apply", r.token("owen"), null);
        assertEquals(200, applied.status(), applied.body());

        TreeSet<String> effective = new TreeSet<>();
        ReviewRealm.ok(r.http.get(r.admin + "/users/" + sa + "/role-mappings/realm/composite", master))
                .forEach(role -> effective.add(role.path("name").asText()));
        JsonNode narrowing = ReviewRealm.ok(r.http.get(r.admin + "/nhi/reviews/narrowings?clientId=svc-pinned", master)).get(0);
        // The revalidation's answer (Keycloak's, kept with the applied request) names what it did not give back.
        String answer = applied.body();
        assertAll(
                () -> assertFalse(effective.contains("x"), "no x, through orders or ops: " + effective),
                () -> assertFalse(effective.contains("reports-admin"), "the renamed role is not given back: " + effective),
                () -> assertFalse(effective.contains("orders"), "the role given a composite is not given back: " + effective),
                () -> assertTrue(effective.contains("stable"), "what did not change is given back: " + effective),
                () -> assertEquals(new TreeSet<>(List.of("/team")), r.groups("svc-pinned"), "the moved group is not given back"),
                () -> assertEquals("RESTORED", narrowing.path("state").asText(), narrowing.toString()),
                () -> assertTrue(answer.contains("reports (changed since the narrowing)"), answer),
                () -> assertTrue(answer.contains("orders (changed since the narrowing)"), answer),
                () -> assertTrue(answer.contains("/ops (changed since the narrowing)"), answer));
    }

    private static String created(HttpAdmin.Response r) {
        assertEquals(201, r.status(), r.body());
        return r.header("Location").replaceAll(".*/", "");
    }

    @Test
    void aDetectedAuthenticationFailureBurstNarrowsWhenThePolicySaysSo(KeycloakTarget keycloak) {
        ReviewRealm r = new ReviewRealm(keycloak, "review-burst", "{\"narrowOnSignals\":[\"auth-failure-burst\"]}",
                "{\"guardedOperations\":[]}", null);
        HttpAdmin.Response lifecycle = r.http.put(r.admin + "/nhi/policy", r.masterToken(),
                "{\"authFailureThreshold\":3,\"authFailureWindowSeconds\":600}");
        assertEquals(200, lifecycle.status(), lifecycle.body());
        r.realmRole("orders-admin");
        String olga = r.user("olga", List.of(), Map.of());
        r.serviceAccount("svc-burst", olga, List.of());
        r.grantRealmRole(r.serviceAccountUser("svc-burst"), "orders-admin");
        for (int i = 0; i < 3; i++) {
            HttpAdmin.Response wrong = r.http.postForm("/realms/review-burst/protocol/openid-connect/token", Map.of(
                    "grant_type", "client_credentials", "client_id", "svc-burst", "client_secret", "wrong-" + i));
            assertTrue(wrong.status() == 400 || wrong.status() == 401, wrong.body());
        }
        ReviewRealm.await(() -> !r.directRoles("svc-burst").contains("orders-admin"), "the burst's narrowing");
        JsonNode inventory = ReviewRealm.ok(r.http.get(r.admin + "/nhi/inventory?flag=NARROWED", r.masterToken()));
        assertEquals("svc-burst", inventory.at("/items/0/clientId").asText(), inventory.toString());
        JsonNode actions = ReviewRealm.ok(r.http.get(r.admin + "/nhi/actions?clientId=svc-burst", r.masterToken()));
        assertEquals("NARROW", actions.get(0).get("action").asText(), actions.toString());
        assertEquals("auth-failure-burst", actions.get(0).get("trigger").asText());
        assertTrue(r.tokenWithScope("svc-burst", null).has("access_token"), "narrowed, not suspended: the client still gets tokens");
    }
}
