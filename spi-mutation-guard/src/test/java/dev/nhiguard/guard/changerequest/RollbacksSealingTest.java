package dev.nhiguard.guard.changerequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.sealing.Sealer;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/** A rollback never restores a credential: no fingerprint and no ciphertext reaches its body. */
class RollbacksSealingTest {

    static ChangeRequestEntity applied(String operation, String path, String before, String body) throws Exception {
        ChangeRequestEntity cr = new ChangeRequestEntity();
        cr.setOperation(operation);
        cr.setPath(path);
        cr.setBeforeImage(CanonicalJson.canonicalize(JsonDiffTest.SEALER.fingerprintOnly(JsonDiffTest.json(before))));
        cr.setBody(Sealer.destroy(CanonicalJson.canonicalize(JsonDiffTest.SEALER.seal(JsonDiffTest.json(body))),
                CanonicalJson::canonicalize));
        return cr;
    }

    @Test
    void clientRollbackLeavesTheSecretOut() throws Exception {
        ChangeRequestEntity cr = applied("client-update", "/admin/realms/r/clients/u1",
                "{'client':{'clientId':'c','secret':'old','attributes':{'jwt.credential.private.key':'pk','x':'1'}}}",
                "{'secret':'new'}");
        JsonNode body = Rollbacks.inverse(cr, null).body();
        assertFalse(body.has("secret"), body.toString());
        assertFalse(body.path("attributes").has("jwt.credential.private.key"), body.toString());
        assertFalse(body.toString().contains("fingerprint"), body.toString());
    }

    @Test
    void realmRollbackMasksTheSmtpPassword() throws Exception {
        ChangeRequestEntity cr = applied("realm-security-settings", "/admin/realms/r",
                "{'realm':'r','smtpServer':{'host':'old','password':'old-pw'}}", "{'smtpServer':{'host':'new','password':'new-pw'}}");
        JsonNode body = Rollbacks.inverse(cr, null).body();
        assertEquals("old", body.at("/smtpServer/host").asText(), body.toString());
        assertEquals("**********", body.at("/smtpServer/password").asText(), body.toString());
    }

    @Test
    void clientRollbackRestoresOnlyAKeptSecretGivenInClear() throws Exception {
        ChangeRequestEntity cr = applied("client-update", "/admin/realms/r/clients/u1",
                "{'client':{'clientId':'c','secret':'old'}}", "{'secret':'new'}");
        JsonNode body = Rollbacks.inverse(cr, null, "old").body();
        assertEquals("old", body.path("secret").asText(), body.toString());
        assertFalse(body.toString().contains("fingerprint"), body.toString());
    }

    @Test
    void secretRegenerationRollsBackAsAClientUpdateOnlyWithTheKeptSecret() throws Exception {
        ChangeRequestEntity cr = applied("client-secret-regenerate", "/admin/realms/r/clients/u1/client-secret",
                "{'client':{'clientId':'c','secret':'old','access':{'view':true}}}", "{}");
        assertEquals(null, Rollbacks.inverse(cr, null), "without the kept secret there is nothing to restore");
        Rollbacks.Inverse inverse = Rollbacks.inverse(cr, null, "old");
        assertEquals("PUT", inverse.method());
        assertEquals("/admin/realms/r/clients/u1", inverse.path());
        assertEquals("old", inverse.body().path("secret").asText(), inverse.body().toString());
        assertEquals("c", inverse.body().path("clientId").asText(), inverse.body().toString());
        assertFalse(inverse.body().has("access"), inverse.body().toString());
    }
}
