package dev.nhiguard.it.attack;

import static dev.nhiguard.it.attack.AttackRealm.assertHeldOrRefused;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Parser differentials, as mallory (realm admin, not an approver) in realm {@code guard-attack}:
 * requests that the guard might read one way and Keycloak another. Each is judged by what
 * Keycloak did: whether sa-target's secret changed (a token with the attacker's secret), whether
 * a client without a service account got one.
 *
 * <p>Checked by hand on plain Keycloak 26.7.3 (a realm whose policy guards nothing): it accepts a
 * JSON body without Content-Type (204, the secret changes), the string {@code "TRUE"} for a
 * boolean (the service account is turned on), field names in overlong UTF-8 ({@code 0xC1 0xB3}
 * read as {@code s}), duplicate keys (the last wins), a client id containing {@code /} and
 * {@code PUT /clients/evil%2Fx} on it, and {@code PUT /admin/realms/{r}/} with a trailing slash.
 * It refuses itself (400 {@code missingNormalization} / {@code invalidCharacter}) {@code //},
 * {@code ..}, {@code %2E%2E}, {@code %63lients} and {@code ;} in the path.
 */
@ExtendWith(KeycloakExtension.class)
class AttackParserIT {

    static final String REALM = "guard-attack";

    /** A guarded write's body: sa-target's full representation, as GET returns it, with another secret. */
    static String saTargetWithSecret(AttackRealm r, String secret) {
        ObjectNode rep = (ObjectNode) r.read("/clients/" + r.clientUuid("sa-target"));
        rep.put("secret", secret);
        return AttackRealm.json(rep);
    }

    /** sa-target's secret is what it was, and the attacker's secret gets no token. */
    static void assertSecretUnchanged(AttackRealm r, String secretBefore, String attackSecret) {
        assertNotEquals(200, r.clientCredentialsStatus("sa-target", attackSecret),
                "a token for sa-target with the attacker's secret " + attackSecret);
        assertEquals(secretBefore, currentSecret(r), "sa-target's secret changed");
    }

    static String currentSecret(AttackRealm r) {
        return r.read("/clients/" + r.clientUuid("sa-target") + "/client-secret").path("value").asText();
    }

    /** A client without a service account, created by mallory for one test (an everyday write). */
    static String freshApp(AttackRealm r, String mallory, String clientId) {
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"" + clientId
                + "\",\"publicClient\":false,\"serviceAccountsEnabled\":false,\"standardFlowEnabled\":true,"
                + "\"redirectUris\":[\"http://127.0.0.1/" + clientId + "/*\"]}");
        assertEquals(201, created.status(), "creating a client without a service account is everyday work: " + created.body());
        return r.clientUuid(clientId);
    }

    /** The client has no service account: flag off and no service-account user. */
    static void assertNoServiceAccount(AttackRealm r, String clientId) {
        // Read through the clientId query: an internal id with a '/' cannot be addressed in a path at all
        // (Keycloak's router decodes %2F before matching).
        assertFalse(r.read("/clients?clientId=" + clientId).get(0).path("serviceAccountsEnabled").asBoolean(),
                clientId + " got a service account");
        assertEquals("[]", r.read("/users?exact=true&username=service-account-" + clientId).toString(),
                clientId + " got a service-account user");
    }

    @Test
    void theStringTrueDoesNotTurnOnAServiceAccount(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String plain = r.clientUuid("plain-app");
        assertNoServiceAccount(r, "plain-app");
        ObjectNode rep = (ObjectNode) r.read("/clients/" + plain);
        rep.put("serviceAccountsEnabled", "TRUE");
        HttpAdmin.Response put = r.http.put(r.admin + "/clients/" + plain, mallory, AttackRealm.json(rep));
        assertHeldOrRefused(put, "PUT plain-app with \"serviceAccountsEnabled\":\"TRUE\"");
        assertNoServiceAccount(r, "plain-app");
    }

    @Test
    void aJsonBodyWithoutContentTypeIsRefusedWith415(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String before = currentSecret(r);
        String attack = "no-content-type-" + System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(keycloak.baseUri().resolve(r.admin + "/clients/" + r.clientUuid("sa-target")))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + mallory)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(saTargetWithSecret(r, attack).getBytes(StandardCharsets.UTF_8)))
                .build();
        assertTrue(request.headers().firstValue("Content-Type").isEmpty(), "the request must go without Content-Type");
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(415, response.statusCode(), response.body());
        assertSecretUnchanged(r, before, attack);
    }

    @Test
    void aTrailingSlashDoesNotEscapeTheGuard(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        JsonNode realmBefore = r.realm();
        assertTrue(realmBefore.path("adminEventsEnabled").asBoolean(), "fixture: admin events on");
        String secretBefore = currentSecret(r);
        String attack = "trailing-slash-" + System.nanoTime();

        HttpAdmin.Response adminEventsOff = r.http.put(r.admin + "/", mallory, "{\"adminEventsEnabled\":false}");
        HttpAdmin.Response listenersOff = r.http.put(r.admin + "/", mallory, "{\"eventsListeners\":[]}");
        HttpAdmin.Response secret = r.http.put(r.admin + "/clients/" + r.clientUuid("sa-target") + "/", mallory,
                saTargetWithSecret(r, attack));
        JsonNode realmAfter = r.realm();
        assertAll(
                () -> assertHeldOrRefused(adminEventsOff, "PUT /admin/realms/guard-attack/ adminEventsEnabled=false"),
                () -> assertHeldOrRefused(listenersOff, "PUT /admin/realms/guard-attack/ eventsListeners=[]"),
                () -> assertHeldOrRefused(secret, "PUT /clients/{sa-target}/ with another secret"),
                () -> assertTrue(realmAfter.path("adminEventsEnabled").asBoolean(), "admin events switched off"),
                () -> assertEquals(realmBefore.path("eventsListeners"), realmAfter.path("eventsListeners"), "event listeners changed"),
                () -> assertSecretUnchanged(r, secretBefore, attack));
    }

    @Test
    void fieldNamesInOverlongUtf8AreRefusedWith400(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String secretBefore = currentSecret(r);
        String attack = "overlong-" + System.nanoTime();
        String sa = r.clientUuid("sa-target");
        String app = freshApp(r, mallory, "overlong-app");
        // 0xC1 0xB3 is an overlong (non-shortest) encoding of 's', 0xC1 0xA5 of 'e'.
        byte[] secretBody = bytes("{\"", new byte[] {(byte) 0xC1, (byte) 0xB3}, "ecret\":\"" + attack + "\"}");
        byte[] saOnBody = bytes("{\"clientId\":\"overlong-app\",\"servic", new byte[] {(byte) 0xC1, (byte) 0xA5},
                "AccountsEnabled\":true}");
        HttpAdmin.Response secret = RawHttp.send(keycloak.baseUri(), "PUT", r.admin + "/clients/" + sa, mallory,
                "application/json", secretBody);
        HttpAdmin.Response saOn = RawHttp.send(keycloak.baseUri(), "PUT", r.admin + "/clients/" + app, mallory,
                "application/json", saOnBody);
        assertAll(
                () -> assertEquals(400, secret.status(), "overlong 's' of secret: " + secret.body()),
                () -> assertEquals(400, saOn.status(), "overlong 'e' of serviceAccountsEnabled: " + saOn.body()),
                () -> assertSecretUnchanged(r, secretBefore, attack),
                () -> assertNoServiceAccount(r, "overlong-app"));
    }

    @Test
    void aClientIdWithAnEncodedSlashDoesNotHideTheServiceAccountSwitch(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        HttpAdmin.Response created = r.http.post(r.admin + "/clients", mallory,
                "{\"id\":\"evil/x\",\"clientId\":\"evil-x\",\"publicClient\":false,\"serviceAccountsEnabled\":false,"
                        + "\"standardFlowEnabled\":true,\"redirectUris\":[\"http://127.0.0.1/evil/*\"]}");
        if (created.status() != 201) {
            // Refusing such an id is a defence too; then nothing may exist under it.
            assertTrue(created.status() >= 400 && created.status() < 500, "creating id evil/x: " + created.status() + " " + created.body());
            assertEquals("[]", r.read("/clients?clientId=evil-x").toString());
            return;
        }
        assertEquals("evil/x", r.read("/clients?clientId=evil-x").get(0).path("id").asText(), "Keycloak kept the id as sent");
        HttpAdmin.Response turnOn = RawHttp.send(keycloak.baseUri(), "PUT", r.admin + "/clients/evil%2Fx", mallory,
                "application/json", "{\"clientId\":\"evil-x\",\"serviceAccountsEnabled\":true}".getBytes(StandardCharsets.UTF_8));
        assertTrue(turnOn.status() == 400 || turnOn.status() == 202 || turnOn.status() == 409,
                "PUT /clients/evil%2Fx turning the service account on: " + turnOn.status() + " " + turnOn.body());
        assertNoServiceAccount(r, "evil-x");
    }

    @Test
    void pathVariantsAreRefusedOrHeld(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String sa = r.clientUuid("sa-target");
        String secretBefore = currentSecret(r);
        Map<String, String> variants = new java.util.LinkedHashMap<>();
        variants.put("matrix", r.admin + "/clients;a=b/" + sa);
        variants.put("dots", r.admin + "/clients/../clients/" + sa);
        variants.put("encoded-dots", r.admin + "/clients/%2E%2E/clients/" + sa);
        variants.put("double-slash", r.admin + "//clients/" + sa);
        variants.put("encoded-letter", r.admin + "/%63lients/" + sa);
        List<Executable> checks = new ArrayList<>();
        for (Map.Entry<String, String> v : variants.entrySet()) {
            String attack = "path-" + v.getKey() + "-" + System.nanoTime();
            HttpAdmin.Response resp = RawHttp.send(keycloak.baseUri(), "PUT", v.getValue(), mallory, "application/json",
                    saTargetWithSecret(r, attack).getBytes(StandardCharsets.UTF_8));
            checks.add(() -> assertTrue(resp.status() == 202 || (resp.status() >= 400 && resp.status() < 500),
                    "PUT " + v.getValue() + " answered " + resp.status() + " " + resp.body()));
            checks.add(() -> assertSecretUnchanged(r, secretBefore, attack));
        }
        assertAll(checks);
    }

    @Test
    void malformedBodiesAreRefusedWithTheRightStatusAndNothingIsStored(KeycloakTarget keycloak) {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        String sa = r.clientUuid("sa-target");
        String dup = freshApp(r, mallory, "duplicate-keys-app");
        String secretBefore = currentSecret(r);
        int requestsBefore = r.changeRequestCount();
        String agentsBefore = r.get("/agents").body();
        String trailing = "trailing-data-" + System.nanoTime();
        String deep = "{\"a\":" + "[".repeat(999) + "]".repeat(999) + "}"; // 1,000 levels
        String longPath = r.admin + "/clients/";
        longPath = longPath + "a".repeat(3000 - longPath.length());
        assertEquals(3000, longPath.length());

        record Case(String what, int expected, HttpAdmin.Response response) {
        }
        List<Case> cases = List.of(
                new Case("duplicate keys", 400, r.http.put(r.admin + "/clients/" + dup, mallory,
                        "{\"clientId\":\"duplicate-keys-app\",\"serviceAccountsEnabled\":false,\"serviceAccountsEnabled\":true}")),
                new Case("trailing data", 400, r.http.put(r.admin + "/clients/" + sa, mallory,
                        "{\"secret\":\"" + trailing + "\"} {}")),
                new Case("scalar body to a guarded endpoint", 400, r.http.put(r.admin + "/clients/" + sa, mallory, "\"x\"")),
                new Case("scalar body to POST agents", 400, r.http.post(r.admin + "/agents", mallory, "\"x\"")),
                new Case("multipart to POST agents", 415, r.http.send("POST", r.admin + "/agents", mallory,
                        "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{}\r\n--b--\r\n")),
                new Case("unknown content type to POST agents", 415, r.http.send("POST", r.admin + "/agents", mallory,
                        "application/x-nhi-attack", "{\"name\":\"x\"}")),
                new Case("path of 3,000 characters", 414, RawHttp.send(keycloak.baseUri(), "PUT", longPath, mallory,
                        "application/json", "{\"secret\":\"long\"}".getBytes(StandardCharsets.UTF_8))),
                new Case("nesting 1,000 levels deep to a guarded endpoint", 400, r.http.put(r.admin + "/clients/" + sa, mallory, deep)),
                new Case("nesting 1,000 levels deep to POST agents", 400, r.http.post(r.admin + "/agents", mallory, deep)),
                // The stored path keeps its query, unsealed: a credential there is refused, not stored.
                new Case("a secret in the query of a held write", 400, r.http.put(r.admin + "/clients/" + sa + "?secret=" + trailing,
                        mallory, "{\"secret\":\"query-held\"}")),
                // A value shaped like the guard's own sealed values (it would read as sealed at apply): refused, not 503.
                new Case("a sealed-looking value in a held user-profile update", 400, r.http.put(r.admin + "/users/profile", mallory,
                        "{\"attributes\":[{\"name\":\"username\",\"annotations\":{\"x\":{\"sealed\":\"AAAA\","
                                + "\"fingerprint\":\"hmac-sha256:00\"}}}]}")));

        List<Executable> checks = new ArrayList<>();
        for (Case c : cases) {
            checks.add(() -> assertEquals(c.expected(), c.response().status(), c.what() + ": " + c.response().body()));
        }
        int requestsAfter = r.changeRequestCount();
        checks.add(() -> assertEquals(requestsBefore, requestsAfter, "change requests stored for garbage"));
        checks.add(() -> assertNoServiceAccount(r, "duplicate-keys-app"));
        checks.add(() -> assertSecretUnchanged(r, secretBefore, trailing));
        checks.add(() -> assertEquals(agentsBefore, r.get("/agents").body(), "agents registered from garbage"));
        for (Case c : cases) {
            checks.add(() -> assertTrue(c.response().status() < 500, "never 5xx: " + c.what() + " answered " + c.response().status()));
        }
        assertAll(checks);
    }

    private static byte[] bytes(String head, byte[] middle, String tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(middle);
        out.writeBytes(tail.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
