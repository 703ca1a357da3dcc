package dev.nhiguard.it.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * Ordinary admin work that must not be held, in realm {@code guard-attack}: mallory (a realm admin
 * who is not an approver) edits a client without a service account, manages ordinary users,
 * groups and roles, and edits sa-target's description with the full GET-then-PUT round trip
 * {@code kcadm.sh} makes. Each answers 2xx (not 202) and takes effect. Prints
 * {@code everyday writes held: N of M}.
 */
@ExtendWith(KeycloakExtension.class)
class EverydayWritesIT {

    static final String REALM = "guard-attack";

    private record Write(String what, HttpAdmin.Response response, boolean effect) {

        /** The write has been made (the response); its effect is read back right after it. */
        Write(String what, HttpAdmin.Response response, BooleanSupplier effect) {
            this(what, response, effect.getAsBoolean());
        }

        boolean held() {
            return response.status() == 202 || response.header("location") != null
                    && response.header("location").contains("/mutation-guard/change-requests/");
        }
    }

    @Test
    void everydayWritesAreNotHeld(KeycloakTarget keycloak) throws Exception {
        AttackRealm r = new AttackRealm(keycloak, REALM);
        String mallory = r.token("mallory");
        List<Write> writes = new ArrayList<>();

        String portal = r.clientUuid("portal-app");
        ObjectNode app = (ObjectNode) r.read("/clients/" + portal);
        app.put("description", "the staff portal, v2");
        app.putArray("redirectUris").add("http://127.0.0.1/portal/*").add("http://127.0.0.1/portal-v2/*");
        writes.add(new Write("a client without a service account: description and redirect URIs",
                r.http.put(r.admin + "/clients/" + portal, mallory, AttackRealm.json(app)),
                () -> r.read("/clients/" + portal).path("description").asText().equals("the staff portal, v2")
                        && r.read("/clients/" + portal).path("redirectUris").toString().contains("portal-v2")));

        // An administration client's description, the full representation back with its own clientId (as the console sends it).
        String console = r.clientUuid("security-admin-console");
        ObjectNode consoleRep = (ObjectNode) r.read("/clients/" + console);
        consoleRep.put("description", "the admin console of guard-attack");
        writes.add(new Write("the admin console's description", r.http.put(r.admin + "/clients/" + console, mallory,
                AttackRealm.json(consoleRep)),
                () -> r.read("/clients/" + console).path("description").asText().equals("the admin console of guard-attack")));

        writes.add(new Write("create an ordinary user", r.http.post(r.admin + "/users", mallory, "{\"username\":\"temp-worker\","
                + "\"enabled\":true,\"email\":\"temp-worker@guard-attack.test\",\"firstName\":\"Temp\",\"lastName\":\"Worker\"}"),
                () -> r.read("/users?exact=true&username=temp-worker").size() == 1));
        String temp = r.userId("temp-worker");
        writes.add(new Write("update an ordinary user", r.http.put(r.admin + "/users/" + temp, mallory,
                "{\"firstName\":\"Temporary\",\"lastName\":\"Worker\",\"email\":\"temp-worker@guard-attack.test\"}"),
                () -> r.read("/users/" + temp).path("firstName").asText().equals("Temporary")));
        writes.add(new Write("reset an ordinary user's password", r.http.put(r.admin + "/users/" + temp + "/reset-password", mallory,
                "{\"type\":\"password\",\"value\":\"temp-worker-pass-2\",\"temporary\":false}"),
                () -> r.passwordGrant("admin-cli", null, "temp-worker", "temp-worker-pass-2").status() == 200));
        writes.add(new Write("create a group", r.http.post(r.admin + "/groups", mallory, "{\"name\":\"night-shift\"}"),
                () -> r.groupIdOrNull("night-shift") != null));
        String group = r.groupIdOrNull("night-shift");
        writes.add(new Write("rename a group", r.http.put(r.admin + "/groups/" + group, mallory, "{\"name\":\"late-shift\"}"),
                () -> r.groupIdOrNull("late-shift") != null));
        writes.add(new Write("add an ordinary user to a group", r.http.put(r.admin + "/users/" + temp + "/groups/" + group, mallory, null),
                () -> r.read("/users/" + temp + "/groups").toString().contains("late-shift")));
        writes.add(new Write("create an ordinary realm role", r.http.post(r.admin + "/roles", mallory, "{\"name\":\"shift-planner\"}"),
                () -> r.get("/roles/shift-planner").status() == 200));
        writes.add(new Write("grant an ordinary role to an ordinary user", r.http.post(r.admin + "/users/" + temp + "/role-mappings/realm",
                mallory, "[" + r.realmRole("shift-planner") + "]"),
                () -> r.effectiveRealmRoles(temp).contains("shift-planner")));

        String target = r.clientUuid("sa-target");
        ObjectNode sa = (ObjectNode) AttackRealm.JSON.readTree(r.http.get(r.admin + "/clients/" + target, mallory).body());
        sa.put("description", "reads the nightly reports");
        writes.add(new Write("sa-target's description, full GET-then-PUT round trip",
                r.http.put(r.admin + "/clients/" + target, mallory, AttackRealm.json(sa)),
                () -> r.read("/clients/" + target).path("description").asText().equals("reads the nightly reports")));

        // The console fetches an identity provider's metadata before it creates one: a read sent as POST, in two media types
        // (JAX-RS picks the method by Content-Type). It stores nothing; creating the provider is what is held.
        int providersBefore = r.read("/identity-provider/instances").size();
        String discovery = keycloak.baseUri() + "/realms/" + REALM + "/.well-known/openid-configuration";
        writes.add(new Write("fetch an identity provider's metadata (import-config, JSON)", r.http.post(r.admin
                + "/identity-provider/import-config", mallory, "{\"providerId\":\"oidc\",\"fromUrl\":\"" + discovery + "\"}"),
                () -> r.read("/identity-provider/instances").size() == providersBefore));
        assertTrue(writes.get(writes.size() - 1).response().body().contains("/realms/" + REALM + "/protocol/openid-connect/auth"),
                writes.get(writes.size() - 1).response().body());
        String boundary = "nhi-everyday-boundary";
        String metadata = r.http.get(discovery, null).body();
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"providerId\"\r\n\r\noidc\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"metadata.json\"\r\n"
                + "Content-Type: application/json\r\n\r\n" + metadata + "\r\n--" + boundary + "--\r\n";
        writes.add(new Write("upload an identity provider's metadata (import-config, multipart)", r.http.send("POST", r.admin
                + "/identity-provider/import-config", mallory, "multipart/form-data; boundary=" + boundary, multipart),
                () -> r.read("/identity-provider/instances").size() == providersBefore));
        assertTrue(writes.get(writes.size() - 1).response().body().contains("/realms/" + REALM + "/protocol/openid-connect/token"),
                writes.get(writes.size() - 1).response().body());

        writes.add(new Write("delete an ordinary user", r.http.delete(r.admin + "/users/" + temp, mallory),
                () -> r.get("/users/" + temp).status() == 404));

        long held = writes.stream().filter(Write::held).count();
        System.out.println("everyday writes held: " + held + " of " + writes.size());
        List<Executable> checks = new ArrayList<>();
        for (Write w : writes) {
            checks.add(() -> assertTrue(w.response().status() >= 200 && w.response().status() < 300 && w.response().status() != 202,
                    w.what() + " answered " + w.response().status() + " " + w.response().body()));
            checks.add(() -> assertTrue(w.effect(), w.what() + " did not take effect"));
        }
        checks.add(() -> assertEquals(0, held, "everyday writes held"));
        assertAll(checks);
    }
}
