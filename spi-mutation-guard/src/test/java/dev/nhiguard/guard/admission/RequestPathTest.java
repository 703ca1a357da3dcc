package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class RequestPathTest {

    static List<String> segments(String raw) throws RequestPath.Refused {
        return RequestPath.parse(raw).segments();
    }

    static int refused(String raw) {
        return assertThrows(RequestPath.Refused.class, () -> RequestPath.parse(raw), raw).status();
    }

    @Test
    void decodesEachSegmentOnceAndDropsOneTrailingSlash() throws Exception {
        assertEquals(List.of("admin", "realms", "r", "clients", "a b"), segments("/admin/realms/r/clients/a%20b"));
        assertEquals(List.of("admin", "realms", "r"), segments("/admin/realms/r/"));
        assertEquals(List.of("admin", "realms", "r", "roles", "caf\u00e9"), segments("/admin/realms/r/roles/caf%C3%A9"));
        assertEquals(List.of("admin", "realms", "r", "roles", "a+b%"), segments("/admin/realms/r/roles/a+b%25"));
        assertEquals("/clients/x", RequestPath.parse("/admin/realms/r/clients/x/").join(3));
    }

    @Test
    void refusesWhatARouterCouldReadDifferently() {
        assertEquals(400, refused("/admin/realms/r/clients/evil%2Fx"));
        assertEquals(400, refused("/admin/realms/r/clients/evil%2fx"));
        assertEquals(400, refused("/admin/realms/r/clients/evil%5Cx"));
        assertEquals(400, refused("/admin/realms/r/clients;a=b/x"));
        assertEquals(400, refused("/admin/realms/r//clients/x"));
        assertEquals(400, refused("/admin/realms/r/clients/../clients/x"));
        assertEquals(400, refused("/admin/realms/r/clients/%2E%2E/clients/x"));
        assertEquals(400, refused("/admin/realms/r/%63lients/x"));
        assertEquals(400, refused("/admin/realms/r/clients/%zz"));
        assertEquals(400, refused("/admin/realms/r/clients/%C1%A5"));
        assertEquals(400, refused("/admin/realms/r/clients/%00"));
        assertEquals(414, refused("/admin/realms/r/clients/" + "a".repeat(3000)));
    }
}
