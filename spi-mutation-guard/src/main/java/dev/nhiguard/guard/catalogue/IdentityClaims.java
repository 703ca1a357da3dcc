package dev.nhiguard.guard.catalogue;

import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The claims that say who a token is for, through which client, how its user signed in, or who acts: a protocol mapper
 * that writes one, on any client or client scope, makes the tokens of an ordinary client name someone else. Keycloak
 * lets a mapper set {@code sub}, {@code azp}, {@code acr} and {@code auth_time} on the token itself, and writes every
 * other name as a claim. With a hardcoded {@code azp} of {@code security-admin-console}, an approver's token obtained
 * through a client the requester made is taken for a console token; with {@code sub}, {@code client_id} and
 * {@code preferred_username} a token reads as a service account's to a resource server that checks tokens itself.
 */
public final class IdentityClaims {

    /**
     * Top-level claim names no mapper writes unheld, and that no token may carry twice ({@code AmbiguousTokenFilter}): who,
     * through which client and session, how the user signed in, who acts, and when and by whom the token was issued and
     * for what (a second {@code exp}, {@code iss} or {@code aud} reads differently to whoever reads it first or last).
     * One set, so that a mapper the guard lets through never makes its client's tokens unusable.
     */
    public static final Set<String> NAMES = Set.of("sub", "azp", "client_id", "preferred_username", "username", "upn", "sid",
            "session_state", "acr", "auth_time", "amr", "act", "may_act", "cnf", "agent", "iss", "aud", "typ", "exp", "iat",
            "nbf", "jti", "nonce", "scope");

    /**
     * A client attribute that names {@code acr} values: Keycloak's acr mapper writes the client's name for the level the
     * user reached, so a map of its own ({@code "gold": 0}) says any sign-in was the strong one.
     */
    public static final String ACR_LOA_MAP = "acr.loa.map";

    /** Whether the body (a client's) sets {@link #ACR_LOA_MAP} to other than the current client's value (none: an empty map). */
    public static boolean mapsAcr(JsonNode body, JsonNode currentClient) {
        if (body == null || !body.path("attributes").isObject() || !body.get("attributes").has(ACR_LOA_MAP)) {
            return false;
        }
        JsonNode proposed = body.get("attributes").get(ACR_LOA_MAP);
        JsonNode now = currentClient == null ? null : currentClient.path("attributes").get(ACR_LOA_MAP);
        if (now == null) {
            return !(proposed.isNull() || proposed.asText().isBlank() || proposed.asText().strip().equals("{}"));
        }
        return !proposed.equals(now);
    }

    private IdentityClaims() {
    }

    /**
     * Whether the body writes one of {@link #NAMES}: a protocol mapper (an object with {@code config}), a list of them
     * ({@code add-models}), or a client or client scope whose {@code protocolMappers} hold one.
     */
    public static boolean written(JsonNode body) {
        if (body == null) {
            return false;
        }
        if (body.isArray()) {
            for (JsonNode m : body) {
                if (written(m)) {
                    return true;
                }
            }
            return false;
        }
        if (!body.isObject()) {
            return false;
        }
        if (body.path("protocolMappers").isArray() && written(body.get("protocolMappers"))) {
            return true;
        }
        JsonNode name = body.path("config").path("claim.name");
        if (!name.isTextual()) {
            return false;
        }
        String top = topLevel(name.asText());
        return NAMES.contains(top) || top.contains(CLIENT_ID_TEMPLATE);
    }

    /**
     * What Keycloak's client-role mappers replace with the clientId of each role's client in a claim name
     * ({@code resource_access.${client_id}.roles}). In the first segment it names a top-level claim after any client, one
     * called {@code azp}, {@code sid} or {@code agent} included: a twenty-third red-team review wrote a second {@code azp}
     * and {@code sid} into a token of her own client, which Keycloak read (the last one wins) as an approver's console
     * session, and approved as that approver. Dots in the clientId are escaped, so the template in a later segment
     * stays inside its parent claim.
     */
    static final String CLIENT_ID_TEMPLATE = "${client_id}";

    /**
     * As {@link #written}, for a client's update: a mapper in its {@code protocolMappers} that equals one the client has
     * (the same name, protocol, type and configuration: Keycloak updates mappers by protocol and name) writes nothing new,
     * so a client that already had such a mapper is not held for sending it back.
     */
    public static boolean writtenAnew(JsonNode body, JsonNode currentClient) {
        if (body == null || !body.path("protocolMappers").isArray()) {
            return written(body);
        }
        JsonNode existing = currentClient == null ? null : currentClient.path("protocolMappers");
        for (JsonNode m : body.get("protocolMappers")) {
            if (written(m) && !has(existing, m)) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(JsonNode existing, JsonNode mapper) {
        if (existing == null || !existing.isArray()) {
            return false;
        }
        for (JsonNode e : existing) {
            if (e.path("name").equals(mapper.path("name")) && e.path("protocol").equals(mapper.path("protocol"))
                    && e.path("protocolMapper").equals(mapper.path("protocolMapper")) && e.path("config").equals(mapper.path("config"))) {
                return true;
            }
        }
        return false;
    }

    /** The first segment of a claim path, split by Keycloak's own code (a backslash escapes any character). */
    static String topLevel(String claimPath) {
        java.util.List<String> split = org.keycloak.utils.JsonUtils.splitClaimPath(claimPath);
        return split.isEmpty() ? "" : split.get(0).trim();
    }
}
