package dev.nhiguard.guard.admission;

import java.io.IOException;
import java.util.List;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.util.JsonSerialization;
import org.keycloak.utils.KeycloakSessionUtil;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.KeycloakReading;
import dev.nhiguard.guard.changerequest.RealmWriteLock;
import dev.nhiguard.guard.changerequest.TargetState;
import dev.nhiguard.guard.changerequest.RequestBody;

/**
 * Client registration ({@code POST|PUT /realms/{realm}/clients-registrations/default…}) takes a
 * client representation whose effects no model event shows the backstop in time: with
 * {@code authorizationServicesEnabled} Keycloak turns the client's service account on after the
 * client's last update event, and {@code defaultRoles} adds the client's roles to the realm's
 * default role, which every user and service account holds. Nothing can be held there (the guard
 * replays only admin requests), so a registration carrying either is refused when the realm's
 * policy guards the admin API's equivalent ({@code client-create-service-account},
 * {@code role-composite-add}); make the change through the admin REST API. The agent registry's attributes
 * ({@code nhi.agent*}, {@code nhi.owner*}) are refused as a service account is. The body is read
 * as Keycloak reads it; what Keycloak cannot read, it refuses itself.
 */
@Provider
public final class ClientRegistrationFilter implements ContainerRequestFilter {

    @Override
    public void filter(ContainerRequestContext ctx) throws IOException {
        String method = ctx.getMethod();
        if ("DELETE".equalsIgnoreCase(method)) {
            refuseGuardedDeletion(ctx);
            return;
        }
        if (!"POST".equalsIgnoreCase(method) && !"PUT".equalsIgnoreCase(method)) {
            return;
        }
        List<String> segments = ctx.getUriInfo().getPathSegments(true).stream().map(s -> s.getPath()).toList();
        // realms / {realm} / clients-registrations / {provider} [ / {clientId} ]
        if (segments.size() < 4 || !segments.get(0).equals("realms") || !segments.get(2).equals("clients-registrations")) {
            return;
        }
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        RealmModel realm = session == null ? null : session.realms().getRealmByName(segments.get(1));
        if (realm == null) {
            return; // Keycloak answers 404 itself
        }
        // Every provider's writes are ordered with the realm's applies (openid-connect's metadata, saml2's descriptor
        // and the default representation alike): the backstop judges them on the client as the write loaded it.
        RealmWriteLock.Admitted admitted = admitting(ctx, realm);
        if (admitted == null) {
            return; // refused
        }
        if (!segments.get(3).equals("default")) {
            admitted.ordered(session); // judged by the model backstop
            return;
        }
        byte[] bytes = AdmissionFilter.readBody(ctx);
        if (bytes == null) {
            ctx.abortWith(GuardErrors.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, "invalid_request",
                    "Request body larger than " + RequestBody.MAX_BYTES + " bytes", null));
            return;
        }
        // An update sends the client's mappers back: only those it does not have yet write anything new.
        org.keycloak.models.ClientModel updated = segments.size() < 5 ? null : realm.getClientByClientId(segments.get(4));
        String operation = refusedOperation(bytes, updated == null ? null
                : JsonSerialization.mapper.valueToTree(org.keycloak.models.utils.ModelToRepresentation.toRepresentation(updated, session)));
        if (operation == null || !OffApiRefusal.refuseIfGuarded(ctx, realm, operation, "client registration", policy -> true)) {
            admitted.ordered(session);
        }
    }

    /**
     * {@code DELETE /realms/{realm}/clients-registrations/{provider}/{clientId}}: a client whose
     * deletion the admin API holds as {@code client-delete} (a service account, an administration
     * client, a client whose roles gate a client scope of a service account or that a flow condition
     * or client policy names) is refused here. The model sees the deletion only after the client's
     * roles, and their scope mappings, are gone, so the backstop cannot tell a gate any more.
     */
    private static void refuseGuardedDeletion(ContainerRequestContext ctx) {
        List<String> segments = ctx.getUriInfo().getPathSegments(true).stream().map(s -> s.getPath()).toList();
        if (segments.size() != 5 || !segments.get(0).equals("realms") || !segments.get(2).equals("clients-registrations")) {
            return;
        }
        KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
        RealmModel realm = session == null ? null : session.realms().getRealmByName(segments.get(1));
        RealmWriteLock.Admitted admitted = realm == null ? null : admitting(ctx, realm);
        if (admitted == null) {
            return; // Keycloak answers 404 itself, or refused
        }
        ClientModel client = realm.getClientByClientId(segments.get(4));
        if (client == null) {
            return; // Keycloak answers itself
        }
        boolean refused = OffApiRefusal.refuseIfGuarded(ctx, realm, "client-delete", "client registration", policy -> {
            TargetState state = new TargetState(session, realm, policy.approverRole());
            return dev.nhiguard.guard.changerequest.OwnerAttributes.shapesNonHumanTokens(client) || state.isAdminClient(client.getId())
                    || state.clientRolesAreGates(client.getId()) || state.clientMayBeAGate(client);
        });
        if (!refused) {
            admitted.ordered(session);
        }
    }

    /**
     * Reads the realm's last apply for the registration, as admin writes do (the registration is ordered with applies
     * once it passes); refuses the request (503) when it cannot, and (409) when a change request was applied since the
     * request began.
     *
     * @return the admitted write, or null when refused
     */
    private static RealmWriteLock.Admitted admitting(ContainerRequestContext ctx, RealmModel realm) {
        try {
            RealmWriteLock.Admitted admitted = AdmissionFilter.admitting(realm.getName());
            if (AdmissionFilter.appliedDuring(admitted.appliedAt(), ctx.getProperty(AdminPathFilter.STARTED_AT))) {
                // Keycloak loaded the client while routing this request, before the apply committed.
                ctx.abortWith(GuardErrors.response(Response.Status.CONFLICT, "conflict", "A change request was applied in this "
                        + "realm while this registration was on its way; nothing was changed, send it again", null));
                return null;
            }
            return admitted;
        } catch (RuntimeException e) {
            org.jboss.logging.Logger.getLogger(ClientRegistrationFilter.class).warnf(e, "Client registration in realm %s: "
                    + "its order with the realm's applies could not be read; refused", realm.getName());
            ctx.abortWith(RealmWriteLock.refusal(e));
            return null;
        }
    }

    /** The guarded operation the registration body would make, or null. */
    static String refusedOperation(byte[] bytes) {
        return refusedOperation(bytes, null);
    }

    /** As {@link #refusedOperation(byte[])}, for an update of the client whose representation is {@code current}. */
    static String refusedOperation(byte[] bytes, com.fasterxml.jackson.databind.JsonNode current) {
        JsonNode rep;
        try {
            rep = KeycloakReading.read(KeycloakReading.mapper().readTree(bytes), ClientRepresentation.class);
        } catch (IOException | KeycloakReading.Unreadable | RuntimeException e) {
            return null; // Keycloak cannot read it either and refuses it
        }
        if (rep == null) {
            return null;
        }
        if (rep.path("authorizationServicesEnabled").asBoolean(false) || rep.path("serviceAccountsEnabled").asBoolean(false)
                || dev.nhiguard.guard.catalogue.Catalogue.turnsTokenExchangeOn(current, rep)
                || dev.nhiguard.guard.catalogue.Catalogue.changesRegistryAttributes(current, rep)) {
            // The registry's attributes (nhi.agent*, nhi.owner*) name an agent's owner, binding, expiry and delegation:
            // only its own guarded endpoints write them, as the admin API's client create and update are held for them.
            return "client-create-service-account";
        }
        if (rep.path("defaultRoles").isArray() && !rep.path("defaultRoles").isEmpty()) {
            return "role-composite-add";
        }
        if (dev.nhiguard.guard.catalogue.IdentityClaims.writtenAnew(rep, current)
                || dev.nhiguard.guard.catalogue.IdentityClaims.mapsAcr(rep, current)) {
            return "identity-claim-mapper";
        }
        return null;
    }
}
