package dev.nhiguard.agent.review;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.keycloak.common.Version;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import dev.nhiguard.agent.notify.OwnerMail;

/** The emails of access reviews, sent through {@link OwnerMail.Outbox} after the transaction that caused them. */
public final class ReviewMail {

    static final String REQUESTED_TEMPLATE = "nhi-review-requested.ftl";
    static final String REQUESTED_SUBJECT = "nhiReviewRequestedSubject";
    static final String CONTAINED_TEMPLATE = "nhi-review-contained.ftl";
    static final String CONTAINED_SUBJECT = "nhiReviewContainedSubject";

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private ReviewMail() {
    }

    /** To one reviewer: the identities they are asked to review, the deadline and what happens without a decision. */
    static OwnerMail.Mail requested(KeycloakSession session, RealmModel realm, String reviewerId, String campaignId, Instant deadline,
                                    String onUndecided, List<String> clientIds) {
        Map<String, Object> review = new HashMap<>();
        review.put("campaignId", campaignId);
        review.put("deadline", UTC.format(deadline));
        review.put("onUndecided", onUndecided);
        review.put("items", List.copyOf(clientIds));
        review.put("link", link(session, realm, campaignId));
        return new OwnerMail.Mail(realm.getId(), List.of(reviewerId), REQUESTED_TEMPLATE, REQUESTED_SUBJECT,
                List.of(realm.getName(), UTC.format(deadline)), Map.of("review", review, "reviewRealm", realm.getName()));
    }

    /** To the reviewers of an item left undecided: what was done to it. */
    static OwnerMail.Mail contained(KeycloakSession session, RealmModel realm, List<String> reviewerIds, String campaignId,
                                    String clientId, String action, String detail) {
        Map<String, Object> review = new HashMap<>();
        review.put("campaignId", campaignId);
        review.put("clientId", clientId);
        review.put("action", action);
        review.put("detail", detail);
        review.put("link", link(session, realm, campaignId));
        return new OwnerMail.Mail(realm.getId(), reviewerIds, CONTAINED_TEMPLATE, CONTAINED_SUBJECT,
                List.of(clientId, realm.getName()), Map.of("review", review, "reviewRealm", realm.getName()));
    }

    /**
     * The reviews page of the {@code nhi-guard} theme opened on the campaign, under a base the requester of the
     * mail cannot choose: the realm's frontend URL, else Keycloak's configured {@code hostname} (a URL, or a host
     * with the request's scheme and port); empty when the server has neither. Never the request's own {@code Host}
     * alone: whoever starts a campaign would choose where its reviewers are sent.
     */
    static String link(KeycloakSession session, RealmModel realm, String campaignId) {
        URI base = linkBase(realm.getAttribute("frontendUrl"), org.keycloak.Config.scope("hostname", "v2").get("hostname"),
                () -> {
                    try {
                        return session.getContext().getUri(org.keycloak.urls.UrlType.FRONTEND).getBaseUri();
                    } catch (RuntimeException e) {
                        return null; // scheduled work: no request to take the scheme and port from
                    }
                });
        if (base == null) {
            return "";
        }
        return base.resolve("resources/" + Version.RESOURCES_VERSION + "/common/nhi-guard/reviews/index.html")
                + "#realm=" + URLEncoder.encode(realm.getName(), StandardCharsets.UTF_8) + "&campaign=" + campaignId;
    }

    /**
     * The base of the link (ending in {@code /}), or null: the frontend URL when Keycloak would use it (an absolute
     * http(s) URL; Keycloak does not check the value when it is saved), else the configured hostname (a URL, or a bare
     * host name Keycloak keeps while it takes the scheme and port from the request: {@code requestBase}). The guard's
     * mail follows the same rule ({@code MailLinkBase}); a contract test in the guard's module holds the two to it.
     */
    public static URI linkBase(String frontendUrl, String hostname, java.util.function.Supplier<URI> requestBase) {
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
