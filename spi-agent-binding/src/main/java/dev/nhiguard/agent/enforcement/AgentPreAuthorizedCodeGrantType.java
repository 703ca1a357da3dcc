package dev.nhiguard.agent.enforcement;

import java.util.List;

import org.keycloak.OAuthErrorException;
import org.keycloak.events.Details;
import org.keycloak.events.Errors;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.grants.PreAuthorizedCodeGrantType;
import org.keycloak.representations.AuthorizationDetailsJSONRepresentation;
import org.keycloak.services.CorsErrorResponseException;

import dev.nhiguard.agent.registry.AgentRecord;
import jakarta.ws.rs.core.Response;

/**
 * Keycloak's OID4VCI pre-authorized code grant, refused for agents and for offers whose user is a service account's.
 * It gives a token of the client a credential offer
 * names, for the offer's user, to whoever holds the offer's code: no client authentication (so no agent key), no
 * client-policy event (so this module's executor never sees it), and the client only has to be enabled, which a
 * suspended agent is. An agent acts for a user only through token exchange, where its key, standing and delegation
 * are checked. The check runs once Keycloak has found the offer's client and before any token is made (the grant's
 * user session is transient: nothing is stored).
 */
public final class AgentPreAuthorizedCodeGrantType extends PreAuthorizedCodeGrantType {

    @Override
    protected List<AuthorizationDetailsJSONRepresentation> processAuthorizationDetails(UserSessionModel userSession,
            ClientSessionContext clientSessionCtx) {
        ClientModel client = clientSessionCtx.getClientSession().getClient();
        if (client != null && AgentRecord.isAgent(client)) {
            throw refused("an agent acts for a user only through token exchange, where its key and delegation are checked"
                    + " (pre-authorized code for agent " + client.getClientId() + ")");
        }
        org.keycloak.models.UserModel user = userSession.getUser();
        if (user != null && user.getServiceAccountClientLink() != null) {
            // The code would give a token of the service account without its client's credential (the guard refuses
            // such offers when they are made; this covers offers made before, or with the guard switched off).
            throw refused("a service account's user gets tokens only by its client's own credentials"
                    + " (pre-authorized code for " + user.getUsername() + ")");
        }
        return super.processAuthorizationDetails(userSession, clientSessionCtx);
    }

    /** The refusal, recorded on the grant's event: 400 {@code unauthorized_client}. */
    private CorsErrorResponseException refused(String reason) {
        event.detail(Details.REASON, reason);
        event.error(Errors.NOT_ALLOWED);
        return new CorsErrorResponseException(cors, OAuthErrorException.UNAUTHORIZED_CLIENT, reason, Response.Status.BAD_REQUEST);
    }
}
