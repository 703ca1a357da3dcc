package dev.nhiguard.guard.admission;

import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.Policies;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;

/**
 * Keycloak's client admin API v2 ({@code /admin/api/{realm}/clients/v2[/{clientId}]}, feature
 * {@code client-admin-api:v2}) changes clients without the {@code ClientUpdatedEvent} the model
 * backstop listens to. Writes through it that the catalogue would guard on the classic API
 * (service-account client create, update, delete, turning a service account on) are refused
 * here with {@code 403 change_refused}: the guard holds them only on {@code /admin/realms/…}.
 */
final class AdminApiV2 {

    private AdminApiV2() {
    }

    /**
     * The refusal for a guarded v2 write, or null when it is not guarded (Keycloak then decides,
     * including 401/403/404 on its own).
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
        ClientModel client = clientId == null ? null : realm.getClientByClientId(clientId);
        boolean asksServiceAccount = body != null && (containsText(body.get("loginFlows"), "SERVICE_ACCOUNT")
                || (body.get("serviceAccountRoles") != null && !body.get("serviceAccountRoles").isEmpty()));
        String operation;
        if (client == null) {
            operation = !"DELETE".equals(method) && asksServiceAccount ? "client-create-service-account" : null;
        } else if (client.isServiceAccountsEnabled()) {
            operation = "DELETE".equals(method) ? "client-delete" : "client-update";
        } else {
            operation = !"DELETE".equals(method) && asksServiceAccount ? "client-update" : null;
        }
        if (operation == null || !policy.guards(Catalogue.get().byId(operation).orElseThrow())) {
            return null;
        }
        return GuardErrors.response(Response.Status.FORBIDDEN, "change_refused", "The guarded operation " + operation
                + " cannot be made through the client admin API v2; make it through /admin/realms/" + realmName
                + "/clients, where it is held for approval", Map.of("operation", operation));
    }

    private static boolean containsText(JsonNode array, String value) {
        if (array == null || !array.isArray()) {
            return false;
        }
        for (JsonNode n : array) {
            if (value.equals(n.asText())) {
                return true;
            }
        }
        return false;
    }
}
