package dev.nhiguard.guard.changerequest;

import static dev.nhiguard.guard.changerequest.JsonDiffTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.sealing.Sealer;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/** The inverse requests of definition and agent changes, built from before-images alone. */
class DefinitionRollbacksTest {

    static final String R = "/admin/realms/r";

    /** Mappers named m-new exist now with id new1; roles by name: reader → r-reader; clients: u9 → other-client. */
    static final DefinitionRollbacks.Lookup LOOKUP = new DefinitionRollbacks.Lookup() {
        @Override
        public String clientScopeMapperId(String scopeId, String protocol, String name) {
            return "s1".equals(scopeId) && "openid-connect".equals(protocol) && "m-new".equals(name) ? "new1" : null;
        }

        @Override
        public String roleId(String clientUuid, String name) {
            return clientUuid == null && "reader".equals(name) ? "r-reader" : null;
        }

        @Override
        public String clientId(String clientUuid) {
            return Map.of("u9", "other-client").get(clientUuid);
        }
    };

    static Rollbacks.Inverse inverse(String operation, String method, String path, String before, String body) throws Exception {
        List<String> segments = dev.nhiguard.guard.admission.RequestPath.parse(path).segments();
        return DefinitionRollbacks.inverse(operation, method, path, segments.subList(3, segments.size()), json(before),
                body == null ? null : json(body), LOOKUP);
    }

    @Test
    void compositeAddRemovesOnlyTheCompositesItAdded() throws Exception {
        String before = "{'role':{'id':'r1','name':'ops'},'composites':[{'id':'r-old','name':'old'}]}";
        Rollbacks.Inverse inv = inverse("role-composite-add", "POST", R + "/roles/ops/composites", before,
                "[{'id':'r-old','name':'old'},{'id':'r-admin','name':'admin'},{'name':'reader'}]");
        assertEquals("DELETE", inv.method());
        assertEquals(R + "/roles/ops/composites", inv.path());
        assertEquals(json("[{'id':'r-admin','name':'admin'},{'id':'r-reader','name':'reader'}]"), inv.body());
        assertNull(inverse("role-composite-add", "POST", R + "/roles/ops/composites", before, "[{'id':'r-old'}]"),
                "nothing added, nothing to undo");
        assertNull(inverse("role-composite-add", "POST", R + "/roles/ops/composites", before, "[{'name':'unknown'}]"),
                "a role that cannot be named is not removed blindly");
    }

    @Test
    void roleUpdateRestoresByIdBecauseARenameChangedThePath() throws Exception {
        Rollbacks.Inverse inv = inverse("role-update", "PUT", R + "/clients/c1/roles/old-name",
                "{'role':{'id':'r1','name':'old-name','description':'d','attributes':{'a':['1']}},'composites':[]}",
                "{'name':'new-name'}");
        assertEquals("PUT", inv.method());
        assertEquals(R + "/roles-by-id/r1", inv.path());
        assertEquals(json("{'name':'old-name','description':'d','attributes':{'a':['1']}}"), inv.body());
        assertNull(inverse("role-delete", "DELETE", R + "/roles/x", "{'role':{'id':'r1','name':'x'},'composites':[]}", null));
    }

    @Test
    void clientScopeMapperAddIsUndoneByDeletingTheMapperItCreated() throws Exception {
        String before = "{'clientScope':{'id':'s1','name':'scope','protocol':'openid-connect',"
                + "'protocolMappers':[{'id':'m1','name':'m-old','protocolMapper':'x'}]},'realmScopeMappings':['a'],"
                + "'clientScopeMappings':{'other-client':['c1']}}";
        String models = R + "/client-scopes/s1/protocol-mappers/models";
        Rollbacks.Inverse add = inverse("client-scope-config", "POST", models, before, "{'name':'m-new','protocolMapper':'x'}");
        assertEquals("DELETE", add.method());
        assertEquals(models + "/new1", add.path());
        assertNull(add.body());

        Rollbacks.Inverse update = inverse("client-scope-config", "PUT", models + "/m1", before, "{'id':'m1','name':'m-old'}");
        assertEquals("PUT", update.method());
        assertEquals(json("{'id':'m1','name':'m-old','protocolMapper':'x'}"), update.body());

        Rollbacks.Inverse delete = inverse("client-scope-config", "DELETE", models + "/m1", before, null);
        assertEquals("POST", delete.method());
        assertEquals(models, delete.path());

        Rollbacks.Inverse scope = inverse("client-scope-config", "PUT", R + "/client-scopes/s1", before, "{'name':'renamed'}");
        assertEquals("PUT", scope.method());
        assertFalse(scope.body().has("protocolMappers"), scope.body().toString());
        assertEquals("scope", scope.body().path("name").asText());

        Rollbacks.Inverse realmMappings = inverse("client-scope-config", "POST", R + "/client-scopes/s1/scope-mappings/realm",
                before, "[{'name':'a'},{'name':'b'}]");
        assertEquals("DELETE", realmMappings.method());
        assertEquals(json("[{'name':'b'}]"), realmMappings.body());

        Rollbacks.Inverse clientMappings = inverse("client-scope-config", "POST",
                R + "/client-scopes/s1/scope-mappings/clients/u9", before, "[{'name':'c1'},{'name':'c2'}]");
        assertEquals(json("[{'name':'c2'}]"), clientMappings.body());

        assertNull(inverse("client-scope-config", "DELETE", R + "/client-scopes/s1", before, null),
                "a deleted scope's links to clients are not in its image");
    }

    @Test
    void identityProviderUpdateRestoresThePriorRepresentationWithTheSecretMasked() throws Exception {
        ChangeRequestEntity cr = RollbacksSealingTest.applied("identity-provider-config", R + "/identity-provider/instances/corp",
                "{'identityProvider':{'alias':'corp','enabled':true,'config':{'clientId':'kc','clientSecret':'s3cret'}},'mappers':[]}",
                "{'alias':'corp','enabled':false,'config':{'clientId':'kc','clientSecret':'new-secret'}}");
        cr.setMethod("PUT");
        Rollbacks.Inverse inv = Rollbacks.inverse(cr, null);
        assertEquals("PUT", inv.method());
        assertEquals(R + "/identity-provider/instances/corp", inv.path());
        assertEquals(true, inv.body().path("enabled").asBoolean());
        assertEquals("**********", inv.body().path("config").path("clientSecret").asText());
        assertFalse(inv.body().toString().contains("s3cret"));
        assertFalse(inv.body().toString().contains("fingerprint"));
    }

    @Test
    void identityProviderMapperChangesAreInverted() throws Exception {
        String before = "{'identityProvider':{'alias':'corp'},'mappers':[{'id':'x1','name':'hardcoded','config':{'role':'a'}}]}";
        String mapper = R + "/identity-provider/instances/corp/mappers/x1";
        assertEquals(json("{'id':'x1','name':'hardcoded','config':{'role':'a'}}"),
                inverse("identity-provider-config", "PUT", mapper, before, "{'id':'x1','config':{'role':'admin'}}").body());
        Rollbacks.Inverse delete = inverse("identity-provider-config", "DELETE", mapper, before, null);
        assertEquals("POST", delete.method());
        assertEquals(R + "/identity-provider/instances/corp/mappers", delete.path());
        assertNull(inverse("identity-provider-config", "DELETE", R + "/identity-provider/instances/corp", before, null));
    }

    @Test
    void componentUpdateRestoresTheShownRepresentationNotTheFingerprints() throws Exception {
        Rollbacks.Inverse inv = inverse("component-config", "PUT", R + "/components/k1",
                "{'component':{'id':'k1','config':{'privateKey':['**********'],'priority':['100']}},"
                        + "'secretFingerprints':[{'key':'privateKey','fingerprints':['hmac-sha256:ab']}]}", "{'config':{'priority':['1']}}");
        assertEquals(json("{'id':'k1','config':{'privateKey':['**********'],'priority':['100']}}"), inv.body());
    }

    @Test
    void groupGrantsMovesAndRealmDefaults() throws Exception {
        String group = "{'group':{'id':'g1','name':'ops','path':'/parent/ops','parentId':'p1'},'realmRoles':['a'],"
                + "'clientRoles':{'other-client':['c1']}}";
        assertEquals(json("[{'name':'b'}]"), inverse("group-role-grant", "POST", R + "/groups/g1/role-mappings/realm", group,
                "[{'name':'a'},{'name':'b'}]").body());
        assertEquals(json("[{'name':'c2'}]"), inverse("group-role-grant", "POST",
                R + "/groups/g1/role-mappings/clients/u9", group, "[{'name':'c1'},{'name':'c2'}]").body());
        Rollbacks.Inverse org = inverse("group-role-grant", "POST", R + "/organizations/o1/groups/g1/role-mappings/clients/u9",
                group, "[{'name':'c1'},{'name':'c3'}]");
        assertEquals("DELETE", org.method());
        assertEquals(R + "/organizations/o1/groups/g1/role-mappings/clients/u9", org.path());
        assertEquals(json("[{'name':'c3'}]"), org.body());
        Rollbacks.Inverse move = inverse("group-move", "POST", R + "/groups", group, "{'id':'g1'}");
        assertEquals(R + "/groups/p1/children", move.path());
        assertEquals(json("{'id':'g1','name':'ops'}"), move.body());
        Rollbacks.Inverse renamed = inverse("group-update", "PUT", R + "/groups/g1",
                "{'group':{'id':'g1','name':'ops','path':'/ops','parentId':null,'attributes':{'tenant':['a']}}}",
                "{'name':'ops2','attributes':{}}");
        assertEquals("PUT", renamed.method());
        assertEquals(R + "/groups/g1", renamed.path());
        assertEquals(json("{'name':'ops','attributes':{'tenant':['a']}}"), renamed.body());
        Rollbacks.Inverse topLevel = inverse("group-move", "POST", R + "/groups/p2/children",
                "{'group':{'id':'g1','name':'ops','path':'/ops','parentId':null}}", "{'id':'g1'}");
        assertEquals(R + "/groups", topLevel.path());

        Rollbacks.Inverse scope = inverse("realm-default-client-scope", "PUT", R + "/default-default-client-scopes/s2",
                "{'scopes':[{'id':'s1','name':'a'}]}", null);
        assertEquals("DELETE", scope.method());
        assertEquals(R + "/default-default-client-scopes/s2", scope.path());
        assertNull(inverse("realm-default-client-scope", "PUT", R + "/default-default-client-scopes/s1",
                "{'scopes':[{'id':'s1','name':'a'}]}", null), "already a default: nothing to undo");
    }

    @Test
    void executionRequirementAndRequiredActionsAndPolicies() throws Exception {
        Rollbacks.Inverse exec = inverse("authentication-config", "PUT", R + "/authentication/flows/browser/executions",
                "{'flow':{'id':'f1','alias':'browser'},'executions':[{'id':'e1','requirement':'REQUIRED','priority':10}]}",
                "{'id':'e1','requirement':'DISABLED'}");
        assertEquals(json("{'id':'e1','requirement':'REQUIRED','priority':10}"), exec.body());
        assertNull(inverse("authentication-config", "DELETE", R + "/authentication/flows/f1",
                "{'flow':{'id':'f1','alias':'browser'},'executions':[]}", null), "a deleted flow is not rebuilt");
        assertEquals(json("{'alias':'CONFIGURE_TOTP','enabled':true}"), inverse("authentication-config", "PUT",
                R + "/authentication/required-actions/CONFIGURE_TOTP",
                "{'requiredAction':{'alias':'CONFIGURE_TOTP','enabled':true}}", "{'enabled':false}").body());
        assertEquals(json("{'policies':[]}"), inverse("client-policies-config", "PUT", R + "/client-policies/policies",
                "{'policies':{'policies':[]}}", "{'policies':[{'name':'x'}]}").body());
        assertEquals(json("{'attributes':[]}"), inverse("user-profile-config", "PUT", R + "/users/profile",
                "{'userProfile':{'attributes':[]}}", "{'attributes':[{'name':'x'}]}").body());
    }

    @Test
    void agentUpdateRestoresTheChangedFieldsOnly() throws Exception {
        String before = "{'owner':{'type':'user','id':'u1'},'purpose':'p','expiresAt':'2027-01-01T00:00:00Z','allowedScopes':['a'],"
                + "'keyBinding':{'type':'jwk','thumbprint':'t','jwk':{'kty':'EC','crv':'P-256','x':'X','y':'Y','kid':'t'}},"
                + "'tokenExchange':false,'status':'ACTIVE','statusReason':'registered','enabled':true}";
        Rollbacks.Inverse inv = inverse("agent-update", "PUT", R + "/agents/a1", before,
                "{'expiresAt':'2028-01-01T00:00:00Z','keyBinding':{'type':'jwk','jwk':{'kty':'EC'}}}");
        assertEquals("PUT", inv.method());
        assertEquals(R + "/agents/a1", inv.path());
        assertEquals(json("{'expiresAt':'2027-01-01T00:00:00Z','keyBinding':{'type':'jwk','jwk':"
                + "{'kty':'EC','crv':'P-256','x':'X','y':'Y','kid':'t'}}}"), inv.body());
        assertEquals(json("{'owner':{'type':'user','id':'u1'}}"),
                inverse("agent-update", "PUT", R + "/agents/a1", before, "{'owner':{'type':'user','username':'bob'}}").body());
        assertNull(inverse("agent-update", "PUT", R + "/agents/a1", before.replace("'jwk':{'kty'", "'jwkx':{'kty'"),
                "{'keyBinding':{'type':'jwk','jwk':{}}}"), "a key binding without its public key cannot be restored");

        Rollbacks.Inverse resume = inverse("agent-resume", "POST", R + "/agents/a1/resume",
                before.replace("'ACTIVE'", "'SUSPENDED'"), null);
        assertEquals("POST", resume.method());
        assertEquals(R + "/agents/a1/suspend", resume.path());
        assertNull(inverse("agent-resume", "POST", R + "/agents/a1/resume", before, null));
    }

    @Test
    void agentDiffShowsExactlyTheChangedField() throws Exception {
        JsonNode before = json("{'owner':{'type':'user','id':'u1'},'purpose':'p','expiresAt':'2027-01-01T00:00:00Z'}");
        JsonNode diff = JsonDiff.diff(before, JsonDiff.proposedAfter("agent-update", before, json("{'expiresAt':'2028-01-01T00:00:00Z'}")));
        assertEquals(json("[{'op':'replace','path':'/expiresAt','from':'2027-01-01T00:00:00Z','to':'2028-01-01T00:00:00Z'}]"), diff);
    }

    @Test
    void rollbackBodiesOfDefinitionsCarryNoCredential() throws Exception {
        ChangeRequestEntity cr = RollbacksSealingTest.applied("component-config", R + "/components/k1",
                "{'component':{'id':'k1','config':{'secret':['s3cret'],'bindCredential':['pw']}},'secretFingerprints':[]}",
                "{'config':{'secret':['new']}}");
        cr.setMethod("PUT");
        String body = CanonicalJson.canonicalize(Rollbacks.inverse(cr, null).body());
        assertFalse(body.contains("s3cret") || body.contains("pw\"") || body.contains(Sealer.FINGERPRINT), body);
    }
}
