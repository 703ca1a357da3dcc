package dev.nhiguard.guard.rest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.events.admin.OperationType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.ModuleVersion;
import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.changerequest.Admission;
import dev.nhiguard.guard.changerequest.ChangeRequestStore;
import dev.nhiguard.guard.changerequest.ChangeRequestView;
import dev.nhiguard.guard.changerequest.CredentialHoldersView;
import dev.nhiguard.guard.changerequest.Containment;
import dev.nhiguard.guard.changerequest.GuardErrors;
import dev.nhiguard.guard.changerequest.GuardService;
import dev.nhiguard.guard.changerequest.RequestBody;
import dev.nhiguard.guard.changerequest.State;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/** {@code /admin/realms/{realm}/mutation-guard}: change requests, their decisions, the policy, the status. */
public final class MutationGuardResource {

    static final int MAX_PAGE = 500;
    static final String OPENAPI_RESOURCE = "/openapi/mutation-guard.yaml";
    static final String OPENAPI_MEDIA_TYPE = "application/yaml";
    private static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final MutationGuardResourceProviderFactory factory;

    MutationGuardResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
            MutationGuardResourceProviderFactory factory) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.factory = factory;
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    public Response status() {
        auth.requireAnyAdminRole();
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        o.put("version", ModuleVersion.get());
        // This resource exists only while the guard is on: switched off, Keycloak does not load its factory.
        o.put("enabled", true);
        ObjectNode layers = o.putObject("admissionLayers");
        ObjectNode http = layers.putObject("httpAdmissionFilter");
        long seen = factory.filterLastSeen();
        http.put("active", seen > 0);
        if (seen > 0) {
            http.put("lastSeen", seen);
        }
        http.put("covers", "POST/PUT/DELETE/PATCH on /admin/realms/{realm}/**");
        ObjectNode backstop = layers.putObject("modelBackstop");
        backstop.put("active", true);
        backstop.put("covers", "provider events (role grants, group joins, service-account client update/removal, "
                + "IdP links of privileged users) from partial import, admin API v2 and dynamic client registration");
        try {
            GuardPolicy p = GuardService.policy(realm);
            o.put("realmGuarded", !p.guardsNothing());
        } catch (RuntimeException e) {
            o.put("realmGuarded", true);
            o.put("policyError", e.getMessage());
        }
        return GuardService.ok(o);
    }

    /** The OpenAPI 3.0 document of this API, as shipped in the JAR. */
    @GET
    @Path("openapi.yaml")
    @Produces(OPENAPI_MEDIA_TYPE)
    public Response openApi() {
        auth.requireAnyAdminRole();
        try (InputStream in = MutationGuardResource.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the provider JAR");
            }
            return Response.ok(in.readAllBytes(), OPENAPI_MEDIA_TYPE).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @GET
    @Path("policy")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getPolicy() {
        auth.requireAnyAdminRole();
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        String raw = realm.getAttribute(Catalogue.POLICY_ATTRIBUTE);
        o.put("attribute", Catalogue.POLICY_ATTRIBUTE);
        o.put("configured", raw != null);
        try {
            o.set("effective", dev.nhiguard.guard.changerequest.Policies.of(realm).toJson());
        } catch (PolicyException e) {
            o.put("error", e.getMessage());
        }
        ArrayNode cat = o.putArray("catalogue");
        Catalogue.get().operations().forEach(op -> cat.addObject().put("id", op.id()).put("method", op.method())
                .put("path", "/admin/realms/{realm}" + op.template()).put("kind", op.kind().jsonName())
                .put("privilegeReducing", op.privilegeReducing()).put("description", op.description()));
        return GuardService.ok(o);
    }

    /** Sets the policy. Guarded itself: the admission filter holds this write unless the policy leaves it unguarded. */
    @PUT
    @Path("policy")
    @Produces(MediaType.APPLICATION_JSON)
    public Response putPolicy(String body) {
        auth.realm().requireManageRealm();
        if (body == null || body.length() > RequestBody.MAX_BYTES) {
            throw GuardErrors.badRequest("A policy JSON object is required");
        }
        GuardPolicy p;
        try {
            p = GuardPolicy.parse(body);
        } catch (PolicyException e) {
            throw GuardErrors.badRequest(e.getMessage());
        }
        String value;
        try {
            value = JsonSerialization.mapper.writeValueAsString(STRICT.readTree(body));
        } catch (JsonProcessingException e) {
            throw GuardErrors.badRequest("Policy is not valid JSON");
        }
        realm.setAttribute(Catalogue.POLICY_ATTRIBUTE, value);
        AdminAuth a = auth.adminAuth();
        new AdminEventBuilder(realm, a, session, session.getContext().getConnection())
                .operation(OperationType.UPDATE).resource("GUARD_POLICY")
                .resourcePath("mutation-guard", "policy").representation(p.toJson()).success();
        return GuardService.ok(p.toJson());
    }

    @GET
    @Path("change-requests")
    @Produces(MediaType.APPLICATION_JSON)
    public Response list(@QueryParam("state") String state, @QueryParam("target") String target,
            @QueryParam("requester") String requester, @QueryParam("first") String first, @QueryParam("max") String max) {
        auth.requireAnyAdminRole();
        if (state != null) {
            try {
                State.valueOf(state.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw GuardErrors.badRequest("Unknown state '" + state + "'");
            }
        }
        int from = intParam("first", first, 0, 0, Integer.MAX_VALUE);
        int size = intParam("max", max, 100, 1, MAX_PAGE);
        GuardPolicy policy = GuardService.policy(realm);
        ChangeRequestStore store = new ChangeRequestStore(session);
        List<ChangeRequestEntity> items = store.list(realm.getId(), state == null ? null : state.toUpperCase(Locale.ROOT),
                blankToNull(target), blankToNull(requester), from, size);
        ArrayNode out = JsonSerialization.mapper.createArrayNode();
        items.forEach(cr -> out.add(ChangeRequestView.summary(cr, store.approvals(cr.getId()).size(), policy)));
        return GuardService.ok(out);
    }

    /** Ask before writing: holds {method, path, body} as a change request without trying the write. */
    @POST
    @Path("change-requests")
    @Produces(MediaType.APPLICATION_JSON)
    public Response create(String body) {
        auth.requireAnyAdminRole();
        JsonNode in = json(body);
        JsonNode m = in.get("method");
        JsonNode p = in.get("path");
        if (m == null || !m.isTextual() || p == null || !p.isTextual()) {
            throw GuardErrors.badRequest("Fields 'method' and 'path' (strings) are required");
        }
        String method = m.asText().toUpperCase(Locale.ROOT);
        if (!List.of("POST", "PUT", "DELETE", "PATCH").contains(method)) {
            throw GuardErrors.badRequest("method must be POST, PUT, DELETE or PATCH");
        }
        String pathWithQuery = p.asText();
        int q = pathWithQuery.indexOf('?');
        String path = q < 0 ? pathWithQuery : pathWithQuery.substring(0, q);
        if (Admission.relativePath(path, realm.getName()) == null) {
            throw GuardErrors.badRequest("path must start with /admin/realms/" + realm.getName() + "/");
        }
        JsonNode b = in.get("body");
        if (b != null && b.isNull()) {
            b = null;
        }
        Admission.Outcome outcome = Admission.admit(session, realm, auth.adminAuth(), method, path, pathWithQuery, b, null);
        if (outcome instanceof Admission.Held held) {
            return Response.status(Response.Status.CREATED)
                    .location(session.getContext().getUri().getAbsolutePathBuilder().path(held.id()).build())
                    .entity(held.summary()).type(MediaType.APPLICATION_JSON_TYPE).build();
        }
        if (outcome instanceof Admission.Refused refused) {
            return refused.response();
        }
        throw GuardErrors.badRequest("This request is not a guarded operation under the realm's policy; write it directly");
    }

    @GET
    @Path("change-requests/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response get(@PathParam("id") String id) {
        ChangeRequestStore store = new ChangeRequestStore(session);
        ChangeRequestEntity cr = adminsOrRequesters(store, id);
        GuardPolicy policy = GuardService.policy(realm);
        if (!mayReadWhole(policy)) {
            // Its images show users and clients (and who holds their credentials) this admin may not view in Keycloak.
            return GuardService.ok(ChangeRequestView.summary(cr, store.approvals(id).size(), policy).put("view", "summary"));
        }
        com.fasterxml.jackson.databind.node.ObjectNode view = ChangeRequestView.full(cr, store.approvals(id), store.history(id),
                policy);
        com.fasterxml.jackson.databind.node.ObjectNode holders = CredentialHoldersView.of(session, realm, cr);
        if (holders != null) {
            view.set("credentialHolders", holders);
        }
        return GuardService.ok(view);
    }

    /**
     * The change request, for a caller with any admin role or for its requester: a write of someone Keycloak or this
     * project's endpoints admit without an admin role (a delegate of fine-grained admin permissions v1, an owner deciding
     * a review) is held too, and its requester reads (the summary), cancels and applies it; the apply replays it under
     * the requester's permissions. Anyone else: 403, found or not.
     */
    private ChangeRequestEntity adminsOrRequesters(ChangeRequestStore store, String id) {
        ChangeRequestEntity cr = store.find(realm.getId(), id);
        boolean requester = cr != null && auth.adminAuth().getUser().getId().equals(cr.getRequesterUserId());
        if (!requester) {
            auth.requireAnyAdminRole();
        }
        if (cr == null) {
            throw GuardErrors.notFound("Change request not found");
        }
        return cr;
    }

    /**
     * Whether the caller may read a change request whole (body, before- and after-images, diff, history, who holds the
     * target's credential): an approver of the realm, or an admin who may view the realm, its users and its clients in
     * Keycloak. Other admins (a {@code query-groups} or {@code manage-events} holder) see its summary, their own requests
     * too: a write is held before Keycloak checks the requester's permissions (its replay does, at apply), so holding a
     * request on a user or client is no proof its requester may view them.
     */
    private boolean mayReadWhole(GuardPolicy policy) {
        return dev.nhiguard.guard.changerequest.Approvers.isApprover(session, auth.adminAuth(), realm, policy)
                || (auth.realm().canViewRealm() && auth.users().canView() && auth.clients().canView());
    }

    @POST
    @Path("change-requests/{id}/approve")
    @Produces(MediaType.APPLICATION_JSON)
    public Response approve(@PathParam("id") String id, String body) {
        auth.requireAnyAdminRole();
        return GuardService.approve(session, realm, auth.adminAuth(), id, json(body));
    }

    @POST
    @Path("change-requests/{id}/reject")
    @Produces(MediaType.APPLICATION_JSON)
    public Response reject(@PathParam("id") String id, String body) {
        auth.requireAnyAdminRole();
        return GuardService.reject(session, realm, auth.adminAuth(), id, json(body));
    }

    @POST
    @Path("change-requests/{id}/cancel")
    @Produces(MediaType.APPLICATION_JSON)
    public Response cancel(@PathParam("id") String id) {
        adminsOrRequesters(new ChangeRequestStore(session), id);
        return GuardService.cancel(session, realm, auth.adminAuth(), id);
    }

    @POST
    @Path("change-requests/{id}/apply")
    @Produces(MediaType.APPLICATION_JSON)
    public Response apply(@PathParam("id") String id) {
        AdminAuth a = auth.adminAuth();
        ChangeRequestEntity cr = adminsOrRequesters(new ChangeRequestStore(session), id);
        boolean requester = a.getUser().getId().equals(cr.getRequesterUserId());
        GuardPolicy policy = GuardService.policy(realm);
        if (!requester && !dev.nhiguard.guard.changerequest.Approvers.isApprover(session, a, realm, policy)) {
            throw GuardErrors.forbidden("Only the requester or an approver can apply a change request");
        }
        String notItself = requester ? null
                : dev.nhiguard.guard.changerequest.AuthState.of(session, a).actsForItselfProblem("apply another person's change request");
        if (notItself != null) {
            // The apply would be recorded as the impersonated approver's.
            throw GuardErrors.forbidden(notItself);
        }
        return GuardService.apply(session.getKeycloakSessionFactory(), realm.getId(), id, GuardService.Actor.of(a), requester,
                session.getContext().getUri().getBaseUri(), session.getContext().getConnection());
    }

    @POST
    @Path("change-requests/{id}/rollback")
    @Produces(MediaType.APPLICATION_JSON)
    public Response rollback(@PathParam("id") String id) {
        auth.requireAnyAdminRole();
        return GuardService.rollback(session, realm, auth.adminAuth(), id, session.getContext().getUri().getRequestUri());
    }

    /** Containment: disable a service-account client at once; a second admin reviews it. */
    @POST
    @Path("containment")
    @Produces(MediaType.APPLICATION_JSON)
    public Response contain(String body) {
        auth.requireAnyAdminRole();
        return Containment.contain(session, realm, auth, json(body), session.getContext().getUri().getRequestUri());
    }

    @POST
    @Path("change-requests/{id}/confirm")
    @Produces(MediaType.APPLICATION_JSON)
    public Response confirm(@PathParam("id") String id) {
        auth.requireAnyAdminRole();
        return Containment.review(session, realm, auth.adminAuth(), id, true);
    }

    @POST
    @Path("change-requests/{id}/revert")
    @Produces(MediaType.APPLICATION_JSON)
    public Response revert(@PathParam("id") String id) {
        auth.requireAnyAdminRole();
        return Containment.review(session, realm, auth.adminAuth(), id, false);
    }

    private static JsonNode json(String body) {
        if (body == null || body.isBlank()) {
            throw GuardErrors.badRequest("A JSON object body is required");
        }
        if (body.length() > RequestBody.MAX_BYTES) {
            throw GuardErrors.error(Response.Status.REQUEST_ENTITY_TOO_LARGE, "invalid_request", "Body too large");
        }
        try {
            JsonNode n = STRICT.readTree(body);
            if (n == null || !n.isObject()) {
                throw GuardErrors.badRequest("A JSON object body is required");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw GuardErrors.badRequest("Body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static int intParam(String name, String value, int dflt, int min, int max) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw GuardErrors.badRequest(name + " must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw GuardErrors.badRequest(name + " must be an integer");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
