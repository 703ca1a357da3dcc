package dev.nhiguard.guard.admission;

import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.core.Response;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.Admission;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.Policies;
import dev.nhiguard.guard.changerequest.TargetState;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;

/**
 * Keycloak's client admin API v2 ({@code /admin/api/{realm}/clients/v2[/{clientId}]}, feature
 * {@code client-admin-api:v2}) changes clients without the {@code ClientUpdatedEvent} the model
 * backstop listens to, records no admin event for most of its writes, and reads a representation
 * of its own (a client's roles, flows and authentication in one body) that the catalogue does not
 * classify. So it is deny by default: in a realm whose policy guards anything, it passes only
 * <ul>
 * <li>creating a client without a service account (an administration client's name is refused by
 * the model backstop), and</li>
 * <li>a merge patch of a client's presentation ({@link #PRESENTATION}) on a client that is neither
 * a service account nor an administration client.</li>
 * </ul>
 * Every other write is refused with {@code 403 change_refused}, as the operation the catalogue
 * would hold on {@code /admin/realms/…} (service-account client create, update, delete) or as
 * {@value Admission#UNCLASSIFIED} (deleting a client, replacing it, changing its roles or flows):
 * the guard holds such changes only on the classic API, where it classifies them by effect (a
 * deleted client's roles may gate a service account's scopes).
 */
final class AdminApiV2 {

    /** Fields of a v2 client whose change alters no token, role, flow or credential of anyone. */
    static final Set<String> PRESENTATION = Set.of("description", "displayName", "appUrl", "redirectUris", "webOrigins");

    private AdminApiV2() {
    }

    /**
     * The refusal for a v2 write, or null when it passes (Keycloak then decides, including
     * 401/403/404 on its own).
     */
    static Response decide(KeycloakSession s, String realmName, String clientId, String method, JsonNode body) {
        RealmModel realm = s.realms().getRealmByName(realmName);
        if (realm == null) {
            return null;
        }
        GuardPolicy policy;
        try {
            policy = Policies.of(realm);
        } catch (PolicyException e) {
            return GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    e.getMessage() + "; writes to guarded objects are refused until the policy is fixed", null);
        }
        if (policy.guardsNothing()) {
            return null;
        }
        String operation = operation(new TargetState(s, realm, policy.approverRole()), realm, clientId, method, body);
        if (operation == null || !policy.guards(Catalogue.get().byId(operation).orElseThrow())) {
            return null;
        }
        return GuardErrors.response(Response.Status.FORBIDDEN, "change_refused", "This write cannot be made through the "
                + "client admin API v2 in a guarded realm (operation " + operation + "); make it through /admin/realms/"
                + realmName + "/clients, where the guard classifies it by its effect and holds it when it must",
                Map.of("operation", operation));
    }

    /** The catalogue operation a v2 write is refused as, or null when it passes. */
    static String operation(TargetState state, RealmModel realm, String clientId, String method, JsonNode body) {
        // a client that exchanges others' tokens shapes service accounts' tokens as a service account's own client does
        boolean asksGuardedClient = asksServiceAccount(body) || asksTokenExchange(body);
        ClientModel client = clientId == null ? null : realm.getClientByClientId(clientId);
        if (client == null) {
            // POST creates a client; so does PUT of a clientId that does not exist (createOrUpdate). Other methods
            // on a missing client: Keycloak answers 404/405.
            boolean creates = "POST".equals(method) && clientId == null || "PUT".equals(method) && clientId != null;
            return creates && asksGuardedClient ? "client-create-service-account" : null;
        }
        boolean adminClient = state.isAdminClientName(client.getClientId());
        if ("DELETE".equals(method)) {
            // As the classic API's client-delete: a service account, an administration client, or a client whose roles
            // gate something (a deleted role reads as "condition not met", a scope's role gate opens).
            return dev.nhiguard.guard.changerequest.OwnerAttributes.shapesNonHumanTokens(client) || adminClient
                    || state.clientRolesAreGates(client.getId())
                    ? "client-delete" : Admission.UNCLASSIFIED;
        }
        if (dev.nhiguard.guard.changerequest.OwnerAttributes.shapesNonHumanTokens(client) || adminClient || asksGuardedClient) {
            return "client-update";
        }
        boolean presentationOnly = "PATCH".equals(method) && body != null && body.isObject() && body.size() > 0
                && iterable(body.fieldNames()).allMatch(PRESENTATION::contains);
        return presentationOnly ? null : Admission.UNCLASSIFIED;
    }

    /** Whether the body's login flows name standard token exchange ({@code TOKEN_EXCHANGE}, any case Keycloak's enum takes). */
    static boolean asksTokenExchange(JsonNode body) {
        JsonNode flows = body == null || !body.isObject() ? null : body.get("loginFlows");
        if (flows == null || !flows.isArray()) {
            return false;
        }
        for (JsonNode f : flows) {
            if (f.isTextual() && f.textValue().equalsIgnoreCase("TOKEN_EXCHANGE")) {
                return true;
            }
        }
        return false;
    }

    /** The login flows of the v2 OIDC representation that are not the service account, as Keycloak's enum names them. */
    private static final Set<String> USER_FLOWS = Set.of("STANDARD", "IMPLICIT", "DIRECT_GRANT", "TOKEN_EXCHANGE", "DEVICE", "CIBA");

    /**
     * Whether the body may turn a service account on: service-account roles, or a login flow that is
     * not exactly one of the other flows' names. Keycloak's mapper also reads an enum from its
     * position ({@code 3}, {@code "3"}), so anything but a known name counts as the service account.
     */
    static boolean asksServiceAccount(JsonNode body) {
        if (body == null || !body.isObject()) {
            return false;
        }
        JsonNode roles = body.get("serviceAccountRoles");
        if (roles != null && !roles.isNull() && !(roles.isArray() && roles.isEmpty())) {
            return true;
        }
        JsonNode flows = body.get("loginFlows");
        if (flows == null || flows.isNull()) {
            return false;
        }
        if (!flows.isArray()) {
            return true;
        }
        for (JsonNode f : flows) {
            if (!f.isTextual() || !USER_FLOWS.contains(f.textValue())) {
                return true;
            }
        }
        return false;
    }

    private static java.util.stream.Stream<String> iterable(java.util.Iterator<String> it) {
        return java.util.stream.StreamSupport.stream(java.util.Spliterators.spliteratorUnknownSize(it, 0), false);
    }
}
