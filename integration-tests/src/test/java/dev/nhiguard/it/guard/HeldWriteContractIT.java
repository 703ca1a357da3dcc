package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.ws.rs.ClientErrorException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.representations.idm.ClientRepresentation;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * A held write never looks applied, whatever the client: only a client that prefers
 * asynchronous results ({@code Prefer: respond-async}) gets 202; the REST API without it, the
 * real {@code kcadm.sh} of the distribution and the keycloak-admin-client get an error naming the
 * change request and where to review it, and the client's secret is unchanged.
 */
@ExtendWith(KeycloakExtension.class)
class HeldWriteContractIT {

    static final String CLIENT = "sa-bad";
    static final Pattern CHANGE_REQUEST = Pattern.compile("change request ([0-9a-f-]{36})");

    @Test
    void aHeldWriteIsAcceptedOnlyForClientsThatPreferAsyncAndAnErrorForEveryOtherClient(KeycloakTarget keycloak)
            throws Exception {
        GuardTestRealm r = new GuardTestRealm(keycloak);
        String cara = r.token("cara");
        String id = r.clientUuid(CLIENT, cara);
        String secretPath = GuardTestRealm.ADMIN + "/clients/" + id + "/client-secret";
        String before = r.getJson(secretPath, cara).path("value").asText();
        List<String> held = new ArrayList<>();
        try {
            // REST with Prefer: respond-async → 202 + Location + Preference-Applied
            HttpAdmin.Response async = r.http.post(secretPath, cara, null);
            assertEquals(202, async.status(), async.body());
            assertEquals("respond-async", async.header("Preference-Applied"));
            held.add(async.json().path("id").asText());
            assertTrue(async.header("Location").endsWith("/change-requests/" + held.get(0)), async.header("Location"));

            // REST without Prefer → 409 naming the change request and the approvals page
            HttpAdmin.Response sync = r.http.synchronous().post(secretPath, r.token("cara"), null);
            assertEquals(409, sync.status(), sync.body());
            JsonNode body = sync.json();
            String crId = body.path("id").asText();
            held.add(crId);
            assertEquals("PENDING", body.path("state").asText());
            assertTrue(body.path("error_description").asText().contains("change request " + crId), sync.body());
            assertTrue(body.path("review").asText().contains("/common/nhi-guard/approvals/index.html#realm=guard-table&id=" + crId),
                    sync.body());
            assertTrue(sync.header("Location").endsWith("/change-requests/" + crId), sync.header("Location"));

            // the distribution's kcadm.sh exits non-zero and prints the change request
            Kcadm.Result kcadm = new Kcadm(keycloak).login(GuardTestRealm.REALM, "cara", "cara-pass")
                    .run("create", "clients/" + id + "/client-secret", "-r", GuardTestRealm.REALM);
            assertNotEquals(0, kcadm.exit(), kcadm.output());
            Matcher m = CHANGE_REQUEST.matcher(kcadm.output());
            assertTrue(m.find(), "kcadm.sh must name the change request: " + kcadm.output());
            held.add(m.group(1));
            assertTrue(kcadm.output().contains("review the request at"), kcadm.output());

            // the keycloak-admin-client throws, and the exception's response names the change request
            try (Keycloak admin = Keycloak.getInstance(keycloak.baseUri().toString(), GuardTestRealm.REALM, "cara", "cara-pass",
                    "admin-cli")) {
                ClientErrorException thrown = assertThrows(ClientErrorException.class,
                        () -> admin.realm(GuardTestRealm.REALM).clients().get(id).generateNewSecret());
                assertEquals(409, thrown.getResponse().getStatus());
                String text = thrown.getResponse().readEntity(String.class);
                Matcher c = CHANGE_REQUEST.matcher(text);
                assertTrue(c.find(), text);
                held.add(c.group(1));
                ClientRepresentation rep = admin.realm(GuardTestRealm.REALM).clients().get(id).toRepresentation();
                rep.setEnabled(false);
                ClientErrorException update = assertThrows(ClientErrorException.class,
                        () -> admin.realm(GuardTestRealm.REALM).clients().get(id).update(rep));
                assertEquals(409, update.getResponse().getStatus());
                Matcher u = CHANGE_REQUEST.matcher(update.getResponse().readEntity(String.class));
                assertTrue(u.find());
                held.add(u.group(1));
            }

            // every one of them is a pending change request, and nothing was applied
            assertEquals(5, held.stream().distinct().count(), held.toString());
            for (String cr : held) {
                assertEquals("PENDING", r.getJson(GuardTestRealm.GUARD + "/change-requests/" + cr, cara).path("state").asText(), cr);
            }
            assertEquals(before, r.getJson(secretPath, cara).path("value").asText(), "the secret must be unchanged");
            assertTrue(r.getJson(GuardTestRealm.ADMIN + "/clients/" + id, cara).path("enabled").asBoolean(),
                    "the client must still be enabled");
        } finally {
            for (String cr : held) {
                r.http.post(GuardTestRealm.GUARD + "/change-requests/" + cr + "/cancel", r.token("cara"), null);
            }
        }
    }

    /** The distribution's own {@code bin/kcadm.sh}, with a configuration file of its own. */
    static final class Kcadm {

        record Result(int exit, String output) {
        }

        private final KeycloakTarget keycloak;
        private final Path config;

        Kcadm(KeycloakTarget keycloak) throws IOException {
            this.keycloak = keycloak;
            this.config = Files.createTempFile("kcadm", ".config");
            Files.delete(config);
        }

        Kcadm login(String realm, String user, String password) throws Exception {
            Result r = run("config", "credentials", "--server", keycloak.baseUri().toString(), "--realm", realm,
                    "--user", user, "--password", password, "--client", "admin-cli");
            assertEquals(0, r.exit(), r.output());
            return this;
        }

        Result run(String... args) throws Exception {
            Path home = DistributionKeycloak.Settings.fromSystemProperties().home();
            List<String> command = new ArrayList<>(List.of(home.resolve("bin/kcadm.sh").toString()));
            command.addAll(List.of(args));
            command.addAll(List.of("--config", config.toString()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kcadm.sh did not finish: " + out);
            }
            return new Result(p.exitValue(), out);
        }
    }
}
