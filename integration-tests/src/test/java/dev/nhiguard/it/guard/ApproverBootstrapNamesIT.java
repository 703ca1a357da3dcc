package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Eighteenth red-team review (2026-12-07): the operator's option {@code bootstrap-approvers} names users who should be
 * approvers while a realm has too few. A name nobody held yet could be taken by whoever signed up under it first (an
 * organization invitation's link let mallory register {@code gwen2} with a password of hers; the bootstrap then
 * appointed that account, which approved mallory's own request), and anyone could make a realm "short" by locking an
 * approver out with wrong passwords (a permanent lockout disables the user). The bootstrap now appoints under a name only the
 * user who held it when the bootstrap first looked for it (nobody, for hal), and counts approvers disabled by a permanent lockout as present. The test
 * server's option names {@code guard-bootstrap-late:hal} and {@code guard-bootstrap-lockout:ivy}; both realms are created
 * here by the master admin (as an operator would import them), each one approver short or about to be.
 */
@ExtendWith(KeycloakExtension.class)
class ApproverBootstrapNamesIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The bootstrap task's interval in the test server (the expiry interval): 2 s. Several of them pass. */
    private static final Duration SEVERAL_RUNS = Duration.ofSeconds(5);

    private static ObjectNode realm(String name) {
        ObjectNode rep = JSON.createObjectNode().put("realm", name).put("enabled", true).put("sslRequired", "none")
                .put("passwordPolicy", "hashAlgorithm(pbkdf2-sha256) and hashIterations(1)");
        rep.with("attributes").put("nhi.guard.policy", "{\"approvalsRequired\":1}");
        rep.with("roles").withArray("realm").addObject().put("name", "nhi-approver");
        return rep;
    }

    private static void user(ObjectNode rep, String username, boolean approver) {
        ObjectNode u = rep.withArray("users").addObject().put("username", username).put("enabled", true)
                .put("email", username + "@" + rep.path("realm").asText() + ".test").put("emailVerified", true)
                .put("firstName", username).put("lastName", "Test");
        u.withArray("credentials").addObject().put("type", "password").put("value", username + "-pass").put("temporary", false);
        if (approver) {
            u.withArray("realmRoles").add("nhi-approver");
            u.with("clientRoles").withArray("realm-management").add("realm-admin");
        }
    }

    private static boolean holdsApprover(HttpAdmin http, String master, String realm, String username) {
        JsonNode found = http.get("/admin/realms/" + realm + "/users?exact=true&username=" + username, master).json();
        assertEquals(1, found.size(), username + " in " + realm + ": " + found);
        String id = found.get(0).get("id").asText();
        return http.get("/admin/realms/" + realm + "/users/" + id + "/role-mappings/realm", master).body().contains("nhi-approver");
    }

    /** hal signs up through the realm's registration page after the bootstrap first looked for the name: not appointed. */
    @Test
    void aUserWhoSignsUpUnderAListedNameIsNotAppointed(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String master = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        ObjectNode rep = realm("guard-bootstrap-late").put("registrationAllowed", true);
        user(rep, "ann", true); // one approver where two are needed: the realm is short from the start
        assertEquals(201, http.post("/admin/realms", master, rep.toString()).status());
        Thread.sleep(SEVERAL_RUNS.toMillis()); // the bootstrap sees the realm, and hal is not there

        register(keycloak.baseUri(), "guard-bootstrap-late", "hal", "chosen-by-whoever-signs-up");
        Thread.sleep(SEVERAL_RUNS.toMillis());
        assertFalse(holdsApprover(http, master, "guard-bootstrap-late", "hal"),
                "the bootstrap appointed an account whoever signed up under the listed name controls");
    }

    /** ben is locked out for good by wrong passwords: the realm is not short for that, ivy is not appointed. */
    @Test
    void anApproverLockedOutByWrongPasswordsDoesNotOpenTheBootstrap(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String master = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        ObjectNode rep = realm("guard-bootstrap-lockout").put("bruteForceProtected", true).put("permanentLockout", true)
                .put("failureFactor", 3);
        user(rep, "ann", true);
        user(rep, "ben", true);
        user(rep, "ivy", false); // named by the operator, there from the start
        assertEquals(201, http.post("/admin/realms", master, rep.toString()).status());
        Thread.sleep(SEVERAL_RUNS.toMillis());
        assertFalse(holdsApprover(http, master, "guard-bootstrap-lockout", "ivy"), "two approvers: nobody is appointed");

        for (int i = 0; i < 4; i++) {
            Thread.sleep(1100); // slower than Keycloak's quick-login check, so each failure counts as one
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "password");
            form.put("client_id", "admin-cli");
            form.put("username", "ben");
            form.put("password", "wrong-" + i);
            http.postForm("/realms/guard-bootstrap-lockout/protocol/openid-connect/token", form);
        }
        JsonNode ben = null;
        for (long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos(); System.nanoTime() < deadline; Thread.sleep(500)) {
            ben = http.get("/admin/realms/guard-bootstrap-lockout/users?exact=true&username=ben", master).json().get(0);
            if (!ben.get("enabled").asBoolean()) {
                break;
            }
        }
        assertFalse(ben.get("enabled").asBoolean(), "ben is locked out for good: " + ben);
        Thread.sleep(SEVERAL_RUNS.toMillis());
        assertFalse(holdsApprover(http, master, "guard-bootstrap-lockout", "ivy"),
                "anyone's wrong passwords opened the bootstrap");
    }

    /** Self-registration through Keycloak's login pages, as a browser does it (cookies, the form's action URL). */
    static void register(URI base, String realm, String username, String password) throws Exception {
        // (cookies by hand: Keycloak marks its login cookies Secure, which a cookie store keeps off plain http)
        HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
        String redirect = base + "/realms/" + realm + "/account/";
        String start = base + "/realms/" + realm + "/protocol/openid-connect/registrations?client_id=account-console"
                + "&response_type=code&scope=openid&redirect_uri=" + URLEncoder.encode(redirect, StandardCharsets.UTF_8)
                + "&code_challenge=" + "A".repeat(43) + "&code_challenge_method=S256";
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(URI.create(start)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        Matcher action = Pattern.compile("id=\"kc-register-form\"[^>]*action=\"([^\"]+)\"|action=\"([^\"]+)\"[^>]*id=\"kc-register-form\"")
                .matcher(page.body());
        assertTrue(action.find(), "no registration form: " + page.body());
        String url = (action.group(1) != null ? action.group(1) : action.group(2)).replace("&amp;", "&");
        Map<String, String> form = new LinkedHashMap<>();
        form.put("username", username);
        form.put("email", username + "@signed-up.test");
        form.put("firstName", username);
        form.put("lastName", "Signed-Up");
        form.put("password", password);
        form.put("password-confirm", password);
        String body = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        String cookies = page.headers().allValues("Set-Cookie").stream().map(c -> c.split(";", 2)[0])
                .collect(Collectors.joining("; "));
        HttpResponse<String> posted = browser.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookies).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, posted.statusCode(), "registration: " + posted.body());
    }
}
