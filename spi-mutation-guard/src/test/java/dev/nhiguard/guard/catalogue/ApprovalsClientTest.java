package dev.nhiguard.guard.catalogue;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The approvals page's client as the README creates it is created unheld; with any grant that hands a sign-in's tokens
 * to someone else on, its tokens could carry an approver's decisions, so it is not that client.
 */
class ApprovalsClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode documented() {
        ObjectNode c = JSON.createObjectNode();
        c.put("clientId", "nhi-approvals");
        c.put("publicClient", true);
        c.put("standardFlowEnabled", true);
        c.putArray("redirectUris").add("/resources/*");
        return c;
    }

    @Test
    void everyTokenMintingGrantMakesItAnotherClient() {
        assertTrue(Catalogue.isDocumentedApprovalsClient(documented()));
        // The eleventh review added RFC 7523's JWT authorization grant: an identity provider's assertion gets the linked
        // user's token without the realm's own login (its second factor).
        assertTrue(Catalogue.TOKEN_MINTING_FLAGS.contains("oauth2.jwt.authorization.grant.enabled"));
        for (String flag : Catalogue.TOKEN_MINTING_FLAGS) {
            ObjectNode on = documented();
            on.putObject("attributes").put(flag, "true");
            assertFalse(Catalogue.isDocumentedApprovalsClient(on), flag);
            ObjectNode off = documented();
            off.putObject("attributes").put(flag, "false");
            assertTrue(Catalogue.isDocumentedApprovalsClient(off), flag);
        }
    }
}
