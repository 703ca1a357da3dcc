package dev.nhiguard.it.themes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.Browser;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.Totp;

/**
 * The whole loop of a held change on the approvals page, in headless Chromium, judged by the
 * target's state read through the admin API after each step: held (from the admin console's
 * message, or from the 409's review link), approved by a second person signed in with OTP,
 * applied, rolled back (a rollback request, approved and applied like any other). Once as a
 * realm admin of {@code guard-page}, once as a master-realm admin (who may request, apply and
 * roll back, but whom the policy does not count as an approver of the realm: the page says why).
 * Also: rows open with Tab and Enter, and the page speaks German through the theme's bundle.
 */
@ExtendWith(KeycloakExtension.class)
class ApprovalsLoopIT {

    static final String REALM = "guard-page";
    static final String A = "/admin/realms/" + REALM;
    static final String G = A + "/mutation-guard/change-requests/";
    static final String PAGE = "/resources/nhiap/common/nhi-guard/approvals/index.html";
    static final String OTP_SECRET = "guard-page-alice-otp";
    static final Duration LONG = Duration.ofSeconds(120);

    /**
     * The current one-time code. The page realms let a code be used again within its period
     * ({@code otpPolicyCodeReusable}), so a test that signs in twice does not wait half a minute for the next code;
     * what these tests judge is the page and the step-up, not Keycloak's replay check of OTP codes.
     */
    static String freshOtp(String secret) {
        return Totp.now(secret);
    }

    /**
     * Types a fresh one-time code into Keycloak's OTP form and submits it; when Keycloak asks again (a code it refused,
     * as one typed while a slow page was still loading), types the next code, up to three times.
     */
    static void submitOtp(Browser b, String secret) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            b.await(By.id("otp"), LONG).sendKeys(freshOtp(secret));
            b.driver().findElement(By.id("kc-login")).click();
            try {
                waiting(b, Duration.ofSeconds(20)).until(d -> d.findElements(By.id("otp")).isEmpty());
                return;
            } catch (org.openqa.selenium.TimeoutException asksAgain) {
                if (attempt == 3) {
                    throw asksAgain;
                }
            }
        }
    }

    static String carol(HttpAdmin http) {
        return http.passwordGrant(REALM, "admin-cli", "carol", "carol-page-pass", null).get("access_token").asText();
    }

    static JsonNode cr(HttpAdmin http, String token, String id) {
        return http.get(G + id, token).json();
    }

    static WebDriverWait waiting(Browser b, Duration d) {
        return b.waiting(d);
    }

    /** Waits until the element's text contains {@code text}; returns that text. */
    static String awaitText(Browser b, By by, String text) {
        return waiting(b, LONG).until(d -> {
            for (WebElement e : d.findElements(by)) {
                if (e.isDisplayed() && e.getText().contains(text)) {
                    return e.getText();
                }
            }
            return null;
        });
    }

    /** The page shows change request {@code id} (signing in first where it asks to). */
    static void awaitDetail(Browser b, String id) {
        waiting(b, LONG).until(d -> id.equals(d.findElement(By.id("detail")).getAttribute("data-id"))
                && d.findElement(By.id("detail")).isDisplayed());
    }

    /** Clicks an action on the open request and continues in the confirmation dialog. */
    static void act(Browser b, String action) {
        b.click(By.id(action), LONG);
        b.click(By.id("dialog-ok"), Duration.ofSeconds(30));
    }

    /** Keycloak's login form when it appears (a step-up sign-in), else nothing. */
    static void signInIfAsked(Browser b, String user, String password, boolean otp, By done) throws InterruptedException {
        WebElement first = waiting(b, LONG).until(d -> {
            for (By by : new By[] {By.id("username"), By.id("password"), done}) {
                for (WebElement e : d.findElements(by)) {
                    if (e.isDisplayed()) {
                        return e;
                    }
                }
            }
            return null;
        });
        if ("username".equals(first.getAttribute("id")) || "password".equals(first.getAttribute("id"))) {
            if (!b.driver().findElements(By.id("username")).isEmpty()) {
                WebElement u = b.driver().findElement(By.id("username"));
                if (u.isDisplayed() && u.getAttribute("value").isEmpty()) {
                    u.sendKeys(user);
                }
            }
            b.driver().findElement(By.id("password")).sendKeys(password);
            b.driver().findElement(By.id("kc-login")).click();
            if (otp) {
                submitOtp(b, OTP_SECRET);
            }
        }
    }

    static void aliceSignsIn(Browser alice, String link) throws InterruptedException {
        alice.open(link);
        alice.await(By.id("username"), LONG).sendKeys("alice");
        alice.driver().findElement(By.id("password")).sendKeys("alice-page-pass");
        alice.driver().findElement(By.id("kc-login")).click();
        submitOtp(alice, OTP_SECRET);
    }

    /**
     * The page's public client in master, created with the JSON block the root README gives operators (not a guarded
     * write).
     */
    static void approvalsClientInMaster(HttpAdmin http, String admin) throws java.io.IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("..", "README.md"));
        int from = readme.indexOf("{ \"clientId\": \"nhi-approvals\"");
        assertTrue(from > 0, "the README's nhi-approvals client");
        String documented = readme.substring(from, readme.indexOf("\n```", from));
        HttpAdmin.Response created = http.post("/admin/realms/master/clients", admin, documented);
        assertTrue(created.status() == 201 || created.status() == 409, created.body());
    }

    /**
     * The access token the page holds lists no realm's roles: a master admin's full token grows with every realm and,
     * past about ninety, Keycloak refuses the requests carrying it (431).
     */
    static void assertLightweightToken(Browser b) {
        String session = (String) ((JavascriptExecutor) b.driver()).executeScript("return sessionStorage.getItem('nhi.session');");
        assertNotNull(session, "the page keeps its session");
        String token;
        try {
            token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(session).path("token").asText();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(session, e);
        }
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(payload.contains("resource_access"), payload);
        assertTrue(token.length() < 4096, "token of " + token.length() + " characters");
    }

    static String pageLink(KeycloakTarget keycloak, String hash) {
        return keycloak.baseUri() + PAGE + hash;
    }

    @Test
    void realmAdminTakesAConsoleHeldSecretChangeThroughApproveApplyAndRollback(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String uuid = http.get(A + "/clients?clientId=billing-sync", carol(http)).json().get(0).get("id").asText();
        String secretPath = A + "/clients/" + uuid + "/client-secret";
        String secretBefore = http.get(secretPath, carol(http)).json().path("value").asText();

        String console = keycloak.baseUri() + "/admin/" + REALM + "/console/";
        try (Browser carol = Browser.start(); Browser alice = Browser.start()) {
            // carol regenerates the secret in the admin console; the console says it is held and where to review it.
            carol.open(console);
            carol.await(By.id("username"), LONG).sendKeys("carol");
            carol.await(By.id("password")).sendKeys("carol-page-pass");
            carol.click(By.id("kc-login"), Duration.ofSeconds(10));
            carol.await(By.cssSelector("[data-testid='options-toggle'], #nav-toggle, nav"), Duration.ofSeconds(180));
            carol.open(console + "#/" + REALM + "/clients/" + uuid + "/credentials");
            carol.click(By.xpath("//*[@data-testid='help-label-kc-client-secret']/following::button[normalize-space()='Regenerate'][1]"),
                    Duration.ofSeconds(180));
            carol.click(By.cssSelector("[data-testid='confirm']"), Duration.ofSeconds(30));
            String message = carol.awaitPageText("This change is held for approval", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("(https?://\\S+/approvals/index\\.html#realm=" + REALM + "&id=([0-9a-f-]{36}))").matcher(message);
            assertTrue(m.find(), "the console's message carries the review link: " + message);
            String review = m.group(1);
            String id = m.group(2);
            JsonNode pending = cr(http, carol(http), id);
            assertEquals("PENDING", pending.path("state").asText());
            // The guard's rule, unchanged: a master admin is no approver of a realm whose approvers are its own users.
            String admin = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
            HttpAdmin.Response refused = http.post(G + id + "/approve", admin, "{\"digest\":\"" + pending.path("digest").asText() + "\"}");
            assertEquals(403, refused.status(), refused.body());
            assertTrue(refused.json().path("error_description").asText().contains("enabled user of realm " + REALM), refused.body());

            // The link opens the request on the page; carol's console sign-in carries over (same realm, SSO).
            carol.open(review);
            awaitDetail(carol, id);
            awaitText(carol, By.id("detail-title"), "client-secret-regenerate");
            // carol read the secret above: the page names her as holding the client's credential, and as the requester.
            String holders = carol.driver().findElement(By.cssSelector("[data-fact='nhiapFactCredentialHolders']")).getText();
            assertTrue(holders.contains("carol") && holders.contains("the requester holds this credential"), holders);
            assertFalse(carol.driver().findElement(By.id("approve")).isDisplayed(), "the requester is not offered Approve");
            assertTrue(carol.driver().findElement(By.id("cancel")).isDisplayed(), "the requester may cancel");
            assertFalse(carol.driver().getPageSource().contains(secretBefore), "no secret in clear on the page");
            String diff = carol.driver().findElement(By.id("diff")).getText();
            assertTrue(diff.contains("sealed") && diff.contains("new value generated by Keycloak at apply"),
                    "the secret shows as sealed and replaced by a generated one: " + diff);
            assertFalse(carol.driver().getPageSource().contains("hmac-sha256:"), "nor by fingerprint");

            // alice, a second person, signs in with password and OTP and approves the digest she sees.
            aliceSignsIn(alice, review);
            awaitDetail(alice, id);
            act(alice, "approve");
            awaitText(alice, By.id("message"), "Approved:");
            assertEquals("APPROVED", cr(http, carol(http), id).path("state").asText());
            assertEquals(secretBefore, http.get(secretPath, carol(http)).json().path("value").asText(), "approved is not applied");

            // carol applies on the page: the secret changes.
            carol.open(review);
            carol.driver().navigate().refresh();
            awaitDetail(carol, id);
            act(carol, "apply");
            awaitText(carol, By.id("message"), "Applied:");
            JsonNode applied = cr(http, carol(http), id);
            assertEquals("APPLIED", applied.path("state").asText(), applied.toString());
            String secretAfter = http.get(secretPath, carol(http)).json().path("value").asText();
            assertNotEquals(secretBefore, secretAfter, "apply changed the secret");
            assertFalse(carol.driver().getPageSource().contains(secretAfter), "the new secret is not on the page");
            // The request's records in the audit chain, and the chain verifies from the first of them.
            waiting(carol, LONG).until(d -> "true".equals(d.findElement(By.id("audit")).getAttribute("data-verified")));
            assertTrue(carol.driver().findElement(By.id("audit")).getText().contains("verifies"));

            // carol read the secret (the console's credentials tab shows it) before it was replaced: the rollback that
            // brings it back is not hers to ask for. The master admin, who never read it, asks for it.
            HttpAdmin.Response byReader = http.post(G + id + "/rollback", carol(http), null);
            assertEquals(403, byReader.status(), byReader.body());
            HttpAdmin.Response asked = http.post(G + id + "/rollback",
                    http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword()), null);
            assertEquals(201, asked.status(), asked.body());
            String rollbackId = asked.json().path("id").asText();
            JsonNode rollback = cr(http, carol(http), rollbackId);
            assertEquals("PENDING", rollback.path("state").asText(), rollback.toString());
            assertEquals(id, rollback.path("rollbackOf").asText());
            assertEquals(secretAfter, http.get(secretPath, carol(http)).json().path("value").asText(), "nothing restored yet");

            // alice approves the rollback and applies it: the old secret is back, the original ROLLED_BACK.
            alice.open(pageLink(keycloak, "#realm=" + REALM + "&id=" + rollbackId));
            alice.driver().navigate().refresh();
            awaitDetail(alice, rollbackId);
            act(alice, "approve");
            signInIfAsked(alice, "alice", "alice-page-pass", true, By.xpath("//*[@id='message'][contains(., 'Approved:')]"));
            awaitText(alice, By.id("message"), "Approved:");
            alice.driver().navigate().refresh();
            awaitDetail(alice, rollbackId);
            act(alice, "apply");
            awaitText(alice, By.id("message"), "Applied:");
            assertEquals(secretBefore, http.get(secretPath, carol(http)).json().path("value").asText(), "rollback restored the secret");
            carol.open(pageLink(keycloak, "#realm=" + REALM + "&id=" + rollbackId));
            carol.driver().navigate().refresh();
            awaitDetail(carol, rollbackId);
            assertEquals("ROLLED_BACK", cr(http, carol(http), id).path("state").asText());
            carol.click(By.cssSelector("[data-fact='nhiapFactRollbackOf'] a"), LONG);
            awaitDetail(carol, id);
            awaitText(carol, By.id("detail-title"), "rolled back");
        }
    }

    /**
     * Ninth review: a grant of a role whose name only looks like one the service account holds (U+2010 for the hyphen),
     * a composite that brings another client's role. The grant's diff names the granted role alone; the page shows
     * what the role brings and the name's unusual character as a code point.
     */
    @Test
    void aRoleGrantShowsWhatTheRoleBringsAndALookAlikeNameAsCodePoints(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String admin = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        approvalsClientInMaster(http, admin);
        String uuid = http.get(A + "/clients?clientId=report-sync", admin).json().get(0).get("id").asText();
        String saUser = http.get(A + "/clients/" + uuid + "/service-account-user", admin).json().path("id").asText();
        JsonNode lookAlike = http.get(A + "/roles/" + java.net.URLEncoder.encode("reports\u2010reader",
                java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"), admin).json();
        HttpAdmin.Response held = http.synchronous().post(A + "/users/" + saUser + "/role-mappings/realm", admin,
                "[" + lookAlike + "]");
        assertEquals(409, held.status(), held.body());
        String id = held.json().path("id").asText();
        try (Browser master = Browser.start()) {
            master.open(held.json().path("review").asText());
            master.logIn(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword(), null);
            awaitDetail(master, id);
            assertLightweightToken(master);
            waiting(master, LONG).until(d -> d.findElement(By.id("grants-section")).isDisplayed());
            String grants = master.driver().findElement(By.id("grants")).getText();
            assertTrue(grants.contains("reports\\u{2010}reader"), grants);
            assertTrue(grants.contains("billing-sync/export-admin"), "the composite the role brings: " + grants);
            assertTrue(master.driver().findElement(By.id("unusual-chars")).isDisplayed(), "the page says a name is unusual");
            assertTrue(master.driver().findElement(By.id("diff")).getText().contains("reports\\u{2010}reader"),
                    master.driver().findElement(By.id("diff")).getText());
        } finally {
            http.post(A + "/mutation-guard/change-requests/" + id + "/cancel", admin, null);
        }
    }

    /**
     * A full access token too large for Keycloak's request headers (as a master admin's becomes with many realms; here a
     * user holding 3,000 roles, with the client as earlier READMEs created it) makes Keycloak refuse every call of the
     * page (431). The page says so and what to change, instead of an unexplained HTTP status.
     */
    @Test
    void anAccessTokenTooLargeForKeycloakIsExplained(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String admin = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        String realm = "guard-page-big-token";
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode rep = json.createObjectNode().put("realm", realm).put("enabled", true);
        com.fasterxml.jackson.databind.node.ArrayNode roles = rep.putObject("roles").putArray("realm");
        com.fasterxml.jackson.databind.node.ObjectNode user = rep.putArray("users").addObject().put("username", "many")
                .put("enabled", true).put("email", "many@example.org").put("emailVerified", true)
                .put("firstName", "Many").put("lastName", "Roles");
        user.putArray("credentials").addObject().put("type", "password").put("value", "many-roles-pass").put("temporary", false);
        com.fasterxml.jackson.databind.node.ArrayNode held = user.putArray("realmRoles");
        for (int i = 0; i < 3000; i++) {
            String name = String.format("a-role-with-a-long-name-%04d", i);
            roles.addObject().put("name", name);
            held.add(name);
        }
        rep.putArray("clients").add(json.readTree("{\"clientId\":\"nhi-approvals\",\"publicClient\":true,"
                + "\"standardFlowEnabled\":true,\"directAccessGrantsEnabled\":false,\"rootUrl\":\"${authBaseUrl}\","
                + "\"redirectUris\":[\"/resources/*\"],\"webOrigins\":[\"+\"],"
                + "\"attributes\":{\"pkce.code.challenge.method\":\"S256\"}}"));
        HttpAdmin.Response created = http.post("/admin/realms", admin, rep.toString());
        assertEquals(201, created.status(), created.body());
        try (Browser many = Browser.start()) {
            many.open(pageLink(keycloak, "#realm=" + realm));
            many.logIn("many", "many-roles-pass", null);
            String message = awaitText(many, By.id("message"), "HTTP 431");
            assertTrue(message.contains("nhi-approvals of realm " + realm + " lightweight access tokens"), message);
        }
    }

    @Test
    void masterAdminWorksTheRequestFromTheReviewLinkButIsNoApproverOfTheRealm(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String admin = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        approvalsClientInMaster(http, admin);

        String uuid = http.get(A + "/clients?clientId=report-sync", admin).json().get(0).get("id").asText();
        String clientPath = A + "/clients/" + uuid;
        JsonNode rep = http.get(clientPath, admin).json();
        assertTrue(rep.path("enabled").asBoolean());
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep).put("enabled", false);
        // The master admin disables it as kcadm.sh would (no Prefer): 409, and the link signs in through master.
        HttpAdmin.Response held = http.synchronous().put(clientPath, admin, rep.toString());
        assertEquals(409, held.status(), held.body());
        String id = held.json().path("id").asText();
        String review = held.json().path("review").asText();
        assertTrue(review.endsWith("#realm=" + REALM + "&id=" + id + "&login=master"), review);

        try (Browser master = Browser.start(); Browser alice = Browser.start()) {
            master.open(review);
            master.logIn(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword(), null);
            awaitDetail(master, id);
            assertLightweightToken(master);
            awaitText(master, By.id("who"), keycloak.bootstrapAdminUsername() + " signed in to realm master");
            // The page says why there is no Approve for this admin.
            awaitText(master, By.id("why-not"), "Approvers of realm " + REALM + " are users of realm " + REALM);
            assertFalse(master.driver().findElement(By.id("approve")).isDisplayed());
            assertTrue(master.driver().findElement(By.id("cancel")).isDisplayed(), "the requester may cancel");

            aliceSignsIn(alice, pageLink(keycloak, "#realm=" + REALM + "&id=" + id));
            awaitDetail(alice, id);
            act(alice, "approve");
            awaitText(alice, By.id("message"), "Approved:");
            assertTrue(http.get(clientPath, admin).json().path("enabled").asBoolean(), "approved is not applied");

            master.driver().navigate().refresh();
            awaitDetail(master, id);
            act(master, "apply");
            awaitText(master, By.id("message"), "Applied:");
            String admin2 = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
            assertFalse(http.get(clientPath, admin2).json().path("enabled").asBoolean(), "apply disabled the client");

            act(master, "rollback");
            signInIfAsked(master, keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword(), false, By.id("result-link"));
            master.click(By.id("result-link"), LONG);
            String rollbackId = waiting(master, LONG).until(d -> {
                String shown = d.findElement(By.id("detail")).getAttribute("data-id");
                return shown != null && !shown.isEmpty() && !shown.equals(id) ? shown : null;
            });
            assertFalse(http.get(clientPath, admin2).json().path("enabled").asBoolean(), "nothing restored yet");

            alice.open(pageLink(keycloak, "#realm=" + REALM + "&id=" + rollbackId));
            alice.driver().navigate().refresh();
            awaitDetail(alice, rollbackId);
            act(alice, "approve");
            signInIfAsked(alice, "alice", "alice-page-pass", true, By.xpath("//*[@id='message'][contains(., 'Approved:')]"));
            awaitText(alice, By.id("message"), "Approved:");

            master.driver().navigate().refresh();
            awaitDetail(master, rollbackId);
            act(master, "apply");
            awaitText(master, By.id("message"), "Applied:");
            String admin3 = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
            assertTrue(http.get(clientPath, admin3).json().path("enabled").asBoolean(), "rollback enabled the client again");
            assertEquals("ROLLED_BACK", cr(http, admin3, id).path("state").asText());

            // Keyboard and German: the list of rolled-back requests in German, a row opened with Tab and Enter.
            master.open(pageLink(keycloak, "#realm=" + REALM + "&login=master&state=ROLLED_BACK&lang=de"));
            master.driver().navigate().refresh();
            awaitText(master, By.id("list-caption"), "Änderungsanträge im Realm " + REALM);
            awaitText(master, By.cssSelector("label[for='state-filter']"), "Status");
            WebDriver d = master.driver();
            String rowLink = "a.open[href*='" + id + "']";
            master.await(By.cssSelector(rowLink), LONG);
            ((JavascriptExecutor) d).executeScript("document.activeElement && document.activeElement.blur()");
            WebElement focused = null;
            for (int i = 0; i < 40; i++) {
                new Actions(d).sendKeys(Keys.TAB).perform();
                focused = d.switchTo().activeElement();
                if (focused.getAttribute("href") != null && focused.getAttribute("href").contains(id)) {
                    break;
                }
            }
            assertTrue(focused != null && focused.getAttribute("href") != null && focused.getAttribute("href").contains(id),
                    "the row's link is reachable with Tab");
            assertTrue(focused.getAttribute("aria-label").contains("zurückgenommen"), focused.getAttribute("aria-label"));
            String outline = (String) ((JavascriptExecutor) d).executeScript(
                    "return getComputedStyle(document.activeElement).outlineStyle");
            assertNotEquals("none", outline, "the focused row link shows its focus");
            new Actions(d).sendKeys(Keys.ENTER).perform();
            awaitDetail(master, id);
            awaitText(master, By.id("detail-title"), "zurückgenommen");
            awaitText(master, By.id("history"), "ROLLED_BACK");
        }
    }

    @Test
    void containmentIsReviewedOnThePageByAnApproverHoldingTheRoleDirectly(KeycloakTarget keycloak) throws Exception {
        HttpAdmin http = keycloak.http();
        String uuid = http.get(A + "/clients?clientId=audit-sync", carol(http)).json().get(0).get("id").asText();
        String clientPath = A + "/clients/" + uuid;
        HttpAdmin.Response contained = http.post(A + "/mutation-guard/containment", carol(http),
                "{\"clientId\":\"" + uuid + "\",\"reason\":\"key found in a public repository\"}");
        assertEquals(201, contained.status(), contained.body());
        String id = contained.json().path("id").asText();
        assertFalse(http.get(clientPath, carol(http)).json().path("enabled").asBoolean(), "contained at once");

        // gus holds the approver role only through a group: no approver, for containments as for approvals.
        String gus = http.passwordGrant(REALM, "admin-cli", "gus", "gus-page-pass", null).get("access_token").asText();
        HttpAdmin.Response byGroup = http.post(G + id + "/confirm", gus, null);
        assertEquals(403, byGroup.status(), byGroup.body());
        assertTrue(byGroup.json().path("error_description").asText().contains("held directly"), byGroup.body());
        assertEquals("CONTAINED", cr(http, carol(http), id).path("state").asText());

        try (Browser alice = Browser.start()) {
            aliceSignsIn(alice, pageLink(keycloak, "#realm=" + REALM + "&id=" + id));
            awaitDetail(alice, id);
            assertTrue(alice.driver().findElement(By.id("confirm")).isDisplayed());
            act(alice, "revert");
            awaitText(alice, By.id("message"), "reverted");
        }
        assertEquals("REVERTED", cr(http, carol(http), id).path("state").asText());
        assertTrue(http.get(clientPath, carol(http)).json().path("enabled").asBoolean(), "revert enabled the client again");
    }

    /**
     * Step-up on the page: in a realm whose policy accepts an authentication at most 20 s old,
     * alice's sign-in is too old by the time she approves; the guard answers with its challenge,
     * the page signs her in again (password and OTP, as the challenge's max_age asks) and repeats
     * the same approval, which records the fresh authentication.
     */
    @Test
    void anApprovalWithAStaleSignInIsSteppedUpAndRepeated(KeycloakTarget keycloak) throws Exception {
        String realm = "guard-page-stepup";
        String a = "/admin/realms/" + realm;
        String secret = "guard-page-stepup-alice-otp";
        HttpAdmin http = keycloak.http();
        String carol = http.passwordGrant(realm, "admin-cli", "carol", "carol-page-pass", null).get("access_token").asText();
        String uuid = http.get(a + "/clients?clientId=report-sync", carol).json().get(0).get("id").asText();
        JsonNode rep = http.get(a + "/clients/" + uuid, carol).json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) rep).put("enabled", false);
        HttpAdmin.Response held = http.put(a + "/clients/" + uuid, carol, rep.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();

        try (Browser alice = Browser.start()) {
            alice.open(pageLink(keycloak, "#realm=" + realm + "&id=" + id));
            alice.await(By.id("username"), LONG).sendKeys("alice");
            alice.driver().findElement(By.id("password")).sendKeys("alice-page-pass");
            alice.driver().findElement(By.id("kc-login")).click();
            submitOtp(alice, secret);
            awaitDetail(alice, id);
            Thread.sleep(22_000); // past the policy's step-up age
            long stale = System.currentTimeMillis() / 1000;
            act(alice, "approve");
            // The challenge sends her to Keycloak's sign-in again, which asks for the password and the OTP.
            alice.await(By.id("password"), LONG);
            java.util.List<WebElement> user = alice.driver().findElements(By.id("username"));
            if (!user.isEmpty() && user.get(0).isDisplayed() && user.get(0).getAttribute("value").isEmpty()) {
                user.get(0).sendKeys("alice");
            }
            alice.driver().findElement(By.id("password")).sendKeys("alice-page-pass");
            alice.driver().findElement(By.id("kc-login")).click();
            submitOtp(alice, secret);
            awaitText(alice, By.id("message"), "Approved:");
            JsonNode approved = http.get(a + "/mutation-guard/change-requests/" + id, carol).json();
            assertEquals("APPROVED", approved.path("state").asText(), approved.toString());
            assertTrue(approved.path("approvals").get(0).path("authTime").asLong() >= stale,
                    "the approval carries the fresh sign-in: " + approved);
        }
        http.post(a + "/mutation-guard/change-requests/" + id + "/cancel", carol, null);
    }
}
