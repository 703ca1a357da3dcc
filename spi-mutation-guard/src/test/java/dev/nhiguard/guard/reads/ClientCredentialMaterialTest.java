package dev.nhiguard.guard.reads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.ClientRepresentation;

/** A private or symmetric key in a client's key set is credential material, a public key is not. */
class ClientCredentialMaterialTest {

    private static final String PUBLIC = "{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"sXch\",\"e\":\"AQAB\"}";

    @Test
    void aKeySetWithAPrivateOrSymmetricMemberHoldsAKey() {
        assertTrue(ClientCredentialMaterial.holdsPrivateJwk("{\"keys\":[" + PUBLIC + ",{\"kty\":\"RSA\",\"n\":\"sXch\",\"e\":\"AQAB\",\"d\":\"x\"}]}"));
        assertTrue(ClientCredentialMaterial.holdsPrivateJwk("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"));
        assertTrue(ClientCredentialMaterial.holdsPrivateJwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"a\",\"y\":\"b\",\"d\":\"c\"}"),
                "a single JWK, not in a set");
        assertTrue(ClientCredentialMaterial.holdsPrivateJwk("{\"keys\":[{\"kty\":\"RSA\",\"p\":\"x\"}]}"), "a prime alone");
    }

    @Test
    void publicKeysAndWhatIsNoKeySetHoldNone() {
        assertFalse(ClientCredentialMaterial.holdsPrivateJwk("{\"keys\":[" + PUBLIC + "]}"));
        assertFalse(ClientCredentialMaterial.holdsPrivateJwk("{\"keys\":[{\"kty\":\"RSA\",\"d\":null}]}"), "a null member");
        assertFalse(ClientCredentialMaterial.holdsPrivateJwk("not json"));
        assertFalse(ClientCredentialMaterial.holdsPrivateJwk("[]"));
        assertFalse(ClientCredentialMaterial.holdsPrivateJwk(""));
        assertFalse(ClientCredentialMaterial.holdsPrivateJwk(null));
    }

    @Test
    void aRepresentationNamesItsKeySetAmongWhatItCarries() {
        ClientRepresentation rep = new ClientRepresentation();
        rep.setSecret("s3cret");
        rep.setAttributes(Map.of("jwks.string", "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "jwt.credential.private.key", "MIIE"));
        assertEquals(List.of("secret", "jwt.credential.private.key", "jwks.string"), ClientCredentialMaterial.of(rep));
        rep.setAttributes(Map.of("jwks.string", "{\"keys\":[" + PUBLIC + "]}"));
        assertEquals(List.of("secret"), ClientCredentialMaterial.of(rep));
    }
}
