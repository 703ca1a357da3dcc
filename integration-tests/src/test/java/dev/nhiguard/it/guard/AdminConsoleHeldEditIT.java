package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.Browser;
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
        HttpAdmin http = keycloak.http();
        String carolApi = http.passwordGrant(REALM, "admin-cli", "carol", "carol-demo-pass", null).get("access_token").asText();
        String uuid = http.get("/admin/realms/" + REALM + "/clients?clientId=billing-sync", carolApi).json().get(0).get("id").asText();
        String secretPath = "/admin/realms/" + REALM + "/clients/" + uuid + "/client-secret";
        String secretBefore = http.get(secretPath, carolApi).json().path("value").asText();

        String console = keycloak.baseUri() + "/admin/" + REALM + "/console/";
        try (Browser browser = Browser.start()) {
            browser.open(console);
            browser.await(By.id("username"), Duration.ofSeconds(120)).sendKeys("carol");
            browser.await(By.id("password")).sendKeys("carol-demo-pass");
            browser.click(By.id("kc-login"), Duration.ofSeconds(10));
            browser.await(By.cssSelector("[data-testid='options-toggle'], #nav-toggle, nav"), Duration.ofSeconds(180));
            browser.open(console + "#/" + REALM + "/clients/" + uuid + "/credentials");
            // The first Regenerate after the client secret's label (the other one regenerates the registration access token).
            browser.click(By.xpath("//*[@data-testid='help-label-kc-client-secret']/following::button[normalize-space()='Regenerate'][1]"),
                    Duration.ofSeconds(180));
            browser.click(By.cssSelector("[data-testid='confirm']"), Duration.ofSeconds(30));
            String page = browser.awaitPageText("Could not regenerate client secret due to: This change is held for approval",
                    Duration.ofSeconds(60));
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
