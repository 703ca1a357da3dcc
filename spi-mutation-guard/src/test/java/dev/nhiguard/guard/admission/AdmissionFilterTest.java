package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;

class AdmissionFilterTest {

    @Test
    void onlyAnExplicitRespondAsyncPreferenceGetsTheAsynchronousAnswer() {
        assertTrue(AdmissionFilter.respondAsync("respond-async"));
        assertTrue(AdmissionFilter.respondAsync("Respond-Async"));
        assertTrue(AdmissionFilter.respondAsync("return=minimal, respond-async, wait=10"));
        assertTrue(AdmissionFilter.respondAsync(" respond-async ; foo=bar"));
        assertFalse(AdmissionFilter.respondAsync(null));
        assertFalse(AdmissionFilter.respondAsync(""));
        assertFalse(AdmissionFilter.respondAsync("return=representation"));
        assertFalse(AdmissionFilter.respondAsync("respond-asynchronously"));
        assertFalse(AdmissionFilter.respondAsync("wait=respond-async"));
    }

    @Test
    void theRawPathIsTakenRelativeToTheApplicationBase() {
        assertEquals("/admin/realms/r/clients/a%2Fb", AdmissionFilter.rawPath(URI.create("http://h/kc/admin/realms/r/clients/a%2Fb"),
                URI.create("http://h/kc/")));
        assertEquals("/admin/realms/r", AdmissionFilter.rawPath(URI.create("http://h/admin/realms/r"), URI.create("http://h/")));
    }

    @Test
    void aWriteDuringWhoseRoutingAChangeWasAppliedIsClassifiedAfresh() {
        long started = 1_000_000L;
        assertFalse(AdmissionFilter.appliedSince(null, started), "no apply ever");
        assertFalse(AdmissionFilter.appliedSince(started - AdmissionFilter.CLOCK_SKEW_MILLIS - 1, started), "long before");
        assertTrue(AdmissionFilter.appliedSince(started - AdmissionFilter.CLOCK_SKEW_MILLIS, started), "within the clocks' skew");
        assertTrue(AdmissionFilter.appliedSince(started + 3, started), "during the request");
        assertTrue(AdmissionFilter.appliedSince(started - 100_000, null), "start unknown: afresh");
        // refused (409) only when this node saw the apply after the request began
        assertTrue(AdmissionFilter.appliedDuring(started, started));
        assertFalse(AdmissionFilter.appliedDuring(started - 1, started));
        assertFalse(AdmissionFilter.appliedDuring(null, started));
        assertFalse(AdmissionFilter.appliedDuring(started, null));
    }

    @Test
    void onlyTheGuardsApplyIsLeftToTakeTheLockItself() throws Exception {
        assertTrue(AdmissionFilter.isApply(null, RequestPath.parse("/admin/realms/r/mutation-guard/change-requests/x/apply")));
        assertFalse(AdmissionFilter.isApply(null, RequestPath.parse("/admin/realms/r/mutation-guard/change-requests/x/approve")));
        assertFalse(AdmissionFilter.isApply(null, RequestPath.parse("/admin/realms/r/mutation-guard/containment")));
        assertFalse(AdmissionFilter.isApply(null, RequestPath.parse("/admin/realms/r/users/x/apply")));
    }
}
