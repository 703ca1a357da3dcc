package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Fourteenth red-team review (2026-12-06): what an admin or a service account with {@code manage-clients} and
 * {@code manage-users} could do with the realm write lock and the agents around it. Each test runs in a realm copied
 * from {@code guard-attack-fifth} and is judged by what Keycloak answers and stores.
 */
@ExtendWith(KeycloakExtension.class)
class AttackFourteenthReviewIT {

    /**
     * A user's logout calls every client the user has a session in at its back-channel logout URL, which any admin of an
     * ordinary client sets. The realm's write lock was held from admission to commit: sa-automation pointed plain-app at
     * a server that never answers, logged olive out, and every other write of the realm, every approval and every apply
     * was refused ({@code 503 realm_busy}) for as long as the server kept the call open. The lock is now taken in the
     * commit's prepare phase only.
     */
    @Test
    void aLogoutWaitingOnASilentClientHoldsUpNoOtherWrite(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fourteenth", "logout", rep -> { });
        String automation = automation(r);
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<HttpAdmin.Response> logout = oliveLoggedOutThrough(r, automation, silent);
            java.net.Socket accepted = silent.accept(); // Keycloak calls plain-app, which never answers
            try {
                HttpAdmin.Response role = r.http.post(r.admin + "/roles", r.token("ann"), "{\"name\":\"while-logout-waits\"}");
                assertFalse(logout.isDone(), "the logout still waits on plain-app");
                assertEquals(201, role.status(), "ann's write is not held up by the logout: " + role.body());
            } finally {
                accepted.close();
            }
            assertEquals(204, logout.get().status(), "the logout ends once plain-app hangs up");
        }
    }

    /**
     * The other side of the same order: an approved change request is applied while the logout waits (not held up), and
     * the logout, admitted before the apply, is refused when it commits ({@code 409}): it was classified on what was
     * there before the apply.
     */
    @Test
    void aWriteAdmittedBeforeAnApplyIsRefusedWhenItCommitsAfterIt(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fourteenth", "order", rep -> { });
        String automation = automation(r);
        JsonNode x = r.realmRole("x");
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.userId("service-account-sa-target") + "/role-mappings/realm",
                r.token("mallory"), "[{\"id\":\"" + x.path("id").asText() + "\",\"name\":\"x\"}]");
        AttackRealm.assertHeld(held, "granting x to sa-target");
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token("ben")).status());
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<HttpAdmin.Response> logout = oliveLoggedOutThrough(r, automation, silent);
            java.net.Socket accepted = silent.accept();
            HttpAdmin.Response applied;
            try {
                applied = r.apply(id, r.token("mallory"));
                assertFalse(logout.isDone(), "the logout still waits on plain-app");
            } finally {
                accepted.close();
            }
            HttpAdmin.Response loggedOut = logout.get();
            assertEquals(200, applied.status(), "the apply is not held up by the logout: " + applied.body());
            assertEquals(409, loggedOut.status(), "the logout was admitted before the apply: " + loggedOut.body());
            assertTrue(loggedOut.body().contains("\"conflict\""), loggedOut.body());
        }
        assertTrue(r.effectiveRealmRoles(r.userId("service-account-sa-target")).contains("x"), "the apply landed");
    }

    /**
     * Client registration wrote the agent registry's attributes (an owner, an agent's status and delegation) that the
     * admin API's client create holds: sa-automation registered a client naming ann its owner, which keeps ann from
     * approving what the client's service account asks. Refused now, as a service account is.
     */
    @Test
    void clientRegistrationDoesNotWriteTheRegistrysAttributes(KeycloakTarget keycloak) {
        AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fourteenth", "dcr", rep -> { });
        HttpAdmin.Response registered = r.http.post("/realms/" + r.name + "/clients-registrations/default", automation(r),
                "{\"clientId\":\"owned-by-ann\",\"attributes\":{\"nhi.owner.type\":\"user\",\"nhi.owner.id\":\""
                        + r.userId("ann") + "\",\"nhi.agent.status\":\"ACTIVE\"}}");
        assertEquals(403, registered.status(), registered.body());
        assertEquals(null, r.clientUuidOrNull("owned-by-ann"), "nothing was registered");
        HttpAdmin.Response plain = r.http.post("/realms/" + r.name + "/clients-registrations/default", automation(r),
                "{\"clientId\":\"plain-registered\",\"attributes\":{\"pkce.code.challenge.method\":\"S256\"}}");
        assertEquals(201, plain.status(), "an ordinary registration is everyday work: " + plain.body());
    }

    /**
     * An apply mails the requester after its commit, and that ran while the apply still held the realm's lock: with the
     * realm's mail server slow to answer (any mail server may be), every write of the realm was refused for as long as
     * the server took, Keycloak's 10 s mail timeout by default. The apply's mails now leave once the lock is released.
     */
    @Test
    void anApplyWaitingOnASilentMailServerHoldsUpNoOtherWrite(KeycloakTarget keycloak) throws Exception {
        try (java.net.ServerSocket smtp = new java.net.ServerSocket(0, 20, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.atomic.AtomicBoolean silent = new java.util.concurrent.atomic.AtomicBoolean(false);
            java.util.List<java.net.Socket> held = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Thread server = new Thread(() -> {
                while (!smtp.isClosed()) {
                    try {
                        java.net.Socket connection = smtp.accept();
                        if (silent.get()) {
                            held.add(connection); // connected, and no greeting ever comes
                        } else {
                            connection.close(); // refused at once: the mail fails fast
                        }
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            AttackRealm r = AttackRealm.copyOfFifth(keycloak, "fourteenth", "mail", rep -> rep.putObject("smtpServer")
                    .put("host", "127.0.0.1").put("port", String.valueOf(smtp.getLocalPort())).put("from", "guard@fourteenth.test"));
            JsonNode x = r.realmRole("x");
            String mallory = r.token("mallory");
            HttpAdmin.Response grant = r.http.post(r.admin + "/users/" + r.userId("service-account-sa-target")
                    + "/role-mappings/realm", mallory, "[{\"id\":\"" + x.path("id").asText() + "\",\"name\":\"x\"}]");
            AttackRealm.assertHeld(grant, "granting x to sa-target");
            String id = grant.json().path("id").asText();
            assertEquals(200, r.approve(id, grant.json().path("digest").asText(), r.token("ben")).status());
            String ann = r.token("ann");

            silent.set(true);
            CompletableFuture<HttpAdmin.Response> apply = CompletableFuture.supplyAsync(() -> r.apply(id, mallory));
            long deadline = System.currentTimeMillis() + 20_000;
            while (held.isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50); // until the apply's mail has connected
            }
            try {
                assertFalse(held.isEmpty(), "the apply mails mallory through the realm's mail server");
                HttpAdmin.Response role = r.http.post(r.admin + "/roles", ann, "{\"name\":\"while-the-mail-waits\"}");
                assertEquals(201, role.status(), "ann's write is not held up by the apply's mail: " + role.body());
            } finally {
                silent.set(false);
                for (java.net.Socket connection : held) {
                    connection.close();
                }
            }
            assertEquals(200, apply.get().status(), "the apply");
            assertTrue(r.effectiveRealmRoles(r.userId("service-account-sa-target")).contains("x"), "the apply landed");
        }
    }

    private static String automation(AttackRealm r) {
        return r.http.clientCredentials(r.name, "sa-automation", "sa-automation-secret").path("access_token").asText();
    }

    /**
     * sa-automation points plain-app's back-channel logout at {@code silent}, olive signs in to plain-app, and
     * sa-automation logs olive out: Keycloak then calls {@code silent}, which never answers.
     */
    private static CompletableFuture<HttpAdmin.Response> oliveLoggedOutThrough(AttackRealm r, String automation,
            java.net.ServerSocket silent) {
        HttpAdmin.Response pointed = r.http.put(r.admin + "/clients/" + r.clientUuid("plain-app"), automation,
                "{\"clientId\":\"plain-app\",\"directAccessGrantsEnabled\":true,\"frontchannelLogout\":false,"
                        + "\"attributes\":{\"backchannel.logout.url\":\"http://127.0.0.1:" + silent.getLocalPort() + "/bc\"}}");
        assertEquals(204, pointed.status(), "an ordinary client's logout URL is everyday work: " + pointed.body());
        java.util.Map<String, String> form = new java.util.LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", "plain-app");
        form.put("client_secret", "plain-app-secret");
        form.put("username", "olive");
        form.put("password", "olive-pass");
        assertFalse(r.http.token(r.name, form).path("access_token").asText().isEmpty(), "olive has a session in plain-app");
        String olive = r.userId("olive");
        return CompletableFuture.supplyAsync(() -> r.http.post(r.admin + "/users/" + olive + "/logout", automation, null));
    }
}
