package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Sixteenth red-team review (2026-12-07): Keycloak rewrites every identity-provider mapper that names a group by its
 * path, or a role by its name, when that path or name changes. The strings are not unique: a top-level group called
 * {@code team/devs} has the path of subgroup {@code devs} of {@code /team}, an organization group {@code staff} the path
 * {@code /staff}, a realm role {@code plain-app.viewer} the name of client {@code plain-app}'s role {@code viewer}. So
 * mallory created such a decoy and renamed it ({@code admins/}, {@code realm-management.realm-admin}), unheld, and
 * Keycloak moved the approved mappers onto the administrators' group and {@code realm-admin}: every user signing in
 * through the provider became a realm admin. A rename or move that Keycloak would carry into an identity-provider
 * mapper is now held; the mappers are read back unchanged. Each test runs in a copy of {@code guard-attack-fifth} with
 * an OIDC provider {@code upstream} whose mappers were configured before mallory started.
 */
@ExtendWith(KeycloakExtension.class)
class AttackSixteenthReviewIT {

    private static AttackRealm realmWithMappers(KeycloakTarget keycloak, String suffix) {
        return AttackRealm.copyOfFifth(keycloak, "sixteenth", suffix, rep -> {
            rep.put("organizationsEnabled", true);
            ObjectNode team = rep.withArray("groups").addObject().put("name", "team");
            team.withArray("subGroups").addObject().put("name", "devs");
            rep.withArray("groups").addObject().put("name", "staff");
            ObjectNode admins = rep.withArray("groups").addObject().put("name", "admins");
            admins.with("clientRoles").withArray("realm-management").add("realm-admin");
            rep.with("roles").with("client").withArray("plain-app").addObject().put("name", "viewer");
            ObjectNode idp = rep.withArray("identityProviders").addObject().put("alias", "upstream").put("providerId", "oidc")
                    .put("enabled", true);
            idp.with("config").put("clientId", "nhi-test").put("clientSecret", "upstream-secret")
                    .put("authorizationUrl", "http://127.0.0.1:9/auth").put("tokenUrl", "http://127.0.0.1:9/token")
                    .put("clientAuthMethod", "client_secret_post").put("syncMode", "FORCE");
            mapper(rep, "devs", "oidc-hardcoded-group-idp-mapper", "group", "/team/devs");
            mapper(rep, "staff", "oidc-hardcoded-group-idp-mapper", "group", "/staff");
            mapper(rep, "viewer", "oidc-hardcoded-role-idp-mapper", "role", "plain-app.viewer");
        });
    }

    private static void mapper(ObjectNode rep, String name, String type, String key, String value) {
        ObjectNode m = rep.withArray("identityProviderMappers").addObject().put("name", name)
                .put("identityProviderAlias", "upstream").put("identityProviderMapper", type);
        m.with("config").put(key, value).put("syncMode", "INHERIT");
    }

    /** The mappers' settings as Keycloak keeps them, by mapper name. */
    private static Map<String, String> mappers(AttackRealm r) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (JsonNode m : r.read("/identity-provider/instances/upstream/mappers")) {
            JsonNode config = m.path("config");
            out.put(m.path("name").asText(), config.has("group") ? config.path("group").asText() : config.path("role").asText());
        }
        return out;
    }

    private static final Map<String, String> CONFIGURED = Map.of("devs", "/team/devs", "staff", "/staff",
            "viewer", "plain-app.viewer");

    @Test
    void aDecoyGroupWhosePathAMapperNamesIsNotRenamedOntoTheAdministratorsGroup(KeycloakTarget keycloak) {
        AttackRealm r = realmWithMappers(keycloak, "group");
        String mallory = r.token("mallory");
        String decoy = AttackFifteenthReviewIT.createdId(r.http.post(r.admin + "/groups", mallory, "{\"name\":\"team/devs\"}"),
                "a top-level group team/devs");
        HttpAdmin.Response renamed = r.http.put(r.admin + "/groups/" + decoy, mallory, "{\"name\":\"admins/\"}");
        // the same as a move: the decoy under another parent changes its path too
        String parent = AttackFifteenthReviewIT.createdId(r.http.post(r.admin + "/groups", mallory, "{\"name\":\"elsewhere\"}"),
                "a group to move it under");
        HttpAdmin.Response moved = r.http.post(r.admin + "/groups/" + parent + "/children", mallory,
                "{\"id\":\"" + decoy + "\",\"name\":\"team/devs\"}");
        // precision: a group no mapper names is renamed as before
        String plain = AttackFifteenthReviewIT.createdId(r.http.post(r.admin + "/groups", mallory, "{\"name\":\"readers\"}"),
                "an ordinary group");
        HttpAdmin.Response ordinary = r.http.put(r.admin + "/groups/" + plain, mallory, "{\"name\":\"readers-2\"}");
        assertAll(
                () -> AttackRealm.assertHeld(renamed, "renaming a group whose path an identity-provider mapper names"),
                () -> AttackRealm.assertHeld(moved, "moving a group whose path an identity-provider mapper names"),
                () -> assertEquals(204, ordinary.status(), "an ordinary group's rename: " + ordinary.body()),
                () -> assertEquals(CONFIGURED, mappers(r), "the identity provider's mappers"));
    }

    @Test
    void aDecoyRealmRoleNamedLikeAClientRoleIsNotRenamedOntoRealmAdmin(KeycloakTarget keycloak) {
        AttackRealm r = realmWithMappers(keycloak, "role");
        String mallory = r.token("mallory");
        HttpAdmin.Response created = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"plain-app.viewer\"}");
        assertEquals(201, created.status(), "fixture: a realm role plain-app.viewer: " + created.body());
        String roleId = r.realmRole("plain-app.viewer").path("id").asText();
        HttpAdmin.Response renamed = r.http.put(r.admin + "/roles-by-id/" + roleId, mallory,
                "{\"name\":\"realm-management.realm-admin\"}");
        // renaming the client whose role the mapper names moves the mapper's reference as well
        JsonNode plainApp = r.read("/clients/" + r.clientUuid("plain-app"));
        HttpAdmin.Response clientRenamed = r.http.put(r.admin + "/clients/" + plainApp.path("id").asText(), mallory,
                ((ObjectNode) plainApp).put("clientId", "plain-app-renamed").toString());
        assertAll(
                () -> AttackRealm.assertHeld(renamed, "renaming a role an identity-provider mapper names"),
                () -> AttackRealm.assertHeld(clientRenamed, "renaming a client whose role an identity-provider mapper names"),
                () -> assertEquals(CONFIGURED, mappers(r), "the identity provider's mappers"));
    }

    /**
     * Second round. Keycloak resolves {@code a.b} client-first: a flow condition's realm role {@code mfa.required}
     * becomes client {@code mfa}'s (missing) role {@code required} once a client {@code mfa} exists, and the condition
     * stops matching (the approvers' second factor was skipped); a new client role with composites is what an
     * identity-provider mapper's {@code ops.viewer} then gives (brokered users became realm admins). And a user-attribute
     * condition with {@code include_group_attributes} reads group attributes: leaving, deleting or joining such a group
     * switched an approver's deny step off.
     */
    private static AttackRealm realmWithConditions(KeycloakTarget keycloak, String suffix) {
        return AttackRealm.copyOfFifth(keycloak, "sixteenth", suffix, rep -> {
            config(rep, "mfa-role", "condUserRole", "mfa.required", null);
            config(rep, "level-high", "attribute_name", "level", "high");
            config(rep, "exempt", "attribute_name", "mfa_exempt", "true");
            rep.withArray("groups").addObject().put("name", "hi").with("attributes").withArray("level").add("high");
            for (JsonNode u : rep.withArray("users")) {
                if ("ann".equals(u.path("username").asText())) {
                    ((ObjectNode) u).withArray("groups").add("/hi");
                }
            }
        });
    }

    private static void config(ObjectNode rep, String alias, String key, String value, String expected) {
        ObjectNode c = rep.withArray("authenticatorConfig").addObject().put("alias", alias);
        c.with("config").put(key, value);
        if (expected != null) {
            c.with("config").put("attribute_expected_value", expected).put("include_group_attributes", "true");
        }
    }

    @Test
    void aClientOrACompositeRoleANameResolvedAtLoginWouldFindIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = realmWithConditions(keycloak, "decoy-client");
        String mallory = r.token("mallory");
        String automation = r.serviceAccountToken("sa-automation");
        HttpAdmin.Response mfa = r.http.post(r.admin + "/clients", automation, "{\"clientId\":\"mfa\",\"publicClient\":true}");
        HttpAdmin.Response ordinary = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"ordinary-app\",\"publicClient\":true}");
        String plainApp = r.clientUuid("plain-app");
        HttpAdmin.Response composite = r.http.post(r.admin + "/clients/" + plainApp + "/roles", mallory,
                "{\"name\":\"viewer\",\"composite\":true,\"composites\":{\"client\":{\"realm-management\":[\"realm-admin\"]}}}");
        HttpAdmin.Response plainRole = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"plain-role\"}");
        assertAll(
                () -> AttackRealm.assertHeld(mfa, "a client under the clientId a flow condition's role name starts with"),
                () -> assertEquals(null, r.clientUuidOrNull("mfa"), "client mfa was created"),
                () -> assertEquals(201, ordinary.status(), "an ordinary client: " + ordinary.body()),
                () -> AttackRealm.assertHeld(composite, "a role created with composites"),
                () -> assertEquals(404, r.get("/clients/" + plainApp + "/roles/viewer").status(), "the composite role was created"),
                () -> assertEquals(201, plainRole.status(), "an ordinary role: " + plainRole.body()));
    }

    @Test
    void aGroupWhoseAttributeAFlowConditionReadsIsNotLeftDeletedOrJoinedByAnApprover(KeycloakTarget keycloak) {
        AttackRealm r = realmWithConditions(keycloak, "group-attribute");
        String mallory = r.token("mallory");
        String ann = r.userId("ann");
        String hi = r.groupIdOrNull("hi");
        HttpAdmin.Response left = r.http.delete(r.admin + "/users/" + ann + "/groups/" + hi, mallory);
        HttpAdmin.Response deleted = r.http.delete(r.admin + "/groups/" + hi, mallory);
        String exempt = AttackFifteenthReviewIT.createdId(r.http.post(r.admin + "/groups", mallory,
                "{\"name\":\"ex\",\"attributes\":{\"mfa_exempt\":[\"true\"]}}"), "a group carrying mfa_exempt");
        HttpAdmin.Response joined = r.http.put(r.admin + "/users/" + ann + "/groups/" + exempt, mallory, null);
        // precision: an ordinary user joins it as before
        HttpAdmin.Response olive = r.http.put(r.admin + "/users/" + r.userId("olive") + "/groups/" + exempt, mallory, null);
        assertAll(
                () -> AttackRealm.assertHeld(left, "an approver leaving a group whose attribute a condition reads"),
                () -> AttackRealm.assertHeld(deleted, "deleting a group whose attribute a condition reads, an approver in it"),
                () -> AttackRealm.assertHeld(joined, "an approver joining a group whose attribute a condition reads"),
                () -> assertEquals(204, olive.status(), "an ordinary user's join: " + olive.body()),
                () -> assertEquals(java.util.List.of("/hi"), groupsOf(r, ann), "ann's groups"));
    }

    /**
     * Third round. A {@code conditional-client-scope} condition finds its scope by name, else a client of that clientId,
     * else nothing (and then does not match, negated or not): creating a scope called {@code admin-cli}, deleting the
     * scope a negated condition asks for, or renaming the client it names switched a deny step off. And Keycloak writes a
     * user-profile attribute's default value into a user who has none on any update, a map-less one too: an update of
     * ann's first name gave her the {@code auth_level} a condition read.
     */
    private static AttackRealm realmWithScopeConditionsAndAProfileDefault(KeycloakTarget keycloak, String suffix) {
        return AttackRealm.copyOfFifth(keycloak, "sixteenth", suffix, rep -> {
            config(rep, "scope-admin-cli", "client_scope", "admin-cli", null);
            config(rep, "scope-mfa-ok", "client_scope", "mfa-ok", null);
            config(rep, "scope-ops-cli", "client_scope", "ops-cli", null);
            config(rep, "auth-level", "attribute_name", "auth_level", null);
            rep.withArray("clientScopes").addObject().put("name", "mfa-ok").put("protocol", "openid-connect");
            rep.withArray("clients").addObject().put("clientId", "ops-cli").put("publicClient", true)
                    .put("directAccessGrantsEnabled", true);
            String profile = "{\"unmanagedAttributePolicy\":\"ENABLED\",\"attributes\":["
                    + "{\"name\":\"username\",\"permissions\":{\"view\":[\"admin\",\"user\"],\"edit\":[\"admin\"]}},"
                    + "{\"name\":\"email\",\"permissions\":{\"view\":[\"admin\",\"user\"],\"edit\":[\"admin\"]}},"
                    + "{\"name\":\"firstName\",\"permissions\":{\"view\":[\"admin\",\"user\"],\"edit\":[\"admin\"]}},"
                    + "{\"name\":\"lastName\",\"permissions\":{\"view\":[\"admin\",\"user\"],\"edit\":[\"admin\"]}},"
                    + "{\"name\":\"auth_level\",\"defaultValue\":\"password\",\"permissions\":{\"view\":[\"admin\"],\"edit\":[\"admin\"]}}]}";
            ObjectNode component = rep.with("components").putArray("org.keycloak.userprofile.UserProfileProvider").addObject()
                    .put("providerId", "declarative-user-profile");
            component.putObject("subComponents");
            component.with("config").putArray("kc.user.profile.config").add(profile);
        });
    }

    @Test
    void aClientScopeOrClientAConditionNamesIsNotCreatedRenamedOrDeletedUnheld(KeycloakTarget keycloak) {
        AttackRealm r = realmWithScopeConditionsAndAProfileDefault(keycloak, "scope-condition");
        String mallory = r.token("mallory");
        String automation = r.serviceAccountToken("sa-automation");
        HttpAdmin.Response created = r.http.post(r.admin + "/client-scopes", automation,
                "{\"name\":\"admin-cli\",\"protocol\":\"openid-connect\"}");
        String mfaOk = null;
        for (JsonNode scope : r.read("/client-scopes")) {
            if ("mfa-ok".equals(scope.path("name").asText())) {
                mfaOk = scope.path("id").asText();
            }
        }
        HttpAdmin.Response deleted = r.http.delete(r.admin + "/client-scopes/" + mfaOk, mallory);
        JsonNode opsCli = r.read("/clients/" + r.clientUuid("ops-cli"));
        HttpAdmin.Response renamed = r.http.put(r.admin + "/clients/" + opsCli.path("id").asText(), mallory,
                ((ObjectNode) opsCli).put("clientId", "ops-cli2").toString());
        HttpAdmin.Response ordinary = r.http.post(r.admin + "/client-scopes", mallory,
                "{\"name\":\"ordinary-scope\",\"protocol\":\"openid-connect\"}");
        java.util.Set<String> scopes = new java.util.HashSet<>();
        r.read("/client-scopes").forEach(sc -> scopes.add(sc.path("name").asText()));
        assertAll(
                () -> AttackRealm.assertHeld(created, "a client scope under the name a condition reads"),
                () -> AttackRealm.assertHeld(deleted, "deleting the client scope a condition reads"),
                () -> AttackRealm.assertHeld(renamed, "renaming the client a condition reads (no scope has its name)"),
                () -> assertEquals(201, ordinary.status(), "an ordinary client scope: " + ordinary.body()),
                () -> assertEquals(false, scopes.contains("admin-cli"), "a scope admin-cli was created"),
                () -> assertEquals(true, scopes.contains("mfa-ok"), "mfa-ok was deleted"),
                () -> assertEquals(null, r.clientUuidOrNull("ops-cli2"), "ops-cli was renamed"));
    }

    @Test
    void anUpdateThatMakesKeycloakWriteAProfileDefaultAConditionReadsIsHeld(KeycloakTarget keycloak) {
        AttackRealm r = realmWithScopeConditionsAndAProfileDefault(keycloak, "profile-default");
        String mallory = r.token("mallory");
        String automation = r.serviceAccountToken("sa-automation");
        String ann = r.userId("ann");
        HttpAdmin.Response annUpdate = r.http.put(r.admin + "/users/" + ann, mallory, "{\"firstName\":\"Ann-renamed\"}");
        HttpAdmin.Response saUpdate = r.http.put(r.admin + "/users/" + r.serviceAccountUserId("sa-target"), automation, "{}");
        HttpAdmin.Response olive = r.http.put(r.admin + "/users/" + r.userId("olive"), mallory, "{\"firstName\":\"Olive\"}");
        assertAll(
                () -> AttackRealm.assertHeld(annUpdate, "an approver's update that writes the default of an attribute a condition reads"),
                () -> AttackRealm.assertHeld(saUpdate, "a service account's update that writes a profile default (mappers copy attributes)"),
                () -> assertEquals(204, olive.status(), "an ordinary user's update: " + olive.body()),
                // (the user's representation shows a profile default whether stored or not: the held update is the effect)
                () -> assertEquals(false, "Ann-renamed".equals(r.read("/users/" + ann).path("firstName").asText()),
                        "ann's update was applied"));
    }

    private static java.util.List<String> groupsOf(AttackRealm r, String userId) {
        java.util.List<String> out = new java.util.ArrayList<>();
        r.read("/users/" + userId + "/groups").forEach(g -> out.add(g.path("path").asText()));
        return out;
    }

    @Test
    void anOrganizationGroupWhosePathAMapperNamesIsNotRenamedOntoTheAdministratorsGroup(KeycloakTarget keycloak) {
        AttackRealm r = realmWithMappers(keycloak, "org");
        String mallory = r.token("mallory");
        String org = AttackFifteenthReviewIT.createdId(r.http.post(r.admin + "/organizations", mallory,
                "{\"name\":\"o1\",\"alias\":\"o1\",\"domains\":[{\"name\":\"o1.example\"}]}"), "an organization");
        String staff = AttackFifteenthReviewIT.createdId(r.http.post(r.admin + "/organizations/" + org + "/groups", mallory,
                "{\"name\":\"staff\"}"), "organization group staff (path /staff)");
        HttpAdmin.Response renamed = r.http.put(r.admin + "/organizations/" + org + "/groups/" + staff, mallory,
                "{\"name\":\"admins\"}");
        assertAll(
                () -> AttackRealm.assertHeld(renamed, "renaming an organization group whose path an identity-provider mapper names"),
                () -> assertEquals(CONFIGURED, mappers(r), "the identity provider's mappers"));
    }
}
