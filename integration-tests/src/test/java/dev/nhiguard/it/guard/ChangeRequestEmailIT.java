package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.RealmRepresentation;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Approvers are told by email when a change request needs them, and the requester when it is
 * decided; mail goes through the realm's SMTP settings to a local receiver.
 */
@ExtendWith(KeycloakExtension.class)
class ChangeRequestEmailIT {

    static final String REALM = "guard-mail";
    static final String ADMIN = "/admin/realms/" + REALM;
    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void approversAreAskedAndTheRequesterHearsTheDecision(KeycloakTarget keycloak) {
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            HttpAdmin http = keycloak.http();
            // Links are built on the realm's frontend URL (the test server has no configured hostname)
            GuardedRealmUpdate.smtp(http, REALM, smtp.smtpServerConfig(), frontendUrl(keycloak), u -> token(http, u), "cara", "ann");
            String cara = token(http, "cara");
            String uuid = http.get(ADMIN + "/clients?clientId=sa-mail", cara).json().get(0).get("id").asText();
            HttpAdmin.Response held = http.post(ADMIN + "/clients/" + uuid + "/client-secret", cara, null);
            assertEquals(202, held.status(), held.body());
            String id = held.json().get("id").asText();
            String digest = held.json().get("digest").asText();

            for (String approver : List.of("ann", "ben")) {
                SmtpReceiver.Message mail = smtp.await(m -> m.recipients().contains(approver + "@guard-mail.test"), WAIT);
                assertEquals("Approval needed: client-secret-regenerate on sa-mail", mail.subject(), mail.text());
                assertTrue(mail.text().contains(id), "the mail names the change request: " + mail.text());
                assertTrue(mail.text().contains(frontendUrl(keycloak) + "/resources/")
                        && mail.text().contains("/common/nhi-guard/approvals/index.html#realm=guard-mail&id=" + id),
                        "the mail links the approvals page: " + mail.text());
            }
            // (The mail-server change that made this receiver the realm's is a change request of its own.)
            assertFalse(smtp.messages().stream().anyMatch(m -> m.recipients().contains("cara@guard-mail.test")
                    && m.text().contains(id)), "the requester is not asked to approve her own request");

            HttpAdmin.Response approved = http.post(ADMIN + "/mutation-guard/change-requests/" + id + "/approve",
                    token(http, "ann"), "{\"digest\":\"" + digest + "\"}");
            assertEquals(200, approved.status(), approved.body());
            SmtpReceiver.Message decided = smtp.await(m -> m.recipients().contains("cara@guard-mail.test")
                    && m.text().contains(id), WAIT);
            assertEquals("Your change request client-secret-regenerate on sa-mail: APPROVED", decided.subject(), decided.text());
            assertTrue(decided.text().contains("/common/nhi-guard/approvals/index.html#realm=guard-mail&id=" + id),
                    "the requester's mail links the request on the page too: " + decided.text());
            assertEquals(3, smtp.messages().stream().filter(m -> m.text().contains(id)).count(),
                    "two approvers asked, one requester told: " + smtp.messages());
        } finally {
            HttpAdmin http = keycloak.http();
            GuardedRealmUpdate.smtp(http, REALM, Map.of(), null, u -> token(http, u), "cara", "ann");
        }
    }

    /** The server's base URL without its trailing slash, as the realm's frontend URL. */
    static String frontendUrl(KeycloakTarget keycloak) {
        return keycloak.baseUri().toString().replaceAll("/+$", "");
    }

    /**
     * Seventeenth review: Keycloak takes line breaks in a clientId, and the mail wrote the name as it is, so the
     * approvers' genuine mail carried lines of the client creator's choosing ("Pre-approved by ben; confirm:
     * http://evil.example/…"). Values from the request are shown with such characters as code points.
     */
    @Test
    void aClientIdWritesNoLinesOfItsOwnIntoTheApproversMail(KeycloakTarget keycloak) {
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            HttpAdmin http = keycloak.http();
            GuardedRealmUpdate.smtp(http, REALM, smtp.smtpServerConfig(), frontendUrl(keycloak), u -> token(http, u), "cara", "ann");
            String cara = token(http, "cara");
            String forged = "report-exporter\\n\\nPre-approved by ben; confirm: http://evil.example/approvals\\n"; // JSON escapes
            HttpAdmin.Response created = http.post(ADMIN + "/clients", cara, "{\"clientId\":\"" + forged
                    + "\",\"publicClient\":false}");
            assertEquals(201, created.status(), created.body());
            String uuid = created.header("location").replaceAll(".*/", "");
            HttpAdmin.Response held = http.put(ADMIN + "/clients/" + uuid, cara, "{\"serviceAccountsEnabled\":true}");
            assertEquals(202, held.status(), held.body());
            String id = held.json().get("id").asText();
            SmtpReceiver.Message mail = smtp.await(m -> m.recipients().contains("ann@guard-mail.test") && m.text().contains(id), WAIT);
            assertTrue(mail.text().contains("report-exporter\\u{A}\\u{A}Pre-approved by ben"), mail.text());
            assertFalse(mail.text().lines().anyMatch(l -> l.startsWith("Pre-approved")), "no line of the clientId's own: " + mail.text());
            assertFalse(mail.subject().contains("\n"), mail.subject());
            http.post(ADMIN + "/mutation-guard/change-requests/" + id + "/cancel", cara, null);
            http.delete(ADMIN + "/clients/" + uuid, cara);
        } finally {
            HttpAdmin http = keycloak.http();
            GuardedRealmUpdate.smtp(http, REALM, Map.of(), null, u -> token(http, u), "cara", "ann");
        }
    }

    @Test
    void aRejectionCarriesItsReason(KeycloakTarget keycloak) {
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            HttpAdmin http = keycloak.http();
            GuardedRealmUpdate.smtp(http, REALM, smtp.smtpServerConfig(), u -> token(http, u), "cara", "ann");
            String cara = token(http, "cara");
            String uuid = http.get(ADMIN + "/clients?clientId=sa-mail", cara).json().get(0).get("id").asText();
            JsonNode held = http.post(ADMIN + "/clients/" + uuid + "/client-secret", cara, null).json();
            HttpAdmin.Response rejected = http.post(ADMIN + "/mutation-guard/change-requests/" + held.get("id").asText() + "/reject",
                    token(http, "ben"), "{\"reason\":\"no rotation during the freeze\"}");
            assertEquals(200, rejected.status(), rejected.body());
            String heldId = held.get("id").asText();
            SmtpReceiver.Message decided = smtp.await(m -> m.recipients().contains("cara@guard-mail.test")
                    && m.text().contains(heldId), WAIT);
            assertTrue(decided.subject().endsWith(": REJECTED"), decided.subject());
            assertTrue(decided.text().contains("no rotation during the freeze"), decided.data());
        } finally {
            HttpAdmin http = keycloak.http();
            GuardedRealmUpdate.smtp(http, REALM, Map.of(), u -> token(http, u), "cara", "ann");
        }
    }

    private static String token(HttpAdmin http, String user) {
        return http.passwordGrant(REALM, "admin-cli", user, user + "-pass", null).get("access_token").asText();
    }
}
