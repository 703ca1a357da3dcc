package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
    void impersonatingAnApproverIsHeldAndOpensNoSession(KeycloakTarget keycloak) throws Exception {
        CoverRealm realm = new CoverRealm(keycloak);
        String ann = realm.token("ann");
        String benId = realm.user("ben", ann);
        int sessionsBefore = realm.http.get(A + "/users/" + benId + "/sessions", ann).json().size();
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> imp = client.send(HttpRequest.newBuilder(keycloak.baseUri().resolve(A + "/users/" + benId
                + "/impersonation")).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + ann)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        // An impersonated session of an approver could change the approver's credentials in the account
        // console and later log in as the approver: impersonating a privileged user is a held change
        // (409 to a client that does not prefer async, as the console's impersonate button is).
        assertEquals(409, imp.statusCode(), imp.body());
        assertTrue(imp.body().contains("\"operation\":\"privileged-user-impersonation\""), imp.body());
        assertTrue(imp.headers().allValues("set-cookie").stream().noneMatch(c -> c.startsWith("KEYCLOAK_IDENTITY=")
                && !c.startsWith("KEYCLOAK_IDENTITY=;")), "no SSO cookie for the impersonated approver: " + imp.headers().map());
        assertEquals(sessionsBefore, realm.http.get(A + "/users/" + benId + "/sessions", ann).json().size(),
                "no session of ben was created");
        String id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(imp.body()).path("id").asText();
        assertEquals(200, realm.http.post(CoverRealm.GUARD + "/change-requests/" + id + "/cancel", ann, null).status());
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
