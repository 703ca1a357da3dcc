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

    /** What the view does: before-image fingerprinted, body sealed and shown without ciphertext. */
    static JsonNode diff(String operation, String before, String body) throws Exception {
        JsonNode b = SEALER.fingerprintOnly(json(before));
        JsonNode p = Sealer.publicForm(SEALER.seal(json(body)));
        return JsonDiff.diff(b, JsonDiff.proposedAfter(operation, b, p));
    }

    static final String CLIENT = "{'client':{'id':'u1','clientId':'c','secret':'old-secret','defaultClientScopes':['a','b','c'],"
            + "'attributes':{'x':'1'}},'realmScopeMappings':[]}";

    @Test
    void kcadmRoundTripWithTheSameSecretIsNoChange() throws Exception {
        JsonNode d = diff("client-update", CLIENT, "{'id':'u1','clientId':'c','secret':'old-secret',"
                + "'defaultClientScopes':['c','a','b'],'access':{'view':true,'manage':true},'attributes':{'x':'1'}}");
        assertEquals(json("[]"), d, d.toString());
    }

    @Test
    void aNewSecretIsChangedByFingerprintOnly() throws Exception {
        JsonNode d = diff("client-update", CLIENT, "{'clientId':'c','secret':'new-secret','access':{'view':true}}");
        assertEquals(1, d.size(), d.toString());
        JsonNode e = d.get(0);
        assertEquals("/client/secret", e.path("path").asText());
        assertEquals("replace", e.path("op").asText());
        assertEquals("changed", e.path("sealed").asText());
        assertEquals(SEALER.fingerprint("old-secret"), e.at("/from/fingerprint").asText());
        assertEquals(SEALER.fingerprint("new-secret"), e.at("/to/fingerprint").asText());
        assertFalse(d.toString().contains("new-secret\""), d.toString());
        assertEquals(5, e.size(), "op, path, sealed, from, to: " + e);
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
        assertEquals(json("[{'op':'remove','path':'/attributes/b','from':'2'}]"), d);
    }

    @Test
    void bodyAnnotationSaysChangedOrUnchanged() throws Exception {
        JsonNode before = SEALER.fingerprintOnly(json(CLIENT));
        JsonNode same = ChangeRequestView.annotated(Sealer.publicForm(SEALER.seal(json("{'secret':'old-secret'}"))), before);
        assertEquals("unchanged", same.at("/secret/sealed").asText(), same.toString());
        JsonNode changed = ChangeRequestView.annotated(Sealer.publicForm(SEALER.seal(json("{'secret':'new'}"))), before);
        assertEquals("changed", changed.at("/secret/sealed").asText(), changed.toString());
        assertEquals(SEALER.fingerprint("new"), changed.at("/secret/fingerprint").asText());
        JsonNode reset = ChangeRequestView.annotated(Sealer.publicForm(SEALER.seal(
                json("{'type':'password','value':'pw','temporary':false}"))), json("{'user':{}}"));
        assertEquals("changed", reset.at("/value/sealed").asText(), reset.toString());
    }
}
