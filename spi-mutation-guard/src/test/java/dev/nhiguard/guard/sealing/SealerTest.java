package dev.nhiguard.guard.sealing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.guard.canonical.CanonicalJson;

class SealerTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] KEY = new byte[32];
    static {
        Arrays.fill(KEY, (byte) 7);
    }

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    static final String EVERYTHING = "{'clientId':'c','secret':'s3cr3t-client','registrationAccessToken':'rat-1',"
            + "'attributes':{'client.secret.rotated':'rot-1','jwt.credential.private.key':'pk-1','foo':'bar'},"
            + "'credentials':[{'type':'password','value':'pw-user'}],"
            + "'config':{'clientSecret':'idp-1','bindCredential':['ldap-1'],'privateKey':['rsa-1'],'keystorePassword':['ksp-1'],"
            + "'keyPassword':['kp-1'],'keystore':['ks-1'],'secret':['hmac-1'],'vault':'x','bindDn':'cn=admin'},"
            + "'smtpServer':{'host':'mail','password':'smtp-1'},"
            + "'identityProviders':[{'alias':'i','config':{'clientSecret':'nested-1'}}],"
            + "'masked':{'secret':'**********'},'vaulted':{'secret':'${vault.x}'}}";

    static final String[] CLEAR = {"s3cr3t-client", "rat-1", "rot-1", "pk-1", "pw-user", "idp-1", "ldap-1", "rsa-1", "ksp-1",
            "kp-1", "ks-1", "hmac-1", "smtp-1", "nested-1"};

    @Test
    void everyCredentialIsSealedAndUnsealsToTheExactBody() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        JsonNode body = json(EVERYTHING);
        JsonNode sealed = sealer.seal(body);
        String text = sealed.toString();
        for (String clear : CLEAR) {
            assertFalse(text.contains(clear), clear + " in clear: " + text);
        }
        // Keycloak's mask and a vault reference are sealed too: a client's secret or a password is stored as sent.
        assertEquals(CLEAR.length + 2, Sealer.fingerprints(sealed).size(), Sealer.fingerprints(sealed).toString());
        assertEquals("bar", sealed.at("/attributes/foo").asText());
        assertEquals("cn=admin", sealed.at("/config/bindDn").asText());
        assertFalse(text.contains("**********") || text.contains("${vault.x}"), text);
        assertTrue(sealed.at("/masked/secret/sealed").isTextual(), sealed.toString());
        assertTrue(sealed.at("/vaulted/secret/sealed").isTextual(), sealed.toString());
        assertTrue(sealed.at("/secret/sealed").isTextual());
        assertTrue(sealed.at("/secret/fingerprint").asText().matches("hmac-sha256:[0-9a-f]{64}"));
        assertEquals(CanonicalJson.canonicalize(body), CanonicalJson.canonicalize(sealer.unseal(sealed)));
    }

    /**
     * Names the audit chain takes for credentials beyond the guard's list are sealed too, and a form upload whole; all
     * of it comes back exactly for the replay.
     */
    @Test
    void credentialsUnderTheChainsNamesAreSealedAndUnsealToTheExactBody() throws Exception {
        JsonNode body = json("{'clientId':'c','attributes':{"
                + "'secretKey':'sk-1','passphrase':'pp-1','accessToken':'at-1','private_key':'prk-1','apiKey':'ak-1',"
                + "'display':'plain words'}}");
        Sealer sealer = new Sealer(KEY, "realm-1");
        JsonNode sealed = sealer.seal(body);
        String text = sealed.toString();
        for (String clear : new String[] {"sk-1", "pp-1", "at-1", "prk-1", "ak-1"}) {
            assertFalse(text.contains(clear), clear + " in clear: " + text);
        }
        assertEquals("plain words", sealed.at("/attributes/display").asText());
        assertEquals(CanonicalJson.canonicalize(body), CanonicalJson.canonicalize(sealer.unseal(sealed)));

        JsonNode form = json("{'_form':{'contentType':'multipart/form-data; boundary=b','base64':'LS1iDQprZXlQYXNzd29yZD1TM0NSM1Q='}}");
        JsonNode sealedForm = sealer.seal(form);
        assertFalse(sealedForm.toString().contains("LS1iDQprZXlQYXNzd29yZD1TM0NSM1Q="), sealedForm.toString());
        assertEquals("multipart/form-data; boundary=b", sealedForm.at("/_form/contentType").asText());
        assertEquals(CanonicalJson.canonicalize(form), CanonicalJson.canonicalize(sealer.unseal(sealedForm)));
    }

    /**
     * What the chain hides by its content outside a credential's place (a JSON Web Key's private members inside a JSON
     * string, a PEM private key, a secret in JSON inside a string, a bearer token, percent-encoded JSON in a redirect
     * URI) is refused in a request body: the approver would be shown nothing of a value that could be a claim, a URI or
     * the guard's policy (twentieth red-team review). In an image, the state as it is, it is sealed.
     */
    @Test
    void whatTheChainHidesOutsideACredentialsPlaceIsRefusedInARequestAndSealedInAnImage() throws Exception {
        String pem = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----";
        String jws = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLWZvci10ZXN0";
        Sealer sealer = new Sealer(KEY, "realm-1");
        for (String hidden : new String[] {
                "{'attributes':{'jwks.string':'{\\'keys\\':[{\\'kty\\':\\'RSA\\',\\'n\\':\\'pub-n\\',\\'e\\':\\'AQAB\\',\\'d\\':\\'jwk-d-1\\'}]}'}}",
                "{'attributes':{'signing.key':'" + pem + "'}}",
                "{'config':{'claim.value':'{\\'password\\':\\'nested-json-1\\',\\'roles\\':[\\'admin\\']}'}}",
                "{'attributes':{'bearer':'" + jws + "'}}",
                "{'redirectUris':['/ok/*','http://evil.example/cb?s=%7B%22pwd%22%3A%22x%22%7D']}"}) {
            JsonNode body = json(hidden);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> sealer.seal(body), hidden);
            assertTrue(refused.getMessage().contains("approvers could not be shown it"), refused.getMessage());
            for (String clear : new String[] {"jwk-d-1", "MIIEvQIBADANBgkq", "nested-json-1", "c2lnbmF0dXJlLWZvci10ZXN0"}) {
                assertFalse(refused.getMessage().contains(clear), "the refusal names the place, not the value");
                assertFalse(sealer.fingerprintOnly(body).toString().contains(clear), "an image seals it: " + clear);
            }
            java.util.List<String> hiddenAt = new java.util.ArrayList<>();
            sealer.fingerprintOnly(body, hiddenAt::add);
            assertEquals(1, hiddenAt.size(), "an image says where it hid the value: " + hiddenAt);
            assertTrue(refused.getMessage().contains(hiddenAt.get(0)), "the place a request names: " + hiddenAt);
        }
        // A credential at its place is sealed in an image without being reported.
        java.util.List<String> none = new java.util.ArrayList<>();
        sealer.fingerprintOnly(json("{'secret':'" + jws + "','attributes':{'client.secret.creation.time':'1'}}"), none::add);
        assertTrue(none.isEmpty(), none.toString());
    }

    /**
     * A map keyed by client id is not a credential's place: a partial import's client {@code vault-secret} (or
     * {@code authorization}) with role definitions and grants was sealed whole, showing the approver nothing of the roles
     * it defined and granted (twentieth red-team review). An object under a credential's name is refused.
     */
    @Test
    void clientIdKeysAreNotCredentialNamesAndObjectsUnderACredentialsNameAreRefused() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        for (String shown : new String[] {
                "{'roles':{'client':{'vault-secret':[{'name':'reader','composites':{'client':{'realm-management':['realm-admin']}}}]}}}",
                "{'roles':{'client':{'authorization':[{'name':'reader'}]}}}",
                "{'users':[{'username':'u','clientRoles':{'vault-secret':['reader'],'authorization':['reader']}}]}",
                "{'clientScopeMappings':{'api-token':[{'client':'c','roles':['r']}]}}"}) {
            assertEquals(json(shown), sealer.seal(json(shown)), "shown as it is: " + shown);
        }
        assertThrows(IllegalArgumentException.class, () -> sealer.seal(json("{'secret':{'roles':['admin']}}")));
        assertThrows(IllegalArgumentException.class, () -> sealer.seal(json("{'clientSecret':[{'roles':['admin']}]}")));
        assertTrue(sealer.fingerprintOnly(json("{'client':{'secret':'s-1'}}")).at("/client/secret/fingerprint").isTextual(),
                "a client's image under \"client\" keeps its secret sealed");
    }

    @Test
    void aBodyBoundToACredentialRepresentationHasItsValueSealedWhateverElseItCarries() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        // reset-password: Keycloak applies {"value": …} alone, without type or temporary.
        JsonNode body = json("{'value':'S3CR3T-reset-1','userLabel':'mine'}");
        assertTrue(sealer.seal(body).toString().contains("S3CR3T-reset-1"), "without the endpoint's type the shape says nothing");
        JsonNode sealed = sealer.seal(body, true);
        assertFalse(sealed.toString().contains("S3CR3T-reset-1"), sealed.toString());
        assertEquals("mine", sealed.path("userLabel").asText());
        assertEquals(body, sealer.unseal(sealed));
    }

    @Test
    void aNumberUnderASecretNameIsSealedAndComesBackANumber() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        JsonNode body = json("{'smtpServer':{'password':918273,'port':'25'},'remember':{'secret':true}}");
        JsonNode sealed = sealer.seal(body);
        assertFalse(sealed.toString().contains("918273"), sealed.toString());
        assertEquals(sealer.fingerprint("918273"), sealed.at("/smtpServer/password/fingerprint").asText());
        assertTrue(sealed.at("/remember/secret").isBoolean(), "booleans stay");
        assertEquals(body, sealer.unseal(sealed));
    }

    @Test
    void resetPasswordBodyIsSealed() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        JsonNode sealed = sealer.seal(json("{'type':'password','value':'hunter2','temporary':false}"));
        assertFalse(sealed.toString().contains("hunter2"));
        assertEquals("password", sealed.path("type").asText());
        assertEquals("hunter2", sealer.unseal(sealed).path("value").asText());
    }

    @Test
    void fingerprintsAreKeyedPerRealmAndCiphertextsFresh() throws Exception {
        Sealer a = new Sealer(KEY, "realm-1");
        JsonNode body = json("{'secret':'same'}");
        JsonNode one = a.seal(body);
        JsonNode two = a.seal(body);
        assertEquals(one.at("/secret/fingerprint"), two.at("/secret/fingerprint"), "same value, same fingerprint");
        assertNotEquals(one.at("/secret/sealed"), two.at("/secret/sealed"), "a fresh nonce every time");
        assertEquals(a.fingerprint("same"), one.at("/secret/fingerprint").asText());
        assertNotEquals(a.fingerprint("same"), new Sealer(KEY, "realm-2").fingerprint("same"));
        byte[] other = KEY.clone();
        other[0] = 1;
        assertNotEquals(a.fingerprint("same"), new Sealer(other, "realm-1").fingerprint("same"));
        assertFalse(a.fingerprint("same").contains(CanonicalJson.sha256Hex("same")), "not the unkeyed hash");
        assertThrows(IllegalStateException.class, () -> new Sealer(KEY, "realm-2").unseal(one), "bound to the realm");
    }

    @Test
    void publicFormAndDestroyHoldNoCiphertext() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        JsonNode sealed = sealer.seal(json(EVERYTHING));
        String ct = sealed.at("/secret/sealed").asText();
        assertEquals(sealer.fingerprint("s3cr3t-client"), Sealer.publicForm(sealed).at("/secret/fingerprint").asText());
        assertFalse(Sealer.publicForm(sealed).toString().contains(ct));
        assertFalse(Sealer.publicForm(sealed).toString().contains("\"sealed\""));
        String destroyed = Sealer.destroy(CanonicalJson.canonicalize(sealed), CanonicalJson::canonicalize);
        assertFalse(destroyed.contains("\"sealed\""), destroyed);
        assertEquals(Sealer.fingerprints(sealed), Sealer.fingerprints(JSON.readTree(destroyed)), "fingerprints stay");
        assertThrows(IllegalStateException.class, () -> sealer.unseal(JSON.readTree(destroyed)));
        assertEquals(null, Sealer.destroy(null, CanonicalJson::canonicalize));
        assertEquals("**********", Sealer.masked(sealed).path("secret").asText());
    }

    @Test
    void beforeImagesCarryFingerprintsOnly() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        JsonNode image = sealer.fingerprintOnly(json("{'client':{'secret':'s3cr3t-client'}}"));
        assertEquals(json("{'client':{'secret':{'fingerprint':'" + sealer.fingerprint("s3cr3t-client") + "'}}}"), image);
    }

    @Test
    void aBodyShapedLikeASealedValueIsRefused() throws Exception {
        Sealer sealer = new Sealer(KEY, "realm-1");
        assertThrows(IllegalArgumentException.class,
                () -> sealer.seal(json("{'description':{'fingerprint':'hmac-sha256:00'}}")));
        assertThrows(IllegalArgumentException.class, () -> new Sealer(new byte[16], "r"));
    }
}
