package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;
import dev.nhiguard.testing.SmtpReceiver;

/**
 * Credentials in held change requests are sealed (realm {@code guard-seal}: approvers ann, ben,
 * fay, requester cara, all realm admins; privileged user priv-seal; service account sa-seal): a client update
 * sent as kcadm.sh sends it (GET the whole representation, change the secret, PUT it back) and a
 * reset-password of a privileged user. Neither the new secret nor the new password appears in the
 * change-request API (list and single, for requester, approver and a third admin), the admin
 * events, the audit chain export or the mail; the diff shows the secret as changed by fingerprint
 * and no read-only or order-only changes; apply replays the exact values.
 */
@ExtendWith(KeycloakExtension.class)
class SecretSealingIT {

    static final String REALM = "guard-seal";
    static final String A = "/admin/realms/" + REALM;
    static final String GUARD = A + "/mutation-guard";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String NEW_SECRET = "sa-seal-NEW-secret-7d3e0b52c9";
    static final String NEW_PASSWORD = "priv-seal-NEW-pass-91fa";

    @Test
    void heldClientSecretAndPasswordAreSealedEverywhereAndAppliedExactly(KeycloakTarget keycloak) {
        SealRealm realm = new SealRealm(keycloak);
        try (SmtpReceiver smtp = new SmtpReceiver()) {
            // SMTP settings are a guarded realm setting: held, approved and applied like any other.
            updateRealm(keycloak, realm, JSON.createObjectNode().set("smtpServer", JSON.valueToTree(smtp.smtpServerConfig())));

            String ann = realm.token("ann");
            String cara = realm.token("cara");
            String client = realm.client("sa-seal", ann);
            String clientPath = A + "/clients/" + client;

            // kcadm.sh update: the whole representation back, with a new secret and scopes reordered.
            ObjectNode rep = (ObjectNode) realm.get(clientPath, cara);
            String oldSecret = rep.path("secret").asText();
            assertFalse(oldSecret.isEmpty(), rep.toString());
            rep.put("secret", NEW_SECRET);
            if (rep.path("defaultClientScopes") instanceof ArrayNode scopes && scopes.size() > 1) {
                List<JsonNode> items = new ArrayList<>();
                scopes.forEach(items::add);
                java.util.Collections.reverse(items);
                scopes.removeAll();
                scopes.addAll(items);
            }
            HttpAdmin.Response heldClient = realm.http.put(clientPath, cara, rep.toString());
            assertEquals(202, heldClient.status(), heldClient.body());
            String clientCr = heldClient.json().path("id").asText();
            assertEquals("client-update", heldClient.json().path("operation").asText(), heldClient.body());

            // reset-password of a privileged user with a known password
            String user = realm.user("priv-seal", ann);
            HttpAdmin.Response heldPassword = realm.http.put(A + "/users/" + user + "/reset-password", cara,
                    "{\"type\":\"password\",\"value\":\"" + NEW_PASSWORD + "\",\"temporary\":false}");
            assertEquals(202, heldPassword.status(), heldPassword.body());
            String passwordCr = heldPassword.json().path("id").asText();

            // The diff: the secret the request supplies (never by value or fingerprint), nothing read-only, no reordering.
            JsonNode full = realm.changeRequest(clientCr, ann);
            JsonNode diff = full.path("diff");
            List<String> paths = new ArrayList<>();
            diff.forEach(d -> paths.add(d.path("path").asText()));
            // Keycloak (26) also adds its service_account default scope to a service-account client on any update;
            // the dry run shows it (checked after apply below). Nothing else: no read-only, no order-only change.
            assertEquals(List.of("/client/defaultClientScopes", "/secret"), paths, "diff: " + diff);
            assertTrue(diff.get(0).path("to").toString().contains("\"service_account\"")
                    && !diff.get(0).path("from").toString().contains("\"service_account\""), diff.toString());
            JsonNode secretChange = diff.get(1);
            assertEquals("supplied", secretChange.path("sealed").asText(), secretChange.toString());
            assertEquals("request", secretChange.path("source").asText(), secretChange.toString());
            assertEquals("supplied", full.at("/body/secret/sealed").asText(), full.path("body").toString());
            assertEquals("present", full.at("/beforeImage/client/secret/sealed").asText(), full.path("beforeImage").toString());
            assertFalse(full.toString().contains("hmac-sha256:"), "no fingerprint is shown: " + full);
            JsonNode reset = realm.changeRequest(passwordCr, ann).path("body");
            assertEquals("supplied", reset.at("/value/sealed").asText(), reset.toString());
            assertFalse(reset.toString().contains("hmac-sha256:"), reset.toString());

            // Nowhere to be read while open: requester, approver, a third admin.
            String fay = realm.token("fay");
            for (String token : List.of(cara, ann, fay)) {
                assertSealed(realm.http.get(GUARD + "/change-requests", token), "list");
                assertSealed(realm.http.get(GUARD + "/change-requests/" + clientCr, token), "client request");
                assertSealed(realm.http.get(GUARD + "/change-requests/" + passwordCr, token), "password request");
            }

            // Approve and apply both: Keycloak gets exactly what was asked for.
            HttpAdmin.Response a1 = realm.approve(clientCr, heldClient.json().path("digest").asText(), realm.token("ann"));
            assertEquals(200, a1.status(), a1.body());
            HttpAdmin.Response a2 = realm.approve(passwordCr, heldPassword.json().path("digest").asText(), realm.token("ben"));
            assertEquals(200, a2.status(), a2.body());
            HttpAdmin.Response applied1 = applyPatiently(keycloak, clientCr, realm.token("cara"));
            assertEquals(200, applied1.status(), applied1.body());
            assertEquals("APPLIED", applied1.json().path("state").asText(), applied1.body());
            HttpAdmin.Response applied2 = applyPatiently(keycloak, passwordCr, realm.token("cara"));
            assertEquals(200, applied2.status(), applied2.body());
            assertEquals("APPLIED", applied2.json().path("state").asText(), applied2.body());
            assertSealed(applied1, "apply answer");
            assertSealed(applied2, "apply answer");

            ann = realm.token("ann");
            assertEquals(NEW_SECRET, realm.get(clientPath + "/client-secret", ann).path("value").asText(),
                    "the client's secret is the approved one");
            assertTrue(realm.get(clientPath, ann).path("defaultClientScopes").toString().contains("\"service_account\""),
                    "Keycloak added the scope the diff showed");
            JsonNode login = realm.http.passwordGrant(REALM, "admin-cli", "priv-seal", NEW_PASSWORD, null);
            assertTrue(login.hasNonNull("access_token"), "the user logs in with the new password: " + login);

            // After apply: no ciphertext stays, and nothing shows a fingerprint.
            for (String id : List.of(clientCr, passwordCr)) {
                HttpAdmin.Response after = realm.http.get(GUARD + "/change-requests/" + id, ann);
                assertSealed(after, "applied request");
                assertFalse(after.body().matches("(?s).*\"sealed\":\"[A-Za-z0-9+/=]{20,}\".*"),
                        "no ciphertext after apply: " + after.body());
            }
            JsonNode applied = realm.changeRequest(clientCr, ann);
            assertFalse(applied.toString().contains("hmac-sha256:"), "no fingerprint is shown: " + applied);

            // Admin events, audit chain, mail.
            HttpAdmin.Response events = realm.http.get(A + "/admin-events?max=2000", ann);
            assertSealed(events, "admin events");
            assertTrue(events.body().contains("mutation-guard/change-requests/" + clientCr), "the guard's events are there");
            HttpAdmin.Response export = realm.http.get(A + "/audit-chain/export", ann);
            assertSealed(export, "audit chain export");
            assertTrue(export.body().contains(clientCr) && export.body().contains(passwordCr), "the chain records both requests");
            smtp.await(m -> m.data().contains(clientCr), Duration.ofSeconds(30));
            smtp.await(m -> m.data().contains(passwordCr), Duration.ofSeconds(30));
            for (SmtpReceiver.Message m : smtp.messages()) {
                assertFalse(m.data().contains(NEW_SECRET) || m.data().contains(NEW_PASSWORD), "mail: " + m.data());
                assertFalse(m.data().contains(oldSecret), "old secret in mail: " + m.data());
            }
        } finally {
            updateRealm(keycloak, realm, JSON.createObjectNode().set("smtpServer", JSON.createObjectNode()));
        }
    }

    private static void updateRealm(KeycloakTarget keycloak, SealRealm realm, JsonNode body) {
        HttpAdmin.Response held = realm.http.put(A, realm.token("cara"), body.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        HttpAdmin.Response approved = realm.approve(id, held.json().path("digest").asText(), realm.token("fay"));
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = applyPatiently(keycloak, id, realm.token("cara"));
        assertEquals(200, applied.status(), applied.body());
    }

    /**
     * What the audit chain would redact never shows in a change request (a red-team review found it in clear in the
     * request, its diff and its admin event): names beyond the guard's own list and a keystore upload with its passwords
     * are sealed; a JSON Web Key's private members in a JSON string, a PEM private key or a secret in JSON inside a string
     * outside a credential's place are refused (400), since the approver could not be shown them (twentieth red-team
     * review), and the refusal does not echo them. Read as the requester, an approver and a third admin; and after the
     * request is cancelled.
     */
    @Test
    void whatTheChainWouldRedactIsSealedInChangeRequestsOrRefused(KeycloakTarget keycloak) {
        SealRealm realm = new SealRealm(keycloak);
        String cara = realm.token("cara");
        String client = realm.client("sa-seal", realm.token("ann"));
        String clientPath = A + "/clients/" + client;
        String pem = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7SEALme\\n-----END PRIVATE KEY-----";
        // Outside a credential's place, what the chain would hide is refused: the approver could not be shown it.
        for (String hidden : List.of(
                "\"jwks.string\":\"{\\\"keys\\\":[{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"AQAB\\\",\\\"e\\\":\\\"AQAB\\\","
                        + "\\\"d\\\":\\\"SEALme-jwk-d\\\"}]}\"",
                "\"signing.key\":\"" + pem + "\"",
                "\"nested.json\":\"{\\\"webhook\\\":{\\\"secret\\\":\\\"SEALme-nested\\\"}}\"")) {
            HttpAdmin.Response refused = realm.http.put(clientPath, cara, "{\"clientId\":\"sa-seal\",\"attributes\":{" + hidden + "}}");
            assertEquals(400, refused.status(), hidden + ": " + refused.body());
            assertFalse(refused.body().contains("SEALme") || refused.body().contains("MIIEvQIBADANBgkq"), refused.body());
        }
        // At a credential's place (names the chain knows), it is sealed.
        HttpAdmin.Response update = realm.http.put(clientPath, cara, "{\"clientId\":\"sa-seal\",\"attributes\":{"
                + "\"apiKey\":\"SEALme-apikey\",\"passphrase\":\"SEALme-passphrase\"}}");
        assertEquals(202, update.status(), update.body());
        String boundary = "nhi-seal";
        HttpAdmin.Response upload = realm.http.send("POST", clientPath + "/certificates/jwt.credential/upload", cara,
                "multipart/form-data; boundary=" + boundary, "--" + boundary + "\r\nContent-Disposition: form-data; name=\"keystoreFormat\"\r\n\r\n"
                        + "Certificate PEM\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"keyPassword\"\r\n\r\nSEALme-keypass\r\n--"
                        + boundary + "\r\nContent-Disposition: form-data; name=\"storePassword\"\r\n\r\nSEALme-storepass\r\n--"
                        + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.pem\"\r\n\r\n"
                        + CatalogueHoldIT.UPLOADED_CERTIFICATE_PEM + "\r\n--" + boundary + "--\r\n");
        assertEquals(202, upload.status(), upload.body());
        String uploadCr = upload.json().path("id").asText();
        String updateCr = update.json().path("id").asText();
        String fay = realm.token("fay");
        java.util.function.Consumer<String> clear = body -> {
            for (String value : List.of("SEALme", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7SEALme")) {
                assertFalse(body.contains(value), "in clear: " + value + " in " + body);
            }
            // the upload's passwords, as the base64 of the form would carry them
            assertFalse(body.contains(java.util.Base64.getEncoder().encodeToString(("--" + boundary).substring(0, 9).getBytes())), body);
        };
        for (String token : List.of(cara, realm.token("ann"), fay)) {
            clear.accept(realm.http.get(GUARD + "/change-requests/" + updateCr, token).body());
            clear.accept(realm.http.get(GUARD + "/change-requests/" + uploadCr, token).body());
            clear.accept(realm.http.get(GUARD + "/change-requests", token).body());
        }
        assertEquals("supplied", realm.changeRequest(updateCr, fay).at("/body/attributes/apiKey/sealed").asText());
        HttpAdmin.Response cancelled = realm.http.post(GUARD + "/change-requests/" + uploadCr + "/cancel", cara, null);
        assertEquals(200, cancelled.status(), cancelled.body());
        clear.accept(realm.http.get(GUARD + "/change-requests/" + uploadCr, fay).body());
        assertEquals(200, realm.http.post(GUARD + "/change-requests/" + updateCr + "/cancel", cara, null).status());
    }

    private static void assertSealed(HttpAdmin.Response r, String what) {
        assertEquals(200, r.status(), what + ": " + r.body());
        assertFalse(r.body().contains(NEW_SECRET), what + " shows the new secret: " + r.body());
        assertFalse(r.body().contains(NEW_PASSWORD), what + " shows the new password: " + r.body());
        assertFalse(r.body().contains("sa-seal-old-secret"), what + " shows the old secret: " + r.body());
    }

    static HttpAdmin.Response applyPatiently(KeycloakTarget keycloak, String id, String token) {
        return applyPatiently(keycloak, GUARD, id, token);
    }

    static HttpAdmin.Response applyPatiently(KeycloakTarget keycloak, String guard, String id, String token) {
        HttpRequest request = HttpRequest.newBuilder(keycloak.baseUri().resolve(guard + "/change-requests/" + id + "/apply"))
                .timeout(Duration.ofMinutes(5)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                    .send(request, HttpResponse.BodyHandlers.ofString());
            Map<String, String> headers = new HashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            return new HttpAdmin.Response(r.statusCode(), headers, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The imported {@code guard-seal} realm. */
    static final class SealRealm {
        final HttpAdmin http;

        SealRealm(KeycloakTarget keycloak) {
            this.http = keycloak.http();
        }

        /** A fresh login (fresh authentication time) through admin-cli. */
        String token(String username) {
            return http.passwordGrant(REALM, "admin-cli", username, username + "-pass", null).get("access_token").asText();
        }

        JsonNode get(String path, String token) {
            HttpAdmin.Response r = http.get(path, token);
            assertEquals(200, r.status(), path + ": " + r.body());
            return r.json();
        }

        String client(String clientId, String token) {
            return get(A + "/clients?clientId=" + clientId, token).get(0).get("id").asText();
        }

        String user(String username, String token) {
            return get(A + "/users?exact=true&username=" + username, token).get(0).get("id").asText();
        }

        JsonNode changeRequest(String id, String token) {
            return get(GUARD + "/change-requests/" + id, token);
        }

        HttpAdmin.Response approve(String id, String digest, String token) {
            return http.post(GUARD + "/change-requests/" + id + "/approve", token, "{\"digest\":\"" + digest + "\"}");
        }
    }
}
