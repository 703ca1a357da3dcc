package dev.nhiguard.guard.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import dev.nhiguard.agent.review.ReviewMail;

/**
 * The guard's approval mail and the agent module's review mail build their links on one rule (never the request's own
 * Host); the modules share no classes at run time, so this test holds the two to it (the agent module is a test-scoped
 * dependency only).
 */
class MailLinkBaseContractTest {

    private static final Supplier<URI> REQUEST = () -> URI.create("https://request.example:8443/");

    private static final String[] FRONTEND_URLS = {null, "", "  ", "https://front.example/auth", "https://front.example/",
            "http://front.example", "HTTPS://front.example", "front.example", "javascript:alert(1)", "https://",
            "https://bad host/", "ftp://front.example", "https:///path-only"};
    private static final String[] HOSTNAMES = {null, "", "https://kc.example", "http://kc.example:8080/auth/",
            "kc.example", "https://bad host", "https://"};

    @Test
    void bothModulesTakeTheSameBaseForEveryInput() {
        for (String frontend : FRONTEND_URLS) {
            for (String hostname : HOSTNAMES) {
                assertEquals(MailLinkBase.of(frontend, hostname, REQUEST), ReviewMail.linkBase(frontend, hostname, REQUEST),
                        "frontendUrl " + frontend + ", hostname " + hostname);
            }
        }
    }

    @Test
    void theRequestIsOnlyAskedForABareConfiguredHostname() {
        Supplier<URI> host = () -> {
            throw new AssertionError("the request's base was asked for");
        };
        assertEquals(URI.create("https://front.example/auth/"), MailLinkBase.of("https://front.example/auth", "kc.example", host));
        assertEquals(URI.create("https://kc.example/"), MailLinkBase.of("front.example", "https://kc.example", host));
        assertNull(MailLinkBase.of("javascript:alert(1)", null, host));
        assertEquals(REQUEST.get(), MailLinkBase.of(null, "kc.example", REQUEST));
        assertNull(MailLinkBase.of(null, null, host));
        assertNull(MailLinkBase.of(null, "", host));
    }
}
