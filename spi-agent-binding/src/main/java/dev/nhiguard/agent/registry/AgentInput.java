package dev.nhiguard.agent.registry;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A register or update request, parsed and checked for shape (not against the realm). Fields
 * absent from an update are null. Every problem is an {@link InvalidInput} naming the field.
 */
record AgentInput(String name, OwnerRef owner, String purpose, Instant expiresAt, List<String> allowedScopes,
                  Binding keyBinding, Boolean tokenExchange, String clientId, OwnerRef secondOwner, boolean clearSecondOwner,
                  DelegationInput delegation, Boolean dpop) {

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{1,62}");
    static final Pattern SPIFFE_ID = Pattern.compile("spiffe://[a-z0-9._-]+(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+");
    static final int MAX_PURPOSE = 1000;
    /**
     * The latest expiry an agent may have, the last second of year 9999: an expiry far beyond (year 1,000,000,000, which
     * {@code Instant} reads) overflowed epoch milliseconds and made every inventory page of the realm answer 500
     * (twenty-fourth red-team review).
     */
    static final Instant LATEST_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");
    private static final Set<String> FIELDS = Set.of("name", "owner", "purpose", "expiresAt", "allowedScopes",
            "keyBinding", "tokenExchange", "clientId", "secondOwner", "delegation", "dpop");
    /** Strict: one JSON value (no trailing data), no duplicate member names. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Owner reference: type user (id or username) or group (id or path). */
    record OwnerRef(String type, String id, String name) {
    }

    /** Key binding as requested; {@code jwk} holds the public JWK for type jwk. */
    record Binding(String type, Map<String, Object> jwk, String thumbprint, String subjectDn, String spiffeId,
                   String identityProvider) {
    }

    /**
     * Whom the agent may act for, as requested: its owner(s), users (id or username), groups (id or
     * path), users who consented to the agent's client.
     */
    record DelegationInput(boolean owner, List<String> users, List<String> groups, boolean consented) {
    }

    /** Bad input, with the message the caller sees. */
    static final class InvalidInput extends Exception {
        InvalidInput(String message) {
            super(message, null, false, false);
        }
    }

    static AgentInput parse(String body, boolean forRegistration) throws InvalidInput {
        if (body == null || body.isBlank()) {
            throw new InvalidInput("request body is required");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidInput("request body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInput("request body must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new InvalidInput("unknown field '" + f + "'");
            }
        }
        String clientId = optionalText(root, "clientId");
        String name = optionalText(root, "name");
        if (name != null && !NAME.matcher(name).matches()) {
            throw new InvalidInput("name must match " + NAME.pattern());
        }
        OwnerRef owner = root.has("owner") ? owner(root.get("owner")) : null;
        String purpose = optionalText(root, "purpose");
        if (purpose != null && (purpose.isBlank() || purpose.length() > MAX_PURPOSE)) {
            throw new InvalidInput("purpose must be 1 to " + MAX_PURPOSE + " characters");
        }
        Instant expiresAt = null;
        String expires = optionalText(root, "expiresAt");
        if (expires != null) {
            try {
                expiresAt = Instant.parse(expires);
            } catch (DateTimeParseException e) {
                throw new InvalidInput("expiresAt must be an ISO-8601 instant such as 2027-01-31T00:00:00Z");
            }
            if (expiresAt.isAfter(LATEST_EXPIRY)) {
                throw new InvalidInput("expiresAt must be at most " + LATEST_EXPIRY);
            }
        }
        List<String> scopes = root.has("allowedScopes") ? scopes(root.get("allowedScopes")) : null;
        Binding binding = root.has("keyBinding") ? binding(root.get("keyBinding")) : null;
        Boolean tokenExchange = null;
        if (root.has("tokenExchange")) {
            if (!root.get("tokenExchange").isBoolean()) {
                throw new InvalidInput("tokenExchange must be true or false");
            }
            tokenExchange = root.get("tokenExchange").booleanValue();
        }
        OwnerRef secondOwner = null;
        boolean clearSecondOwner = false;
        if (root.has("secondOwner")) {
            if (root.get("secondOwner").isNull()) {
                clearSecondOwner = true;
            } else {
                secondOwner = owner(root.get("secondOwner"));
            }
        }
        DelegationInput delegation = root.has("delegation") ? delegation(root.get("delegation")) : null;
        Boolean dpop = null;
        if (root.has("dpop")) {
            if (!root.get("dpop").isBoolean()) {
                throw new InvalidInput("dpop must be true or false");
            }
            dpop = root.get("dpop").booleanValue();
        }
        if (forRegistration) {
            require(name, "name");
            require(owner, "owner");
            require(purpose, "purpose");
            require(expiresAt, "expiresAt");
            require(binding, "keyBinding");
            if (scopes == null) {
                scopes = List.of();
            }
        }
        return new AgentInput(name, owner, purpose, expiresAt, scopes, binding, tokenExchange, clientId, secondOwner,
                clearSecondOwner, delegation, dpop);
    }

    private static void require(Object value, String field) throws InvalidInput {
        if (value == null) {
            throw new InvalidInput(field + " is required");
        }
    }

    private static String optionalText(JsonNode node, String field) throws InvalidInput {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidInput(field + " must be a string");
        }
        return v.textValue();
    }

    private static OwnerRef owner(JsonNode node) throws InvalidInput {
        if (!node.isObject()) {
            throw new InvalidInput("owner must be an object {type, id | username | path}");
        }
        String type = optionalText(node, "type");
        String id = optionalText(node, "id");
        if ("user".equals(type)) {
            String username = optionalText(node, "username");
            if ((id == null) == (username == null)) {
                throw new InvalidInput("owner of type user needs exactly one of id or username");
            }
            return new OwnerRef(type, id, username);
        }
        if ("group".equals(type)) {
            String path = optionalText(node, "path");
            if ((id == null) == (path == null)) {
                throw new InvalidInput("owner of type group needs exactly one of id or path");
            }
            return new OwnerRef(type, id, path);
        }
        throw new InvalidInput("owner.type must be user or group");
    }

    private static DelegationInput delegation(JsonNode node) throws InvalidInput {
        if (!node.isObject()) {
            throw new InvalidInput("delegation must be an object {owner, users, groups, consented}");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("owner", "users", "groups", "consented").contains(f)) {
                throw new InvalidInput("unknown field 'delegation." + f + "'");
            }
        }
        for (String f : List.of("owner", "consented")) {
            if (node.has(f) && !node.get(f).isBoolean()) {
                throw new InvalidInput("delegation." + f + " must be true or false");
            }
        }
        return new DelegationInput(node.path("owner").asBoolean(true), names(node.get("users"), "delegation.users"),
                names(node.get("groups"), "delegation.groups"), node.path("consented").asBoolean(false));
    }

    private static List<String> names(JsonNode node, String field) throws InvalidInput {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray() || node.size() > 100) {
            throw new InvalidInput(field + " must be an array of at most 100 names or ids");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode s : node) {
            if (!s.isTextual() || s.textValue().isBlank()) {
                throw new InvalidInput(field + " must hold non-empty names or ids");
            }
            out.add(s.textValue());
        }
        return new ArrayList<>(out);
    }

    private static List<String> scopes(JsonNode node) throws InvalidInput {
        if (!node.isArray()) {
            throw new InvalidInput("allowedScopes must be an array of client scope names");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode s : node) {
            if (!s.isTextual() || s.textValue().isBlank() || s.textValue().contains(" ")) {
                throw new InvalidInput("allowedScopes must hold client scope names (non-empty, no spaces)");
            }
            out.add(s.textValue());
        }
        return new ArrayList<>(out);
    }

    @SuppressWarnings("unchecked")
    private static Binding binding(JsonNode node) throws InvalidInput {
        if (!node.isObject()) {
            throw new InvalidInput("keyBinding must be an object");
        }
        String type = optionalText(node, "type");
        if (type == null) {
            throw new InvalidInput("keyBinding.type must be jwk, mtls or spiffe");
        }
        switch (type) {
            case "jwk": {
                JsonNode jwk = node.get("jwk");
                if (jwk == null || !jwk.isObject()) {
                    throw new InvalidInput("keyBinding.jwk must be the agent's public key as a JWK object");
                }
                Map<String, Object> key = JSON.convertValue(jwk, Map.class);
                String thumbprint;
                try {
                    thumbprint = KeyThumbprints.jwkThumbprint(key);
                    key = JwkSignatureKeys.complete(key);
                    if (key.get("kid") != null && !thumbprint.equals(key.get("kid"))) {
                        throw new IllegalArgumentException("jwk.kid must be absent or the key's RFC 7638 thumbprint " + thumbprint
                                + " (the registry sets it)");
                    }
                } catch (IllegalArgumentException e) {
                    throw new InvalidInput("keyBinding." + e.getMessage());
                }
                String expected = optionalText(node, "thumbprint");
                if (expected != null && !expected.equals(thumbprint)) {
                    throw new InvalidInput("keyBinding.thumbprint does not match the RFC 7638 thumbprint of keyBinding.jwk (" + thumbprint + ")");
                }
                return new Binding(type, key, thumbprint, null, null, null);
            }
            case "mtls": {
                String thumbprint = optionalText(node, "thumbprint");
                String dn = optionalText(node, "subjectDn");
                if (!KeyThumbprints.isThumbprint(thumbprint)) {
                    throw new InvalidInput("keyBinding.thumbprint must be the base64url SHA-256 thumbprint of the client certificate (x5t#S256)");
                }
                if (dn == null || dn.isBlank()) {
                    throw new InvalidInput("keyBinding.subjectDn is required for mtls (the certificate's subject DN)");
                }
                return new Binding(type, null, thumbprint, dn, null, null);
            }
            case "spiffe": {
                String id = optionalText(node, "spiffeId");
                String idp = optionalText(node, "identityProvider");
                if (id == null || !SPIFFE_ID.matcher(id).matches()) {
                    throw new InvalidInput("keyBinding.spiffeId must be a SPIFFE ID such as spiffe://example.org/agent");
                }
                if (idp == null || idp.isBlank()) {
                    throw new InvalidInput("keyBinding.identityProvider is required for spiffe (the alias of the SPIFFE identity provider)");
                }
                return new Binding(type, null, null, null, id, idp);
            }
            default:
                throw new InvalidInput("keyBinding.type must be jwk, mtls or spiffe");
        }
    }

    /** The status-change body: optional {"reason": "..."}. */
    static String reason(String body) throws InvalidInput {
        if (body == null || body.isBlank()) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidInput("request body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInput("request body must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!"reason".equals(f)) {
                throw new InvalidInput("unknown field '" + f + "'");
            }
        }
        String reason = optionalText(root, "reason");
        if (reason != null && reason.length() > MAX_PURPOSE) {
            throw new InvalidInput("reason must be at most " + MAX_PURPOSE + " characters");
        }
        return reason;
    }
}
