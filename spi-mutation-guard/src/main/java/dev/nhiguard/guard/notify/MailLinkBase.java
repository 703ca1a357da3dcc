package dev.nhiguard.guard.notify;

import java.net.URI;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.urls.UrlType;

/**
 * The base URI the links in the guard's mail are built on. Never the request's own {@code Host}: without a configured
 * hostname Keycloak takes its URLs from it, and the requester whose write triggers the mail would choose where the
 * approvers are sent (a tenth red-team review sent them to a copy of the approvals page on a host of its own and took
 * the approver's password, one-time code and token). So: the realm's frontend URL (changing it is a held change),
 * else Keycloak's configured {@code hostname}, else none (the mail names the request without a link).
 */
public final class MailLinkBase {

    private MailLinkBase() {
    }

    /** The trusted base (ending in {@code /}), or null when the server has none. */
    public static URI of(KeycloakSession session, RealmModel realm) {
        String frontend = realm.getAttribute("frontendUrl");
        if (frontend != null && !frontend.isBlank()) {
            return withSlash(frontend);
        }
        String hostname = Config.scope("hostname", "v2").get("hostname");
        if (hostname == null || hostname.isBlank()) {
            return null;
        }
        if (hostname.startsWith("http://") || hostname.startsWith("https://")) {
            return withSlash(hostname);
        }
        try {
            // A bare host name: Keycloak keeps it and takes only the scheme and port from the request.
            return session.getContext().getUri(UrlType.FRONTEND).getBaseUri();
        } catch (RuntimeException e) {
            return null; // no request (a background transition)
        }
    }

    private static URI withSlash(String url) {
        return URI.create(url.replaceAll("/+$", "") + "/");
    }
}
