package dev.nhiguard.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.keycloak.representations.idm.ComponentTypeRepresentation;
import org.keycloak.representations.info.ProviderRepresentation;
import org.keycloak.representations.info.ServerInfoRepresentation;
import org.keycloak.representations.info.SpiInfoRepresentation;
import org.keycloak.representations.info.ThemeInfoRepresentation;

/**
 * Checks that hold for every Keycloak running our JARs, in either harness mode. A provider
 * that silently failed to load fails these.
 */
public final class ServerChecks {

    /** Every provider id we ship, by the SPI it implements. */
    public static final Map<String, List<String>> PROVIDERS = Map.of(
            "jpa-entity-provider", List.of("nhi-audit-chain-store", "nhi-guard-store", "nhi-agent-store", "nhi-agent-review-store"),
            "admin-realm-restapi-extension", List.of("nhi", "agents", "mutation-guard", "audit-chain"),
            "client-policy-executor", List.of("nhi-agent-binding"),
            "protocol-mapper", List.of("nhi-agent-claim-mapper"),
            "eventsListener", List.of("nhi-audit-chain", "nhi-guard-notifier", "nhi-agent-usage", "nhi-agent-lifecycle", "nhi-agent-owner-mail", "nhi-agent-risk", "nhi-agent-review"),
            "realm-restapi-extension", List.of("nhi-owner"));

    /** Every theme we ship, by theme type. */
    public static final Map<String, List<String>> THEMES = Map.of(
            "common", List.of("nhi-guard"));

    private static final Pattern ERROR_LINE = Pattern.compile("\\bERROR\\b");

    /**
     * The ERROR lines the suite provokes on purpose. Keycloak's partial import logs
     * {@code KC-SERVICES0037 Error creating <name>} or {@code KC-SERVICES0036 Error overwriting
     * <name>} (ERROR, before rethrowing) for an item that fails: {@code BackstopIT} names the items the mutation guard's model backstop must refuse
     * {@code backstop-refused-…}; {@code PartialImportGroupsIT} names {@code pathless-…} the
     * groups without {@code path} that make Keycloak's own {@code GroupsPartialImport} throw a
     * NullPointerException, which Keycloak also logs as an uncaught server error. Only those
     * lines are allowed.
     */
    private static final Pattern EXPECTED_ERROR = Pattern.compile("KC-SERVICES00(36: Error overwriting|37: Error creating) (backstop-refused-|pathless-)"
            + "|Uncaught server error: java\\.lang\\.NullPointerException: .*GroupsPartialImport\\.findGroupModel"
            // Keycloak's own log of a client assertion signed with a wrong key at introspection (the agents' burst tests)
            + "|KC-SERVICES0025: Error when validating client assertion: java\\.lang\\.RuntimeException: Signature on JWT token failed validation");

    private ServerChecks() {
    }

    /** Every provider id of ours is in server info, with the JAR version it reports. */
    public static void assertProvidersLoaded(KeycloakTarget keycloak) {
        ServerInfoRepresentation info = keycloak.adminClient().serverInfo().getInfo();
        PROVIDERS.forEach((spi, ids) -> {
            SpiInfoRepresentation spiInfo = info.getProviders().get(spi);
            assertNotNull(spiInfo, "SPI " + spi + " missing from server info");
            for (String id : ids) {
                ProviderRepresentation provider = spiInfo.getProviders().get(id);
                assertNotNull(provider, "provider " + spi + "/" + id + " not loaded; loaded: " + spiInfo.getProviders().keySet());
                Map<String, String> operational = provider.getOperationalInfo();
                assertNotNull(operational, spi + "/" + id + " reports no operational info");
                String version = operational.get("version");
                assertNotNull(version, spi + "/" + id + " reports no version");
                assertFalse(version.isBlank() || version.equals("unknown"), spi + "/" + id + " reports version " + version);
            }
        });
        THEMES.forEach((type, names) -> {
            List<ThemeInfoRepresentation> themes = info.getThemes().get(type);
            assertNotNull(themes, "no " + type + " themes in server info");
            for (String name : names) {
                assertTrue(themes.stream().anyMatch(t -> name.equals(t.getName())),
                        type + " theme " + name + " not loaded");
            }
        });
        Map<String, List<ComponentTypeRepresentation>> components = info.getComponentTypes();
        assertNotNull(components, "server info has no component types");
    }

    /** Our admin resources answer on a realm (the inventory is one of them). */
    public static void assertAdminResourcesAnswer(KeycloakTarget keycloak) {
        String token = keycloak.http().adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        HttpAdmin.Response r = keycloak.http().get("/admin/realms/master/nhi/inventory", token);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.json().has("items"), r.body());
    }

    /** Readiness, liveness and start-up health answer UP on the management listener. */
    public static void assertHealthy(KeycloakTarget keycloak) {
        HttpAdmin management = new HttpAdmin(keycloak.managementUri());
        for (String path : List.of("/health/started", "/health/live", "/health/ready")) {
            HttpAdmin.Response r = management.get(path, null);
            assertEquals(200, r.status(), path + ": " + r.body());
            assertEquals("UP", r.json().path("status").asText(), path + ": " + r.body());
        }
    }

    /**
     * The mutation guard holds a guarded write and the audit chain records it: carol, a realm admin of the demo realm,
     * regenerates billing-sync's secret and gets 202 with the change request, the secret stays
     * as it was; she then cancels her request, so the check leaves nothing pending.
     */
    public static void assertGuardedChangeHeld(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String realm = "/admin/realms/nhi-demo";
        String carol = http.passwordGrant("nhi-demo", "admin-cli", "carol", "carol-demo-pass", null)
                .get("access_token").asText();
        String client = http.get(realm + "/clients?clientId=billing-sync", carol).json().get(0).get("id").asText();
        String secretPath = realm + "/clients/" + client + "/client-secret";
        String before = http.get(secretPath, carol).json().get("value").asText();

        HttpAdmin.Response held = http.post(secretPath, carol, null);
        assertEquals(202, held.status(), held.body());
        String id = held.json().get("id").asText();
        assertEquals("PENDING", held.json().get("state").asText(), held.body());
        assertTrue(held.header("Location").endsWith(realm + "/mutation-guard/change-requests/" + id), held.header("Location"));
        assertEquals(before, http.get(secretPath, carol).json().get("value").asText(), "a held change must not be applied");

        HttpAdmin.Response cancelled = http.post(realm + "/mutation-guard/change-requests/" + id + "/cancel", carol, null);
        assertEquals(200, cancelled.status(), cancelled.body());
        assertEquals("CANCELLED", cancelled.json().get("state").asText(), cancelled.body());

        // The audit chain recorded both transitions, in the same transactions, and still verifies.
        HttpAdmin.Response records = http.get(realm + "/audit-chain/records?type=CHANGE_REQUEST&target=mutation-guard/change-requests/" + id, carol);
        assertEquals(200, records.status(), records.body());
        List<String> transitions = new java.util.ArrayList<>();
        records.json().get("records").forEach(r -> transitions.add(r.path("details").path("transition").asText()));
        assertEquals(List.of("CREATED", "CANCELLED"), transitions, records.body());
        HttpAdmin.Response verify = http.get(realm + "/audit-chain/verify", carol);
        assertEquals(200, verify.status(), verify.body());
        assertTrue(verify.json().path("ok").asBoolean(), verify.body());
    }

    /** Agent binding's token-time checks are active: the server runs its security profile. */
    public static void assertAgentEnforcementActive(KeycloakTarget keycloak) {
        String token = keycloak.http().adminToken(keycloak.bootstrapAdminUsername(), keycloak.bootstrapAdminPassword());
        HttpAdmin.Response r = keycloak.http().get("/admin/realms/master/nhi/status", token);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.json().path("tokenTimeEnforcement").asBoolean(), r.body());
    }

    /** No ERROR line in what the server logged up to now (start-up included). */
    public static void assertNoErrorsLogged(KeycloakTarget keycloak) {
        List<String> errors = keycloak.logLines().stream().filter(l -> ERROR_LINE.matcher(l).find())
                .filter(l -> !EXPECTED_ERROR.matcher(l).find()).toList();
        assertTrue(errors.isEmpty(), "Keycloak logged errors:\n" + String.join("\n", errors));
    }

    /** For a test's own server: {@link #assertNoErrorsLogged} over its whole run, then stopped either way (null: nothing started). */
    public static void assertNoErrorsLoggedAndStop(DistributionKeycloak keycloak) {
        if (keycloak == null) {
            return;
        }
        try {
            assertNoErrorsLogged(keycloak);
        } finally {
            keycloak.close();
        }
    }
}
