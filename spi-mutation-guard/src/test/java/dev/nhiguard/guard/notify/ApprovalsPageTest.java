package dev.nhiguard.guard.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.keycloak.common.Version;

class ApprovalsPageTest {

    static final URI BASE = URI.create("http://kc.example:8080/");
    static final String PAGE = "http://kc.example:8080/resources/" + Version.RESOURCES_VERSION
            + "/common/nhi-guard/approvals/index.html";

    @Test
    void opensTheRequestInItsRealm() {
        assertEquals(PAGE + "#realm=nhi-demo&id=5f0c", ApprovalsPage.link(BASE, "nhi-demo", "5f0c"));
        assertEquals(PAGE + "#realm=nhi-demo&id=5f0c", ApprovalsPage.link(BASE, "nhi-demo", "5f0c", "nhi-demo"));
        assertEquals(PAGE + "#realm=nhi-demo&id=5f0c", ApprovalsPage.link(BASE, "nhi-demo", "5f0c", null));
    }

    @Test
    void signsInThroughAnotherRealmWhenTheReaderIsNotOfTheRequestsRealm() {
        assertEquals(PAGE + "#realm=nhi-demo&id=5f0c&login=master", ApprovalsPage.link(BASE, "nhi-demo", "5f0c", "master"));
        assertEquals(PAGE + "#realm=a+b%26c&id=5f0c&login=x%3Dy", ApprovalsPage.link(BASE, "a b&c", "5f0c", "x=y"));
    }
}
