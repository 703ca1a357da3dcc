package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Admission paths beyond the plain admin REST write, in realm {@code guard-cover}: certificate
 * generation applied (and what becomes of the generated private key), requests made through
 * impersonation, partial import holding the whole import, and Keycloak's client admin API v2.
 */
@ExtendWith(KeycloakExtension.class)
class AdmissionPathsIT {

    static final String A = CoverRealm.ADMIN;

    @Test
    void generatedCertificateIsAppliedAndItsPrivateKeyIsNotKeptByTheGuard(KeycloakTarget keycloak) {
        CoverRealm realm = new CoverRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        String client = realm.client("sa-cert-gen", ann);
        String certPath = A + "/clients/" + client + "/certificates/jwt.credential";
        String before = realm.http.get(certPath, ann).body();

        HttpAdmin.Response held = realm.http.post(certPath + "/generate", cara, null);
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        assertEquals("client-certificate-generate", held.json().path("operation").asText(), held.body());
        assertEquals(before, realm.http.get(certPath, ann).body(), "nothing generated while held");
        HttpAdmin.Response approved = realm.approve(id, held.json().path("digest").asText(), ann);
        assertEquals(200, approved.status(), approved.body());

        HttpAdmin.Response applied = CatalogueCoverageIT.applyPatiently(keycloak, id, cara);
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
        JsonNode generated = applied.json().path("result").path("body");
        String privateKey = generated.path("privateKey").asText();
        String certificate = generated.path("certificate").asText();
        assertTrue(privateKey.length() > 100, "Keycloak returns the generated key to the requester: " + applied.body());
        assertEquals(certificate, realm.get(certPath, ann).path("certificate").asText(), "the client's certificate is the generated one");

        // The guard keeps Keycloak's answer body nowhere: not in the request, its history or its admin events.
        // The key's tail (private exponent, primes, CRT values); its head encodes the modulus,
        // which the certificate carries too.
        String pem = privateKey.replaceAll("-----[A-Z ]+-----|\\s", "");
        String fragment = pem.substring(pem.length() - 80, pem.length() - 8);
        String stored = realm.changeRequest(id, ann).toString();
        assertFalse(stored.contains(fragment), "private key stored with the change request: " + stored);
        HttpAdmin.Response events = realm.http.get(A + "/admin-events?max=1000", ann);
        assertEquals(200, events.status(), events.body());
        List<JsonNode> guardEvents = new ArrayList<>();
        events.json().forEach(e -> {
            if ("CHANGE_REQUEST".equals(e.path("resourceType").asText()) && e.path("resourcePath").asText().endsWith(id)) {
                guardEvents.add(e);
            }
        });
        assertTrue(guardEvents.size() >= 3, "CREATED, APPROVED, APPLIED events: " + guardEvents);
        assertFalse(guardEvents.toString().contains(fragment), "private key in the guard's admin events");

        // Keycloak keeps the private key as a client attribute; a later request's before-image
        // of that client carries it only as a digest.
        HttpAdmin.Response again = realm.http.post(certPath + "/generate", cara, null);
        assertEquals(202, again.status(), again.body());
        String beforeImage = realm.changeRequest(again.json().path("id").asText(), ann).toString();
        assertTrue(beforeImage.contains("jwt.credential.private.key"), "before-image names the attribute: " + beforeImage);
        assertFalse(beforeImage.contains(fragment), "private key in clear in the before-image: " + beforeImage);
        HttpAdmin.Response cancelled = realm.http.post(CoverRealm.GUARD + "/change-requests/" + again.json().path("id").asText()
                + "/cancel", cara, null);
        assertEquals(200, cancelled.status(), cancelled.body());
    }

    @Test
    void neitherTheImpersonatedApproverNorTheImpersonatorMayApprove(KeycloakTarget keycloak) throws Exception {
        CoverRealm realm = new CoverRealm(keycloak);
        String ann = realm.token("ann");
        String annId = realm.user("ann", ann);
        String benId = realm.user("ben", ann);
        String client = realm.client("sa-imp", ann);
        String benAsAnn = impersonatedToken(keycloak, realm, ann, benId);
        // Impersonating within the own realm ends the impersonator's session: log in again.
        ann = realm.token("ann");

        String secretPath = A + "/clients/" + client + "/client-secret";
        String before = realm.http.get(secretPath, ann).body();
        HttpAdmin.Response held = realm.http.post(secretPath, benAsAnn, null);
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        String digest = held.json().path("digest").asText();
        assertEquals(before, realm.http.get(secretPath, ann).body(), "secret unchanged while held");
        JsonNode requester = realm.changeRequest(id, ann).path("requester");
        assertEquals(benId, requester.path("userId").asText(), requester.toString());
        assertEquals(annId, requester.path("impersonatorId").asText(), requester.toString());

        HttpAdmin.Response byImpersonator = realm.approve(id, digest, realm.token("ann"));
        assertEquals(403, byImpersonator.status(), byImpersonator.body());
        assertEquals("access_denied", byImpersonator.json().path("error").asText(), byImpersonator.body());
        HttpAdmin.Response byImpersonated = realm.approve(id, digest, realm.token("ben"));
        assertEquals(403, byImpersonated.status(), byImpersonated.body());
        HttpAdmin.Response bySession = realm.approve(id, digest, benAsAnn);
        assertEquals(403, bySession.status(), bySession.body());
        assertEquals("PENDING", realm.changeRequest(id, ann).path("state").asText());
        assertEquals(0, realm.changeRequest(id, ann).path("approvals").size());

        // A third approver, unrelated to the impersonation, may.
        HttpAdmin.Response byFay = realm.approve(id, digest, realm.token("fay"));
        assertEquals(200, byFay.status(), byFay.body());
        assertEquals("APPROVED", byFay.json().path("state").asText(), byFay.body());
        assertEquals(before, realm.http.get(secretPath, ann).body(), "approval alone changes nothing");
    }

    /**
     * An admin (ann) impersonates a user (ben) through Keycloak's impersonation endpoint, then
     * the impersonated SSO session gets an access token through the authorization code flow.
     */
    private static String impersonatedToken(KeycloakTarget keycloak, CoverRealm realm, String adminToken, String userId)
            throws Exception {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI base = keycloak.baseUri();
        HttpResponse<String> imp = client.send(HttpRequest.newBuilder(base.resolve(A + "/users/" + userId + "/impersonation"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + adminToken)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, imp.statusCode(), imp.body());
        String cookies = imp.headers().allValues("set-cookie").stream().map(c -> c.split(";", 2)[0])
                .filter(c -> !c.endsWith("=")).collect(Collectors.joining("; "));
        assertTrue(cookies.contains("KEYCLOAK_IDENTITY"), "impersonation sets the SSO cookie: " + imp.headers().map());

        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String verifier = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        String challenge = Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        String redirect = "http://127.0.0.1/cover-ui/callback";
        String auth = "/realms/" + CoverRealm.REALM + "/protocol/openid-connect/auth?client_id=cover-ui&response_type=code"
                + "&scope=openid&state=s1&redirect_uri=" + URLEncoder.encode(redirect, StandardCharsets.UTF_8)
                + "&code_challenge=" + challenge + "&code_challenge_method=S256";
        HttpResponse<String> authorized = client.send(HttpRequest.newBuilder(base.resolve(auth)).timeout(Duration.ofSeconds(60))
                .header("Cookie", cookies).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(302, authorized.statusCode(), "the impersonated session is logged in: " + authorized.body());
        String location = authorized.headers().firstValue("location").orElseThrow();
        String code = null;
        for (String p : URI.create(location).getRawQuery().split("&")) {
            if (p.startsWith("code=")) {
                code = java.net.URLDecoder.decode(p.substring(5), StandardCharsets.UTF_8);
            }
        }
        assertNotNull(code, location);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("client_id", "cover-ui");
        form.put("code", code);
        form.put("redirect_uri", redirect);
        form.put("code_verifier", verifier);
        JsonNode token = realm.http.token(CoverRealm.REALM, form);
        return token.path("access_token").asText();
    }

    @Test
    void partialImportOfAServiceAccountAndItsRoleIsHeldAsAWholeThenApplied(KeycloakTarget keycloak) {
        CoverRealm realm = new CoverRealm(keycloak);
        String ann = realm.token("ann");
        String cara = realm.token("cara");
        String body = "{\"ifResourceExists\":\"FAIL\","
                + "\"clients\":[{\"clientId\":\"pi-sa\",\"publicClient\":false,\"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false}],"
                + "\"users\":[{\"username\":\"service-account-pi-sa\",\"enabled\":true,\"serviceAccountClientId\":\"pi-sa\","
                + "\"realmRoles\":[\"reporting\"]}],"
                + "\"roles\":{\"realm\":[{\"name\":\"pi-role\"}]}}";
        HttpAdmin.Response held = realm.http.post(A + "/partialImport", cara, body);
        assertEquals(202, held.status(), held.body());
        assertEquals("realm-partial-import", held.json().path("operation").asText(), held.body());
        String id = held.json().path("id").asText();
        // Nothing of the import exists while held, not even its unguarded parts.
        assertEquals("[]", realm.get(A + "/clients?clientId=pi-sa", ann).toString());
        assertEquals("[]", realm.get(A + "/users?exact=true&username=service-account-pi-sa", ann).toString());
        assertEquals(404, realm.http.get(A + "/roles/pi-role", ann).status());

        HttpAdmin.Response approved = realm.approve(id, held.json().path("digest").asText(), ann);
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = realm.apply(id, cara);
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
        assertEquals(1, realm.get(A + "/clients?clientId=pi-sa", ann).size(), "client imported");
        String sa = realm.saUser("pi-sa", ann);
        List<String> roles = new ArrayList<>();
        realm.get(A + "/users/" + sa + "/role-mappings/realm", ann).forEach(r -> roles.add(r.path("name").asText()));
        assertTrue(roles.contains("reporting"), "role granted to the imported service account: " + roles);
        assertEquals(200, realm.http.get(A + "/roles/pi-role", ann).status());
    }

    @Test
    void clientAdminApiV2CannotChangeAServiceAccountClient(KeycloakTarget keycloak) throws Exception {
        CoverRealm realm = new CoverRealm(keycloak);
        String cara = realm.token("cara");
        String uuid = realm.client("sa-v2", cara);
        String before = realm.get(A + "/clients/" + uuid, cara).toString();
        String v2 = "/admin/api/" + CoverRealm.REALM + "/clients/v2/sa-v2";
        HttpAdmin.Response read = realm.http.get(v2, cara);
        assertEquals(200, read.status(), "the v2 API is enabled on the test server: " + read.body());

        HttpAdmin.Response patched = realm.http.send("PATCH", v2, cara, "application/merge-patch+json", "{\"enabled\":false}");
        assertEquals(403, patched.status(), patched.body());
        assertEquals("change_refused", patched.json().path("error").asText(), patched.body());
        assertEquals(before, realm.get(A + "/clients/" + uuid, cara).toString(), "client unchanged");

        HttpAdmin.Response deleted = realm.http.delete(v2, cara);
        assertEquals(403, deleted.status(), deleted.body());
        assertEquals(before, realm.get(A + "/clients/" + uuid, cara).toString(), "client not deleted");

        // Turning the service account on through v2 is refused as well; unguarded v2 writes pass.
        String ui = "/admin/api/" + CoverRealm.REALM + "/clients/v2/cover-ui";
        HttpAdmin.Response turnOn = realm.http.send("PATCH", ui, cara, "application/merge-patch+json",
                "{\"loginFlows\":[\"STANDARD\",\"SERVICE_ACCOUNT\"]}");
        assertEquals(403, turnOn.status(), turnOn.body());
        HttpAdmin.Response described = realm.http.send("PATCH", ui, cara, "application/merge-patch+json",
                "{\"description\":\"test UI\"}");
        assertEquals(200, described.status(), described.body());
        assertEquals("test UI", realm.get(A + "/clients/" + realm.client("cover-ui", cara), cara).path("description").asText());
    }
}
