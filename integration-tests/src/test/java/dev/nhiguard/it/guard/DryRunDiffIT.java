package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;
import dev.nhiguard.testing.KeycloakExtension;
import dev.nhiguard.testing.KeycloakTarget;

/**
 * The diff of a held request is what Keycloak itself does with it: the request is run in a
 * transaction that is rolled back at hold time, and the target read back (realm {@code guard-dry}).
 */
@ExtendWith(KeycloakExtension.class)
class DryRunDiffIT {

    static final String A = DryRealm.A;
    static final String GUARD = DryRealm.GUARD;
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * kcadm.sh update: GET the whole representation, change fields, PUT it all back. A description
     * alone is not guarded (not held at all), so a guarded field changes with it. The imported
     * client lacks Keycloak 26's service_account default scope, which Keycloak adds on any update of
     * a service-account client: the merge of the body could not show that, the dry run does.
     */
    @Test
    void kcadmStyleUpdateShowsExactlyTheFieldsKeycloakChanges(KeycloakTarget keycloak) {
        DryRealm realm = new DryRealm(keycloak);
        String cara = realm.token("cara");
        String client = realm.client("sa-dry", cara);
        JsonNode before = realm.get(A + "/clients/" + client, cara);
        ObjectNode rep = before.deepCopy();
        rep.put("description", "after the dry run");
        rep.put("fullScopeAllowed", !rep.path("fullScopeAllowed").asBoolean());
        HttpAdmin.Response held = realm.http.put(A + "/clients/" + client, cara, rep.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        JsonNode cr = realm.changeRequest(id, realm.token("ann"));
        assertEquals("keycloak-dry-run", cr.at("/afterImage/source").asText(), cr.path("afterImage").toString());
        List<String> paths = DryRealm.imagePaths(cr.path("diff"));
        assertTrue(paths.containsAll(List.of("/client/description", "/client/fullScopeAllowed")), "diff: " + cr.path("diff"));
        assertFalse(paths.stream().anyMatch(p -> p.startsWith("/client/secret") || p.startsWith("/client/access")
                || p.equals("/client/id")), "no credential, read-only or order-only change: " + cr.path("diff"));
        // The secret kcadm sends back is named as supplied by the request, as any other value would be.
        assertTrue(DryRealm.paths(cr.path("diff")).contains("/secret"), "the supplied secret: " + cr.path("diff"));
        assertEquals("after the dry run", cr.at("/proposedAfter/client/description").asText(), cr.path("proposedAfter").toString());
        assertEquals("before", realm.get(A + "/clients/" + client, cara).path("description").asText(),
                "nothing of the dry run was committed");

        realm.approveAndApply(id, "ann");
        // The diff said exactly what Keycloak then did.
        JsonNode after = realm.get(A + "/clients/" + client, realm.token("cara"));
        Set<String> changed = new TreeSet<>();
        changes("/client", before, after, changed);
        assertEquals(changed, new TreeSet<>(paths), "diff " + cr.path("diff"));
    }

    @Test
    void realmUpdateWithPartialAttributesShowsTheRemovalsKeycloakPerforms(KeycloakTarget keycloak) {
        DryRealm realm = new DryRealm(keycloak);
        String ann = realm.token("ann");
        JsonNode before = realm.get(A, ann);
        assertEquals("dropped", before.at("/attributes/dry.drop").asText(), before.path("attributes").toString());
        ObjectNode attrs = JSON.createObjectNode();
        attrs.put("nhi.guard.policy", before.at("/attributes/nhi.guard.policy").asText());
        attrs.put("dry.keep", "kept");
        HttpAdmin.Response held = realm.http.put(A, realm.token("cara"), JSON.createObjectNode().set("attributes", attrs).toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        JsonNode cr = realm.changeRequest(id, ann);
        assertEquals("keycloak-dry-run", cr.at("/afterImage/source").asText(), cr.path("afterImage").toString());
        JsonNode diff = cr.path("diff");
        List<String> paths = DryRealm.paths(diff);
        assertTrue(paths.contains("/attributes/dry.drop"), "the removal Keycloak performs: " + diff);
        assertFalse(paths.contains("/attributes/dry.keep") || paths.contains("/attributes/nhi.guard.policy"), diff.toString());
        assertEquals("dropped", realm.get(A, ann).at("/attributes/dry.drop").asText(), "nothing applied before approval");

        realm.approveAndApply(id, "ann");
        // The diff said exactly what Keycloak then did: every field that changed is in it, nothing else is.
        JsonNode after = realm.get(A, realm.token("ann"));
        Set<String> changed = new TreeSet<>();
        changes("", before, after, changed);
        Set<String> shown = new TreeSet<>(paths);
        assertEquals(changed, shown, "diff " + diff);
    }

    @Test
    void multiEffectRequestDiffCoversEveryEffect(KeycloakTarget keycloak) {
        DryRealm realm = new DryRealm(keycloak);
        String cara = realm.token("cara");
        String client = realm.client("sa-dry", cara);
        String browser = null;
        for (JsonNode f : realm.get(A + "/authentication/flows", cara)) {
            if (f.path("alias").asText().equals("browser")) {
                browser = f.path("id").asText();
            }
        }
        ObjectNode rep = (ObjectNode) realm.get(A + "/clients/" + client, cara);
        rep.putObject("authenticationFlowBindingOverrides").put("browser", browser);
        rep.put("frontchannelLogout", !rep.path("frontchannelLogout").asBoolean());
        HttpAdmin.Response held = realm.http.put(A + "/clients/" + client, cara, rep.toString());
        assertEquals(202, held.status(), held.body());
        String id = held.json().path("id").asText();
        try {
            List<String> effects = JSON.convertValue(held.json().path("effects"), List.class);
            assertTrue(effects.containsAll(List.of("client-flow-override", "client-update")), held.body());
            JsonNode cr = realm.changeRequest(id, realm.token("ann"));
            assertEquals("keycloak-dry-run", cr.at("/afterImage/source").asText(), cr.path("afterImage").toString());
            List<String> paths = DryRealm.paths(cr.path("diff"));
            assertTrue(paths.contains("/client/authenticationFlowBindingOverrides/browser"), "flow override: " + cr.path("diff"));
            assertTrue(paths.contains("/client/frontchannelLogout"), "client update: " + cr.path("diff"));
        } finally {
            assertEquals(200, realm.http.post(GUARD + "/change-requests/" + id + "/cancel", realm.token("cara"), null).status());
        }
    }

    @Test
    void aRequestKeycloakRefusesIsAnsweredWithKeycloaksErrorAndNotHeld(KeycloakTarget keycloak) {
        DryRealm realm = new DryRealm(keycloak);
        String cara = realm.token("cara");
        String client = realm.client("sa-dry", cara);
        int before = realm.get(GUARD + "/change-requests?max=500", cara).size();
        ObjectNode rep = (ObjectNode) realm.get(A + "/clients/" + client, cara);
        rep.putArray("redirectUris").add("javascript:alert(1)");
        HttpAdmin.Response refused = realm.http.put(A + "/clients/" + client, cara, rep.toString());
        assertEquals(400, refused.status(), refused.body());
        assertTrue(refused.json().has("error") || refused.json().has("errorMessage"), "Keycloak's error JSON: " + refused.body());
        assertEquals(before, realm.get(GUARD + "/change-requests?max=500", cara).size(), "no change request was stored");
    }

    /** JSON pointers of every leaf that differs between two realm representations (arrays compared as a whole). */
    private static void changes(String path, JsonNode a, JsonNode b, Set<String> out) {
        if (a != null && a.equals(b)) {
            return;
        }
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            for (Iterator<String> it = b.fieldNames(); it.hasNext();) {
                keys.add(it.next());
            }
            for (String k : keys) {
                changes(path + "/" + k.replace("~", "~0").replace("/", "~1"), a.get(k), b.get(k), out);
            }
            return;
        }
        if (a != null && b != null && a.isArray() && b.isArray() && new HashSet<>(list(a)).equals(new HashSet<>(list(b)))) {
            return;
        }
        out.add(path);
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new java.util.ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
