package dev.nhiguard.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.testing.HttpAdmin;

/**
 * A realm setting changed the way the guard lets anyone change it: a realm update by a
 * requester, held, approved by an approver, applied by the requester. The SMTP settings decide
 * where recovery mail goes, so tests that need mail configure their receiver this way too.
 */
final class GuardedRealmUpdate {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GuardedRealmUpdate() {
    }

    /** Points the realm's mail at {@code smtp} (empty: no mail server) through a held, approved and applied change. */
    static void smtp(HttpAdmin http, String realm, Map<String, String> smtp, Function<String, String> token,
            String requester, String approver) {
        smtp(http, realm, smtp, null, token, requester, approver);
    }

    /**
     * As {@link #smtp(HttpAdmin, String, Map, Function, String, String)}, also setting the realm's frontend URL (null:
     * removed), the only base the guard's mail links are built on when the server has no configured hostname.
     */
    static void smtp(HttpAdmin http, String realm, Map<String, String> smtp, String frontendUrl, Function<String, String> token,
            String requester, String approver) {
        String admin = "/admin/realms/" + realm;
        String requesterToken = token.apply(requester);
        ObjectNode rep = (ObjectNode) http.get(admin, requesterToken).json();
        rep.set("smtpServer", JSON.valueToTree(smtp));
        if (frontendUrl == null) {
            rep.with("attributes").remove("frontendUrl");
        } else {
            rep.with("attributes").put("frontendUrl", frontendUrl);
        }
        HttpAdmin.Response held = http.put(admin, requesterToken, rep.toString());
        assertEquals(202, held.status(), "a mail-server change is held: " + held.body());
        String id = held.json().path("id").asText();
        HttpAdmin.Response approved = http.post(admin + "/mutation-guard/change-requests/" + id + "/approve",
                token.apply(approver), "{\"digest\":\"" + held.json().path("digest").asText() + "\"}");
        assertEquals(200, approved.status(), approved.body());
        HttpAdmin.Response applied = http.post(admin + "/mutation-guard/change-requests/" + id + "/apply",
                token.apply(requester), null);
        assertEquals(200, applied.status(), applied.body());
        JsonNode state = applied.json().path("state");
        assertEquals("APPLIED", state.asText(), applied.body());
    }
}
