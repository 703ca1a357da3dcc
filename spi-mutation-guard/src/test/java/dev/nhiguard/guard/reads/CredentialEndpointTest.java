package dev.nhiguard.guard.reads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.ClientRepresentation;

import dev.nhiguard.guard.admission.RequestPath;

/** Credential reads are found by resolving the path to Keycloak's own resource method. */
class CredentialEndpointTest {

    static Optional<CredentialEndpoint.Match> classify(String method, String path) throws RequestPath.Refused {
        return CredentialEndpoint.classify(method, RequestPath.parse("/admin/realms/r" + path));
    }

    static CredentialEndpoint endpoint(String method, String path) throws RequestPath.Refused {
        return classify(method, path).orElseThrow(() -> new AssertionError(method + " " + path + " is a credential read"))
                .endpoint();
    }

    @Test
    void everyCredentialEndpointIsFoundWithItsPathParameters() throws Exception {
        assertEquals(CredentialEndpoint.CLIENT_SECRET, endpoint("GET", "/clients/abc/client-secret"));
        assertEquals(CredentialEndpoint.ROTATED_SECRET, endpoint("GET", "/clients/abc/client-secret/rotated"));
        assertEquals(CredentialEndpoint.CLIENT, endpoint("GET", "/clients/abc"));
        assertEquals(CredentialEndpoint.CLIENT, endpoint("GET", "/clients/abc/"));
        assertEquals(CredentialEndpoint.CLIENTS, endpoint("GET", "/clients"));
        assertEquals(CredentialEndpoint.INSTALLATION, endpoint("GET", "/clients/abc/installation/providers/keycloak-oidc-keycloak-json"));
        assertEquals(CredentialEndpoint.CERTIFICATE, endpoint("GET", "/clients/abc/certificates/jwt.credential"));
        assertEquals(CredentialEndpoint.KEYSTORE, endpoint("POST", "/clients/abc/certificates/jwt.credential/download"));
        // Keycloak masks the exported clients' secrets, not their stored private keys.
        assertEquals(CredentialEndpoint.PARTIAL_EXPORT, endpoint("POST", "/partial-export"));
        // Writes whose answer hands out material they create: the regenerating admin (or, held, the requester) reads it.
        assertEquals(CredentialEndpoint.REGENERATED_SECRET, endpoint("POST", "/clients/abc/client-secret"));
        assertEquals(CredentialEndpoint.REGISTRATION_ACCESS_TOKEN, endpoint("POST", "/clients/abc/registration-access-token"));
        assertEquals(CredentialEndpoint.GENERATED_KEY, endpoint("POST", "/clients/abc/certificates/jwt.credential/generate"));
        assertEquals(CredentialEndpoint.GENERATED_KEYSTORE,
                endpoint("POST", "/clients/abc/certificates/jwt.credential/generate-and-download"));
        assertTrue(CredentialEndpoint.REGENERATED_SECRET.createsMaterial());
        assertFalse(CredentialEndpoint.CLIENT_SECRET.createsMaterial());
        CredentialEndpoint.Match m = classify("POST", "/clients/abc/certificates/saml.signing/download").orElseThrow();
        assertEquals(Map.of("client-uuid", "abc", "attr", "saml.signing"), m.pathParams());
        assertEquals("abc", m.clientUuid());
        assertEquals("keycloak-oidc-keycloak-json",
                classify("GET", "/clients/abc/installation/providers/keycloak-oidc-keycloak-json").orElseThrow().pathParams().get("providerId"));
    }

    @Test
    void writesAndOtherReadsAreNotCredentialReads() throws Exception {
        for (String[] r : List.of(new String[] {"GET", "/users"}, new String[] {"GET", "/clients/abc/roles"},
                new String[] {"GET", "/clients/abc/service-account-user"},
                new String[] {"PUT", "/clients/abc"}, new String[] {"DELETE", "/clients/abc/client-secret/rotated"},
                new String[] {"POST", "/clients/abc/certificates/jwt.credential/upload"},
                new String[] {"GET", "/clients-initial-access"}, new String[] {"GET", "/client-scopes"},
                new String[] {"GET", "/clients/abc/no-such-thing"}, new String[] {"GET", "/partial-export"},
                new String[] {"GET", ""})) {
            assertFalse(classify(r[0], r[1]).isPresent(), r[0] + " " + r[1]);
        }
    }

    @Test
    void clientRegistrationReadsReplacementsAndCreationsAreCredentialAnswers() throws Exception {
        CredentialEndpoint.Match read = CredentialEndpoint.classify("GET",
                RequestPath.parse("/realms/r/clients-registrations/default/app")).orElseThrow();
        assertEquals(Map.of("providerId", "default", "clientId", "app"), read.pathParams());
        assertEquals(CredentialEndpoint.REGISTRATION, CredentialEndpoint.classify("PUT",
                RequestPath.parse("/realms/r/clients-registrations/openid-connect/app")).orElseThrow().endpoint());
        CredentialEndpoint.Match created = CredentialEndpoint.classify("POST",
                RequestPath.parse("/realms/r/clients-registrations/default")).orElseThrow();
        assertEquals(Map.of("providerId", "default"), created.pathParams());
        assertFalse(CredentialEndpoint.classify("DELETE", RequestPath.parse("/realms/r/clients-registrations/default/app")).isPresent());
        assertFalse(CredentialEndpoint.classify("POST", RequestPath.parse("/realms/r/clients-registrations/default/app")).isPresent());
    }

    @Test
    void eachEndpointNamesAResourceMethodKeycloakHas() throws Exception {
        // The client admin API v2 ships in the distribution only (unpacked by the build, as for EndpointCoverageTest).
        String dir = System.getProperty("nhi.keycloak.dist.lib");
        assertTrue(dir != null, "system property nhi.keycloak.dist.lib (run through Maven)");
        java.net.URL[] jars;
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(java.nio.file.Paths.get(dir))) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).map(p -> {
                try {
                    return p.toUri().toURL();
                } catch (java.net.MalformedURLException x) {
                    throw new IllegalStateException(x);
                }
            }).toArray(java.net.URL[]::new);
        }
        ClassLoader distribution = new java.net.URLClassLoader(jars, getClass().getClassLoader());
        for (CredentialEndpoint e : CredentialEndpoint.values()) {
            String[] key = e.key().split("#");
            Class<?> type = Class.forName(key[0], false, distribution);
            assertTrue(java.util.Arrays.stream(type.getMethods()).anyMatch(m -> m.getName().equals(key[1])), e.key());
        }
    }

    @Test
    void theMaterialOfARepresentationIsNamedNeverCopied() {
        ClientRepresentation rep = new ClientRepresentation();
        rep.setPublicClient(true);
        assertEquals(List.of(), ClientCredentialMaterial.of(rep));
        rep.setSecret("s3cr3t-value");
        rep.setAttributes(Map.of("client.secret.rotated", "old-value", "jwt.credential.private.key", "MIIE",
                "jwt.credential.certificate", "MIIC", "saml.signing.private.key", ""));
        assertEquals(List.of("secret", "client.secret.rotated", "jwt.credential.private.key"), ClientCredentialMaterial.of(rep));
    }

    @Test
    void anAmbiguousPathNearTheClientsIsRecognised() {
        assertTrue(AmbiguousClientPath.mayReachClients("/admin/realms/r/clients;x=1/abc/client-secret"));
        assertTrue(AmbiguousClientPath.mayReachClients("/admin/realms/r/%63lients/abc/client-secret"));
        assertTrue(AmbiguousClientPath.mayReachClients("/admin/realms/r%2Fclients/abc"));
        assertFalse(AmbiguousClientPath.mayReachClients("/admin/realms/r/users;x=1"));
    }
}
