package dev.nhiguard.agent.enforcement;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.ws.rs.core.MultivaluedMap;

import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.jose.jws.JWSInput;
import org.keycloak.jose.jws.JWSInputException;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.protocol.oidc.TokenExchangeContext;
import org.keycloak.protocol.oidc.TokenExchangeProvider;
import org.keycloak.protocol.oidc.TokenManager;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.representations.idm.ClientPolicyExecutorConfigurationRepresentation;
import org.keycloak.services.clientpolicy.ClientPolicyContext;
import org.keycloak.services.clientpolicy.ClientPolicyEvent;
import org.keycloak.services.clientpolicy.ClientPolicyException;
import org.keycloak.services.clientpolicy.context.TokenExchangeRequestContext;
import org.keycloak.services.clientpolicy.context.TokenRefreshResponseContext;
import org.keycloak.services.clientpolicy.context.TokenRequestContext;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;
import org.keycloak.services.x509.X509ClientCertificateLookup;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.agent.metrics.AgentMetrics;
import dev.nhiguard.agent.registry.AgentClock;
import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.registry.Delegation;
import dev.nhiguard.agent.registry.KeyThumbprints;

/**
 * Token-time enforcement for agents' clients. Runs as a global client policy on every client
 * policy event; acts only on token issuance for clients that are agents and returns at once
 * for everything else.
 */
final class AgentBindingExecutor implements ClientPolicyExecutorProvider<ClientPolicyExecutorConfigurationRepresentation> {

    private static final Logger LOG = Logger.getLogger(AgentBindingExecutor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KeycloakSession session;

    AgentBindingExecutor(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public String getProviderId() {
        return AgentBindingExecutorFactory.PROVIDER_ID;
    }

    @Override
    public void executeOnEvent(ClientPolicyContext context) throws ClientPolicyException {
        switch (context.getEvent()) {
            case SERVICE_ACCOUNT_TOKEN_REQUEST, TOKEN_REFRESH -> check(session.getContext().getClient());
            case TOKEN_EXCHANGE_REQUEST -> {
                TokenExchangeContext exchange = ((TokenExchangeRequestContext) context).getTokenExchangeContext();
                AgentRecord agent = check(exchange.getClient());
                if (agent != null) {
                    checkStandardExchange(exchange);
                    checkInternalSubject(exchange);
                    checkRequestedTokenType(exchange);
                    checkDelegation(exchange);
                    narrowScopes(exchange, agent);
                } else {
                    checkLegacyAudience(exchange);
                }
            }
            // Managing a client (registration), ending sessions and revoking tokens take nothing: an agent in any
            // state may be fixed, logged out and revoked. Responses follow a request this executor already saw.
            // A refresh renews a user's token only for a user the delegation grants now (a delegation or owner changed
            // since the exchange or the consented sign-in that gave the refresh token ends it there).
            case TOKEN_REFRESH_RESPONSE -> checkRefreshedUser(((TokenRefreshResponseContext) context).getClientSession());
            case REGISTER, REGISTERED, UPDATE, UPDATED, VIEW, UNREGISTER, LOGOUT_REQUEST, SAML_LOGOUT_REQUEST, TOKEN_REVOKE,
                    TOKEN_REVOKE_RESPONSE, TOKEN_RESPONSE, SERVICE_ACCOUNT_TOKEN_RESPONSE,
                    BACKCHANNEL_TOKEN_RESPONSE, DEVICE_TOKEN_RESPONSE, RESOURCE_OWNER_PASSWORD_CREDENTIALS_RESPONSE -> {
                // nothing to enforce
            }
            // Introspection reads a token's claims with the agent's key: a suspended, expired or orphaned agent reads none.
            case TOKEN_INTROSPECT -> checkStanding(session.getContext().getClient());
            // Grants that give an agent's client a user's token without token exchange (password, authorization code,
            // device, CIBA, implicit, the JWT authorization grant for a federated user) would skip the delegation
            // check: an agent acts for a user only by token exchange.
            case RESOURCE_OWNER_PASSWORD_CREDENTIALS_REQUEST, PRE_AUTHORIZATION_REQUEST, AUTHORIZATION_REQUEST,
                    PUSHED_AUTHORIZATION_REQUEST, IMPLICIT_HYBRID_TOKEN_RESPONSE, PRE_TOKEN_REQUEST, TOKEN_REQUEST,
                    DEVICE_AUTHORIZATION_REQUEST, DEVICE_TOKEN_REQUEST, BACKCHANNEL_AUTHENTICATION_REQUEST,
                    BACKCHANNEL_TOKEN_REQUEST, JWT_AUTHORIZATION_GRANT -> userGrant(context, session.getContext().getClient());
            // Anything else (userinfo, identity brokering, SAML, events of a later Keycloak): an agent must be in good
            // standing (deny by default).
            default -> checkStanding(session.getContext().getClient());
        }
    }

    /**
     * An agent exchanges tokens by standard token exchange only (RFC 8693: the subject token's user, an {@code act}
     * claim naming the agent, the agent's scopes). With Keycloak's legacy token exchange enabled, its provider takes
     * every request the standard one does not (a {@code requested_subject}, an agent whose standard exchange is off):
     * it impersonates any user the subject token's user may impersonate and issues tokens without {@code act}. The
     * provider is found as Keycloak finds it ({@code TokenExchangeGrantType}): the first by order that supports the
     * request.
     */
    private void checkStandardExchange(TokenExchangeContext exchange) throws ClientPolicyException {
        String provider = exchangeProvider(exchange);
        if (!STANDARD_TOKEN_EXCHANGE.equals(provider)) {
            refuse(session.getContext().getRealm(), exchange.getClient(), new AgentVerdict.Refusal("access_denied",
                    "delegation_not_granted", "an agent exchanges tokens by standard token exchange only (this request "
                            + (provider == null ? "is served by no token exchange provider" : "would be served by the "
                                    + provider + " token exchange provider")
                            + ": requested_subject, requested_issuer or subject_issuer, or standard token exchange off for the agent)"));
        }
    }

    /** The token exchange provider that will serve the request, found as Keycloak finds it; null when none supports it. */
    private String exchangeProvider(TokenExchangeContext exchange) {
        return session.getKeycloakSessionFactory().getProviderFactoriesStream(TokenExchangeProvider.class)
                .sorted((f1, f2) -> f2.order() - f1.order())
                .filter(f -> session.getProvider(TokenExchangeProvider.class, f.getId()).supports(exchange))
                .map(org.keycloak.provider.ProviderFactory::getId).findFirst().orElse(null);
    }

    /**
     * Another client's exchange whose audience is an agent, when a provider other than the standard one serves it
     * (Keycloak's legacy token exchange): that provider builds the token in the audience client's session, so the
     * agent's claim mapper wrote {@code agent} and {@code act} naming the agent as acting for the subject token's user,
     * into a token the requester holds, for users the agent's delegation does not grant and while the agent was
     * suspended (twenty-third red-team review). Standard token exchange builds the requester's own token, with the agent
     * only in {@code aud}: a client may still exchange for a token to call an agent.
     */
    private void checkLegacyAudience(TokenExchangeContext exchange) throws ClientPolicyException {
        java.util.List<String> audience = exchange.getParams().getAudience();
        if (audience == null || audience.isEmpty()) {
            return;
        }
        RealmModel realm = session.getContext().getRealm();
        String agent = audience.stream().filter(java.util.Objects::nonNull)
                .filter(clientId -> {
                    ClientModel target = realm.getClientByClientId(clientId);
                    return target != null && AgentRecord.isAgent(target);
                }).findFirst().orElse(null);
        if (agent != null && !STANDARD_TOKEN_EXCHANGE.equals(exchangeProvider(exchange))) {
            refuse(realm, exchange.getClient(), new AgentVerdict.Refusal("access_denied", "delegation_not_granted",
                    "client " + exchange.getClient().getClientId() + " may not exchange a token into agent " + agent
                            + "'s session (the legacy token exchange would write the agent's claims into it); use "
                            + "standard token exchange, which names the agent in the audience only"));
        }
    }

    /** The id of Keycloak's standard (RFC 8693) token exchange provider. */
    static final String STANDARD_TOKEN_EXCHANGE = "standard";

    /**
     * An agent exchanges this realm's access tokens only: for an external token ({@code subject_issuer},
     * a JWT or ID token) Keycloak finds the user through an identity provider's link, not through the
     * token's session, so the user the delegation would be checked for is not the one Keycloak acts for.
     */
    private void checkInternalSubject(TokenExchangeContext exchange) throws ClientPolicyException {
        MultivaluedMap<String, String> form = exchange.getFormParams();
        String issuer = form == null ? null : form.getFirst(OAuth2Constants.SUBJECT_ISSUER);
        String type = exchange.getParams().getSubjectTokenType();
        if (issuer != null || (type != null && !OAuth2Constants.ACCESS_TOKEN_TYPE.equals(type))) {
            refuse(session.getContext().getRealm(), exchange.getClient(), new AgentVerdict.Refusal("access_denied",
                    "delegation_not_granted", "an agent exchanges this realm's access tokens only (subject_token_type "
                            + type + (issuer != null ? ", subject_issuer " + issuer : "") + ")"));
        }
    }

    /** What an agent's token exchange may ask for: an access token (the default), or a refresh token to renew it. */
    static final Set<String> REQUESTED_TOKEN_TYPES = Set.of(OAuth2Constants.ACCESS_TOKEN_TYPE, OAuth2Constants.REFRESH_TOKEN_TYPE);

    /**
     * An agent exchanges for an access token (or a refresh token) only: an ID token (or a SAML assertion) carries no
     * {@code act} or {@code agent} claim, reads as the user's own, and names the user's session, so that with it as
     * {@code id_token_hint} the agent ended the user's whole session, even after its suspension (seventeenth red-team
     * review).
     */
    private void checkRequestedTokenType(TokenExchangeContext exchange) throws ClientPolicyException {
        String requested = exchange.getParams().getRequestedTokenType();
        if (requested != null && !REQUESTED_TOKEN_TYPES.contains(requested)) {
            refuse(session.getContext().getRealm(), exchange.getClient(), new AgentVerdict.Refusal("invalid_request",
                    "requested_token_type_not_allowed", "an agent exchanges for an access token or a refresh token only"
                            + " (requested_token_type " + requested + ")"));
        }
    }

    /**
     * A user-facing grant for an agent's client: refused, since its user tokens come from token
     * exchange, where the delegation is checked. The one exception is the consent the delegation's
     * {@code consented} grant counts: an agent whose delegation grants consenting users and whose
     * client requires consent may take users through the authorization-code flow (that is where
     * Keycloak records consent); the code is exchanged only for a user the delegation grants, with
     * the agent's key.
     */
    private void userGrant(ClientPolicyContext context, ClientModel client) throws ClientPolicyException {
        if (client == null || !AgentRecord.isAgent(client)) {
            return;
        }
        RealmModel realm = session.getContext().getRealm();
        boolean codeFlow = switch (context.getEvent()) {
            case PRE_AUTHORIZATION_REQUEST, AUTHORIZATION_REQUEST, PUSHED_AUTHORIZATION_REQUEST, PRE_TOKEN_REQUEST,
                    TOKEN_REQUEST -> true;
            default -> false;
        };
        if (codeFlow && client.isConsentRequired() && Delegation.of(client).consented()) {
            if (context.getEvent() != ClientPolicyEvent.TOKEN_REQUEST) {
                checkStanding(client);
                return;
            }
            check(client); // the client authenticated at the token endpoint: its key binding too
            var clientSession = ((TokenRequestContext) context).getClientSession();
            UserModel user = clientSession == null || clientSession.getUserSession() == null ? null
                    : clientSession.getUserSession().getUser();
            DelegationDecision.Result result = DelegationDecision.decide(session, realm, client, user);
            if (!result.granted()) {
                refuse(realm, client, new AgentVerdict.Refusal("access_denied", "delegation_not_granted", "agent "
                        + client.getClientId() + " may not act for " + (user == null ? "this user" : "user " + user.getUsername())
                        + " (" + result.why() + ")"));
            }
            return;
        }
        refuse(realm, client, new AgentVerdict.Refusal("unauthorized_client", "grant_not_allowed",
                "an agent acts for a user only through token exchange, where its delegation is checked ("
                        + context.getEvent().name() + ")"));
    }

    /**
     * A refreshed token of an agent's client is the user's, not the agent's own service account's: the delegation must
     * grant that user now, as it had to at the exchange or consented sign-in that issued the refresh token.
     */
    private void checkRefreshedUser(org.keycloak.models.AuthenticatedClientSessionModel clientSession)
            throws ClientPolicyException {
        ClientModel client = clientSession == null ? null : clientSession.getClient();
        if (client == null || !AgentRecord.isAgent(client)) {
            return;
        }
        UserSessionModel userSession = clientSession.getUserSession();
        UserModel user = userSession == null ? null : userSession.getUser();
        if (user != null && client.getId().equals(user.getServiceAccountClientLink())) {
            return; // the agent's own token
        }
        RealmModel realm = session.getContext().getRealm();
        DelegationDecision.Result result = DelegationDecision.decide(session, realm, client, user);
        if (!result.granted()) {
            refuse(realm, client, new AgentVerdict.Refusal("access_denied", "delegation_not_granted", "agent "
                    + client.getClientId() + " may no longer act for " + (user == null ? "this user" : "user " + user.getUsername())
                    + " (" + result.why() + "); the refresh token is not renewed"));
        }
    }

    /** An agent's status, purpose, expiry and owner, without the key binding (no client authentication here). */
    private void checkStanding(ClientModel client) throws ClientPolicyException {
        if (client == null || !AgentRecord.isAgent(client)) {
            return;
        }
        RealmModel realm = session.getContext().getRealm();
        AgentVerdict.Refusal refusal = AgentVerdict.standing(AgentRecord.of(client), AgentClock.now(session, realm),
                ownerState(realm, client));
        if (refusal != null) {
            refuse(realm, client, refusal);
        }
    }

    /** Refuses the request if the client is an agent that may not get a token now; returns its record. */
    private AgentRecord check(ClientModel client) throws ClientPolicyException {
        if (client == null || !AgentRecord.isAgent(client)) {
            return null;
        }
        AgentRecord agent = AgentRecord.of(client);
        RealmModel realm = session.getContext().getRealm();
        Instant now = AgentClock.now(session, realm);
        AgentVerdict.Refusal refusal = AgentVerdict.evaluate(agent, now, ownerState(realm, client), evidence(client));
        if (refusal != null) {
            refuse(realm, client, refusal);
        }
        return agent;
    }

    private void refuse(RealmModel realm, ClientModel client, AgentVerdict.Refusal refusal) throws ClientPolicyException {
        LOG.infof("realm %s: token refused for agent client %s (%s): %s", realm.getName(), client.getClientId(),
                client.getId(), refusal.description());
        AgentMetrics metrics = AgentMetrics.of(session.getKeycloakSessionFactory());
        if (metrics != null) {
            metrics.tokenRefused(realm.getName(), refusal.reason());
        }
        throw new ClientPolicyException(refusal.error(), refusal.description());
    }

    private AgentVerdict.OwnerState ownerState(RealmModel realm, ClientModel client) {
        AgentOwners.State best = AgentOwners.best(session, realm, client);
        return best == null ? AgentVerdict.OwnerState.MISSING : AgentVerdict.OwnerState.valueOf(best.name());
    }

    /**
     * RFC 8693 {@code may_act}: the agent may exchange a token only for a subject its delegation
     * grants (owner, named users, members of named groups, users who consented to the agent's
     * client). The subject token is verified by Keycloak after this check; a forged one is
     * refused there, so reading its subject here decides nothing Keycloak would not also check.
     */
    private void checkDelegation(TokenExchangeContext exchange) throws ClientPolicyException {
        ClientModel client = exchange.getClient();
        RealmModel realm = session.getContext().getRealm();
        UserModel user = subjectOf(realm, exchange.getParams().getSubjectToken());
        DelegationDecision.Result result = DelegationDecision.decide(session, realm, client, user);
        if (!result.granted()) {
            String detail = "delegation_not_granted: agent " + client.getClientId() + " may not act for "
                    + (user == null ? "the subject of this token" : "user " + user.getUsername()) + " (" + result.why() + ")";
            LOG.infof("realm %s: token exchange refused for agent client %s: %s", realm.getName(), client.getClientId(), detail);
            AgentMetrics metrics = AgentMetrics.of(session.getKeycloakSessionFactory());
            if (metrics != null) {
                metrics.tokenRefused(realm.getName(), "delegation_not_granted");
            }
            throw new ClientPolicyException("access_denied", detail, jakarta.ws.rs.core.Response.Status.FORBIDDEN);
        }
    }

    /**
     * The user Keycloak's token exchange will act for, found as Keycloak finds it
     * ({@code AuthenticationManager#verifyIdentityToken}): the user of the session the subject
     * token's {@code sid} names, whatever its {@code sub} says (a protocol mapper may set
     * {@code sub}; Keycloak does not compare it); for a token without a session, the user its
     * {@code sub}, else its {@code preferred_username}, names ({@code TokenManager#lookupUserFromStatelessToken}).
     */
    private UserModel subjectOf(RealmModel realm, String token) {
        if (token == null) {
            return null;
        }
        try {
            org.keycloak.representations.AccessToken jwt = new JWSInput(token).readJsonContent(org.keycloak.representations.AccessToken.class);
            String sid = jwt.getSessionId();
            if (sid != null) {
                UserSessionModel us = session.sessions().getUserSession(realm, sid);
                if (us == null) {
                    us = session.sessions().getOfflineUserSession(realm, sid);
                }
                return us == null ? null : us.getUser();
            }
            return org.keycloak.protocol.oidc.TokenManager.lookupUserFromStatelessToken(session, realm, jwt);
        } catch (JWSInputException | RuntimeException e) {
            return null;
        }
    }

    private AgentVerdict.Evidence evidence(ClientModel client) {
        MultivaluedMap<String, String> form = session.getContext().getHttpRequest().getDecodedFormParameters();
        String assertion = form == null ? null : form.getFirst(OAuth2Constants.CLIENT_ASSERTION);
        String kidThumbprint = null;
        String assertionSubject = null;
        if (assertion != null) {
            try {
                JWSInput jws = new JWSInput(assertion);
                assertionSubject = jws.readJsonContent(JsonWebToken.class).getSubject();
                kidThumbprint = registeredKeyThumbprint(client, jws.getHeader().getKeyId());
            } catch (JWSInputException | RuntimeException e) {
                LOG.debugf(e, "client %s: unreadable client assertion", client.getClientId());
            }
        }
        return new AgentVerdict.Evidence(client.getClientAuthenticatorType(), kidThumbprint, assertionSubject,
                certificateThumbprint(client), client.getAttribute("jwt.credential.sub"), client.getAttribute("jwt.credential.issuer"));
    }

    /**
     * The thumbprint of the key in the client's registered JWKS that the assertion names by
     * kid. Keycloak verified the assertion's signature with that same key before this runs.
     */
    private static String registeredKeyThumbprint(ClientModel client, String kid) {
        if (!"true".equals(client.getAttribute("use.jwks.string"))) {
            return null;
        }
        String jwks = client.getAttribute("jwks.string");
        if (jwks == null) {
            return null;
        }
        try {
            Map<String, Object> set = JSON.readValue(jwks, new TypeReference<Map<String, Object>>() { });
            if (!(set.get("keys") instanceof List<?> keys)) {
                return null;
            }
            List<Map<String, Object>> matching = keys.stream()
                    .filter(k -> k instanceof Map<?, ?>)
                    .map(k -> {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> m = (Map<String, Object>) k;
                        return m;
                    })
                    .filter(k -> kid == null || kid.equals(k.get("kid")))
                    .toList();
            if (matching.size() != 1) {
                return null;
            }
            return KeyThumbprints.jwkThumbprint(matching.get(0));
        } catch (Exception e) {
            LOG.debugf(e, "client %s: unreadable JWKS", client.getClientId());
            return null;
        }
    }

    private String certificateThumbprint(ClientModel client) {
        if (!AgentVerdict.TLS_CLIENT_AUTH.equals(client.getClientAuthenticatorType())) {
            return null;
        }
        X509ClientCertificateLookup lookup = session.getProvider(X509ClientCertificateLookup.class);
        try {
            X509Certificate[] chain = lookup == null ? null : lookup.getCertificateChain(session.getContext().getHttpRequest());
            return chain == null || chain.length == 0 ? null : KeyThumbprints.certificateThumbprint(chain[0].getEncoded());
        } catch (GeneralSecurityException e) {
            LOG.debugf(e, "client %s: unreadable client certificate", client.getClientId());
            return null;
        }
    }

    /**
     * Token exchange by an agent: the scopes of the issued token are the intersection of the
     * agent's allowed scopes and the requested ones (all allowed ones when none is requested);
     * client scopes that never appear in the scope claim (basic, roles, …) stay.
     */
    private static void narrowScopes(TokenExchangeContext exchange, AgentRecord agent) {
        Set<String> allowed = new LinkedHashSet<>(agent.allowedScopes());
        String requested = exchange.getParams().getScope();
        Set<String> granted = new LinkedHashSet<>();
        if (requested == null || requested.isBlank()) {
            granted.addAll(allowed);
        } else {
            TokenManager.parseScopeParameter(requested).filter(allowed::contains).forEach(granted::add);
        }
        // The allowed scopes are the client's optional scopes: they apply only when requested.
        MultivaluedMap<String, String> form = exchange.getFormParams();
        if (granted.isEmpty()) {
            form.remove(OAuth2Constants.SCOPE);
        } else {
            form.putSingle(OAuth2Constants.SCOPE, String.join(" ", granted));
        }
        Set<String> restricted = exchange.getClient().getClientScopes(true).values().stream()
                .filter(s -> !s.isIncludeInTokenScope())
                .map(ClientScopeModel::getName)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        restricted.addAll(granted);
        // The client's own protocol mappers (the agent claim, act) count as the scope named after the client.
        restricted.add(exchange.getClient().getClientId());
        exchange.setRestrictedScopes(restricted);
    }
}
