package dev.nhiguard.guard.catalogue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Which mappers write a claim naming who a token is for, through which client, how its user signed in or who acts. */
class IdentityClaimsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode mapper(String claim) throws Exception {
        return JSON.readTree("{\"name\":\"m\",\"protocolMapper\":\"oidc-hardcoded-claim-mapper\",\"config\":{\"claim.name\":"
                + JSON.writeValueAsString(claim) + ",\"claim.value\":\"x\"}}");
    }

    @Test
    void theTopLevelClaimDecidesAsKeycloakSplitsThePath() throws Exception {
        assertTrue(IdentityClaims.written(mapper("azp")));
        assertTrue(IdentityClaims.written(mapper("act.sub")), "a claim inside act");
        assertTrue(IdentityClaims.written(mapper("agent.owner.id")));
        assertFalse(IdentityClaims.written(mapper("azp\\.note")), "an escaped dot is part of the name: claim 'azp.note'");
        assertFalse(IdentityClaims.written(mapper("team")));
        assertFalse(IdentityClaims.written(mapper("Azp")), "claim names are case-sensitive");
        assertEquals("a.b", IdentityClaims.topLevel("a\\.b.c"));
    }

    /** Twenty-third review: a client-role mapper names a top-level claim after each role's client (one called azp). */
    @Test
    void theRoleClientsIdAsATopLevelClaimNameIsAnIdentityClaim() throws Exception {
        assertTrue(IdentityClaims.written(mapper("${client_id}")));
        assertTrue(IdentityClaims.written(mapper("${client_id}.name")), "agent.name through a client called agent");
        assertTrue(IdentityClaims.written(mapper("x${client_id}")));
        assertFalse(IdentityClaims.written(mapper("resource_access.${client_id}.roles")), "Keycloak's own: inside resource_access");
    }

    @Test
    void mappersAreFoundInListsClientsAndScopes() throws Exception {
        assertTrue(IdentityClaims.written(JSON.readTree("[" + mapper("team") + "," + mapper("sub") + "]")));
        assertTrue(IdentityClaims.written(JSON.readTree("{\"clientId\":\"c\",\"protocolMappers\":[" + mapper("client_id") + "]}")));
        assertFalse(IdentityClaims.written(JSON.readTree("{\"clientId\":\"c\",\"protocolMappers\":[" + mapper("team") + "]}")));
        assertFalse(IdentityClaims.written(JSON.readTree("{\"clientId\":\"c\"}")));
        assertFalse(IdentityClaims.written(null));
    }

    @Test
    void aClientUpdateSendingBackAMapperItHasWritesNothingNew() throws Exception {
        JsonNode current = JSON.readTree("{\"clientId\":\"c\",\"protocolMappers\":[" + mapper("preferred_username") + "]}");
        assertFalse(IdentityClaims.writtenAnew(current, current), "the same mapper sent back");
        JsonNode changed = JSON.readTree("{\"clientId\":\"c\",\"protocolMappers\":[" + mapper("preferred_username")
                .toString().replace("\"x\"", "\"y\"") + "]}");
        assertTrue(IdentityClaims.writtenAnew(changed, current), "its value changed");
        assertTrue(IdentityClaims.writtenAnew(JSON.readTree("{\"protocolMappers\":[" + mapper("sub") + "]}"), current), "a new one");
    }

    /** Ninth review: a client's own map of levels to acr values says any sign-in was the strong one. */
    @Test
    void anAcrMapOtherThanTheClientsIsAWrite() throws Exception {
        JsonNode withMap = JSON.readTree("{\"clientId\":\"c\",\"attributes\":{\"acr.loa.map\":\"{\\\"gold\\\":0}\"}}");
        assertTrue(IdentityClaims.mapsAcr(withMap, null), "a new client with a map");
        assertFalse(IdentityClaims.mapsAcr(JSON.readTree("{\"attributes\":{\"acr.loa.map\":\"{}\"}}"), null), "an empty map");
        assertFalse(IdentityClaims.mapsAcr(JSON.readTree("{\"attributes\":{\"other\":\"x\"}}"), null), "no map");
        assertFalse(IdentityClaims.mapsAcr(withMap, withMap), "the client's own map sent back");
        assertTrue(IdentityClaims.mapsAcr(withMap, JSON.readTree("{\"attributes\":{\"acr.loa.map\":\"{}\"}}")), "a changed map");
        assertTrue(IdentityClaims.NAMES.contains("upn") && IdentityClaims.NAMES.contains("username"), "principal names");
    }
}
