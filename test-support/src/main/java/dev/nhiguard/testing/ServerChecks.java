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
            "jpa-entity-provider", List.of("nhi-audit-chain-store", "nhi-guard-store"),
            "admin-realm-restapi-extension", List.of("nhi", "audit-chain"),
            "eventsListener", List.of("nhi-audit-chain"));

    /** Every theme we ship, by theme type. */
    public static final Map<String, List<String>> THEMES = Map.of(
            "email", List.of("nhi-guard"));

    private static final Pattern ERROR_LINE = Pattern.compile("\\bERROR\\b");

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

    /** No ERROR line in what the server logged up to now (start-up included). */
    public static void assertNoErrorsLogged(KeycloakTarget keycloak) {
        List<String> errors = keycloak.logLines().stream().filter(l -> ERROR_LINE.matcher(l).find()).toList();
        assertTrue(errors.isEmpty(), "Keycloak logged errors:\n" + String.join("\n", errors));
    }
}
