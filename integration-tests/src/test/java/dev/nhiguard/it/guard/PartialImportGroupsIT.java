package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Partial imports containing groups. In {@code guard-cover} partial import is guarded, so the
 * import is held, approved and replayed; in {@code guard-backstop} the policy leaves partial
 * import unguarded, so the same body reaches Keycloak's own code directly.
 *
 * <p>Keycloak 26.7 finds an imported group again by its {@code path} after creating it
 * ({@code GroupsPartialImport.getModelId}); a top-level group without {@code path} therefore ends
 * in a NullPointerException inside Keycloak, with or without the guard. The second test pins
 * that down. Groups in that test are named {@code pathless-…}: Keycloak logs the failed item as
 * {@code KC-SERVICES0037} (ERROR), which {@code ServerChecks} allows only for that name, together
 * with Keycloak's own "Uncaught server error" line for this NullPointerException.
 */
@ExtendWith(KeycloakExtension.class)
class PartialImportGroupsIT {

    static final String A = CoverRealm.ADMIN;
    static final String B = "/admin/realms/guard-backstop";

    /** A role, a group with that role, a client role and an attribute, a subgroup, and a member of each. */
    static String groupsBody(String p, boolean withPaths) {
        String top = withPaths ? ",\"path\":\"/" + p + "-team\"" : "";
        String sub = withPaths ? ",\"path\":\"/" + p + "-team/" + p + "-sub\"" : "";
        return "{\"ifResourceExists\":\"FAIL\","
                + "\"roles\":{\"realm\":[{\"name\":\"" + p + "-role\"}]},"
                + "\"groups\":[{\"name\":\"" + p + "-team\"" + top + ","
                + "\"attributes\":{\"cost-centre\":[\"42\"]},"
                + "\"realmRoles\":[\"" + p + "-role\"],"
                + "\"clientRoles\":{\"account\":[\"view-profile\"]},"
                + "\"subGroups\":[{\"name\":\"" + p + "-sub\"" + sub + "}]}],"
                + "\"users\":[{\"username\":\"" + p + "-member\",\"enabled\":true,\"groups\":[\"/" + p + "-team\"]},"
                + "{\"username\":\"" + p + "-submember\",\"enabled\":true,\"groups\":[\"/" + p + "-team/" + p + "-sub\"]}]}";
    }

    @Test
    void groupsWithRolesSubgroupsAndMembersAreHeldThenAppliedAsImported(KeycloakTarget keycloak) {
        CoverRealm realm = new CoverRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        HttpAdmin.Response held = realm.http.post(A + "/partialImport", cara, groupsBody("pig", true));
        assertEquals(202, held.status(), held.body());
        assertEquals("realm-partial-import", held.json().path("operation").asText(), held.body());
        String id = held.json().path("id").asText();
        assertNothingImported(realm.http, A, "pig", ann);

        HttpAdmin.Response approved = realm.approve(id, held.json().path("digest").asText(), ann);
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = realm.apply(id, cara);
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
        assertEquals(200, applied.json().path("result").path("status").asInt(), applied.body());
        assertEquals(4, applied.json().path("result").path("body").path("added").asInt(), applied.body());

        JsonNode team = realm.get(A + "/group-by-path/pig-team", ann);
        assertEquals("/pig-team", team.path("path").asText(), team.toString());
        assertEquals("42", team.path("attributes").path("cost-centre").path(0).asText(), team.toString());
        String teamId = team.path("id").asText();
        assertEquals(List.of("pig-role"), names(realm.get(A + "/groups/" + teamId + "/role-mappings/realm", ann)));
        String account = realm.client("account", ann);
        assertEquals(List.of("view-profile"),
                names(realm.get(A + "/groups/" + teamId + "/role-mappings/clients/" + account, ann)));
        assertEquals(List.of("pig-member"), usernames(realm.get(A + "/groups/" + teamId + "/members", ann)));

        JsonNode sub = realm.get(A + "/group-by-path/pig-team/pig-sub", ann);
        assertEquals(teamId, sub.path("parentId").asText(), sub.toString());
        assertEquals(List.of("pig-submember"),
                usernames(realm.get(A + "/groups/" + sub.path("id").asText() + "/members", ann)));
    }

    @Test
    void aGroupWithoutPathFailsInsideKeycloakWithOrWithoutTheGuard(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        // Without the guard in the way (partial import unguarded in guard-backstop): Keycloak's own 500.
        String caraB = StepUpAndExpiryIT.token(http, "guard-backstop", "cara");
        HttpAdmin.Response direct = http.post(B + "/partialImport", caraB, groupsBody("pathless-direct", false));
        assertEquals(500, direct.status(), direct.body());
        assertEquals("unknown_error", direct.json().path("error").asText(), direct.body());
        assertNothingImported(http, B, "pathless-direct", caraB);
        // The same body with paths goes through in the same realm.
        HttpAdmin.Response withPaths = http.post(B + "/partialImport", caraB, groupsBody("pathful-direct", true));
        assertEquals(200, withPaths.status(), withPaths.body());
        assertEquals(200, http.get(B + "/group-by-path/pathful-direct-team", caraB).status());

        // Through the guard: held, approved, and the replay meets the same NullPointerException;
        // the request ends FAILED with Keycloak's status and nothing is imported.
        CoverRealm realm = new CoverRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        HttpAdmin.Response held = realm.http.post(A + "/partialImport", cara, groupsBody("pathless-held", false));
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        assertEquals(200, realm.approve(id, held.json().path("digest").asText(), ann).status());
        HttpAdmin.Response applied = realm.apply(id, cara);
        assertEquals(409, applied.status(), applied.body());
        assertEquals("apply_failed", applied.json().path("error").asText(), applied.body());
        assertEquals("FAILED", applied.json().path("state").asText(), applied.body());
        assertEquals(500, applied.json().path("result").path("status").asInt(), applied.body());
        assertTrue(applied.json().path("result").path("body").path("error_description").asText()
                .contains("GroupsPartialImport.findGroupModel"), applied.body());
        assertEquals("FAILED", realm.changeRequest(id, ann).path("state").asText());
        assertNothingImported(realm.http, A, "pathless-held", ann);
    }

    private static void assertNothingImported(HttpAdmin http, String admin, String p, String token) {
        assertEquals(404, http.get(admin + "/group-by-path/" + p + "-team", token).status(), "group " + p + "-team");
        assertEquals(404, http.get(admin + "/roles/" + p + "-role", token).status(), "role " + p + "-role");
        HttpAdmin.Response users = http.get(admin + "/users?exact=true&username=" + p + "-member", token);
        assertEquals(200, users.status(), users.body());
        assertEquals("[]", users.json().toString(), "user " + p + "-member");
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("name").asText()));
        return out;
    }

    private static List<String> usernames(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("username").asText()));
        return out;
    }
}
