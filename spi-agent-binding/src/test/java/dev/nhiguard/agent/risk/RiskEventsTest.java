package dev.nhiguard.agent.risk;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;

class RiskEventsTest {

    private static Event event(EventType type, String error, Map<String, String> details) {
        Event e = new Event();
        e.setType(type);
        e.setError(error);
        e.setDetails(details);
        return e;
    }

    @Test
    void clientAuthenticationErrorsCountAtEveryEndpoint() {
        for (EventType type : new EventType[] {EventType.TOKEN_EXCHANGE_ERROR, EventType.REFRESH_TOKEN_ERROR,
                EventType.INTROSPECT_TOKEN_ERROR, EventType.REVOKE_GRANT_ERROR, EventType.PUSHED_AUTHORIZATION_REQUEST_ERROR}) {
            assertTrue(RiskEvents.isFailedClientAuthentication(event(type, "invalid_client_credentials", null)), type.name());
            assertTrue(RiskEvents.isFailedClientAuthentication(event(type, "invalid_client", null)), type.name());
            assertTrue(RiskEvents.isFailedClientAuthentication(event(type, "client_credentials_setup_required", null)), type.name());
            assertFalse(RiskEvents.isFailedClientAuthentication(event(type, "invalid_token", null)), type.name());
            assertFalse(RiskEvents.isFailedClientAuthentication(event(type, "client_not_found", null)), type.name());
        }
    }

    @Test
    void clientCredentialsErrorsCountAsBeforeButUnknownOrDisabledClients() {
        assertTrue(RiskEvents.isFailedClientAuthentication(event(EventType.CLIENT_LOGIN_ERROR, "invalid_client_credentials", null)));
        assertTrue(RiskEvents.isFailedClientAuthentication(event(EventType.CLIENT_LOGIN_ERROR, "invalid_request", null)));
        assertFalse(RiskEvents.isFailedClientAuthentication(event(EventType.CLIENT_LOGIN_ERROR, "client_not_found", null)));
        assertFalse(RiskEvents.isFailedClientAuthentication(event(EventType.CLIENT_LOGIN_ERROR, "client_disabled", null)));
    }

    @Test
    void refusalsOfTheBindingExecutorAndSuccessesDoNotCount() {
        Map<String, String> policy = Map.of("reason", "client_policy_error");
        assertFalse(RiskEvents.isFailedClientAuthentication(event(EventType.CLIENT_LOGIN_ERROR, "invalid_client", policy)));
        assertFalse(RiskEvents.isFailedClientAuthentication(event(EventType.TOKEN_EXCHANGE_ERROR, "invalid_client", policy)));
        assertFalse(RiskEvents.isFailedClientAuthentication(event(EventType.TOKEN_EXCHANGE, null, null)));
        assertFalse(RiskEvents.isFailedClientAuthentication(event(EventType.LOGOUT, "invalid_client", null)));
    }

    @Test
    void tokensIssuedByClientCredentialsExchangeAndRefresh() {
        assertTrue(RiskEvents.isTokenIssued(event(EventType.CLIENT_LOGIN, null, null)));
        assertTrue(RiskEvents.isTokenIssued(event(EventType.TOKEN_EXCHANGE, null, null)));
        assertTrue(RiskEvents.isTokenIssued(event(EventType.REFRESH_TOKEN, null, null)));
        assertFalse(RiskEvents.isTokenIssued(event(EventType.LOGIN, null, null)));
        assertFalse(RiskEvents.isTokenIssued(event(EventType.INTROSPECT_TOKEN, null, null)));
    }
}
