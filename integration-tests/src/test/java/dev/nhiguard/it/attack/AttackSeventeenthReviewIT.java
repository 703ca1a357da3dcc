package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.LDAPException;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Seventeenth red-team review (2026-12-07): LDAP user federation, live. The operator federated the realm with a
 * directory in {@code WRITABLE} edit mode, with a role mapper and a group mapper in {@code LDAP_ONLY} mode that read the
 * same branch ({@code ou=groups}): Keycloak sends a role grant or group join of a directory user to the directory as a
 * group membership, and both mappers read it back. mallory (realm admin, not an approver) granted her directory account
 * a harmless role, or joined it to a new group under the mapped path, unheld: the directory wrote it, and the other
 * mapper presented it as a privileged group, or as the approver role, which then counted as held directly; the account
 * approved her own change requests. Now a grant or join that a directory keeps is held whatever it names, and only a
 * role mapping stored in Keycloak's own database makes an approver. The directory is an in-memory LDAP server (UnboundID)
 * on loopback; each test federates a copy of {@code guard-attack-fifth} with it.
 */
@ExtendWith(KeycloakExtension.class)
public class AttackSeventeenthReviewIT {

    static final String BASE = "dc=example,dc=org";
    static final String PEOPLE = "ou=people," + BASE;
    static final String GROUPS = "ou=groups," + BASE;

    /**
     * The catalogue entries these tests hold against a live directory (each needs a federated user or provider, which
     * the cover realm has not): {@code CatalogueCoverageIT} counts them as covered here.
     */
    public static final List<String> CATALOGUE_ROWS = List.of("directory-membership-write", "directory-membership-remove",
            "directory-user-create-in-groups");

    private static InMemoryDirectoryServer directory;

    @BeforeAll
    static void startDirectory() throws Exception {
        InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(BASE);
        config.addAdditionalBindCredentials("cn=admin," + BASE, "directory-admin-pass");
        config.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), 0, null));
        directory = new InMemoryDirectoryServer(config);
        directory.add(new Entry(BASE, new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "domain"),
                new com.unboundid.ldap.sdk.Attribute("dc", "example")));
        directory.add("dn: " + PEOPLE, "objectClass: organizationalUnit", "ou: people");
        directory.add("dn: " + GROUPS, "objectClass: organizationalUnit", "ou: groups");
        for (String person : List.of("lex", "lara")) {
            directory.add("dn: uid=" + person + "," + PEOPLE, "objectClass: inetOrgPerson", "uid: " + person,
                    "cn: " + person, "givenName: " + person, "sn: Directory", "mail: " + person + "@example.org", "userPassword: " + person + "-pass");
        }
        // the operator's directory makes lara a member of a group called like the approver role, and of the helpdesk
        // (whose Keycloak group gives query-users: an admin role, as approving through the admin API needs)
        directory.add("dn: cn=nhi-approver," + GROUPS, "objectClass: groupOfNames", "cn: nhi-approver",
                "member: uid=lara," + PEOPLE);
        directory.add("dn: cn=helpdesk-staff," + GROUPS, "objectClass: groupOfNames", "cn: helpdesk-staff",
                "member: uid=lara," + PEOPLE);
        directory.startListening();
    }

    @AfterAll
    static void stopDirectory() {
        if (directory != null) {
            directory.shutDown(true);
        }
    }

    /** A copy of guard-attack-fifth federated with the directory: WRITABLE, role and group mappers in LDAP_ONLY mode. */
    private static AttackRealm federatedRealm(KeycloakTarget keycloak, String suffix) {
        return federatedRealm(keycloak, suffix, "WRITABLE", "LDAP_ONLY");
    }

    /** The same with the provider's edit mode and the membership mappers' mode given. */
    private static AttackRealm federatedRealm(KeycloakTarget keycloak, String suffix, String editMode, String mapperMode) {
        return AttackRealm.copyOfFifth(keycloak, "seventeenth", suffix, rep -> {
            ObjectNode ldap = rep.withArray("groups").addObject().put("name", "ldap");
            ldap.withArray("subGroups").addObject().put("name", "helpdesk-staff").with("clientRoles")
                    .withArray("realm-management").add("query-users");
            ObjectNode provider = rep.with("components").withArray("org.keycloak.storage.UserStorageProvider").addObject()
                    .put("name", "corp-ldap").put("providerId", "ldap");
            ObjectNode c = provider.with("config");
            config(c, "vendor", "other");
            config(c, "connectionUrl", "ldap://127.0.0.1:" + directory.getListenPort());
            config(c, "bindDn", "cn=admin," + BASE);
            config(c, "bindCredential", "directory-admin-pass");
            config(c, "usersDn", PEOPLE);
            config(c, "usernameLDAPAttribute", "uid");
            config(c, "rdnLDAPAttribute", "uid");
            config(c, "uuidLDAPAttribute", "entryUUID");
            config(c, "userObjectClasses", "inetOrgPerson, organizationalPerson");
            config(c, "editMode", editMode);
            config(c, "importEnabled", "true");
            config(c, "syncRegistrations", "true");
            config(c, "searchScope", "1");
            config(c, "authType", "simple");
            config(c, "enabled", "true");
            config(c, "pagination", "false");
            config(c, "fullSyncPeriod", "-1");
            config(c, "changedSyncPeriod", "-1");
            config(c, "cachePolicy", "NO_CACHE");
            ArrayNode mappers = provider.with("subComponents").withArray("org.keycloak.storage.ldap.mappers.LDAPStorageMapper");
            attributeMapper(mappers, "username", "uid", "username", true);
            attributeMapper(mappers, "email", "mail", "email", false);
            attributeMapper(mappers, "first name", "givenName", "firstName", false);
            attributeMapper(mappers, "last name", "sn", "lastName", true);
            ObjectNode roles = mappers.addObject().put("name", "ldap-roles").put("providerId", "role-ldap-mapper").with("config");
            config(roles, "roles.dn", GROUPS);
            config(roles, "role.name.ldap.attribute", "cn");
            config(roles, "role.object.classes", "groupOfNames");
            config(roles, "membership.ldap.attribute", "member");
            config(roles, "membership.attribute.type", "DN");
            config(roles, "membership.user.ldap.attribute", "uid");
            config(roles, "mode", mapperMode);
            config(roles, "use.realm.roles.mapping", "true");
            config(roles, "user.roles.retrieve.strategy", "LOAD_ROLES_BY_MEMBER_ATTRIBUTE");
            ObjectNode groups = mappers.addObject().put("name", "ldap-groups").put("providerId", "group-ldap-mapper").with("config");
            config(groups, "groups.dn", GROUPS);
            config(groups, "group.name.ldap.attribute", "cn");
            config(groups, "group.object.classes", "groupOfNames");
            config(groups, "preserve.group.inheritance", "false");
            config(groups, "ignore.missing.groups", "false");
            config(groups, "membership.ldap.attribute", "member");
            config(groups, "membership.attribute.type", "DN");
            config(groups, "membership.user.ldap.attribute", "uid");
            config(groups, "mode", mapperMode);
            config(groups, "user.roles.retrieve.strategy", "LOAD_GROUPS_BY_MEMBER_ATTRIBUTE");
            config(groups, "groups.path", "/ldap");
        });
    }

    private static void config(ObjectNode config, String key, String value) {
        config.putArray(key).add(value);
    }

    private static void attributeMapper(ArrayNode mappers, String name, String ldapAttribute, String userAttribute, boolean mandatory) {
        ObjectNode c = mappers.addObject().put("name", name).put("providerId", "user-attribute-ldap-mapper").with("config");
        config(c, "ldap.attribute", ldapAttribute);
        config(c, "user.model.attribute", userAttribute);
        config(c, "read.only", "false");
        config(c, "always.read.value.from.ldap", "false");
        config(c, "is.mandatory.in.ldap", mandatory ? "true" : "false");
    }

    /** A directory user as Keycloak imports it on lookup (an admin's user search), by id. */
    private static String importedUser(AttackRealm r, String token, String username) {
        JsonNode found = r.http.get(r.admin + "/users?exact=true&username=" + username, token).json();
        assertEquals(1, found.size(), "the directory user " + username + " is found: " + found);
        return found.get(0).get("id").asText();
    }

    private static boolean directoryGroupHasMember(String group, String username) throws LDAPException {
        Entry entry = directory.getEntry("cn=" + group + "," + GROUPS);
        return entry != null && entry.hasAttributeValue("member", "uid=" + username + "," + PEOPLE);
    }

    @Test
    void aGroupJoinOrRoleGrantTheDirectoryKeepsIsHeldWhateverItNames(KeycloakTarget keycloak) throws LDAPException {
        AttackRealm r = federatedRealm(keycloak, "join");
        String mallory = r.token("mallory");
        String lex = importedUser(r, mallory, "lex");
        // a new group under the mapped path is an empty directory group (creating it passes: nobody is in it)
        HttpAdmin.Response created = r.http.post(r.admin + "/groups/" + r.groupIdOrNull("ldap") + "/children", mallory,
                "{\"name\":\"ops\"}");
        assertEquals(201, created.status(), created.body());
        String ops = created.header("location").replaceAll(".*/", "");
        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + lex + "/groups/" + ops, mallory, null);
        AttackRealm.assertHeld(join, "mallory joins her directory account to a group the directory keeps");
        assertEquals("directory-membership-write", join.json().path("operation").asText(), join.body());
        HttpAdmin.Response role = r.http.post(r.admin + "/roles", mallory, "{\"name\":\"helpdesk\"}");
        assertEquals(201, role.status(), role.body());
        HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + lex + "/role-mappings/realm", mallory,
                "[" + r.realmRole("helpdesk") + "]");
        AttackRealm.assertHeld(grant, "mallory grants a harmless role that the role mapper writes into the directory");
        // judged by the effect: nothing reached the directory, and Keycloak shows lex with neither
        assertFalse(directoryGroupHasMember("ops", "lex"), "the join is not written into the directory");
        assertFalse(directoryGroupHasMember("helpdesk", "lex"), "the grant is not written into the directory");
        assertFalse(r.effectiveRealmRoles(lex).contains("helpdesk"), "lex does not hold the role");
        // approved by a second person, the join is applied once, into the directory
        HttpAdmin.Response approved = r.approve(join.json().path("id").asText(), join.json().path("digest").asText(), r.token("ann"));
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = r.apply(join.json().path("id").asText(), r.token("mallory"));
        assertEquals(200, applied.status(), applied.body());
        assertTrue(directoryGroupHasMember("ops", "lex"), "the approved join is written into the directory");
        r.cancelHeld(mallory, grant);
    }

    /**
     * A mapper in LDAP_ONLY mode writes the directory whatever the provider's edit mode (the mappers' proxies wrap the
     * provider's read-only one), and Keycloak reads the mode case-blind: an UNSYNCED provider with {@code ldap_only}
     * mappers takes the join into the directory just the same (found reviewing the fix).
     */
    @Test
    void aJoinIsHeldWhateverTheProvidersEditModeAndTheModesCase(KeycloakTarget keycloak) throws LDAPException {
        AttackRealm r = federatedRealm(keycloak, "unsynced", "UNSYNCED", "ldap_only");
        String mallory = r.token("mallory");
        String lex = importedUser(r, mallory, "lex");
        HttpAdmin.Response created = r.http.post(r.admin + "/groups/" + r.groupIdOrNull("ldap") + "/children", mallory,
                "{\"name\":\"night-shift\"}");
        assertEquals(201, created.status(), created.body());
        HttpAdmin.Response join = r.http.put(r.admin + "/users/" + lex + "/groups/" + created.header("location").replaceAll(".*/", ""),
                mallory, null);
        AttackRealm.assertHeld(join, "a join an UNSYNCED provider's ldap_only mapper keeps");
        assertFalse(directoryGroupHasMember("night-shift", "lex"), "nothing reached the directory");
        assertEquals(200, r.approve(join.json().path("id").asText(), join.json().path("digest").asText(), r.token("ann")).status());
        assertEquals(200, r.apply(join.json().path("id").asText(), mallory).status());
        assertTrue(directoryGroupHasMember("night-shift", "lex"), "applied, the join is in the directory: the mode writes it");
    }

    /**
     * Leaving a group, or losing a role, that the directory keeps deletes a directory membership another mapper may read
     * as a different group or role (a re-attack of the fix: a revoke moved a user out of a same-named group). For a
     * privileged user it is held; and a user created in groups is created in the directory, joins and all.
     */
    @Test
    void aPrivilegedDirectoryUsersLeaveAndANewUserInGroupsAreHeld(KeycloakTarget keycloak) throws LDAPException {
        AttackRealm r = federatedRealm(keycloak, "leave");
        String mallory = r.token("mallory");
        String lara = importedUser(r, mallory, "lara");
        String helpdesk = null;
        for (JsonNode g : r.http.get(r.admin + "/users/" + lara + "/groups", mallory).json()) {
            if ("helpdesk-staff".equals(g.path("name").asText())) {
                helpdesk = g.path("id").asText();
            }
        }
        assertTrue(helpdesk != null, "precondition: lara is in /ldap/helpdesk-staff through the directory");
        HttpAdmin.Response leave = r.http.delete(r.admin + "/users/" + lara + "/groups/" + helpdesk, mallory);
        AttackRealm.assertHeld(leave, "a privileged directory user leaving a group the directory keeps");
        assertEquals("directory-membership-remove", leave.json().path("operation").asText(), leave.body());
        assertTrue(directoryGroupHasMember("helpdesk-staff", "lara"), "the directory membership is still there");
        HttpAdmin.Response created = r.http.post(r.admin + "/users", mallory, "{\"username\":\"newbie\",\"enabled\":true,"
                + "\"firstName\":\"New\",\"lastName\":\"Directory\",\"email\":\"newbie@example.org\",\"groups\":[\"/ldap\"]}");
        AttackRealm.assertHeld(created, "a user created in groups while the directory takes registrations");
        assertEquals("directory-user-create-in-groups", created.json().path("operation").asText(), created.body());
        assertEquals(0, r.http.get(r.admin + "/users?exact=true&username=newbie", mallory).json().size(), "no user newbie");
        r.cancelHeld(mallory, leave, created);
    }

    @Test
    void aRoleTheDirectoryPresentsDoesNotMakeAnApprover(KeycloakTarget keycloak) {
        AttackRealm r = federatedRealm(keycloak, "approver");
        String mallory = r.token("mallory");
        String lara = importedUser(r, mallory, "lara");
        // the role mapper presents the directory group as the approver role, held "directly" as Keycloak sees it
        assertTrue(r.http.get(r.admin + "/users/" + lara + "/role-mappings/realm", r.master()).body().contains("nhi-approver"),
                "precondition: Keycloak shows lara holding nhi-approver through the directory");
        JsonNode held = r.heldSecretRegeneration(mallory);
        HttpAdmin.Response approved = r.approve(held.path("id").asText(), held.path("digest").asText(), r.token("lara"));
        assertEquals(403, approved.status(), "an approver role the directory presents does not approve: " + approved.body());
        assertTrue(approved.body().contains("nhi-approver"), "refused for the approver rule: " + approved.body());
        assertEquals("PENDING", r.changeRequest(held.path("id").asText()).path("state").asText());
        r.http.post(r.guard + "/change-requests/" + held.path("id").asText() + "/cancel", mallory, null);
    }

    /**
     * The client admin API v2 creates a client on a {@code PUT} of a clientId that does not exist (an upsert, answered
     * 201). The chain recorded it as an {@code UPDATE} without the client's name, so a search for creations missed it.
     */
    @Test
    void aClientApiV2PutThatCreatesAClientIsRecordedAsACreation(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "seventeenth", "v2put", rep -> { });
        HttpAdmin.Response created = r.http.put("/admin/api/" + r.name + "/clients/v2/v2-upsert", r.token("mallory"),
                "{\"clientId\":\"v2-upsert\",\"protocol\":\"openid-connect\",\"enabled\":true}");
        assertEquals(201, created.status(), "a v2 PUT of a new clientId creates it: " + created.body());
        List<JsonNode> records = new java.util.ArrayList<>();
        r.recordsAfter(0).stream().filter(x -> "ADMIN_WRITE_UNRECORDED".equals(x.path("type").asText())).forEach(records::add);
        assertEquals(1, records.size(), records.toString());
        assertEquals("CREATE", records.get(0).path("operation").asText(), records.get(0).toString());
        assertEquals("v2-upsert", records.get(0).at("/details/clientId").asText(), records.get(0).toString());
    }

    /**
     * A component update that gives a config key an empty list makes Keycloak remove the key, and its provider falls
     * back to the default: an empty {@code enabled} turns a disabled signing key back on. The change request showed
     * no diff (the approvals page then compared the body with the wrapped before-image and showed only unchanged
     * fields), and ann approved it. Now the diff shows each key the update removes.
     */
    @Test
    void aComponentUpdateThatEmptiesAConfigKeyShowsTheRemoval(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "seventeenth", "component", rep -> { });
        JsonNode hmac = null;
        for (JsonNode c : r.read("/components?type=org.keycloak.keys.KeyProvider")) {
            if ("hmac-generated".equals(c.path("providerId").asText())) {
                hmac = c;
            }
        }
        assertTrue(hmac != null && hmac.at("/config/algorithm/0").isTextual(), "the realm's HMAC key provider: " + hmac);
        ObjectNode body = hmac.deepCopy();
        body.with("config").putArray("algorithm");
        HttpAdmin.Response held = r.http.put(r.admin + "/components/" + hmac.path("id").asText(), r.token("mallory"), body.toString());
        AttackRealm.assertHeld(held, "a key provider's update");
        JsonNode shown = r.changeRequest(held.json().path("id").asText());
        boolean removal = false;
        for (JsonNode d : shown.path("diff")) {
            removal |= "/component/config/algorithm".equals(d.path("path").asText()) && "remove".equals(d.path("op").asText());
        }
        assertTrue(removal, "the diff shows the algorithm removed: " + shown.path("diff"));
        r.http.post(r.guard + "/change-requests/" + held.json().path("id").asText() + "/cancel", r.token("mallory"), null);
    }
}
