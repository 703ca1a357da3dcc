package dev.nhiguard.it.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.Browser;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/** The reviews page of the theme: the owner opens the campaign link of the email, sees what the item holds and keeps it. */
@ExtendWith(KeycloakExtension.class)
class ReviewsPageIT {

    static final String PAGE = "/resources/nhiap/common/nhi-guard/reviews/index.html";

    @Test
    void theOwnerDecidesOnThePage(KeycloakTarget keycloak) {
        ReviewRealm r = new ReviewRealm(keycloak, "review-page", "{}", "{\"guardedOperations\":[]}", null);
        HttpAdmin.Response client = r.http.post(r.admin + "/clients", r.masterToken(), ReviewRealm.json(Map.of(
                "clientId", "nhi-approvals", "publicClient", true, "standardFlowEnabled", true, "directAccessGrantsEnabled", false,
                "rootUrl", "${authBaseUrl}", "redirectUris", List.of("/resources/*"), "webOrigins", List.of("+"),
                "attributes", Map.of("pkce.code.challenge.method", "S256"))));
        assertEquals(201, client.status(), client.body());
        String pia = r.user("pia", List.of(), Map.of("realm-management", List.of("view-clients")));
        r.serviceAccount("svc-page", pia, List.of());
        String cid = r.startCampaign(r.masterToken()).get("id").asText();

        try (Browser browser = Browser.start()) {
            browser.open(keycloak.baseUri() + PAGE + "#realm=review-page&campaign=" + cid);
            browser.logIn("pia", "pia-pass", null);
            browser.awaitText(By.id("who"), "realm review-page");
            String text = browser.awaitPageText("svc-page", Duration.ofSeconds(30));
            assertTrue(text.contains("tests svc-page") && text.contains("Roles not requested"), text);
            browser.click(By.xpath("//button[text()='Keep']"), Duration.ofSeconds(30));
            browser.awaitText(By.id("message"), "svc-page: KEEP");
        }
        JsonNode item = r.items(cid, r.masterToken()).get("svc-page");
        assertEquals("KEEP", item.get("decision").asText(), item.toString());
        assertEquals("pia", item.at("/decidedBy/username").asText());
    }
}
