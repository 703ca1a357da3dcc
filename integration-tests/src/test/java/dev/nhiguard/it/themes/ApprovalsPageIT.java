package dev.nhiguard.it.themes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

import dev.nhiguard.testing.Browser;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.Totp;

/** The approvals page ships in the theme JAR, and an approver signs in to it with password and OTP. */
@ExtendWith(KeycloakExtension.class)
class ApprovalsPageIT {

    static final String PAGE = "/resources/nhiap/common/nhi-guard/approvals/index.html";

    @Test
    void pageIsServedFromTheTheme(KeycloakTarget keycloak) throws Exception {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<String> page = client.send(HttpRequest.newBuilder(keycloak.baseUri().resolve(PAGE)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("NHI Guard"), page.body());
        URI script = page.uri().resolve("approvals.js");
        HttpResponse<String> js = client.send(HttpRequest.newBuilder(script).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, js.statusCode());
        assertTrue(js.body().contains("insufficient_user_authentication"));
    }

    @Test
    void approverSignsInWithPasswordAndOtp(KeycloakTarget keycloak) {
        try (Browser browser = Browser.start()) {
            browser.open(keycloak.baseUri() + PAGE + "#realm=nhi-demo");
            browser.logIn("alice", "alice-demo-pass", Totp.now("nhi-demo-alice-otp"));
            browser.awaitText(By.id("who"), "realm nhi-demo");
        }
    }
}
