package dev.nhiguard.guard.notify;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import org.keycloak.common.Version;

/** Where the approvals page of the {@code nhi-guard} theme shows a change request. */
public final class ApprovalsPage {

    private ApprovalsPage() {
    }

    /** The page opened on the change request, under the server's base URI (e.g. {@code http://host:8080/}). */
    public static String link(URI base, String realm, String changeRequestId) {
        return link(base, realm, changeRequestId, null);
    }

    /**
     * The page opened on the change request, signing in to {@code signInRealm} when that is not the
     * request's realm (a master-realm admin's request: {@code &login=master}).
     */
    public static String link(URI base, String realm, String changeRequestId, String signInRealm) {
        String link = base.resolve("resources/" + Version.RESOURCES_VERSION + "/common/nhi-guard/approvals/index.html")
                + "#realm=" + URLEncoder.encode(realm, StandardCharsets.UTF_8) + "&id=" + changeRequestId;
        if (signInRealm != null && !signInRealm.equals(realm)) {
            link += "&login=" + URLEncoder.encode(signInRealm, StandardCharsets.UTF_8);
        }
        return link;
    }
}
