package dev.nhiguard.agent.risk;

import java.util.Map;
import java.util.Set;

import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.events.Details;
import org.keycloak.events.Errors;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;

/**
 * Which of Keycloak's events the risk listener reads: a failed client authentication (counted towards a burst) and a
 * token issued to the client that asked for it (checked for a new source network). Decides from the event alone.
 */
public final class RiskEvents {

    /** Errors of {@code CLIENT_LOGIN_ERROR} that are not failed authentications of an existing, enabled client. */
    static final Set<String> NOT_AUTH_FAILURES = Set.of(Errors.CLIENT_NOT_FOUND, Errors.CLIENT_DISABLED, "invalid_client_policy");
    /**
     * The errors Keycloak's client authentication records at every endpoint that authenticates a client
     * ({@code AuthenticationProcessor#handleClientAuthException}, {@code ClientAuthenticationFlow}): token (every
     * grant), introspection, revocation, pushed authorization, device and CIBA requests, logout with a refresh token.
     * {@code client_credentials_setup_required} is what an assertion whose {@code kid} names no registered key gets
     * ({@code JWTClientAuthenticator}: "Unable to load public key"), i.e. a key the thief made up.
     */
    static final Set<String> CLIENT_AUTH_ERRORS = Set.of(Errors.INVALID_CLIENT_CREDENTIALS, Errors.INVALID_CLIENT,
            AuthenticationFlowError.CLIENT_CREDENTIALS_SETUP_REQUIRED.name().toLowerCase(java.util.Locale.ROOT));

    private RiskEvents() {
    }

    /**
     * A failed client authentication: any error of {@code CLIENT_LOGIN_ERROR} (client credentials) but an unknown or
     * disabled client, and a client authentication error of any other error event (token exchange, refresh,
     * introspection, revocation, …; until the seventeenth red-team review only client credentials counted, so keys
     * could be tried at the other endpoints without a burst). Refusals by the binding executor
     * ({@code reason=client_policy_error}) never count: the client authenticated.
     */
    public static boolean isFailedClientAuthentication(Event event) {
        String error = event.getError();
        if (error == null || event.getType() == null || !event.getType().name().endsWith("_ERROR")) {
            return false;
        }
        Map<String, String> details = event.getDetails();
        if (details != null && Details.CLIENT_POLICY_ERROR.equals(details.get(Details.REASON))) {
            return false;
        }
        return event.getType() == EventType.CLIENT_LOGIN_ERROR ? !NOT_AUTH_FAILURES.contains(error) : CLIENT_AUTH_ERRORS.contains(error);
    }

    /**
     * A token issued to the client that authenticated for it: client credentials, token exchange and refresh (the
     * event's client is the requesting client in all three; the exchange's target is only its audience detail).
     */
    public static boolean isTokenIssued(Event event) {
        return event.getError() == null && dev.nhiguard.agent.IssuedTokens.EVENTS.contains(event.getType());
    }
}
