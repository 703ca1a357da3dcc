package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Issue 11's sealing through the real {@code bin/kcadm.sh} of the distribution the test server
 * runs (realm {@code guard-seal}; requester cara, approvers ann and ben; service-account client
 * sa-kcadm; privileged user priv-kcadm): {@code kcadm.sh update clients/<id> -s secret=…} (kcadm
 * GETs the whole representation and PUTs it back) and {@code kcadm.sh set-password}. Both are held;
 * kcadm gets {@code 409}, prints the error naming the change request and exits non-zero.
 * The new secret and password appear on no surface; after approval the secret works for
 * client_credentials, the password for a login, and the diff (Keycloak's own dry run) shows the secret as changed and nothing the request did not cause.
 */
@ExtendWith(KeycloakExtension.class)
class KcadmSealingIT {

    static final String REALM = SecretSealingIT.REALM;
    static final String A = SecretSealingIT.A;
    static final String GUARD = SecretSealingIT.GUARD;
    static final String OLD_SECRET = "sa-kcadm-old-secret-8b2d71";
    static final String NEW_SECRET = "sa-kcadm-NEW-secret-51c0e9d7a4";
    static final String NEW_PASSWORD = "priv-kcadm-NEW-pass-3e8b";

    @TempDir
    Path tmp;

    @Test
    void kcadmUpdateAndSetPasswordAreHeldSealedAndAppliedExactly(KeycloakTarget keycloak) {
        SecretSealingIT.SealRealm realm = new SecretSealingIT.SealRealm(keycloak);
        String ann = realm.token("ann");
        String client = realm.client("sa-kcadm", ann);
        String user = realm.user("priv-kcadm", ann);
        String cara = realm.user("cara", ann);

        Run login = kcadm("config", "credentials", "--server", keycloak.baseUri().toString(), "--realm", REALM,
                "--user", "cara", "--password", "cara-pass", "--client", "admin-cli");
        assertEquals(0, login.exit(), login.toString());
        Run update = kcadm("update", "clients/" + client, "-r", REALM, "-s", "secret=" + NEW_SECRET);
        Run setPassword = kcadm("set-password", "-r", REALM, "--username", "priv-kcadm", "--new-password", NEW_PASSWORD);

        // What the user sees: an error naming the change request, and a non-zero exit (see the guard README, "kcadm.sh").
        for (Run r : List.of(update, setPassword)) {
            assertTrue(r.exit() != 0, "kcadm reports a held change as not applied: " + r);
            assertTrue((r.out() + r.err()).contains("held for approval as change request"), "kcadm names the change request: " + r);
        }
        assertEquals(OLD_SECRET, realm.get(A + "/clients/" + client + "/client-secret", ann).path("value").asText(),
                "nothing applied yet");

        // The change requests exist, requested by cara.
        JsonNode list = realm.get(GUARD + "/change-requests?requester=" + cara + "&state=PENDING", ann);
        JsonNode clientCr = only(list, "/admin/realms/" + REALM + "/clients/" + client);
        JsonNode passwordCr = only(list, "/admin/realms/" + REALM + "/users/" + user + "/reset-password");
        assertEquals("client-update", clientCr.path("operation").asText(), clientCr.toString());
        String clientId = clientCr.path("id").asText();
        String passwordId = passwordCr.path("id").asText();

        // The diff of kcadm's whole-representation PUT: only the secret, as supplied by the request (no value, no fingerprint).
        JsonNode full = realm.changeRequest(clientId, ann);
        List<String> paths = new ArrayList<>();
        full.path("diff").forEach(d -> paths.add(d.path("path").asText()));
        // Keycloak's own dry run: the secret, and the service_account default scope Keycloak 26 adds to a
        // service-account client on any update (see the guard README, "How the diff is obtained").
        assertTrue(paths.contains("/secret"), "diff: " + full.path("diff"));
        assertTrue(List.of("/secret", "/client/defaultClientScopes").containsAll(paths), "diff: " + full.path("diff"));
        for (JsonNode d : full.path("diff")) {
            if (d.path("path").asText().equals("/secret")) {
                assertEquals("supplied", d.path("sealed").asText(), full.path("diff").toString());
            } else {
                assertTrue(d.path("to").toString().contains("service_account"), full.path("diff").toString());
            }
        }
        assertEquals("supplied", realm.changeRequest(passwordId, ann).at("/body/value/sealed").asText());

        // Nowhere to be read: kcadm's own output, the change-request API for requester, approver and a third admin.
        List<String> surfaces = new ArrayList<>(List.of(update.toString(), setPassword.toString()));
        for (String token : List.of(realm.token("cara"), ann, realm.token("fay"))) {
            surfaces.add(ok(realm.http.get(GUARD + "/change-requests", token)).body());
            surfaces.add(ok(realm.http.get(GUARD + "/change-requests/" + clientId, token)).body());
            surfaces.add(ok(realm.http.get(GUARD + "/change-requests/" + passwordId, token)).body());
        }

        // Approve and apply both.
        assertEquals(200, realm.approve(clientId, clientCr.path("digest").asText(), realm.token("ann")).status());
        assertEquals(200, realm.approve(passwordId, passwordCr.path("digest").asText(), realm.token("ben")).status());
        for (String id : List.of(clientId, passwordId)) {
            HttpAdmin.Response applied = SecretSealingIT.applyPatiently(keycloak, id, realm.token("cara"));
            assertEquals(200, applied.status(), applied.body());
            assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
            surfaces.add(applied.body());
        }
        JsonNode token = realm.http.clientCredentials(REALM, "sa-kcadm", NEW_SECRET);
        assertTrue(token.hasNonNull("access_token"), "the approved secret works for client_credentials: " + token);
        JsonNode login2 = realm.http.passwordGrant(REALM, "admin-cli", "priv-kcadm", NEW_PASSWORD, null);
        assertTrue(login2.hasNonNull("access_token"), "the approved password works: " + login2);

        ann = realm.token("ann");
        surfaces.add(ok(realm.http.get(GUARD + "/change-requests/" + clientId, ann)).body());
        surfaces.add(ok(realm.http.get(A + "/admin-events?max=2000", ann)).body());
        HttpAdmin.Response export = ok(realm.http.get(A + "/audit-chain/export", ann));
        assertTrue(export.body().contains(clientId) && export.body().contains(passwordId), "the chain records both requests");
        surfaces.add(export.body());
        for (String s : surfaces) {
            assertFalse(s.contains(NEW_SECRET), "new secret in: " + s);
            assertFalse(s.contains(NEW_PASSWORD), "new password in: " + s);
            assertFalse(s.contains(OLD_SECRET), "old secret in: " + s);
        }

        // kcadm's GET of the whole representation handed cara the old secret: a recorded credential read.
        JsonNode reads = realm.get(A + "/audit-chain/records?type=CREDENTIAL_READ&actor=" + cara + "&target=clients/" + client, ann)
                .path("records");
        assertTrue(reads.size() >= 1, "kcadm's read of the secret is in the chain: " + reads);
    }

    private static JsonNode only(JsonNode list, String path) {
        List<JsonNode> found = new ArrayList<>();
        list.forEach(cr -> {
            if (cr.path("path").asText().equals(path)) {
                found.add(cr);
            }
        });
        assertEquals(1, found.size(), path + " in " + list);
        return found.get(0);
    }

    private static HttpAdmin.Response ok(HttpAdmin.Response r) {
        assertEquals(200, r.status(), r.body());
        return r;
    }

    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout [" + out + "], stderr [" + err + "]";
        }
    }

    /** Runs the distribution's {@code bin/kcadm.sh} with a config file in the test's temp dir. */
    private Run kcadm(String... args) {
        Path home = Path.of(System.getProperty("nhi.keycloak.home"));
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/kcadm.sh").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("--config", tmp.resolve("kcadm.config").toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("KC_CLI_PASSWORD");
        try {
            Path out = Files.createTempFile(tmp, "kcadm", ".out");
            Path err = Files.createTempFile(tmp, "kcadm", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kcadm.sh " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8).trim(),
                    Files.readString(err, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
