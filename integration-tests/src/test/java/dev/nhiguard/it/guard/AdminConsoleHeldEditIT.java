package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * What the admin console shows for a held edit, in headless Chromium: carol regenerates the
 * secret of billing-sync in the demo realm; the console must say the change was held and name
 * the change request, and the secret must be unchanged.
 */
@ExtendWith(KeycloakExtension.class)
class AdminConsoleHeldEditIT {

    static final String REALM = "nhi-demo";

    @Test
    void consoleTellsTheAdminTheChangeWasHeldAndWhichRequestItOpened(KeycloakTarget keycloak) throws Exception {
        boolean required = Boolean.getBoolean("nhi.require-services");
        if (!WebDriver.available()) {
            assertTrue(!required, "chromium and chromium-driver are required in CI");
            assumeTrue(false, "chromium / chromedriver not installed");
        }
        HttpAdmin http = keycloak.http();
        String carolApi = http.passwordGrant(REALM, "admin-cli", "carol", "carol-demo-pass", null).get("access_token").asText();
        String uuid = http.get("/admin/realms/" + REALM + "/clients?clientId=billing-sync", carolApi).json().get(0).get("id").asText();
        String secretPath = "/admin/realms/" + REALM + "/clients/" + uuid + "/client-secret";
        String secretBefore = http.get(secretPath, carolApi).json().path("value").asText();

        String console = keycloak.baseUri() + "/admin/" + REALM + "/console/";
        try (WebDriver browser = new WebDriver()) {
            browser.open(console);
            browser.type(browser.find("css selector", "#username", 120), "carol");
            browser.type(browser.find("css selector", "#password", 10), "carol-demo-pass");
            browser.click(browser.find("css selector", "#kc-login", 10));
            browser.find("css selector", "[data-testid='options-toggle'], #nav-toggle, nav", 180);
            browser.open(console + "#/" + REALM + "/clients/" + uuid + "/credentials");
            // The first Regenerate after the client secret's label (the other one regenerates the registration access token).
            browser.click(browser.find("xpath",
                    "//*[@data-testid='help-label-kc-client-secret']/following::button[normalize-space()='Regenerate'][1]", 180));
            browser.click(browser.find("css selector", "[data-testid='confirm']", 30));
            String page = browser.awaitText("Could not regenerate client secret due to: This change is held for approval", 60);
            Matcher m = Pattern.compile("change request ([0-9a-f-]{36})").matcher(page);
            assertTrue(m.find(), "the console names the change request");
            String id = m.group(1);
            JsonNode cr = http.get("/admin/realms/" + REALM + "/mutation-guard/change-requests/" + id, carolApi).json();
            assertEquals("PENDING", cr.path("state").asText(), cr.toString());
            assertEquals("client-secret-regenerate", cr.path("operation").asText());
            assertEquals("security-admin-console", cr.path("requester").path("clientId").asText());
        }
        assertEquals(secretBefore, http.get(secretPath, carolApi).json().path("value").asText(), "secret must be unchanged");
    }
}
