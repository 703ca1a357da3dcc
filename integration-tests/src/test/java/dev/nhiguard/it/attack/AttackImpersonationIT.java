package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Approvers cannot be impersonated, in realm {@code guard-attack-imp}: mallory tries to get a
 * token for ann (an approver) without ann's password, through authentication flows and their
 * bindings, identity providers, user federation, realm keys, weaker lockout, and ann's recovery
 * (execute-actions email, password reset, impersonation). Judged by effect: the flows,
 * identity providers, components and keys are what they were, the realm's flow bindings and
 * lockout are unchanged, and a direct-grant token request for ann with a wrong or empty password
 * still fails.
 *
 * <p>Checked by hand on plain Keycloak 26.7.3: a flow with only {@code direct-grant-validate-username},
 * bound as a new public client's {@code direct_grant} override, gives a token for ann with any
 * password or none.
 */
@ExtendWith(KeycloakExtension.class)
class AttackImpersonationIT {

    static final String REALM = "guard-attack-imp";

    /** A token for ann cannot be had without ann's password, through any client mallory touched. */
    static void assertAnnNeedsHerPassword(AttackRealm r) {
        List<Executable> checks = new ArrayList<>();
        // Her own password first: a successful login also clears earlier failures (brute-force protection is on).
        int own = r.passwordGrant("admin-cli", null, "ann", "ann-pass").status();
        checks.add(() -> assertEquals(200, own, "ann still logs in with her own password"));
        for (String password : new String[] {"wrong-password", "", null}) {
            checks.add(() -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "ann", password).status(),
                    "admin-cli token for ann with password " + password));
            checks.add(() -> assertNotEquals(200, r.passwordGrant("plain-app", "plain-app-secret", "ann", password).status(),
                    "plain-app token for ann with password " + password));
            if (r.clientUuidOrNull("evil-bind") != null) {
                checks.add(() -> assertNotEquals(200, r.passwordGrant("evil-bind", null, "ann", password).status(),
                        "evil-bind token for ann with password " + password));
            }
        }
        assertAll(checks);
    }

    static Set<String> flowAliases(AttackRealm r) {
        Set<String> aliases = new TreeSet<>();
        r.read("/authentication/flows").forEach(f -> aliases.add(f.path("alias").asText()));
        return aliases;
    }

    static String flowId(AttackRealm r, String alias) {
        for (JsonNode f : r.read("/authentication/flows")) {
            if (alias.equals(f.path("alias").asText())) {
                return f.path("id").asText();
            }
        }
        return null;
    }

    @Test
    void flowsCannotBeCreatedCopiedOrBound(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        Set<String> flowsBefore = flowAliases(r);
        JsonNode realmBefore = r.realm();
        String plain = r.clientUuid("plain-app");
        JsonNode plainBefore = r.read("/clients/" + plain);

        HttpAdmin.Response created = r.http.post(r.admin + "/authentication/flows", mallory,
                "{\"alias\":\"evil-direct\",\"providerId\":\"basic-flow\",\"topLevel\":true,\"builtIn\":false,\"description\":\"no password\"}");
        if (flowId(r, "evil-direct") != null) { // it took effect: finish the attack as mallory would
            r.http.post(r.admin + "/authentication/flows/evil-direct/executions/execution", mallory,
                    "{\"provider\":\"direct-grant-validate-username\"}");
        }
        HttpAdmin.Response copied = r.http.post(r.admin + "/authentication/flows/browser/copy", mallory, "{\"newName\":\"browser-nopass\"}");
        if (flowId(r, "browser-nopass") != null) {
            for (JsonNode e : r.read("/authentication/flows/browser-nopass/executions")) {
                if ("auth-username-password-form".equals(e.path("providerId").asText())) {
                    r.http.delete(r.admin + "/authentication/executions/" + e.path("id").asText(), mallory);
                }
            }
        }
        // Bind the password-less flow if it exists, otherwise any flow other than the default.
        String evil = flowId(r, "evil-direct") != null ? flowId(r, "evil-direct") : flowId(r, "first broker login");
        String evilBrowser = flowId(r, "browser-nopass") != null ? "browser-nopass" : "first broker login";
        HttpAdmin.Response newClient = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"evil-bind\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"standardFlowEnabled\":false,"
                + "\"authenticationFlowBindingOverrides\":{\"direct_grant\":\"" + evil + "\"}}");
        ObjectNode plainRep = plainBefore.deepCopy();
        plainRep.put("directAccessGrantsEnabled", true);
        plainRep.putObject("authenticationFlowBindingOverrides").put("direct_grant", evil).put("browser", evil);
        HttpAdmin.Response plainBound = r.http.put(r.admin + "/clients/" + plain, mallory, AttackRealm.json(plainRep));
        HttpAdmin.Response directGrantFlow = r.http.put(r.admin, mallory,
                "{\"directGrantFlow\":\"" + (flowId(r, "evil-direct") != null ? "evil-direct" : "first broker login") + "\"}");
        HttpAdmin.Response browserFlow = r.http.put(r.admin, mallory, "{\"browserFlow\":\"" + evilBrowser + "\"}");

        JsonNode realmAfter = r.realm();
        JsonNode plainAfter = r.read("/clients/" + plain);
        assertAll(
                () -> assertHeldOrRefused(created, "POST /authentication/flows"),
                () -> assertHeldOrRefused(copied, "copying the browser flow"),
                () -> assertHeldOrRefused(newClient, "a new client with a direct_grant flow override"),
                () -> assertHeldOrRefused(plainBound, "flow overrides on plain-app"),
                () -> assertHeldOrRefused(directGrantFlow, "changing the realm's directGrantFlow"),
                () -> assertHeldOrRefused(browserFlow, "changing the realm's browserFlow"),
                () -> assertEquals(flowsBefore, flowAliases(r), "authentication flows"),
                () -> assertNull(r.clientUuidOrNull("evil-bind"), "client evil-bind exists"),
                () -> assertEquals(plainBefore.path("authenticationFlowBindingOverrides"), plainAfter.path("authenticationFlowBindingOverrides"),
                        "plain-app's flow overrides"),
                () -> assertEquals(plainBefore.path("directAccessGrantsEnabled"), plainAfter.path("directAccessGrantsEnabled")),
                () -> assertEquals(realmBefore.path("directGrantFlow"), realmAfter.path("directGrantFlow"), "directGrantFlow"),
                () -> assertEquals(realmBefore.path("browserFlow"), realmAfter.path("browserFlow"), "browserFlow"),
                () -> assertAnnNeedsHerPassword(r));
    }

    @Test
    void identityProvidersFederationAndKeysCannotBeAdded(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String realmId = r.realm().path("id").asText();
        String idpsBefore = r.read("/identity-provider/instances").toString();
        String componentsBefore = componentNames(r).toString();
        String keysBefore = kids(r).toString();

        HttpAdmin.Response idp = r.http.post(r.admin + "/identity-provider/instances", mallory,
                "{\"alias\":\"evil-idp\",\"providerId\":\"oidc\",\"enabled\":true,\"trustEmail\":true,\"config\":{\"clientId\":\"x\","
                        + "\"clientSecret\":\"y\",\"authorizationUrl\":\"http://127.0.0.1:9/auth\",\"tokenUrl\":\"http://127.0.0.1:9/token\","
                        + "\"clientAuthMethod\":\"client_secret_post\",\"syncMode\":\"LEGACY\"}}");
        HttpAdmin.Response ldap = r.http.post(r.admin + "/components", mallory, "{\"name\":\"evil-ldap\",\"providerId\":\"ldap\","
                + "\"providerType\":\"org.keycloak.storage.UserStorageProvider\",\"parentId\":\"" + realmId + "\",\"config\":{"
                + "\"enabled\":[\"true\"],\"priority\":[\"0\"],\"editMode\":[\"READ_ONLY\"],\"vendor\":[\"other\"],"
                + "\"connectionUrl\":[\"ldap://127.0.0.1:9\"],\"usersDn\":[\"ou=people,dc=evil\"],\"usernameLDAPAttribute\":[\"uid\"],"
                + "\"rdnLDAPAttribute\":[\"uid\"],\"uuidLDAPAttribute\":[\"entryUUID\"],\"userObjectClasses\":[\"inetOrgPerson\"],"
                + "\"authType\":[\"none\"],\"searchScope\":[\"1\"],\"importEnabled\":[\"false\"]}}");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode rsa = AttackRealm.JSON.createObjectNode();
        rsa.put("name", "evil-rsa").put("providerId", "rsa").put("providerType", "org.keycloak.keys.KeyProvider").put("parentId", realmId);
        ObjectNode config = rsa.putObject("config");
        config.putArray("priority").add("1000000");
        config.putArray("enabled").add("true");
        config.putArray("active").add("true");
        config.putArray("algorithm").add("RS256");
        config.putArray("privateKey").add(pem);
        HttpAdmin.Response key = r.http.post(r.admin + "/components", mallory, AttackRealm.json(rsa));
        String ourPublicKey = Base64.getEncoder().encodeToString(pair.getPublic().getEncoded());

        assertAll(
                () -> assertHeldOrRefused(idp, "POST /identity-provider/instances"),
                () -> assertHeldOrRefused(ldap, "an LDAP user federation component"),
                () -> assertHeldOrRefused(key, "an imported rsa key provider"),
                () -> assertEquals(idpsBefore, r.read("/identity-provider/instances").toString(), "identity providers"),
                () -> assertEquals(componentsBefore, componentNames(r).toString(), "components"),
                () -> assertEquals(keysBefore, kids(r).toString(), "the realm's keys"),
                () -> assertFalse(r.read("/keys").toString().contains(ourPublicKey), "mallory's key is a realm key"),
                () -> assertAnnNeedsHerPassword(r));
    }

    @Test
    void lockoutCannotBeWeakened(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        JsonNode before = r.realm();
        assertTrue(before.path("bruteForceProtected").asBoolean(), "fixture: brute-force protection on");
        HttpAdmin.Response off = r.http.put(r.admin, mallory, "{\"bruteForceProtected\":false}");
        HttpAdmin.Response factor = r.http.put(r.admin, mallory, "{\"failureFactor\":1000000}");
        JsonNode after = r.realm();
        assertAll(
                () -> assertHeldOrRefused(off, "bruteForceProtected=false"),
                () -> assertHeldOrRefused(factor, "failureFactor=1000000"),
                () -> assertTrue(after.path("bruteForceProtected").asBoolean(), "brute-force protection switched off"),
                () -> assertEquals(before.path("failureFactor"), after.path("failureFactor"), "failureFactor"));
    }

    @Test
    void anApproversRecoveryCannotBeTriggered(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String ann = r.userId("ann");
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            // The realm's mail goes to a local receiver, so a sent execute-actions email would be seen.
            // Set by the operator's bootstrap admin; if that is itself held, the email cannot be observed.
            r.http.put(r.admin, r.master(), AttackRealm.json(java.util.Map.of("smtpServer", smtp.smtpServerConfig())));
            boolean mailObservable = String.valueOf(smtp.port()).equals(r.realm().path("smtpServer").path("port").asText());
            int sessionsBefore = r.read("/users/" + ann + "/sessions").size();

            String mallory = r.token("mallory");
            HttpAdmin.Response actions = r.http.put(r.admin + "/users/" + ann + "/execute-actions-email", mallory, "[\"UPDATE_PASSWORD\"]");
            HttpAdmin.Response reset = r.http.put(r.admin + "/users/" + ann + "/reset-password", mallory,
                    "{\"type\":\"password\",\"value\":\"mallory-knows-this\",\"temporary\":false}");
            HttpAdmin.Response impersonation = r.http.post(r.admin + "/users/" + ann + "/impersonation", mallory, null);
            Thread.sleep(3000); // time for a mail that was sent after commit
            int sessionsAfter = r.read("/users/" + ann + "/sessions").size();
            String setCookie = impersonation.header("set-cookie");

            assertAll(
                    () -> assertHeldOrRefused(actions, "execute-actions-email to ann"),
                    () -> assertHeldOrRefused(reset, "reset-password of ann"),
                    () -> assertHeldOrRefused(impersonation, "impersonating ann"),
                    // ann may get the guard's own "approval needed" mail; an action-token link is Keycloak's execute-actions mail.
                    () -> assertTrue(!mailObservable || smtp.messages().stream().noneMatch(m -> m.recipients().contains("ann@" + REALM + ".test")
                            && m.text().contains("action-token")), "an execute-actions email went to ann: " + smtp.messages()),
                    () -> assertEquals(sessionsBefore, sessionsAfter, "a session of ann was created"),
                    () -> assertTrue(setCookie == null || !setCookie.contains("KEYCLOAK_IDENTITY"), "an SSO cookie for ann: " + setCookie),
                    () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "ann", "mallory-knows-this").status(),
                            "ann's password is the one mallory chose"),
                    () -> assertAnnNeedsHerPassword(r));
            if (!mailObservable) {
                System.out.println("AttackImpersonationIT: the realm's SMTP settings could not be set; execute-actions-email judged by status only");
            }
        }
    }

    /**
     * A client of mallory's own is everyday work (not held), and Keycloak's admin API accepts a token
     * of any client of the realm. With such a client's redirect URI an approver's live browser
     * session hands mallory an authorization code for the approver (an authorization request with
     * {@code prompt=none}); here the same kind of token, issued to mallory's client for ann, is had
     * by ann's password. Judged by effect: it decides nothing, the request stays pending, while the
     * same approver's token through admin-cli approves. The names of the clients decisions come
     * through are not mallory's to take: creating {@code nhi-approvals} (absent in this realm) or
     * renaming a client to it is held.
     */
    @Test
    void aTokenOfAClientTheRequesterMadeDecidesNothing(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"mallory-portal\","
                + "\"publicClient\":false,\"secret\":\"mallory-portal-secret\",\"standardFlowEnabled\":true,"
                + "\"directAccessGrantsEnabled\":true,\"redirectUris\":[\"https://mallory.example/*\"]}");
        assertEquals(201, created.status(), "an ordinary client is everyday work: " + created.body());
        JsonNode request = r.heldSecretRegeneration(mallory);
        String id = request.path("id").asText();
        String digest = request.path("digest").asText();
        String annThroughMallorysClient = r.passwordGrant("mallory-portal", "mallory-portal-secret", "ann", "ann-pass").json()
                .path("access_token").asText();
        HttpAdmin.Response throughMallory = r.approve(id, digest, annThroughMallorysClient);
        String stateAfter = r.http.get(r.guard + "/change-requests/" + id, r.master()).json().path("state").asText();

        HttpAdmin.Response approvals = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"nhi-approvals\","
                + "\"publicClient\":true,\"redirectUris\":[\"https://mallory.example/*\"]}");
        JsonNode portal = r.read("/clients/" + r.clientUuid("mallory-portal"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) portal).put("clientId", "nhi-approvals");
        HttpAdmin.Response renamed = r.http.put(r.admin + "/clients/" + r.clientUuid("mallory-portal"), mallory, portal.toString());

        HttpAdmin.Response throughAdminCli = r.approve(id, digest, r.token("ann"));
        assertAll(
                () -> assertEquals(403, throughMallory.status(), "ann's token issued to mallory-portal: " + throughMallory.body()),
                () -> assertTrue(throughMallory.body().contains("mallory-portal"), throughMallory.body()),
                () -> assertEquals("PENDING", stateAfter, "the request after the approval through mallory-portal"),
                () -> assertHeldOrRefused(approvals, "creating nhi-approvals"),
                () -> assertEquals(null, r.clientUuidOrNull("nhi-approvals"), "nhi-approvals was created"),
                () -> assertHeldOrRefused(renamed, "renaming mallory-portal to nhi-approvals"),
                () -> assertEquals(200, throughAdminCli.status(), "ann's own admin-cli token approves: " + throughAdminCli.body()));
    }

    /**
     * The approvals page and the approval mails take their wording from the realm's message bundle,
     * where realm localization texts override the theme: mallory relabelled Approve as Reject (and
     * the confirmation and the result with it), in English and in a locale of his own sent by link,
     * and ann approved while meaning to reject. Judged by effect: no override of a guard key is
     * stored, and the bundle the page reads still says Approve; Keycloak's own texts stay everyday
     * work.
     */
    @Test
    void theApprovalsPageCannotBeRelabelled(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        HttpAdmin.Response one = r.http.send("PUT", r.admin + "/localization/en/nhiapApprove", mallory, "text/plain", "Reject");
        HttpAdmin.Response subject = r.http.send("PUT", r.admin + "/localization/en/nhiGuardApprovalNeededSubject", mallory,
                "text/plain", "Routine: {0} on {1} (safe to approve)");
        HttpAdmin.Response map = r.http.post(r.admin + "/localization/zz", mallory,
                "{\"nhiapApprove\":\"Reject\",\"nhiapReject\":\"Approve\"}");
        String boundary = "nhi-texts";
        HttpAdmin.Response file = r.http.send("POST", r.admin + "/localization/zz", mallory, "multipart/form-data; boundary=" + boundary,
                "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"zz.json\"\r\n"
                        + "Content-Type: application/json\r\n\r\n{\"nhiapApprove\":\"Reject\"}\r\n--" + boundary + "--\r\n");
        // Keycloak's own texts are no longer everyday work: a mail's or login page's text can carry a link of its author's
        // (eighth review, AttackEighthReviewIT): as JSON they are held, one text as text/plain is refused.
        HttpAdmin.Response keycloakText = r.http.post(r.admin + "/localization/en", mallory, "{\"loginTitle\":\"Sign in to the imp realm\"}");
        r.cancelHeld(mallory, keycloakText);
        JsonNode bundle = r.http.get("/resources/" + REALM + "/common/en?theme=nhi-guard", null).json();
        String approve = null;
        for (JsonNode e : bundle) {
            if (e.path("key").asText().equals("nhiapApprove")) {
                approve = e.path("value").asText();
            }
        }
        String shown = approve;
        assertAll(
                () -> assertEquals(403, one.status(), "nhiapApprove: " + one.body()),
                () -> assertEquals(403, subject.status(), "the approval mail's subject: " + subject.body()),
                () -> assertEquals(403, map.status(), "a map in locale zz: " + map.body()),
                () -> assertEquals(403, file.status(), "a file upload: " + file.body()),
                () -> assertEquals(404, r.get("/localization/en/nhiapApprove").status(), "an override of nhiapApprove is stored"),
                () -> assertFalse(r.read("/localization/zz").has("nhiapApprove"), "an override in zz is stored"),
                () -> assertEquals("Approve", shown, "the page's bundle says"),
                () -> assertEquals(202, keycloakText.status(), "Keycloak's own login title: " + keycloakText.body()));
    }

    private static List<String> componentNames(AttackRealm r) {
        List<String> names = new ArrayList<>();
        r.read("/components").forEach(c -> names.add(c.path("providerType").asText() + "/" + c.path("name").asText()));
        names.sort(null);
        return names;
    }

    private static List<String> kids(AttackRealm r) {
        List<String> kids = new ArrayList<>();
        r.read("/keys").path("keys").forEach(k -> kids.add(k.path("kid").asText()));
        kids.sort(null);
        return kids;
    }
}
