package dev.nhiguard.agent.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an agent must send to get a token, built from its binding: the token endpoint, the form
 * fields, and for a {@code jwk} binding the client assertion's header and claims (RFC 7523:
 * {@code kid} = the bound key's thumbprint, {@code iss} = {@code sub} = the client id,
 * {@code aud} = the realm's issuer URL); with DPoP the proof the request must carry; with token
 * exchange the exchange request. Holds no secret.
 */
final class AgentUsage {

    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static final String JWT_SPIFFE = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe";
    static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";

    private AgentUsage() {
    }

    static Map<String, Object> of(String issuer, String clientId, String bindingType, String bindingValue, String alg,
                                  boolean tokenExchange, boolean dpop) {
        String tokenEndpoint = issuer + "/protocol/openid-connect/token";
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("issuer", issuer);
        out.put("tokenEndpoint", tokenEndpoint);
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        if (AgentRecord.BINDING_JWK.equals(bindingType)) {
            form.put("client_id", clientId);
            form.put("client_assertion_type", JWT_BEARER);
            form.put("client_assertion", "<the client assertion below, signed with the bound private key>");
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("alg", alg);
            header.put("typ", "JWT");
            header.put("kid", bindingValue);
            Map<String, Object> claims = new LinkedHashMap<>();
            claims.put("iss", clientId);
            claims.put("sub", clientId);
            claims.put("aud", issuer);
            claims.put("jti", "<unique per request>");
            claims.put("iat", "<now, seconds since the epoch>");
            claims.put("exp", "<iat + 60 at most>");
            Map<String, Object> assertion = new LinkedHashMap<>();
            assertion.put("header", header);
            assertion.put("claims", claims);
            out.put("clientAssertion", assertion);
        } else if (AgentRecord.BINDING_MTLS.equals(bindingType)) {
            form.put("client_id", clientId);
            out.put("tls", "present the bound client certificate (x5t#S256 " + bindingValue + ") in the TLS handshake");
        } else if (AgentRecord.BINDING_SPIFFE.equals(bindingType)) {
            form.put("client_assertion_type", JWT_SPIFFE);
            form.put("client_assertion", "<a JWT-SVID for " + bindingValue + " with aud " + issuer + ">");
        }
        out.put("clientCredentials", form);
        if (dpop) {
            Map<String, Object> proof = new LinkedHashMap<>();
            proof.put("header", "DPoP: <proof JWT>");
            proof.put("proofHeader", Map.of("typ", "dpop+jwt", "alg", "<ES256 | RS256 | …>", "jwk", "<the public key of the proof key>"));
            proof.put("proofClaims", Map.of("htm", "POST", "htu", tokenEndpoint, "jti", "<unique per request>", "iat", "<now>"));
            proof.put("tokenType", "DPoP: send the access token as 'Authorization: DPoP <token>' with a new proof (ath = its hash)");
            out.put("dpop", proof);
        }
        if (tokenExchange) {
            Map<String, Object> exchange = new LinkedHashMap<>(form);
            exchange.put("grant_type", TOKEN_EXCHANGE);
            exchange.put("subject_token", "<the user's access token; its aud must contain " + clientId + ">");
            exchange.put("subject_token_type", ACCESS_TOKEN);
            exchange.put("scope", "<optional: the allowed scopes wanted>");
            out.put("tokenExchange", exchange);
            out.put("tokenExchangeNote", "only for users the agent may act for (delegation); others are refused with 403 access_denied");
        }
        return out;
    }
}
