package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * One row per catalogue operation the deny-by-default admission added (flows, identity
 * providers, components, roles, groups, client scopes, workflows, events, the realm itself …):
 * a realm admin's write through the admin REST API is held as that operation and changes nothing
 * (each request is cancelled afterwards). The adversarial suite ({@code dev.nhiguard.it.attack})
 * judges most of these by their effect; this table makes sure every operation is reached.
 */
@ExtendWith(KeycloakExtension.class)
class DenyByDefaultIT {

    static final String A = CoverRealm.ADMIN;

    /** What a row needs from the realm. */
    record Ctx(CoverRealm realm, String token) {
        String client(String clientId) {
            return realm.client(clientId, token);
        }

        String user(String username) {
            return realm.user(username, token);
        }

        String saUser(String clientId) {
            return realm.saUser(clientId, token);
        }

        String group(String name) {
            return realm.http.get(A + "/groups?exact=true&search=" + name, token).json().get(0).path("id").asText();
        }

        String scope(String name) {
            for (JsonNode s : realm.http.get(A + "/client-scopes", token).json()) {
                if (name.equals(s.path("name").asText())) {
                    return s.path("id").asText();
                }
            }
            throw new AssertionError("no client scope " + name);
        }

        String organization(String alias) {
            return realm.http.get(A + "/organizations?search=" + alias, token).json().get(0).path("id").asText();
        }

        String role(String name) {
            return realm.http.get(A + "/roles/" + name, token).body();
        }

        /** A fresh ordinary user (creating one is everyday work, not held). */
        String plainUser() {
            String name = "plain-" + UUID.randomUUID().toString().substring(0, 8);
            HttpAdmin.Response r = realm.http.post(A + "/users", token, "{\"username\":\"" + name + "\",\"enabled\":true}");
            assertEquals(201, r.status(), r.body());
            return user(name);
        }

        /** A fresh client scope (creating one is not held: it reaches no client yet). */
        String freshScope() {
            String name = "dd-scope-" + UUID.randomUUID().toString().substring(0, 8);
            HttpAdmin.Response r = realm.http.post(A + "/client-scopes", token, "{\"name\":\"" + name + "\",\"protocol\":\"openid-connect\"}");
            assertEquals(201, r.status(), r.body());
            return scope(name);
        }

        /** The body that moves a group: its id and name, as Keycloak requires. */
        String moveOf(String groupId) {
            JsonNode g = realm.http.get(A + "/groups/" + groupId, token).json();
            return "{\"id\":\"" + groupId + "\",\"name\":\"" + g.path("name").asText() + "\"}";
        }

        /** A fresh group with ben (an approver) in it: joining a plain group is not held. */
        String groupWithApprover() {
            String name = "gm-" + UUID.randomUUID().toString().substring(0, 8);
            assertEquals(201, realm.http.post(A + "/groups", token, "{\"name\":\"" + name + "\"}").status());
            String g = group(name);
            HttpAdmin.Response join = realm.http.put(A + "/users/" + user("ben") + "/groups/" + g, token, null);
            assertEquals(204, join.status(), join.body());
            return g;
        }
    }

    record Row(String operation, String method, Function<Ctx, String> path, Function<Ctx, String> body) {
    }

    static Row row(String operation, String method, Function<Ctx, String> path, Function<Ctx, String> body) {
        return new Row(operation, method, path, body);
    }

    static List<Row> rows() {
        return List.of(
                row("realm-delete", "DELETE", c -> "", c -> null),
                row("authentication-config", "POST", c -> "/authentication/flows",
                        c -> "{\"alias\":\"dd-flow\",\"providerId\":\"basic-flow\",\"topLevel\":true,\"builtIn\":false}"),
                row("identity-provider-config", "POST", c -> "/identity-provider/instances",
                        c -> "{\"alias\":\"dd-idp\",\"providerId\":\"oidc\",\"config\":{\"clientId\":\"x\",\"authorizationUrl\":"
                                + "\"https://idp.test/auth\",\"tokenUrl\":\"https://idp.test/token\"}}"),
                row("component-config", "POST", c -> "/components",
                        c -> "{\"name\":\"dd-key\",\"providerId\":\"rsa-generated\",\"providerType\":\"org.keycloak.keys.KeyProvider\","
                                + "\"config\":{\"priority\":[\"900\"]}}"),
                row("user-federation-action", "POST", c -> "/user-storage/" + UUID.randomUUID() + "/sync?action=triggerFullSync",
                        c -> null),
                row("client-policies-config", "PUT", c -> "/client-policies/policies", c -> "{\"policies\":[]}"),
                row("realm-default-client-scope", "PUT", c -> "/default-default-client-scopes/" + c.freshScope(), c -> null),
                row("realm-default-group", "PUT", c -> "/default-groups/" + c.group("ops"), c -> null),
                row("role-composite-add", "POST", c -> "/roles/nhi-approver/composites", c -> "[" + c.role("nhi-approver") + "]"),
                row("group-role-grant", "POST", c -> "/groups/" + c.group("ops") + "/role-mappings/realm",
                        c -> "[" + c.role("nhi-approver") + "]"),
                row("admin-permissions", "PUT", c -> "/users-management-permissions", c -> "{\"enabled\":true}"),
                row("events-delete", "DELETE", c -> "/admin-events", c -> null),
                row("workflow-config", "POST", c -> "/workflows",
                        c -> "{\"name\":\"dd-wf\",\"on\":\"user-created\",\"steps\":[{\"uses\":\"disable-user\"}]}"),
                row("organization-identity-provider", "POST", c -> "/organizations/" + c.organization("cover-org")
                        + "/identity-providers", c -> null),
                row("user-profile-config", "PUT", c -> "/users/profile", c -> "{}"),
                row("client-registration-access-token", "POST",
                        c -> "/clients/" + c.client("sa-imp") + "/registration-access-token", c -> null),
                row("audit-chain-prune", "POST", c -> "/audit-chain/prune", c -> "{\"below\":2}"),
                row("audit-realm-sinks-update", "PUT", c -> "/audit-chain/realm-sinks", c -> "{\"sinks\":[]}"),
                // (below authorization services' PolicyService#getResource the coverage table now decides: admin-permissions)
                row("unclassified-write", "POST", c -> "/organizations/" + c.organization("cover-org") + "/members",
                        c -> "\"" + c.saUser("sa-imp") + "\""),
                row("group-update", "PUT", c -> "/groups/" + c.groupWithApprover(), c -> "{\"name\":\"dd-renamed\"}"),
                row("service-account-user-attributes", "PUT", c -> "/users/" + c.saUser("sa-imp"),
                        c -> "{\"attributes\":{\"tenant\":[\"dd\"]}}"),
                row("role-update", "PUT", c -> "/roles/nhi-approver", c -> "{\"name\":\"nhi-approver\",\"description\":\"x\"}"),
                row("role-delete", "DELETE", c -> "/roles/nhi-approver", c -> null),
                row("group-move", "POST", c -> "/groups/" + c.group("ops") + "/children", c -> c.moveOf(c.groupWithApprover())),
                row("client-scope-config", "POST", c -> "/client-scopes/" + c.scope("roles") + "/protocol-mappers/models",
                        c -> "{\"name\":\"dd-claim\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                                + "\"config\":{\"claim.name\":\"dd\",\"claim.value\":\"x\",\"access.token.claim\":\"true\"}}"),
                row("identity-claim-mapper", "POST", c -> "/client-scopes/" + c.freshScope() + "/protocol-mappers/models",
                        c -> "{\"name\":\"dd-azp\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                                + "\"config\":{\"claim.name\":\"azp\",\"claim.value\":\"security-admin-console\",\"access.token.claim\":\"true\"}}"),
                row("realm-localization-texts", "POST", c -> "/localization/en", c -> "{\"loginTitle\":\"dd\"}"),
                row("client-flow-override", "POST", c -> "/clients",
                        c -> "{\"clientId\":\"dd-override\",\"authenticationFlowBindingOverrides\":{\"direct_grant\":\"x\"}}"),
                row("privileged-user-delete", "DELETE", c -> "/users/" + c.user("priv-move1"), c -> null),
                row("service-account-user-delete", "DELETE", c -> "/users/" + c.saUser("sa-imp"), c -> null),
                row("privileged-user-impersonation", "POST", c -> "/users/" + c.user("ben") + "/impersonation", c -> null),
                row("brute-force-clear", "DELETE", c -> "/attack-detection/brute-force/users/" + c.user("ben"), c -> null),
                row("brute-force-clear-all", "DELETE", c -> "/attack-detection/brute-force/users", c -> null),
                row("user-create-privileged", "POST", c -> "/users",
                        c -> "{\"username\":\"dd-admin\",\"enabled\":true,\"groups\":[\"/cover-admins\"]}"),
                // the test server's bootstrap-approvers names guard-cover:dd-bootstrap, who does not exist
                row("user-create-bootstrap-approver", "POST", c -> "/users", c -> "{\"username\":\"dd-bootstrap\",\"enabled\":true}"),
                row("user-rename-bootstrap-approver", "PUT", c -> "/users/" + c.plainUser(), c -> "{\"username\":\"dd-bootstrap\"}"),
                row("privileged-group-join", "PUT", c -> "/users/" + c.plainUser() + "/groups/" + c.group("cover-admins"),
                        c -> null),
                row("privileged-role-grant", "POST",
                        c -> "/users/" + c.plainUser() + "/role-mappings/clients/" + c.client("realm-management"),
                        c -> "[" + c.realm.http.get(A + "/clients/" + c.client("realm-management") + "/roles/view-users", c.token)
                                .body() + "]"));
    }

    @Test
    void everyDenyByDefaultOperationIsHeldAndChangesNothing(KeycloakTarget keycloak) {
        CoverRealm realm = new CoverRealm(keycloak);
        List<Executable> checks = new ArrayList<>();
        for (Row r : rows()) {
            checks.add(() -> {
                String cara = realm.token("cara");
                Ctx ctx = new Ctx(realm, realm.token("ann"));
                String path = A + r.path().apply(ctx);
                String body = r.body().apply(ctx);
                HttpAdmin.Response held = realm.http.send(r.method(), path, cara, body == null ? null : "application/json", body);
                assertEquals(202, held.status(), r.operation() + " " + r.method() + " " + path + ": " + held.body());
                JsonNode cr = held.json();
                assertTrue(cr.path("operation").asText().equals(r.operation())
                        || cr.path("effects").toString().contains("\"" + r.operation() + "\""), r.operation() + ": " + held.body());
                HttpAdmin.Response cancelled = realm.http.post(CoverRealm.GUARD + "/change-requests/" + cr.path("id").asText()
                        + "/cancel", cara, null);
                assertEquals(200, cancelled.status(), cancelled.body());
            });
        }
        assertAll(checks);
        // Nothing of it exists: the realm, its approver role and its flows are as they were.
        String ann = realm.token("ann");
        assertEquals(200, realm.http.get(A, ann).status());
        assertTrue(realm.http.get(A + "/roles/nhi-approver", ann).body().contains("nhi-approver"));
        assertTrue(!realm.http.get(A + "/authentication/flows", ann).body().contains("dd-flow"));
        assertTrue(!realm.http.get(A + "/identity-provider/instances", ann).body().contains("dd-idp"));
        assertTrue(!realm.http.get(A + "/clients?clientId=dd-override", ann).body().contains("dd-override"));
        assertEquals(0, realm.http.get(A + "/users?exact=true&username=dd-admin", ann).json().size());
        assertEquals(0, realm.http.get(A + "/users?exact=true&username=dd-bootstrap", ann).json().size());
    }
}
