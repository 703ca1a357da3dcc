package dev.nhiguard.guard.reads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.keycloak.services.resources.admin.RealmAdminResource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.guard.admission.Endpoints;
import dev.nhiguard.guard.admission.RequestPath;

/** Which client writes give a client credential material its writer then holds. */
class WrittenCredentialsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static Endpoints.Resolved resolve(String method, String path) throws RequestPath.Refused {
        return (Endpoints.Resolved) Endpoints.resolve(RealmAdminResource.class, RequestPath.parse("/admin/realms/r" + path), 3,
                method, null);
    }

    @Test
    void aSecretOrKeyTheWriterChoseIsSet() throws Exception {
        assertEquals(List.of("secret"), WrittenCredentials.setBy(json("{\"secret\":\"mine\"}"), null));
        assertEquals(List.of("secret"), WrittenCredentials.setBy(json("{\"secret\":12345}"), null), "Keycloak reads a number as text");
        assertEquals(List.of("client.secret.rotated", "jwt.credential.private.key"), WrittenCredentials.setBy(json(
                "{\"attributes\":{\"client.secret.rotated\":\"x\",\"jwt.credential.private.key\":\"k\",\"description\":\"d\"}}"), null));
        assertEquals(List.of("clientAuthenticatorType", "jwks.url", "use.jwks.url"), WrittenCredentials.setBy(json(
                "{\"clientAuthenticatorType\":\"client-jwt\",\"attributes\":{\"jwks.url\":\"https://mine/jwks\",\"use.jwks.url\":\"true\"}}"),
                null));
        assertEquals(List.of("jwt.credential.issuer", "jwt.credential.sub"), WrittenCredentials.setBy(json(
                "{\"attributes\":{\"jwt.credential.issuer\":\"my-idp\",\"jwt.credential.sub\":\"me\"}}"), null), "a federated credential");
        assertEquals(List.of("x509.subjectdn"), WrittenCredentials.setBy(json("{\"attributes\":{\"x509.subjectdn\":\"CN=me\"}}"), null));
    }

    @Test
    void keycloakStoresAClientSecretAsSentSoEveryTextIsOneTheWriterHolds() throws Exception {
        // A client's secret has no mask: Keycloak stores "**********" as the secret, and an unresolvable vault reference
        // reads as itself.
        for (String sent : new String[] {"**********", "${vault.nope}", " ", ""}) {
            assertEquals(List.of("secret"), WrittenCredentials.setBy(json("{\"secret\":" + JSON.writeValueAsString(sent) + "}"), null),
                    sent);
        }
        assertEquals(List.of("use.jwks.url"), WrittenCredentials.setBy(json("{\"attributes\":{\"use.jwks.url\":\"TRUE\"}}"), null),
                "read as Keycloak reads a boolean");
    }

    @Test
    void nothingElseIsSet() throws Exception {
        assertTrue(WrittenCredentials.setBy(json("{\"secret\":null,\"description\":\"d\",\"redirectUris\":[\"https://x\"]}"), null)
                .isEmpty());
        assertTrue(WrittenCredentials.setBy(json("{\"attributes\":{\"use.jwks.url\":\"false\",\"jwks.url\":\"\"}}"), null).isEmpty());
        assertTrue(WrittenCredentials.setBy(json("{\"attributes\":[\"secret\"]}"), null).isEmpty(), "attributes not an object");
        assertTrue(WrittenCredentials.setBy(json("[{\"secret\":\"x\"}]"), null).isEmpty(), "not a client");
    }

    @Test
    void aSealedValueInAStoredBodyIsOneTheRequesterChose() throws Exception {
        JsonNode sealed = json("{\"secret\":{\"sealed\":\"abc\",\"fingerprint\":\"hmac-sha256:"
                + "0".repeat(64) + "\"}}");
        assertTrue(dev.nhiguard.guard.sealing.Sealer.isSealed(sealed.get("secret")), "fixture: a sealed value");
        assertEquals(List.of("secret"), WrittenCredentials.setBy(sealed, null));
        assertFalse(WrittenCredentials.setsAuthentication(json("{\"secret\":\"mine\"}"), null), "a secret is not how it authenticates");
        assertTrue(WrittenCredentials.setsAuthentication(json("{\"attributes\":{\"jwks.string\":\"{}\"}}"), null));
    }

    @Test
    void theWritesThatSetAClientsCredentialNameTheirClient() throws Exception {
        JsonNode create = json("{\"clientId\":\"bot\",\"secret\":\"mine\"}");
        assertEquals(List.of(new WrittenCredentials.Target(null, "bot", List.of("secret"))),
                WrittenCredentials.of(null, resolve("POST", "/clients"), create, null));
        assertEquals(List.of(new WrittenCredentials.Target("u1", "bot", List.of("secret"))),
                WrittenCredentials.of(null, resolve("POST", "/clients"), json("{\"id\":\"u1\",\"clientId\":\"bot\",\"secret\":\"s\"}"), null));
        assertTrue(WrittenCredentials.of(null, resolve("POST", "/clients"), json("{\"clientId\":\"bot\"}"), null).isEmpty(),
                "Keycloak generates the secret: only its readers hold it");
        assertEquals(List.of(new WrittenCredentials.Target("c1", null, List.of("certificate:jwt.credential"))),
                WrittenCredentials.of(null, resolve("POST", "/clients/c1/certificates/jwt.credential/upload-certificate"), null, null));
        assertEquals(List.of(new WrittenCredentials.Target(null, "b", List.of("secret"))),
                WrittenCredentials.of(null, resolve("POST", "/partialImport"), json("{\"clients\":[{\"clientId\":\"a\"},"
                        + "{\"id\":\"id-of-another-client\",\"clientId\":\"b\",\"secret\":\"s\"}]}"), null),
                "Keycloak's import gives the client an id of its own: named by clientId only");
        assertTrue(WrittenCredentials.of(null, resolve("PUT", "/roles/r1"), json("{\"secret\":\"x\"}"), null).isEmpty());
    }

    @Test
    void theWritesThatSetHowAUserSignsInNameTheUser() throws Exception {
        assertEquals(List.of(new WrittenCredentials.Target(WrittenCredentials.Kind.USER, null, "runner", List.of("credentials", "email"))),
                WrittenCredentials.of(null, resolve("POST", "/users"), json("{\"username\":\"runner\",\"email\":\"r@x.test\","
                        + "\"credentials\":[{\"type\":\"password\",\"value\":\"p\"}]}"), null));
        assertTrue(WrittenCredentials.of(null, resolve("POST", "/users"), json("{\"username\":\"runner\",\"firstName\":\"R\"}"),
                null).isEmpty(), "nobody can sign in as a user created without a way to");
        assertEquals(List.of(new WrittenCredentials.Target(WrittenCredentials.Kind.USER, "u1", null, List.of("resetPassword"))),
                WrittenCredentials.of(null, resolve("PUT", "/users/u1/reset-password"), json("{\"value\":\"p\"}"), null));
        assertEquals(List.of(new WrittenCredentials.Target(WrittenCredentials.Kind.USER, "u1", null, List.of("addFederatedIdentity"))),
                WrittenCredentials.of(null, resolve("POST", "/users/u1/federated-identity/idp"), json("{\"userId\":\"x\"}"), null));
        assertEquals(List.of(new WrittenCredentials.Target(WrittenCredentials.Kind.USER, null, "imported", List.of("federatedIdentities"))),
                WrittenCredentials.of(null, resolve("POST", "/partialImport"), json("{\"users\":[{\"username\":\"plain\"},"
                        + "{\"username\":\"imported\",\"federatedIdentities\":[{\"identityProvider\":\"idp\"}]}]}"), null));
        assertEquals(List.of(new WrittenCredentials.Target(WrittenCredentials.Kind.USER, "u1", null, List.of("impersonate"))),
                WrittenCredentials.of(null, resolve("POST", "/users/u1/impersonation"), null, null), "a session as the user");
        assertEquals(List.of("credentials"), WrittenCredentials.signInSetBy(json("{\"credentials\":[{}],\"email\":\"\"}"), null));
        assertEquals(List.of("federationLink"), WrittenCredentials.signInSetBy(json("{\"federationLink\":\"ldap-1\"}"), null));
    }

    @Test
    void aClientWrittenThroughApiV2NamesItsSecretAndCertificate() throws Exception {
        assertEquals(new WrittenCredentials.Target(null, "bot", List.of("secret", "certificate")), WrittenCredentials.ofV2Client("bot",
                json("{\"auth\":{\"method\":\"client-jwt\",\"secret\":\"s\",\"certificate\":\"MIIB\"}}")));
        assertNull(WrittenCredentials.ofV2Client("bot", json("{\"auth\":{\"method\":\"client-secret\"}}")));
        assertNull(WrittenCredentials.ofV2Client("bot", json("{\"description\":\"d\"}")));
        assertNull(WrittenCredentials.ofV2Client(null, json("{\"auth\":{\"secret\":\"s\"}}")));
    }
}
