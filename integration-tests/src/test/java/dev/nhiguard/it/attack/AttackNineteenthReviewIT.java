package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Nineteenth red-team review (2026-12-07): a raw {@code #} in the request target. java.net.URI, from which the guard's
 * filters read the request's path, takes {@code #…} for a fragment and ends the path there; Vert.x and JAX-RS route on
 * the whole target. {@code PUT …/clients/wire#1} was read by the guard as a write to client {@code wire} (none: "Keycloak
 * answers 404"), and Keycloak updated client {@code wire#1}, whose id mallory chose: a service account turned on, its
 * mappers and agent attributes set, an approved service account's authenticator and secret changed, a role and a
 * client scope sa-target's tokens carry renamed, and a secret read without a record, all unheld. Every request whose
 * target carries a raw {@code #} is now refused before Keycloak routes it; {@code %23} is read alike by both and held.
 * Judged by the client Keycloak stores and by the answers. Runs in a copy of {@code guard-attack-fifth}.
 */
@ExtendWith(KeycloakExtension.class)
class AttackNineteenthReviewIT {

    /**
     * A code review of the fix (the same day): a target with a scheme Vert.x does not take for absolute-form
     * ({@code x://h/admin/…}, {@code HTTP://h/…}, {@code ftp://a:1/…}) is appended to the server's own URI, and
     * java.net.URI reads {@code 127.0.0.1:8080x:} as the authority and {@code /h/admin/…} as the path, while Vert.x routes
     * on {@code /admin/…}: the guard's filters took it for no admin request at all. mallory regenerated sa-target's
     * secret, reset an approver's password and approved her own request as that approver, switched the realm's policy
     * off, and read a secret without a record. Every request whose path the guard reads differently from the one JAX-RS
     * routes on is refused before routing.
     */
    @Test
    void aTargetWithASchemeIsRefusedBeforeKeycloakRoutesIt(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "nineteenth", "scheme", rep -> { });
        String mallory = r.token("mallory");
        String sa = r.clientUuid("sa-target");
        String secretBefore = r.read("/clients/" + sa + "/client-secret").path("value").asText();
        String ann = r.userId("ann");

        HttpAdmin.Response regenerate = RawHttp.send(keycloak.baseUri(), "POST", "x://h" + r.admin + "/clients/" + sa
                + "/client-secret", mallory, "application/json", new byte[0]);
        HttpAdmin.Response reset = RawHttp.send(keycloak.baseUri(), "PUT", "ftp://a:1" + r.admin + "/users/" + ann
                + "/reset-password", mallory, "application/json",
                "{\"type\":\"password\",\"value\":\"pwned-by-mallory\",\"temporary\":false}".getBytes(StandardCharsets.UTF_8));
        HttpAdmin.Response policyOff = RawHttp.send(keycloak.baseUri(), "PUT", "HTTP://h" + r.admin, mallory, "application/json",
                "{\"attributes\":{\"nhi.guard.policy\":\"{\\\"guardedOperations\\\":[]}\"}}".getBytes(StandardCharsets.UTF_8));
        HttpAdmin.Response read = RawHttp.send(keycloak.baseUri(), "GET", "HTTPS://h" + r.admin + "/clients/" + sa
                + "/client-secret", r.master(), null, null);
        assertAll(
                () -> assertEquals(400, regenerate.status(), "the secret regeneration: " + regenerate.body()),
                () -> assertEquals(400, reset.status(), "the approver's password reset: " + reset.body()),
                () -> assertEquals(400, policyOff.status(), "the policy switched off: " + policyOff.body()),
                () -> assertEquals(400, read.status(), "the secret read: " + read.body()),
                () -> assertFalse(read.body().contains(secretBefore), "no secret in the answer"),
                () -> assertEquals(secretBefore, r.read("/clients/" + sa + "/client-secret").path("value").asText(),
                        "sa-target's secret is unchanged"),
                () -> assertFalse(r.token("ann").isEmpty(), "ann still signs in with her own password"),
                () -> assertFalse(r.read("").path("attributes").path("nhi.guard.policy").asText("").contains("[]"),
                        "the realm's policy is unchanged"));
    }

    @Test
    void aRawHashInTheRequestTargetIsRefusedBeforeKeycloakRoutesIt(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "nineteenth", "hash", rep -> { });
        String mallory = r.token("mallory");
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, "{\"id\":\"wire#1\",\"clientId\":\"wire-hash\","
                + "\"publicClient\":false,\"secret\":\"wire-secret-value\",\"standardFlowEnabled\":false}");
        assertEquals(201, created.status(), "an ordinary confidential client: " + created.body());

        byte[] serviceAccountOn = "{\"serviceAccountsEnabled\":true}".getBytes(StandardCharsets.UTF_8);
        HttpAdmin.Response raw = RawHttp.send(keycloak.baseUri(), "PUT", r.admin + "/clients/wire#1", mallory,
                "application/json", serviceAccountOn);
        HttpAdmin.Response rawWithQuery = RawHttp.send(keycloak.baseUri(), "PUT", r.admin + "/clients/wire#1?x=1", mallory,
                "application/json", serviceAccountOn);
        HttpAdmin.Response secretRead = RawHttp.send(keycloak.baseUri(), "GET", r.admin + "/clients/wire#1/client-secret",
                r.master(), null, null);
        HttpAdmin.Response encoded = RawHttp.send(keycloak.baseUri(), "PUT", r.admin + "/clients/wire%231", mallory,
                "application/json", serviceAccountOn);
        assertAll(
                () -> assertEquals(400, raw.status(), "PUT …/clients/wire#1: " + raw.body()),
                () -> assertEquals("invalid_request", raw.json().path("error").asText(), raw.body()),
                () -> assertEquals(400, rawWithQuery.status(), "PUT …/clients/wire#1?x=1: " + rawWithQuery.body()),
                () -> assertEquals(400, secretRead.status(), "GET …/clients/wire#1/client-secret: " + secretRead.body()),
                () -> assertFalse(secretRead.body().contains("wire-secret-value"), secretRead.body()),
                () -> assertEquals(409, encoded.status(), "PUT …/clients/wire%231 is held: " + encoded.body()),
                () -> assertFalse(r.read("/clients/wire%231").path("serviceAccountsEnabled").asBoolean(),
                        "the client Keycloak stores has no service account"));
    }
}
