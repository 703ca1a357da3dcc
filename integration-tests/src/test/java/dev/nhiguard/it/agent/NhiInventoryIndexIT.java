package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The inventory's index follows every route that changes what it filters on, and a realm
 * created by import (no events, no index rows) is indexed on first use. After each change the
 * filtered answers are compared with the flags of the entries themselves (built from the models).
 */
@ExtendWith(KeycloakExtension.class)
class NhiInventoryIndexIT {

    static final List<String> FLAGS = List.of("NO_OWNER", "ORPHANED", "DORMANT", "ROTATION_OVERDUE", "OVER_PRIVILEGED", "EXPIRED",
            "SUSPENDED", "NARROWED");

    @Test
    void indexFollowsEveryRouteThatChangesAFilter(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-inv-index", "olga", "sam");
        String base = "/admin/realms/" + api.realm;
        String olga = api.userId("olga");
        long old = Instant.now().minus(200, ChronoUnit.DAYS).getEpochSecond();

        String plain = createClient(api, "ix-plain", Map.of("client.secret.creation.time", Long.toString(old)));
        String owned = createClient(api, "ix-owned", Map.of("nhi.owner.type", "user", "nhi.owner.id", olga,
                "client.secret.creation.time", Long.toString(Instant.now().getEpochSecond())));
        consistent(api);
        assertEquals(Set.of("ix-plain", "ix-owned"), ids(api, ""));
        assertEquals(Set.of("ix-plain"), ids(api, "flag=ROTATION_OVERDUE"));
        assertEquals(Set.of("ix-plain"), ids(api, "flag=NO_OWNER"));
        assertEquals(Set.of("ix-owned"), ids(api, "owner=" + olga));

        // A client created after the index was built appears (no row until the next page adds it).
        AgentKey key = new AgentKey();
        String agent = api.registerOk(AgentApi.registration("ix-agent", key, List.of())).get("id").asText();
        assertEquals(Set.of("ix-agent"), ids(api, "agent=true"));
        consistent(api);

        // Role through a composite: a realm role granted to ix-plain becomes admin when realm-management/manage-users joins it.
        check(api.http.post(base + "/roles", api.adminToken(), AgentApi.json(Map.of("name", "ix-bundle"))), 201);
        JsonNode bundle = api.http.get(base + "/roles/ix-bundle", api.adminToken()).json();
        String plainSa = serviceAccount(api, plain);
        check(api.http.post(base + "/users/" + plainSa + "/role-mappings/realm", api.adminToken(), "[" + bundle + "]"), 204);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        JsonNode manageUsers = managementRole(api, "manage-users");
        check(api.http.post(base + "/roles/ix-bundle/composites", api.adminToken(), "[" + manageUsers + "]"), 204);
        assertEquals(Set.of("ix-plain"), ids(api, "flag=OVER_PRIVILEGED"));
        consistent(api);
        check(api.http.send("DELETE", base + "/roles/ix-bundle/composites", api.adminToken(), "application/json", "[" + manageUsers + "]"), 204);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));

        // Group membership, then the group's own roles.
        String group = api.createGroup("ix-admins");
        check(api.http.post(base + "/groups/" + group + "/role-mappings/clients/" + managementClient(api), api.adminToken(),
                "[" + managementRole(api, "view-users") + "]"), 204);
        String ownedSa = serviceAccount(api, owned);
        api.joinGroup(ownedSa, group);
        assertEquals(Set.of("ix-owned"), ids(api, "flag=OVER_PRIVILEGED"));
        check(api.http.send("DELETE", base + "/groups/" + group + "/role-mappings/clients/" + managementClient(api), api.adminToken(),
                "application/json", "[" + managementRole(api, "view-users") + "]"), 204);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        check(api.http.post(base + "/groups/" + group + "/role-mappings/clients/" + managementClient(api), api.adminToken(),
                "[" + managementRole(api, "view-users") + "]"), 204);
        assertEquals(Set.of("ix-owned"), ids(api, "flag=OVER_PRIVILEGED"));
        api.leaveGroup(ownedSa, group);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        consistent(api);

        // Secret regenerated: no longer overdue.
        HttpAdmin.Response secret = api.http.post(base + "/clients/" + plain + "/client-secret", api.adminToken(), null);
        check(secret, 200);
        assertEquals(Set.of(), ids(api, "flag=ROTATION_OVERDUE"));
        consistent(api);

        // Agent suspended, then resumed.
        check(api.action(agent, "suspend", "index test"), 200);
        assertEquals(Set.of("ix-agent"), ids(api, "flag=SUSPENDED"));
        check(api.action(agent, "resume", "index test"), 200);
        assertEquals(Set.of(), ids(api, "flag=SUSPENDED"));

        // Agent expiring: 10 days away is within 30, not within 5; expired under a clock 20 days ahead.
        check(api.updateAgent(agent, Map.of("expiresAt", Instant.now().plus(10, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString())), 200);
        assertEquals(Set.of("ix-agent"), ids(api, "expiresWithinDays=30"));
        assertEquals(Set.of(), ids(api, "expiresWithinDays=5"));
        assertEquals(Set.of(), ids(api, "flag=EXPIRED"));

        // An expiry beyond year 9999 is refused (one far beyond made every inventory page answer 500: it overflowed
        // epoch milliseconds in the index).
        check(api.updateAgent(agent, Map.of("expiresAt", "+1000000000-12-31T23:59:59Z")), 400);
        assertEquals(Set.of("ix-agent"), ids(api, "expiresWithinDays=30"));

        // A second owner finds the agent by owner, in the inventory and in the registry's list (twenty-fourth red-team
        // review: both filters read the first owner only, though the second owner's standing alone keeps an agent running).
        String sam = api.userId("sam");
        check(api.updateAgent(agent, Map.of("secondOwner", Map.of("type", "user", "id", sam))), 200);
        assertEquals(Set.of("ix-agent"), ids(api, "owner=" + sam));
        assertEquals(Set.of("ix-agent", "ix-owned"), ids(api, "owner=" + olga));
        HttpAdmin.Response listed = api.http.get(base + "/agents?owner=" + sam, api.adminToken());
        check(listed, 200);
        assertEquals(1, listed.json().path("items").size(), listed.body());
        assertEquals(agent, listed.json().at("/items/0/id").asText(), listed.body());
        Map<String, Object> noSecondOwner = new java.util.HashMap<>();
        noSecondOwner.put("secondOwner", null);
        check(api.updateAgent(agent, noSecondOwner), 200);
        assertEquals(Set.of(), ids(api, "owner=" + sam));

        // Usage: under a clock 100 days ahead everything is dormant (and the agent expired) except the client that gets a token then.
        api.setClockOffset(100L * 86400);
        try {
            assertEquals(Set.of("ix-plain", "ix-owned", "ix-agent"), ids(api, "flag=DORMANT"));
            assertEquals(Set.of("ix-agent"), ids(api, "flag=EXPIRED"));
            assertEquals(Set.of("ix-owned", "ix-plain"), ids(api, "flag=ROTATION_OVERDUE"));
            // One by one, every page walks the realm in page order (dense matches) or sorts the matches (sparse): same order.
            assertEquals(List.of("ix-agent", "ix-owned", "ix-plain"), pagedOneByOne(api, "flag=DORMANT"));
            check(api.clientCredentialsWithSecret("ix-plain", secret.json().get("value").asText()), 200);
            assertEquals(Set.of("ix-owned", "ix-agent"), ids(api, "flag=DORMANT"));
            assertEquals(List.of("ix-agent", "ix-owned"), pagedOneByOne(api, "flag=DORMANT"));
            consistent(api);
        } finally {
            api.setClockOffset(0);
        }

        // Owner disabled: the service account it owns is orphaned at once (the agent too, and the lifecycle suspends it).
        api.setUserEnabled(olga, false);
        assertEquals(Set.of("ix-owned", "ix-agent"), ids(api, "flag=ORPHANED"));
        consistent(api);
        api.setUserEnabled(olga, true);
        assertEquals(Set.of(), ids(api, "flag=ORPHANED"));

        // Client owner changed through the client API; client deleted.
        JsonNode rep = api.client(owned);
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep.get("attributes")).put("nhi.owner.id", "no-such-user");
        api.putClient(owned, rep);
        assertEquals(Set.of("ix-owned"), ids(api, "owner=no-such-user"));
        assertEquals(Set.of("ix-agent"), ids(api, "owner=" + olga));
        assertEquals(Set.of("ix-owned"), ids(api, "flag=ORPHANED"));
        check(api.http.delete(base + "/clients/" + plain, api.adminToken()), 204);
        assertEquals(Set.of("ix-owned", "ix-agent"), ids(api, ""));
        consistent(api);
    }

    @Test
    void importedRealmIsIndexedOnFirstUseInJavaOrder(KeycloakTarget keycloak) {
        AgentApi api = new AgentApi(keycloak, "agent-inv-imported");
        List<String> names = List.of("Zeta", "alpha", "a_b", "axb", "a-b", "a%b", "_first", "ZZ-top", "beta", "a.b");
        List<Map<String, Object>> clients = new ArrayList<>();
        List<Map<String, Object>> users = new ArrayList<>();
        for (String n : names) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("clientId", n);
            c.put("publicClient", false);
            c.put("secret", "secret-" + n);
            c.put("serviceAccountsEnabled", true);
            c.put("standardFlowEnabled", false);
            if (n.startsWith("Z")) {
                c.put("attributes", Map.of("nhi.owner.type", "user", "nhi.owner.id", "ann-id-" + n));
            }
            clients.add(c);
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("username", "service-account-" + n.toLowerCase(java.util.Locale.ROOT));
            u.put("enabled", true);
            u.put("serviceAccountClientId", n);
            if (n.startsWith("a")) {
                u.put("clientRoles", Map.of("realm-management", List.of("view-clients")));
            }
            users.add(u);
        }
        check(api.http.post("/admin/realms", api.adminToken(), AgentApi.json(Map.of("realm", api.realm, "enabled", true,
                "attributes", Map.of("nhi.guard.policy", "{\"guardedOperations\":[]}"), "clients", clients, "users", users))), 201);

        JsonNode page = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?max=1000", api.adminToken()).json();
        List<String> listed = new ArrayList<>();
        page.get("items").forEach(e -> listed.add(e.get("clientId").asText()));
        List<String> expected = new ArrayList<>(names);
        expected.sort(Comparator.naturalOrder());
        assertEquals(expected, listed.stream().filter(names::contains).toList());
        assertEquals(Set.of("alpha", "a_b", "axb", "a-b", "a%b", "a.b"), ids(api, "flag=OVER_PRIVILEGED"));
        assertEquals(Set.of("Zeta", "ZZ-top"), ids(api, "flag=ORPHANED"));
        // search is a literal substring: '_' and '%' are not wildcards
        assertEquals(Set.of("a_b"), ids(api, "search=A_B"));
        assertEquals(Set.of("a%b"), ids(api, "search=a%25b"));
        assertEquals(Set.of("ZZ-top", "Zeta"), ids(api, "search=z"));
        // '%' < '-' < '.' < '_' < 'l' < 'x' in Java's order, whatever the database's collation
        assertEquals(List.of("a-b", "a.b"), pageIds(api, "first=1&max=2&flag=OVER_PRIVILEGED"));
        consistent(api);
    }

    /**
     * Role and group changes that can touch many service accounts are folded in from the role side
     * (nested composites upwards, group roles down to subgroup members, a role or group deleted),
     * asserted on the index itself through the flag gauge, before any page could self-check a row;
     * then a partial import that rewrites a client and its service account, and adds one.
     */
    @Test
    void privilegeChangesAreRecomputedFromTheRoleSideAndAPartialImportIsFoldedIn(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-inv-privileges", "olga");
        String base = "/admin/realms/" + api.realm;
        String token = api.adminToken();
        String nested = createClient(api, "px-nested", Map.of());
        String member = createClient(api, "px-member", Map.of());
        createClient(api, "px-bystander", Map.of());
        check(api.http.post(base + "/roles", token, AgentApi.json(Map.of("name", "px-inner"))), 201);
        check(api.http.post(base + "/roles", token, AgentApi.json(Map.of("name", "px-outer"))), 201);
        check(api.http.post(base + "/roles/px-outer/composites", token, "[" + api.http.get(base + "/roles/px-inner", token).body() + "]"), 204);
        check(api.http.post(base + "/users/" + serviceAccount(api, nested) + "/role-mappings/realm", token,
                "[" + api.http.get(base + "/roles/px-outer", token).body() + "]"), 204);
        String parent = api.createGroup("px-parent");
        HttpAdmin.Response child = api.http.post(base + "/groups/" + parent + "/children", token, AgentApi.json(Map.of("name", "px-child")));
        check(child, 201);
        String childId = child.header("Location").substring(child.header("Location").lastIndexOf('/') + 1);
        api.joinGroup(serviceAccount(api, member), childId);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        indexCount(keycloak, api, "OVER_PRIVILEGED", 0);

        // Two composite levels up: px-inner gains manage-users, px-outer holds px-inner, px-nested holds px-outer.
        check(api.http.post(base + "/roles/px-inner/composites", token, "[" + managementRole(api, "manage-users") + "]"), 204);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 1);
        assertEquals(Set.of("px-nested"), ids(api, "flag=OVER_PRIVILEGED"));

        // Down the group tree: the parent group's role reaches the subgroup's member.
        check(api.http.post(base + "/groups/" + parent + "/role-mappings/clients/" + managementClient(api), token,
                "[" + managementRole(api, "view-users") + "]"), 204);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 2);
        assertEquals(Set.of("px-nested", "px-member"), ids(api, "flag=OVER_PRIVILEGED"));

        // A role deleted takes its composites with it; a group deleted takes its roles from its subgroups' members.
        check(api.http.delete(base + "/roles/px-inner", token), 204);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 1);
        assertEquals(Set.of("px-member"), ids(api, "flag=OVER_PRIVILEGED"));
        check(api.http.delete(base + "/groups/" + parent, token), 204);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 0);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        consistent(api);

        // A partial import overwrites px-bystander (now owned by olga, its service account holding view-clients) and adds px-new.
        String olga = api.userId("olga");
        List<Map<String, Object>> clients = new ArrayList<>();
        List<Map<String, Object>> users = new ArrayList<>();
        for (String clientId : List.of("px-bystander", "px-new")) {
            clients.add(Map.of("clientId", clientId, "publicClient", false, "secret", "s-" + clientId, "serviceAccountsEnabled", true,
                    "standardFlowEnabled", false, "attributes", Map.of("nhi.owner.type", "user", "nhi.owner.id", olga)));
            users.add(Map.of("username", "service-account-" + clientId, "enabled", true, "serviceAccountClientId", clientId,
                    "clientRoles", Map.of("realm-management", List.of("view-clients"))));
        }
        check(api.http.post(base + "/partialImport", token, AgentApi.json(Map.of("ifResourceExists", "OVERWRITE", "clients", clients,
                "users", users))), 200);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 2);
        assertEquals(Set.of("px-bystander", "px-new"), ids(api, "owner=" + olga));
        assertEquals(Set.of("px-bystander", "px-new"), ids(api, "flag=OVER_PRIVILEGED"));
        assertEquals(Set.of("px-nested", "px-member"), ids(api, "flag=NO_OWNER"));
        consistent(api);
    }

    /**
     * Fine-grained admin permissions (v2) make a service account an administrator without any admin role: a policy of
     * the realm's {@code admin-permissions} client that names its user, a group above one of its groups, or a role in
     * its closure. Each is flagged, in the index (its own count, before any page's self-check) and in the entries; a
     * policy whose subjects cannot be listed flags every service account; the realm's switch takes them all back.
     */
    @Test
    void fineGrainedAdminPermissionsMakeAServiceAccountOverPrivileged(KeycloakTarget keycloak) throws Exception {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-inv-fgap");
        String base = "/admin/realms/" + api.realm;
        String token = api.adminToken();
        check(api.http.post(base + "/clients", token, AgentApi.json(Map.of("clientId", "fg-user", "publicClient", false,
                "secret", "fg-user-secret", "serviceAccountsEnabled", true, "standardFlowEnabled", false))), 201);
        String byUser = api.http.get(base + "/clients?clientId=fg-user", token).json().get(0).get("id").asText();
        String byGroup = createClient(api, "fg-group", Map.of());
        String byRole = createClient(api, "fg-role", Map.of());
        createClient(api, "fg-bystander", Map.of());
        String parent = api.createGroup("fg-admins");
        HttpAdmin.Response child = api.http.post(base + "/groups/" + parent + "/children", token, AgentApi.json(Map.of("name", "fg-sub")));
        check(child, 201);
        api.joinGroup(serviceAccount(api, byGroup), child.header("Location").substring(child.header("Location").lastIndexOf('/') + 1));
        check(api.http.post(base + "/roles", token, AgentApi.json(Map.of("name", "fg-delegate"))), 201);
        check(api.http.post(base + "/roles", token, AgentApi.json(Map.of("name", "fg-outer"))), 201);
        JsonNode delegate = api.http.get(base + "/roles/fg-delegate", token).json();
        check(api.http.post(base + "/roles/fg-outer/composites", token, "[" + delegate + "]"), 204);
        check(api.http.post(base + "/users/" + serviceAccount(api, byRole) + "/role-mappings/realm", token,
                "[" + api.http.get(base + "/roles/fg-outer", token).body() + "]"), 204);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        indexCount(keycloak, api, "OVER_PRIVILEGED", 0);

        adminPermissions(api, true);
        String permissions = api.http.get(base, token).json().path("adminPermissionsClient").path("id").asText();
        assertFalse(permissions.isEmpty(), "the realm has its admin-permissions client");
        String authz = base + "/clients/" + permissions + "/authz/resource-server";

        // A user policy naming fg-user's service account, and a permission that uses it: the account reads the realm's users.
        HttpAdmin.Response userPolicy = api.http.post(authz + "/policy/user", token,
                AgentApi.json(Map.of("name", "fg-users", "users", List.of(serviceAccount(api, byUser)))));
        check(userPolicy, 201);
        check(api.http.post(authz + "/permission/scope", token, AgentApi.json(Map.of("name", "fg-view-users", "resourceType", "Users",
                "scopes", List.of("view"), "policies", List.of(userPolicy.json().get("id").asText())))), 201);
        String saToken = api.clientCredentialsWithSecret("fg-user", "fg-user-secret").json().get("access_token").asText();
        assertEquals(200, api.http.get(base + "/users?max=1", saToken).status(), "fixture: the permission makes fg-user an administrator");
        indexCount(keycloak, api, "OVER_PRIVILEGED", 1);
        assertEquals(Set.of("fg-user"), ids(api, "flag=OVER_PRIVILEGED"));

        // A group policy on the parent group reaches the subgroup's member; a role policy reaches a composite's holder.
        check(api.http.post(authz + "/policy/group", token, AgentApi.json(Map.of("name", "fg-groups",
                "groups", List.of(Map.of("id", parent, "extendChildren", true))))), 201);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 2);
        check(api.http.post(authz + "/policy/role", token, AgentApi.json(Map.of("name", "fg-roles", "fetchRoles", true,
                "roles", List.of(Map.of("id", delegate.get("id").asText(), "required", false))))), 201);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 3);
        assertEquals(Set.of("fg-user", "fg-group", "fg-role"), ids(api, "flag=OVER_PRIVILEGED"));
        consistent(api);

        // A client policy admits whoever gets a token from its client: its subjects cannot be listed, so every account counts.
        HttpAdmin.Response clientPolicy = api.http.post(authz + "/policy/client", token,
                AgentApi.json(Map.of("name", "fg-client", "clients", List.of(byRole))));
        check(clientPolicy, 201);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 4);
        consistent(api);
        check(api.http.delete(authz + "/policy/" + clientPolicy.json().get("id").asText(), token), 204);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 3);

        // The realm's switch off: the permissions grant nothing, and nothing is flagged.
        adminPermissions(api, false);
        indexCount(keycloak, api, "OVER_PRIVILEGED", 0);
        assertEquals(Set.of(), ids(api, "flag=OVER_PRIVILEGED"));
        consistent(api);
    }

    private static void adminPermissions(AgentApi api, boolean enabled) {
        String path = "/admin/realms/" + api.realm;
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) api.http.get(path, api.adminToken()).json();
        rep.put("adminPermissionsEnabled", enabled);
        check(api.http.put(path, api.adminToken(), rep.toString()), 204);
    }

    /**
     * Service accounts appear on the next page whatever created them: dynamic client registration
     * (no admin event), a client whose service account is enabled later; and the unfiltered page's
     * total (the realm's row count, kept by the index's writers, not counted by the page) follows
     * them when a service account is disabled or its client deleted.
     */
    @Test
    void serviceAccountsOfEveryCreationRouteAppearAndTheTotalFollows(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-inv-routes");
        String base = "/admin/realms/" + api.realm;
        createClient(api, "rt-admin", Map.of());
        assertEquals(Set.of("rt-admin"), ids(api, ""), "the first page builds the index");

        HttpAdmin.Response iat = api.http.post(base + "/clients-initial-access", api.adminToken(), "{\"count\":1,\"expiration\":600}");
        check(iat, 201);
        HttpAdmin.Response dcr = api.http.post("/realms/" + api.realm + "/clients-registrations/default", iat.json().path("token").asText(),
                "{\"clientId\":\"rt-dcr\",\"publicClient\":false,\"serviceAccountsEnabled\":true}");
        check(dcr, 201);
        String registered = dcr.json().path("id").asText();
        assertEquals(Set.of("rt-admin", "rt-dcr"), ids(api, ""));

        HttpAdmin.Response created = api.http.post(base + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", "rt-later", "publicClient", false, "serviceAccountsEnabled", false, "standardFlowEnabled", false)));
        check(created, 201);
        String later = created.header("Location").substring(created.header("Location").lastIndexOf('/') + 1);
        assertEquals(Set.of("rt-admin", "rt-dcr"), ids(api, ""), "a client without a service account has no entry");
        serviceAccountsEnabled(api, later, true);
        assertEquals(Set.of("rt-admin", "rt-dcr", "rt-later"), ids(api, ""));

        serviceAccountsEnabled(api, later, false);
        assertEquals(Set.of("rt-admin", "rt-dcr"), ids(api, ""));
        check(api.http.send("DELETE", base + "/clients/" + registered, api.adminToken(), "application/json", null), 204);
        assertEquals(Set.of("rt-admin"), ids(api, ""));
        consistent(api);
    }

    private static void serviceAccountsEnabled(AgentApi api, String clientUuid, boolean enabled) {
        String path = "/admin/realms/" + api.realm + "/clients/" + clientUuid;
        com.fasterxml.jackson.databind.node.ObjectNode rep = (com.fasterxml.jackson.databind.node.ObjectNode) api.http.get(path, api.adminToken()).json();
        rep.put("serviceAccountsEnabled", enabled);
        check(api.http.put(path, api.adminToken(), rep.toString()), 204);
    }

    /**
     * The index's own count of a flag, without the page's self-check: a page that lists nothing
     * brings the index up to date (every page does), then the flag gauge (read from the index only,
     * every second on test servers) must show the count.
     */
    static void indexCount(KeycloakTarget keycloak, AgentApi api, String flag, double expected) throws InterruptedException {
        HttpAdmin.Response none = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?search=no-such-client-anywhere", api.adminToken());
        check(none, 200);
        assertEquals(0, none.json().get("total").asInt(), none.body());
        String realm = "realm=\"" + api.realm + "\"";
        long deadline = System.currentTimeMillis() + 15_000;
        dev.nhiguard.it.PrometheusScrape s;
        do {
            s = dev.nhiguard.it.PrometheusScrape.of(keycloak);
            if (s.value("nhi_guard_agent_inventory_flagged", realm, "flag=\"" + flag + "\"").orElse(-1) == expected
                    && s.value("nhi_guard_agent_inventory_index_up_to_date", realm).orElse(-1) == 1) {
                return;
            }
            Thread.sleep(300);
        } while (System.currentTimeMillis() < deadline);
        org.junit.jupiter.api.Assertions.fail("the index's " + flag + " count is not " + expected + ":\n" + s.grep(api.realm));
    }

    /** Every flag's filtered set equals the entries carrying the flag, and total counts them. */
    static void consistent(AgentApi api) {
        JsonNode all = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?max=1000", api.adminToken()).json();
        for (String flag : FLAGS) {
            Set<String> carrying = new TreeSet<>();
            all.get("items").forEach(e -> {
                if (NhiInventoryIT.texts(e.get("flags")).contains(flag)) {
                    carrying.add(e.get("clientId").asText());
                }
            });
            assertEquals(carrying, new TreeSet<>(ids(api, "flag=" + flag)), flag + " in " + all);
        }
    }

    /**
     * A realm deleted and imported again keeps its clients' ids. The client's use in the new realm is its use: the
     * usage row the old realm left behind is taken over, and the entry and its index row show the new use.
     */
    @Test
    void aClientIdReusedInANewRealmShowsItsUseThere(KeycloakTarget keycloak) throws Exception {
        String id = java.util.UUID.randomUUID().toString();
        Map<String, Object> client = Map.of("id", id, "clientId", "reused", "publicClient", false, "secret", "reused-secret",
                "serviceAccountsEnabled", true, "standardFlowEnabled", false);
        AgentApi before = AgentApi.createRealm(keycloak, "agent-inv-reuse-a");
        check(before.http.post("/admin/realms/" + before.realm + "/clients", before.adminToken(), AgentApi.json(client)), 201);
        check(before.clientCredentialsWithSecret("reused", "reused-secret"), 200);
        awaitLastUse(before, "reused");
        check(before.http.delete("/admin/realms/" + before.realm, before.adminToken()), 204);

        AgentApi after = AgentApi.createRealm(keycloak, "agent-inv-reuse-b");
        check(after.http.post("/admin/realms/" + after.realm + "/clients", after.adminToken(), AgentApi.json(client)), 201);
        assertEquals(Set.of("reused"), ids(after, ""));
        check(after.clientCredentialsWithSecret("reused", "reused-secret"), 200);
        awaitLastUse(after, "reused");
        consistent(after);
    }

    /** The entry of {@code clientId} once it shows a last use (written after the token request commits). */
    static JsonNode awaitLastUse(AgentApi api, String clientId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        JsonNode entry;
        do {
            entry = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?search=" + clientId, api.adminToken()).json().at("/items/0");
            if (entry.path("lastUsedAt").isTextual()) {
                return entry;
            }
            Thread.sleep(300);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("no last use of " + clientId + " in realm " + api.realm + ": " + entry);
    }

    /** The filter's pages of one entry each, in order, each page's total the same. */
    static List<String> pagedOneByOne(AgentApi api, String query) {
        List<String> out = new ArrayList<>();
        Long total = null;
        for (int first = 0; first < 100; first++) {
            HttpAdmin.Response r = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?" + query + "&max=1&first=" + first,
                    api.adminToken());
            assertEquals(200, r.status(), r.body());
            long t = r.json().get("total").asLong();
            assertEquals(total == null ? t : total, t, r.body());
            total = t;
            if (r.json().get("items").isEmpty()) {
                break;
            }
            r.json().get("items").forEach(e -> out.add(e.get("clientId").asText()));
        }
        assertEquals(total, (long) out.size(), out.toString());
        return out;
    }

    static Set<String> ids(AgentApi api, String query) {
        return new HashSet<>(pageIds(api, query));
    }

    static List<String> pageIds(AgentApi api, String query) {
        String q = query.contains("max=") ? query : (query.isEmpty() ? "max=1000" : query + "&max=1000");
        HttpAdmin.Response r = api.http.get("/admin/realms/" + api.realm + "/nhi/inventory?" + q, api.adminToken());
        assertEquals(200, r.status(), r.body());
        List<String> out = new ArrayList<>();
        r.json().get("items").forEach(e -> out.add(e.get("clientId").asText()));
        if (!query.contains("first=")) {
            assertEquals(out.size(), r.json().get("total").asInt(), r.body());
        }
        return out;
    }

    static String createClient(AgentApi api, String clientId, Map<String, String> attributes) {
        HttpAdmin.Response r = api.http.post("/admin/realms/" + api.realm + "/clients", api.adminToken(), AgentApi.json(Map.of(
                "clientId", clientId, "publicClient", false, "serviceAccountsEnabled", true, "standardFlowEnabled", false,
                "attributes", attributes)));
        check(r, 201);
        String location = r.header("Location");
        return location.substring(location.lastIndexOf('/') + 1);
    }

    static String serviceAccount(AgentApi api, String clientUuid) {
        HttpAdmin.Response r = api.http.get("/admin/realms/" + api.realm + "/clients/" + clientUuid + "/service-account-user", api.adminToken());
        check(r, 200);
        return r.json().get("id").asText();
    }

    static String managementClient(AgentApi api) {
        return api.http.get("/admin/realms/" + api.realm + "/clients?clientId=realm-management", api.adminToken()).json().get(0).get("id").asText();
    }

    static JsonNode managementRole(AgentApi api, String name) {
        HttpAdmin.Response r = api.http.get("/admin/realms/" + api.realm + "/clients/" + managementClient(api) + "/roles/" + name, api.adminToken());
        check(r, 200);
        return r.json();
    }

    static void check(HttpAdmin.Response r, int status) {
        assertEquals(status, r.status(), r.body());
    }
}
