package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.guard.sealing.Sealer;

class JsonDiffTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Sealer SEALER;
    static {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) 9);
        SEALER = new Sealer(k, "realm-1");
    }

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    /** What the view does: before-image fingerprinted, body sealed, both shown by where their credentials are. */
    static JsonNode diff(String operation, String before, String body) throws Exception {
        JsonNode b = SealedView.image(SEALER.fingerprintOnly(json(before)));
        JsonNode p = SealedView.body(SEALER.seal(json(body)));
        return JsonDiff.diff(b, JsonDiff.proposedAfter(operation, b, p));
    }

    static final String CLIENT = "{'client':{'id':'u1','clientId':'c','secret':'old-secret','defaultClientScopes':['a','b','c'],"
            + "'attributes':{'x':'1'}},'realmScopeMappings':[]}";

    /**
     * A component update as Keycloak applies it: an empty list removes the key (a disabled key provider's
     * {@code enabled} and {@code active} then default to true), left-out keys stay. The
     * approvals page showed such a request as seven unchanged fields (seventeenth review).
     */
    @Test
    void aComponentUpdateShowsTheConfigKeysItRemoves() throws Exception {
        JsonNode d = diff("component-config", "{'component':{'id':'k1','name':'rsa-retired','providerId':'rsa-generated',"
                + "'config':{'priority':['10'],'keySize':['2048'],'enabled':['false'],'active':['false'],'secret':['**********']}}}",
                "{'id':'k1','name':'rsa-retired','providerId':'rsa-generated','config':{'priority':['10'],'keySize':['2048'],"
                        + "'enabled':[],'active':[''],'secret':['**********']}}");
        assertEquals(3, d.size(), d.toString());
        assertEquals("/component/config/active", d.get(0).path("path").asText(), d.toString());
        assertEquals("remove", d.get(0).path("op").asText(), d.toString());
        assertEquals("/component/config/enabled", d.get(1).path("path").asText(), d.toString());
        assertEquals("remove", d.get(1).path("op").asText(), d.toString());
        // The mask is sealed like any value sent under a credential's name (Keycloak stores it as sent in some places):
        // shown as supplied, never as removed or in clear.
        assertEquals("/component/config/secret", d.get(2).path("path").asText(), d.toString());
        assertEquals("replace", d.get(2).path("op").asText(), d.toString());
        assertEquals("supplied", d.get(2).at("/to/0/sealed").asText(), d.toString());
    }

    /** Keycloak's update skips config keys the provider does not declare: the diff does not show them. */
    @Test
    void aComponentUpdateShowsNoConfigKeyItsProviderIgnores() throws Exception {
        JsonNode d = diff("component-config", "{'component':{'id':'k1','config':{'priority':['10']}},"
                + "'declaredConfig':['active','enabled','priority']}",
                "{'id':'k1','config':{'priority':['20'],'bogus':['x'],'enabled':[]}}");
        assertEquals(1, d.size(), d.toString());
        assertEquals("/component/config/priority", d.get(0).path("path").asText(), d.toString());
    }

    @Test
    void aSuppliedSecretIsShownAsSuppliedWhetherOrNotItEqualsTheCurrentOne() throws Exception {
        // kcadm's round trip sends the current secret back; a guess sends another value. Both read the same:
        // an answer that told them apart would let any admin test guesses at a credential.
        JsonNode same = diff("client-update", CLIENT, "{'id':'u1','clientId':'c','secret':'old-secret',"
                + "'defaultClientScopes':['c','a','b'],'access':{'view':true,'manage':true},'attributes':{'x':'1'}}");
        JsonNode guess = diff("client-update", CLIENT, "{'id':'u1','clientId':'c','secret':'a-guess',"
                + "'defaultClientScopes':['c','a','b'],'access':{'view':true,'manage':true},'attributes':{'x':'1'}}");
        assertEquals(json("[{'op':'replace','path':'/client/secret','sealed':'supplied'}]"), same, same.toString());
        assertEquals(same, guess);
    }

    @Test
    void aNewSecretIsShownWithoutValueOrFingerprint() throws Exception {
        JsonNode d = diff("client-update", CLIENT, "{'clientId':'c','secret':'new-secret','access':{'view':true}}");
        assertEquals(1, d.size(), d.toString());
        JsonNode e = d.get(0);
        assertEquals("/client/secret", e.path("path").asText());
        assertEquals("replace", e.path("op").asText());
        assertEquals("supplied", e.path("sealed").asText());
        assertFalse(d.toString().contains("new-secret"), d.toString());
        assertFalse(d.toString().contains(Sealer.FINGERPRINT_PREFIX), d.toString());
        assertEquals(3, e.size(), "op, path, sealed: " + e);
    }

    @Test
    void aRealChangeOfASetIsShown() throws Exception {
        JsonNode d = diff("client-update", CLIENT, "{'defaultClientScopes':['a','b']}");
        assertEquals("/client/defaultClientScopes", d.get(0).path("path").asText(), d.toString());
    }

    @Test
    void clientUpdateKeepsAttributesTheMapLeavesOut() throws Exception {
        JsonNode d = diff("client-update", CLIENT, "{'attributes':{'y':'2'}}");
        assertEquals(json("[{'op':'add','path':'/client/attributes/y','to':'2'}]"), d);
    }

    @Test
    void realmUpdateShowsTheAttributesKeycloakRemoves() throws Exception {
        JsonNode d = diff("realm-security-settings", "{'realm':'r','attributes':{'a':'1','b':'2'},'smtpServer':{'password':'p1'}}",
                "{'attributes':{'a':'1'},'smtpServer':{'password':'p1'}}");
        assertEquals(json("[{'op':'remove','path':'/attributes/b','from':'2'},"
                + "{'op':'replace','path':'/smtpServer/password','sealed':'supplied'}]"), d);
    }

    @Test
    void theShownBodyAndImageCarryNoFingerprintAndNoEquality() throws Exception {
        JsonNode before = SealedView.image(SEALER.fingerprintOnly(json(CLIENT)));
        JsonNode same = SealedView.body(SEALER.seal(json("{'secret':'old-secret'}")));
        JsonNode other = SealedView.body(SEALER.seal(json("{'secret':'new'}")));
        assertEquals(same, other, "a right guess and a wrong one are shown alike");
        assertEquals(json("{'sealed':'supplied'}"), same.get("secret"));
        assertEquals(json("{'sealed':'present'}"), before.at("/client/secret"));
        JsonNode reset = SealedView.body(SEALER.seal(json("{'type':'password','value':'pw','temporary':false}")));
        assertEquals(json("{'sealed':'supplied'}"), reset.get("value"), reset.toString());
        JsonNode component = SealedView.image(json("{'secretFingerprints':[{'key':'bindCredential','fingerprints':['"
                + SEALER.fingerprint("pw") + "']}]}"));
        assertEquals(json("{'secretFingerprints':[{'key':'bindCredential','fingerprints':['sealed']}]}"), component);
        for (JsonNode shown : java.util.List.of(before, same, reset, component)) {
            assertFalse(shown.toString().contains(Sealer.FINGERPRINT_PREFIX), shown.toString());
        }
    }

    @Test
    void onlyAComponentsSecretFingerprintsAreHiddenNotTextThatLooksLikeOne() throws Exception {
        JsonNode shown = SealedView.image(json("{'role':{'name':'hmac-sha256:not-a-fingerprint'},"
                + "'secretFingerprints':[{'key':'bindCredential','fingerprints':['hmac-sha256:ab']}]}"));
        assertEquals("hmac-sha256:not-a-fingerprint", shown.at("/role/name").asText(), "a requester's value is shown as it is");
        assertEquals("sealed", shown.at("/secretFingerprints/0/fingerprints/0").asText());
    }

    @Test
    void anAuditSinksSealedSecretIsShownAsACredentialNotAsItsComparableText() throws Exception {
        // The audit module seals a sink's secret with a nonce derived from it: the same secret, the same text.
        JsonNode before = SealedView.image(json("{'sinks':[{'id':'s1','url':'https://siem.example','secretRef':'v1:abc'}]}"));
        JsonNode same = SealedView.image(json("{'sinks':[{'id':'s1','url':'https://siem.example','secretRef':'v1:abc'}]}"));
        JsonNode other = SealedView.image(json("{'sinks':[{'id':'s1','url':'https://siem.example','secretRef':'v1:xyz'}]}"));
        assertEquals(json("{'sealed':'present'}"), before.at("/sinks/0/secretRef"));
        assertEquals(JsonDiff.diff(before, same), JsonDiff.diff(before, other), "a right and a wrong secret read alike");
    }

    @Test
    void aTargetChangedAnswerNamesACredentialThatChangedWithoutItsFingerprint() throws Exception {
        JsonNode was = SEALER.fingerprintOnly(json("{'client':{'secret':'one','description':'a'},"
                + "'secretFingerprints':[{'key':'privateKey','fingerprints':['" + SEALER.fingerprint("k1") + "']}]}"));
        JsonNode now = SEALER.fingerprintOnly(json("{'client':{'secret':'two','description':'b'},"
                + "'secretFingerprints':[{'key':'privateKey','fingerprints':['" + SEALER.fingerprint("k2") + "']}]}"));
        JsonNode changes = SealedView.changes(was, now);
        assertFalse(changes.toString().contains(Sealer.FINGERPRINT_PREFIX), changes.toString());
        assertEquals(json("[{'op':'replace','path':'/client/description','from':'a','to':'b'},"
                + "{'op':'replace','path':'/client/secret','sealed':'changed'},"
                + "{'op':'replace','path':'/secretFingerprints','sealed':'changed'}]"), changes);
        assertEquals(json("[]"), SealedView.changes(was, was));
    }

    @Test
    void everyCredentialTheBodySendsIsADiffEntryOfItsOwn() throws Exception {
        JsonNode body = SEALER.seal(json("{'secret':'s','attributes':{'jwt.credential.private.key':'k'},'name':'n'}"));
        assertEquals(json("[{'op':'replace','path':'/secret','sealed':'supplied','source':'request'},"
                + "{'op':'replace','path':'/attributes/jwt.credential.private.key','sealed':'supplied','source':'request'}]"),
                JSON.valueToTree(SealedView.suppliedEntries(body)));
    }
}
