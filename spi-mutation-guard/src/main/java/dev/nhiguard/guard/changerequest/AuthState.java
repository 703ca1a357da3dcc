package dev.nhiguard.guard.changerequest;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.authentication.authenticators.util.LoAUtil;
import org.keycloak.common.util.Time;
import org.keycloak.models.AuthenticatedClientSessionModel;
import org.keycloak.models.ImpersonationSessionNote;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.UserSessionModel;
import org.keycloak.representations.AccessToken;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.resources.admin.AdminAuth;

import dev.nhiguard.guard.policy.GuardPolicy;

/**
 * How and when an admin authenticated, read from the server-side user session (admin-console
 * tokens are lightweight and carry neither {@code auth_time} nor {@code acr}).
 *
 * @param authTime       seconds since the epoch of the last interactive authentication, null if unknown
 * @param loa            level of authentication of the admin's client session, -1 if none
 * @param impersonatorId the impersonating admin's user id when this session is an impersonation (online or offline)
 * @param serviceAccount whether the admin is a service-account user
 * @param liveSession    whether the token's session is an online user session (not offline, not unknown)
 */
public record AuthState(Long authTime, int loa, String impersonatorId, boolean serviceAccount, boolean liveSession) {

    public static AuthState of(KeycloakSession session, AdminAuth auth) {
        boolean sa = auth.getUser().getServiceAccountClientLink() != null;
        AccessToken token = auth.getToken();
        String sid = token == null ? null : token.getSessionId();
        UserSessionModel us = sid == null ? null : session.sessions().getUserSession(auth.getRealm(), sid);
        if (us == null) {
            // An offline session outlives the sign-in (and the impersonation) it came from: its impersonator, if it says
            // so, is recorded; it is never a live session (actsForItselfProblem).
            UserSessionModel offline = sid == null || sa ? null : session.sessions().getOfflineUserSession(auth.getRealm(), sid);
            String impersonator = offline == null ? null : offline.getNote(ImpersonationSessionNote.IMPERSONATOR_ID.toString());
            // Service accounts authenticate with every token request (transient sessions).
            Long iat = sa && token != null && token.getIat() != null ? token.getIat() : null;
            return new AuthState(iat, -1, impersonator, sa, false);
        }
        String note = us.getNote(AuthenticationManager.AUTH_TIME);
        Long authTime = note != null ? Long.valueOf(note) : (long) us.getStarted();
        int loa = -1;
        if (auth.getClient() != null) {
            AuthenticatedClientSessionModel cs = us.getAuthenticatedClientSessionByClient(auth.getClient().getId());
            if (cs != null) {
                loa = LoAUtil.getCurrentLevelOfAuthentication(cs);
            }
        }
        String impersonator = us.getNote(ImpersonationSessionNote.IMPERSONATOR_ID.toString());
        return new AuthState(authTime, loa, impersonator, sa, true);
    }

    /**
     * Why this person may not {@code act} (approve, reject, review a containment, apply or cancel) in their own name with
     * this token, or null: an impersonated session decides nothing in the impersonated person's name (twenty-second
     * red-team review), and neither does a token whose session is not a live sign-in: an offline token taken in an
     * impersonated session kept working after the impersonation ended, and the offline session need not say it was one
     * (twenty-third review). Service accounts are judged by the callers' own rules.
     */
    public String actsForItselfProblem(String act) {
        if (impersonatorId != null) {
            return "An impersonated session cannot " + act;
        }
        if (!serviceAccount && !liveSession) {
            return "A token of an offline or unknown session cannot " + act + "; sign in";
        }
        return null;
    }

    /** Null when the authentication is fresh and strong enough under the policy, else why not. */
    public String stepUpProblem(GuardPolicy policy) {
        if (authTime == null) {
            return "The admin's authentication time is unknown; log in again";
        }
        long age = Time.currentTime() - authTime;
        if (age > policy.stepUpMaxAgeSeconds()) {
            return "Authentication is " + age + " s old; at most " + policy.stepUpMaxAgeSeconds() + " s allowed";
        }
        if (!serviceAccount && policy.stepUpMinimumLevel() > 0 && loa < policy.stepUpMinimumLevel()) {
            return "Level of authentication " + loa + " is below the required " + policy.stepUpMinimumLevel();
        }
        return null;
    }

    /** RFC 9470 challenge: 401, {@code WWW-Authenticate} and the same fields in the JSON body. */
    public static Response challenge(GuardPolicy policy, String problem) {
        StringBuilder h = new StringBuilder("Bearer error=\"insufficient_user_authentication\", error_description=\"")
                .append(problem.replace("\"", "'")).append('"');
        if (policy.stepUpAcr() != null) {
            h.append(", acr_values=\"").append(policy.stepUpAcr()).append('"');
        }
        h.append(", max_age=").append(policy.stepUpMaxAgeSeconds());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "insufficient_user_authentication");
        body.put("error_description", problem);
        if (policy.stepUpAcr() != null) {
            body.put("acr_values", policy.stepUpAcr());
        }
        body.put("max_age", policy.stepUpMaxAgeSeconds());
        if (policy.stepUpMinimumLevel() > 0) {
            body.put("minimum_level", policy.stepUpMinimumLevel());
        }
        return Response.status(Response.Status.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, h.toString())
                .entity(body).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    public static ErrorResponseException challengeException(GuardPolicy policy, String problem) {
        return new ErrorResponseException(challenge(policy, problem));
    }
}
