package dev.nhiguard.it.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Owners hear about their agents by email, through the realm's SMTP settings: once before an
 * agent expires (the policy's warning window, reached with the realm's agent clock) and
 * whenever an agent is suspended, automatically or by an admin.
 */
@ExtendWith(KeycloakExtension.class)
class AgentOwnerMailIT {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final long DAY = 86400L;

    @Test
    void theOwnerIsWarnedOnceBeforeExpiryAndToldOfTheSuspensionAtExpiry(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-mail-expiry", "mona");
        String base = "/admin/realms/" + api.realm;
        String mona = "mona@" + api.realm + ".example";
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            useSmtp(api, smtp);
            Instant expiry = Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
            Map<String, Object> body = AgentLifecycleIT.agentOf("expiring-bot", new AgentKey(), "mona");
            body.put("expiresAt", expiry.toString());
            String id = api.registerOk(body).get("id").asText();

            JsonNode early = run(api);
            assertEquals(List.of(), AgentLifecycleIT.texts(early.get("expiryWarnings")), early.toString());

            api.setClockOffset(24 * DAY); // six days left, inside the default seven-day window
            JsonNode warned = run(api);
            assertEquals(List.of("expiring-bot"), AgentLifecycleIT.texts(warned.get("expiryWarnings")), warned.toString());
            assertEquals(List.of(), AgentLifecycleIT.texts(warned.get("suspended")), warned.toString());
            SmtpReceiver.Message warning = smtp.await(m -> m.recipients().contains(mona) && m.subject().contains("expires"), WAIT);
            String day = expiry.toString().substring(0, 10);
            assertTrue(warning.subject().startsWith("Agent expiring-bot expires on " + day), warning.subject());
            assertTrue(warning.text().contains("realm agent-mail-expiry") && warning.text().contains(id), warning.text());

            api.setClockOffset(25 * DAY);
            JsonNode again = run(api);
            assertEquals(List.of(), AgentLifecycleIT.texts(again.get("expiryWarnings")), again.toString());

            api.setClockOffset(31 * DAY);
            JsonNode expired = run(api);
            assertEquals(List.of("expiring-bot"), AgentLifecycleIT.texts(expired.get("suspended")), expired.toString());
            SmtpReceiver.Message suspended = smtp.await(m -> m.recipients().contains(mona) && m.subject().contains("suspended"), WAIT);
            assertEquals("Agent expiring-bot suspended in realm agent-mail-expiry", suspended.subject());
            assertTrue(suspended.text().contains("suspended automatically (expired)"), suspended.text());
            assertEquals(2, smtp.messages().size(), "one warning, one suspension notice: " + smtp.messages());
            assertEquals("SUSPENDED", api.http.get(base + "/agents/" + id, api.adminToken()).json().get("status").asText());
        } finally {
            api.setClockOffset(0);
        }
    }

    @Test
    void aNewExpiryDateIsWarnedAboutAgainAndAZeroWindowSendsNothing(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-mail-extend", "nils");
        String base = "/admin/realms/" + api.realm;
        String nils = "nils@" + api.realm + ".example";
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            useSmtp(api, smtp);
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            Map<String, Object> body = AgentLifecycleIT.agentOf("extended-bot", new AgentKey(), "nils");
            body.put("expiresAt", now.plus(5, ChronoUnit.DAYS).toString());
            String id = api.registerOk(body).get("id").asText();

            assertEquals(List.of("extended-bot"), AgentLifecycleIT.texts(run(api).get("expiryWarnings")));
            smtp.await(m -> m.recipients().contains(nils) && m.subject().contains("expires"), WAIT);

            HttpAdmin.Response extended = api.http.put(base + "/agents/" + id, api.adminToken(),
                    AgentApi.json(Map.of("expiresAt", now.plus(40, ChronoUnit.DAYS).toString())));
            assertEquals(200, extended.status(), extended.body());
            assertEquals(List.of(), AgentLifecycleIT.texts(run(api).get("expiryWarnings")));

            api.setClockOffset(35 * DAY);
            assertEquals(List.of("extended-bot"), AgentLifecycleIT.texts(run(api).get("expiryWarnings")));
            String newDay = now.plus(40, ChronoUnit.DAYS).toString().substring(0, 10);
            smtp.await(m -> m.recipients().contains(nils) && m.subject().contains("expires on " + newDay), WAIT);

            HttpAdmin.Response off = api.http.put(base + "/nhi/policy", api.adminToken(), "{\"expiryWarningDays\":0}");
            assertEquals(200, off.status(), off.body());
            HttpAdmin.Response later = api.http.put(base + "/agents/" + id, api.adminToken(),
                    AgentApi.json(Map.of("expiresAt", now.plus(38, ChronoUnit.DAYS).toString())));
            assertEquals(200, later.status(), later.body());
            assertEquals(List.of(), AgentLifecycleIT.texts(run(api).get("expiryWarnings")));
            assertEquals(2, smtp.messages().size(), smtp.messages().toString());

            HttpAdmin.Response bad = api.http.put(base + "/nhi/policy", api.adminToken(), "{\"expiryWarningDays\":-3}");
            assertEquals(400, bad.status(), bad.body());
            assertEquals("invalid_request", bad.json().get("error").asText(), bad.body());
        } finally {
            api.setClockOffset(0);
        }
    }

    @Test
    void aManualSuspensionIsMailedToTheActiveMembersOfTheOwnerGroup(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-mail-group", "gina", "gus", "gerd", "outsider");
        String base = "/admin/realms/" + api.realm;
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            useSmtp(api, smtp);
            String team = created(api.http.post(base + "/groups", api.adminToken(), "{\"name\":\"billing-team\"}"));
            String oncall = created(api.http.post(base + "/groups/" + team + "/children", api.adminToken(), "{\"name\":\"oncall\"}"));
            join(api, "gina", team);
            join(api, "gerd", team);
            join(api, "gus", oncall);
            api.setUserEnabled(api.userId("gerd"), false);

            Map<String, Object> body = AgentApi.registration("team-bot", new AgentKey(), List.of());
            body.put("owner", Map.of("type", "group", "id", team));
            String id = api.registerOk(body).get("id").asText();

            HttpAdmin.Response suspended = api.action(id, "suspend", "rotating the team's keys");
            assertEquals(200, suspended.status(), suspended.body());
            for (String person : List.of("gina", "gus")) {
                SmtpReceiver.Message m = smtp.await(x -> x.recipients().contains(person + "@" + api.realm + ".example"), WAIT);
                assertEquals("Agent team-bot suspended in realm agent-mail-group", m.subject());
                assertTrue(m.text().contains("rotating the team's keys"), m.text());
            }
            // a conflicting second suspension changes nothing and mails nobody
            assertEquals(409, api.action(id, "suspend", "again").status());
            assertEquals(200, api.action(id, "resume", null).status());
            HttpAdmin.Response owner = api.http.get(base + "/agents/" + id, api.adminToken());
            assertEquals("ACTIVE", owner.json().get("status").asText());
            assertEquals(2, smtp.messages().size(), "the disabled member and the outsider get nothing: " + smtp.messages());
        }
    }

    @Test
    void theSecondOwnerIsMailedToo(KeycloakTarget keycloak) {
        AgentApi api = AgentApi.createRealm(keycloak, "agent-mail-second", "pia", "paul");
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            useSmtp(api, smtp);
            Map<String, Object> body = AgentLifecycleIT.agentOf("paired-bot", new AgentKey(), "pia");
            body.put("secondOwner", Map.of("type", "user", "username", "paul"));
            String id = api.registerOk(body).get("id").asText();
            assertEquals(200, api.action(id, "suspend", "checking").status());
            for (String person : List.of("pia", "paul")) {
                SmtpReceiver.Message m = smtp.await(x -> x.recipients().contains(person + "@" + api.realm + ".example")
                        && x.subject().contains("paired-bot") && x.subject().contains("suspended"), WAIT);
                assertTrue(m.text().contains("checking"), m.text());
            }
        }
    }

    static JsonNode run(AgentApi api) {
        HttpAdmin.Response r = api.http.post("/admin/realms/" + api.realm + "/nhi/lifecycle/run", api.adminToken(), null);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static void useSmtp(AgentApi api, SmtpReceiver smtp) {
        HttpAdmin.Response r = api.http.put("/admin/realms/" + api.realm, api.adminToken(),
                AgentApi.json(Map.of("smtpServer", smtp.smtpServerConfig())));
        assertEquals(204, r.status(), r.body());
    }

    static String created(HttpAdmin.Response r) {
        assertEquals(201, r.status(), r.body());
        String location = r.header("Location");
        return location.substring(location.lastIndexOf('/') + 1);
    }

    static void join(AgentApi api, String username, String groupId) {
        HttpAdmin.Response r = api.http.put("/admin/realms/" + api.realm + "/users/" + api.userId(username) + "/groups/" + groupId,
                api.adminToken(), null);
        assertEquals(204, r.status(), r.body());
    }
}
