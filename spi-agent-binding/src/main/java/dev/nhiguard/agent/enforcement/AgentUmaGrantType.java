package dev.nhiguard.agent.enforcement;

import java.util.ArrayList;
import java.util.List;

import org.keycloak.OAuthErrorException;
import org.keycloak.events.Details;
import org.keycloak.events.Errors;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.protocol.oidc.grants.PermissionGrantType;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.services.CorsErrorResponseException;

import dev.nhiguard.agent.registry.AgentRecord;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

/**
 * Keycloak's UMA grant ({@code urn:ietf:params:oauth:grant-type:uma-ticket}), refused for agents. It mints a new token
 * (a requesting party token) from a bearer token without the client's key and without any client-policy event, so
 * this module's executor never sees it, and the token it mints is the resource server's: without the agent's
 * {@code agent} and {@code act} claims, without the certificate binding ({@code cnf}) and with the resource server's
 * scopes. A token held by someone who stole it (or who held a key since replaced) would be renewed without end, a
 * certificate-bound one would come back unbound, and a token for a user an agent acts for would lose the agent. So the
 * grant is refused when any token it carries (bearer, {@code subject_token}, {@code claim_token}, {@code rpt}) was
 * issued to an agent or names an agent's service account, and when the client Keycloak authenticates is an agent.
 */
public final class AgentUmaGrantType extends PermissionGrantType {

    @Override
    public Response process(Context context) {
        setContext(context);
        String agent = agentIn(session, realm, headers, formParams);
        if (agent != null) {
            refuse(agent);
        }
        return super.process(context);
    }

    /**
     * Keycloak's own client authentication (every authenticator: a secret, a signed or federated assertion, a
     * certificate), which the grant runs when no bearer token comes; an agent authenticated so is refused.
     */
    @Override
    protected void checkClient() {
        super.checkClient();
        if (client != null && AgentRecord.isAgent(client)) {
            refuse("agent " + client.getClientId() + " authenticating");
        }
    }

    private void refuse(String agent) {
        String reason = "Agents do not use the UMA grant (its tokens drop the agent, act and cnf claims): " + agent;
        event.detail(Details.REASON, reason);
        event.error(Errors.NOT_ALLOWED);
        throw new CorsErrorResponseException(cors, OAuthErrorException.INVALID_GRANT, reason, Response.Status.BAD_REQUEST);
    }

    /**
     * The agent whose token a UMA request carries, in words, or null: every {@code Authorization} header's bearer
     * token (Keycloak reads the first; a second must not hide it), {@code subject_token}, {@code claim_token} and
     * {@code rpt}, each by the client it was issued to and by its subject.
     */
    static String agentIn(KeycloakSession session, RealmModel realm, HttpHeaders headers, MultivaluedMap<String, String> form) {
        List<String> tokens = new ArrayList<>();
        List<String> authorizations = headers == null ? null : headers.getRequestHeaders().get(HttpHeaders.AUTHORIZATION);
        for (String authorization : authorizations == null ? List.<String>of() : authorizations) {
            String[] parts = authorization.trim().split("\\s+", 2);
            if (parts.length == 2 && parts[0].equalsIgnoreCase("bearer")) {
                tokens.add(parts[1].trim());
            }
        }
        for (String param : List.of("subject_token", "claim_token", "rpt")) {
            List<String> values = form.get(param);
            if (values != null) {
                tokens.addAll(values);
            }
        }
        for (String token : tokens) {
            JsonWebToken jwt = session.tokens().decode(token, JsonWebToken.class);
            if (jwt == null) {
                continue; // not one of this realm's: Keycloak refuses it itself
            }
            ClientModel issuedTo = jwt.getIssuedFor() == null ? null : realm.getClientByClientId(jwt.getIssuedFor());
            if (issuedTo != null && AgentRecord.isAgent(issuedTo)) {
                return "a token issued to agent " + issuedTo.getClientId();
            }
            UserModel subject = jwt.getSubject() == null ? null : session.users().getUserById(realm, jwt.getSubject());
            ClientModel owner = subject == null || subject.getServiceAccountClientLink() == null ? null
                    : realm.getClientById(subject.getServiceAccountClientLink());
            if (owner != null && AgentRecord.isAgent(owner)) {
                return "a token of agent " + owner.getClientId() + "'s service account";
            }
        }
        return null;
    }
}
