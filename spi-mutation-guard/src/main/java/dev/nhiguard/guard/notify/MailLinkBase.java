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

    /**
     * The trusted base (ending in {@code /}), or null when the server has none. A frontend URL Keycloak would not use
     * (not an absolute http(s) URL: Keycloak does not check it when it is saved) is passed over, as Keycloak does.
     */
    public static URI of(KeycloakSession session, RealmModel realm) {
        return of(realm.getAttribute("frontendUrl"), Config.scope("hostname", "v2").get("hostname"), () -> {
            try {
                return session.getContext().getUri(UrlType.FRONTEND).getBaseUri();
            } catch (RuntimeException e) {
                return null; // no request (a background transition)
            }
        });
    }

    /**
     * The rule itself: the frontend URL when Keycloak would use it, else the configured hostname (a URL, or a bare host
     * name Keycloak keeps while it takes the scheme and port from the request: {@code requestBase}), else null. The
     * agent module's review mail follows the same rule (held to it by a contract test).
     */
    public static URI of(String frontendUrl, String hostname, java.util.function.Supplier<URI> requestBase) {
        URI frontend = absoluteHttp(frontendUrl);
        if (frontend != null) {
            return frontend;
        }
        if (hostname == null || hostname.isBlank()) {
            return null;
        }
        if (hostname.startsWith("http://") || hostname.startsWith("https://")) {
            return absoluteHttp(hostname);
        }
        return requestBase.get();
    }

    private static URI absoluteHttp(String url) {
        if (url == null || url.isBlank()) {
            return null;
        }
        try {
            URI u = URI.create(url.trim().replaceAll("/+$", "") + "/");
            boolean http = "http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme());
            return http && u.getHost() != null ? u : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
