package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The model-level backstop: in realm {@code guard-backstop} the policy guards service-account
 * client updates and role grants. Dynamic client registration skips HTTP admission (it is not
 * an admin path); registering a service-account client through it is refused at the model.
 * Partial import goes the same way when the policy leaves partial import itself unguarded:
 * Keycloak logs each refused partial-import item as an ERROR line of its own, which
 * {@code ServerChecks} allows only for items named {@code backstop-refused-…}.
 */
@ExtendWith(KeycloakExtension.class)
class BackstopIT {

    static final String A = "/admin/realms/guard-backstop";

    @Test
    void dynamicClientRegistrationCannotCreateAServiceAccountClientTheGuardWouldHold(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String cara = StepUpAndExpiryIT.token(http, "guard-backstop", "cara");
        HttpAdmin.Response iat = http.post(A + "/clients-initial-access", cara, "{\"count\":2,\"expiration\":600}");
        assertEquals(201, iat.status(), iat.body());
        String initialToken = iat.json().path("token").asText();
        HttpAdmin.Response refused = http.post("/realms/guard-backstop/clients-registrations/default", initialToken,
                "{\"clientId\":\"dcr-sa\",\"publicClient\":false,\"serviceAccountsEnabled\":true}");
        assertEquals(403, refused.status(), refused.body());
        assertEquals("change_refused", refused.json().path("error").asText());
        assertTrue(refused.json().path("error_description").asText().contains("clients-registrations"), refused.body());
        assertEquals("[]", http.get(A + "/clients?clientId=dcr-sa", cara).json().toString(), "nothing may have been created");

        HttpAdmin.Response plainDcr = http.post("/realms/guard-backstop/clients-registrations/default", initialToken,
                "{\"clientId\":\"dcr-plain\",\"publicClient\":true}");
        assertEquals(201, plainDcr.status(), plainDcr.body());

        HttpAdmin.Response plain = http.post(A + "/partialImport", cara,
                "{\"ifResourceExists\":\"SKIP\",\"clients\":[{\"clientId\":\"pi-public\",\"publicClient\":true}]}");
        assertEquals(200, plain.status(), plain.body());
        assertEquals(1, http.get(A + "/clients?clientId=pi-public", cara).json().size());

        HttpAdmin.Response status = http.get(A + "/mutation-guard/status", cara);
        assertTrue(status.json().path("admissionLayers").path("modelBackstop").path("active").asBoolean(), status.body());
    }

    @Test
    void partialImportCannotCreateAServiceAccountClientThePolicyGuards(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String cara = StepUpAndExpiryIT.token(http, "guard-backstop", "cara");
        // This realm's policy does not guard realm-partial-import, so the HTTP layer lets it in;
        // the service-account client it creates meets the model backstop.
        HttpAdmin.Response refused = http.post(A + "/partialImport", cara, "{\"ifResourceExists\":\"FAIL\","
                + "\"clients\":[{\"clientId\":\"backstop-refused-sa\",\"publicClient\":false,\"serviceAccountsEnabled\":true}]}");
        assertEquals(403, refused.status(), refused.body());
        assertEquals("change_refused", refused.json().path("error").asText(), refused.body());
        assertTrue(refused.json().path("error_description").asText().contains("partialImport"), refused.body());
        assertEquals("[]", http.get(A + "/clients?clientId=backstop-refused-sa", cara).json().toString(), "nothing imported");
        assertEquals("[]", http.get(A + "/users?exact=true&username=service-account-backstop-refused-sa", cara).json().toString());
    }

    @Test
    void partialImportCannotLinkAnIdentityProviderAccountToAnOwner(KeycloakTarget keycloak) {
        HttpAdmin http = keycloak.http();
        String cara = StepUpAndExpiryIT.token(http, "guard-backstop", "cara");
        // backstop-refused-owen owns sa-y (client attributes nhi.owner.*) and holds no admin or
        // approver role. Overwriting him by partial import (left unguarded by this realm's policy)
        // with a linked account of the realm's identity provider would let whoever controls that
        // account sign in as the owner: the backstop refuses the link at the model.
        String owen = "0b5e0000-0000-4000-8000-00000000a001";
        HttpAdmin.Response refused = http.post(A + "/partialImport", cara, "{\"ifResourceExists\":\"OVERWRITE\",\"users\":[{"
                + "\"id\":\"" + owen + "\",\"username\":\"backstop-refused-owen\",\"enabled\":true,"
                + "\"email\":\"owen@guard-backstop.test\",\"federatedIdentities\":[{\"identityProvider\":\"ext\","
                + "\"userId\":\"ext-owen\",\"userName\":\"owen-at-ext\"}]}]}");
        assertEquals(403, refused.status(), refused.body());
        assertEquals("change_refused", refused.json().path("error").asText(), refused.body());
        assertEquals("[]", http.get(A + "/users/" + owen + "/federated-identity", cara).json().toString(), "no link may exist");

        // The same import for a user who owns nothing passes: the refusal is about ownership.
        HttpAdmin.Response plain = http.post(A + "/partialImport", cara, "{\"ifResourceExists\":\"OVERWRITE\",\"users\":[{"
                + "\"username\":\"pi-linked-user\",\"enabled\":true,\"federatedIdentities\":[{\"identityProvider\":\"ext\","
                + "\"userId\":\"ext-plain\",\"userName\":\"plain-at-ext\"}]}]}");
        assertEquals(200, plain.status(), plain.body());
        String plainId = http.get(A + "/users?exact=true&username=pi-linked-user", cara).json().get(0).path("id").asText();
        assertEquals(1, http.get(A + "/users/" + plainId + "/federated-identity", cara).json().size());
    }
}
