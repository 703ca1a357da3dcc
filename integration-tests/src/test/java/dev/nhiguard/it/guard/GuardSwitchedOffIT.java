package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.DistributionKeycloak;
import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.ServerChecks;

/**
 * The operator's switch, {@code --spi-admin-realm-restapi-extension--mutation-guard--enabled=false}
 * (Keycloak's own provider switch: Keycloak then loads none of the guard's factory), on a server
 * of its own: the admin API works, a write the guard would hold (a service account's secret
 * regenerated) is applied at once, the change-request API is absent, writes are still read
 * strictly, credential reads are still recorded, and the start-up log says the guard is off.
 * Until 2026-12-05 the switch answered every admin request, reads included, with 503.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuardSwitchedOffIT {

    static final String SWITCH = "--spi-admin-realm-restapi-extension--mutation-guard--enabled=false";
    static final String REALM = "guard-off";
    static final String A = "/admin/realms/" + REALM;

    private DistributionKeycloak keycloak;
    private HttpAdmin http;
    private String admin;

    @BeforeAll
    void start() {
        DistributionKeycloak.Settings shared = DistributionKeycloak.Settings.fromSystemProperties();
        List<String> args = new ArrayList<>(shared.extraArgs().stream().filter(a -> !a.contains("file-sink-path")).toList());
        args.add(SWITCH);
        // Provider switches are build options: the server gets a distribution copy of its own.
        DistributionKeycloak.Settings settings = new DistributionKeycloak.Settings(
                DistributionKeycloak.copyBeside(shared.home(), "-guard-off"),
                shared.providers(), null, shared.logFile().resolveSibling("keycloak-guard-off.log"), args, shared.startTimeout());
        keycloak = new DistributionKeycloak(settings);
        keycloak.start();
        http = keycloak.http();
        admin = http.adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        HttpAdmin.Response realm = http.post("/admin/realms", admin, "{\"realm\":\"" + REALM + "\",\"enabled\":true}");
        assertEquals(201, realm.status(), realm.body());
    }

    @AfterAll
    void stop() {
        ServerChecks.assertNoErrorsLoggedAndStop(keycloak);
    }

    @Test
    void guardedWritesAreAppliedAtOnceAndTheAdminApiWorks() {
        HttpAdmin.Response created = http.post(A + "/clients", admin,
                "{\"clientId\":\"sa-off\",\"publicClient\":false,\"serviceAccountsEnabled\":true,\"secret\":\"sa-off-old-secret-4c1d\"}");
        assertEquals(201, created.status(), created.body());
        HttpAdmin.Response list = http.get(A + "/clients?clientId=sa-off", admin);
        assertEquals(200, list.status(), list.body());
        String id = list.json().get(0).path("id").asText();

        // Held on a guarded server (client-secret-regenerate); here it is applied and the new secret works.
        HttpAdmin.Response regenerated = http.post(A + "/clients/" + id + "/client-secret", admin, null);
        assertEquals(200, regenerated.status(), regenerated.body());
        String secret = regenerated.json().path("value").asText();
        assertFalse(secret.isEmpty(), regenerated.body());
        assertNotEquals("sa-off-old-secret-4c1d", secret);
        JsonNode token = http.clientCredentials(REALM, "sa-off", secret);
        assertTrue(token.hasNonNull("access_token"), token.toString());

        HttpAdmin.Response status = http.get(A + "/mutation-guard/status", admin);
        assertEquals(404, status.status(), "no change-request API while the guard is off: " + status.body());
    }

    @Test
    void writesAreStillReadStrictly() {
        HttpAdmin.Response trailing = http.send("PUT", A, admin, "application/json", "{\"displayName\":\"x\"} {}");
        assertEquals(400, trailing.status(), trailing.body());
        assertEquals("invalid_request", trailing.json().path("error").asText(), trailing.body());
        HttpAdmin.Response realm = http.get(A, admin);
        assertFalse(realm.json().has("displayName") && realm.json().path("displayName").asText().equals("x"), realm.body());
    }

    @Test
    void credentialReadsAreStillRecorded() {
        HttpAdmin.Response created = http.post(A + "/clients", admin,
                "{\"clientId\":\"sa-read\",\"publicClient\":false,\"serviceAccountsEnabled\":true}");
        assertEquals(201, created.status(), created.body());
        String id = http.get(A + "/clients?clientId=sa-read", admin).json().get(0).path("id").asText();
        HttpAdmin.Response read = http.get(A + "/clients/" + id + "/client-secret", admin);
        assertEquals(200, read.status(), read.body());

        HttpAdmin.Response records = http.get(A + "/audit-chain/records?limit=50&type=CREDENTIAL_READ", admin);
        assertEquals(200, records.status(), records.body());
        boolean recorded = false;
        for (JsonNode r : records.json().path("records")) {
            recorded |= r.path("target").asText().contains(id);
        }
        assertTrue(recorded, "the secret read of sa-read is in the chain: " + records.body());
        assertFalse(records.body().contains(read.json().path("value").asText()), "the secret itself is not");
    }

    @Test
    void theStartUpLogSaysTheGuardIsOff() {
        assertTrue(keycloak.logLines().stream().anyMatch(l -> l.contains("WARN") && l.contains("NHI mutation guard is DISABLED server-wide")),
                "start-up WARN");
    }
}
