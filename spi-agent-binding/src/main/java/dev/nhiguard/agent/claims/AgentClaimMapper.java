package dev.nhiguard.agent.claims;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.core.MultivaluedMap;

import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientSessionContext;
import org.keycloak.models.Constants;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.mappers.AbstractOIDCProtocolMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAccessTokenMapper;
import org.keycloak.protocol.oidc.mappers.OIDCAttributeMapperHelper;
import org.keycloak.protocol.oidc.mappers.TokenIntrospectionTokenMapper;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.representations.IDToken;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.agent.ModuleVersion;
import dev.nhiguard.agent.registry.AgentRecord;

/**
 * Adds the {@code agent} claim (agent id, name, owner, purpose) to an agent's tokens and, whenever
 * the token is a user's rather than the agent's own service account's (the agent exchanged a user's
 * token (RFC 8693), took a consenting user through sign-in, or refreshed either), the {@code act}
 * claim naming the agent as the actor; the token an exchange issues nests the subject token's own
 * {@code act} for delegation chains.
 */
public final class AgentClaimMapper extends AbstractOIDCProtocolMapper
        implements OIDCAccessTokenMapper, TokenIntrospectionTokenMapper, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-agent-claim-mapper";

    private static final Logger LOG = Logger.getLogger(AgentClaimMapper.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<ProviderConfigProperty> CONFIG = config();

    private static List<ProviderConfigProperty> config() {
        List<ProviderConfigProperty> properties = new ArrayList<>();
        OIDCAttributeMapperHelper.addIncludeInTokensConfig(properties, AgentClaimMapper.class);
        return List.copyOf(properties);
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayCategory() {
        return TOKEN_MAPPER_CATEGORY;
    }

    @Override
    public String getDisplayType() {
        return "NHI agent claims";
    }

    @Override
    public String getHelpText() {
        return "Adds the agent claim (id, owner, purpose) and, to a user's token the agent holds, the RFC 8693 act claim.";
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CONFIG;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get());
    }

    @Override
    protected void setClaim(IDToken token, ProtocolMapperModel mappingModel, UserSessionModel userSession,
                            KeycloakSession session, ClientSessionContext clientSessionCtx) {
        ClientModel client = clientSessionCtx.getClientSession().getClient();
        AgentRecord agent = AgentRecord.of(client);
        if (agent == null) {
            return;
        }
        Map<String, Object> owner = new LinkedHashMap<>();
        owner.put("type", agent.ownerType());
        owner.put("id", agent.ownerId());
        owner.put("name", ownerName(session, client.getRealm(), agent.ownerType(), agent.ownerId()));
        Map<String, Object> claim = new LinkedHashMap<>();
        claim.put("id", client.getId());
        claim.put("name", client.getClientId());
        claim.put("owner", owner);
        claim.put("purpose", agent.purpose());
        claim.put("expiresAt", agent.expiresAt() == null ? null : agent.expiresAt().toString());
        claim.put("exp", agent.expiresAt() == null ? null : agent.expiresAt().getEpochSecond());
        token.getOtherClaims().put("agent", claim);

        UserModel serviceAccount = session.users().getServiceAccount(client);
        UserModel user = userSession == null ? null : userSession.getUser();
        if (user != null && (serviceAccount == null || !serviceAccount.getId().equals(user.getId()))) {
            // The agent holds a user's token (an exchange, a consented sign-in, or a refresh of either): it acts.
            Map<String, Object> act = new LinkedHashMap<>();
            act.put("sub", serviceAccount == null ? client.getId() : serviceAccount.getId());
            act.put("client_id", client.getClientId());
            Object prior = priorActor(session, clientSessionCtx);
            if (prior != null) {
                act.put("act", prior);
            }
            token.getOtherClaims().put("act", act);
        }
    }

    /**
     * The subject token's actor chain, for the token an exchange issues only. Its refreshes (and introspection, which
     * runs the mappers again on a token's bare claims) name the agent alone: they have no subject token, and anything
     * kept per client session is shared by every exchange the agent makes in the user's session (sixteenth review: a
     * chain kept there was overwritten by the agent's next exchange, so a refresh showed an actor that never took part,
     * or lost one that had).
     */
    private static Object priorActor(KeycloakSession session, ClientSessionContext clientSessionCtx) {
        String grantType = clientSessionCtx.getAttribute(Constants.GRANT_TYPE, String.class);
        return OAuth2Constants.TOKEN_EXCHANGE_GRANT_TYPE.equals(grantType) ? priorActor(session) : null;
    }

    /** The owner's username or group path, null if it no longer exists. */
    private static String ownerName(KeycloakSession session, org.keycloak.models.RealmModel realm, String type, String id) {
        if (id == null) {
            return null;
        }
        if (AgentRecord.OWNER_USER.equals(type)) {
            UserModel u = session.users().getUserById(realm, id);
            return u == null ? null : u.getUsername();
        }
        if (AgentRecord.OWNER_GROUP.equals(type)) {
            org.keycloak.models.GroupModel g = session.groups().getGroupById(realm, id);
            return g == null ? null : org.keycloak.models.utils.KeycloakModelUtils.buildGroupPath(g);
        }
        return null;
    }

    /**
     * The {@code act} claim of the subject token being exchanged (verified by Keycloak), kept only
     * when an agent's own exchange made it: the token was issued to an agent ({@code azp}) and its
     * {@code act} names that agent. Any client's protocol mapper can write an {@code act} claim; one
     * an ordinary client's token carries is not an actor chain and is dropped.
     */
    private static Object priorActor(KeycloakSession session) {
        MultivaluedMap<String, String> form = session.getContext().getHttpRequest().getDecodedFormParameters();
        String subjectToken = form == null ? null : form.getFirst(OAuth2Constants.SUBJECT_TOKEN);
        if (subjectToken == null) {
            return null;
        }
        String[] parts = subjectToken.split("\\.");
        if (parts.length < 2) {
            return null;
        }
        try {
            Map<String, Object> claims = JSON.readValue(Base64.getUrlDecoder().decode(parts[1]), new TypeReference<Map<String, Object>>() { });
            Object act = claims.get("act");
            Object azp = claims.get("azp");
            if (!(act instanceof Map<?, ?> actor) || !(azp instanceof String issuedFor) || !issuedFor.equals(actor.get("client_id"))) {
                return null;
            }
            org.keycloak.models.ClientModel agent = session.getContext().getRealm().getClientByClientId(issuedFor);
            return agent != null && AgentRecord.isAgent(agent) ? act : null;
        } catch (Exception e) {
            LOG.debugf(e, "unreadable subject_token payload");
            return null;
        }
    }
}
