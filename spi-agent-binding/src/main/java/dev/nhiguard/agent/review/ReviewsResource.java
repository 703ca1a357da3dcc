package dev.nhiguard.agent.review;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ImpersonationSessionNote;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserSessionModel;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * {@code /admin/realms/{realm}/nhi/reviews}: access-review campaigns, their items and decisions,
 * evidence exports, the review policy, and risk narrowings with their revalidation. Reading needs
 * {@code view-clients}, except that a reviewer sees the items they review; deciding an item is
 * for its reviewers only; starting a campaign or a pass needs {@code manage-clients}; the policy
 * needs {@code manage-realm}. With the mutation guard installed, a narrowing decision, a
 * revalidation and a policy change are held for a second person's approval.
 */
public final class ReviewsResource {

    static final String CSV = "text/csv";
    static final int MAX = 1000;
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final AdminEventBuilder adminEvent;

    public ReviewsResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth, AdminEventBuilder adminEvent) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.adminEvent = adminEvent;
    }

    // ------------------------------------------------------------ policy

    @GET
    @Path("policy")
    @Produces(MediaType.APPLICATION_JSON)
    public ReviewPolicy policy() {
        auth.clients().requireView();
        return ReviewPolicy.stored(realm.getAttribute(ReviewPolicy.ATTRIBUTE));
    }

    @PUT
    @Path("policy")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public ReviewPolicy updatePolicy(String body) {
        auth.realm().requireManageRealm();
        ReviewPolicy policy;
        try {
            policy = ReviewPolicy.parse(body == null ? "" : body);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        realm.setAttribute(ReviewPolicy.ATTRIBUTE, policy.toJson());
        adminEvent.resource("NHI_REVIEW_POLICY").operation(OperationType.UPDATE).resourcePath("nhi", "reviews", "policy")
                .representation(policy).success();
        return policy;
    }

    // ------------------------------------------------------------ campaigns

    @POST
    @Path("campaigns")
    @Produces(MediaType.APPLICATION_JSON)
    public Response start(String body) {
        auth.clients().requireManage();
        dev.nhiguard.agent.RequestBodies.requireNone(body);
        UserModel caller = auth.adminAuth().getUser();
        Campaigns.CampaignView view = campaigns().start(caller == null ? "unknown" : caller.getUsername());
        return Response.status(Response.Status.CREATED).entity(view).type(MediaType.APPLICATION_JSON)
                .header("Location", session.getContext().getUri().getAbsolutePathBuilder().path(view.id()).build()).build();
    }

    @GET
    @Path("campaigns")
    @Produces(MediaType.APPLICATION_JSON)
    public List<Campaigns.CampaignView> campaignList(@QueryParam("max") Integer max) {
        auth.clients().requireView();
        int size = max == null ? 100 : max;
        if (size < 1 || size > MAX) {
            throw bad("max must be between 1 and " + MAX);
        }
        return campaigns().list(size);
    }

    @GET
    @Path("campaigns/{campaign}")
    @Produces(MediaType.APPLICATION_JSON)
    public Campaigns.CampaignView campaign(@PathParam("campaign") String campaign) {
        auth.clients().requireView();
        return call(() -> campaigns().campaign(campaign));
    }

    /** Every item for admins who may view clients; a reviewer without that sees the items they review. */
    @GET
    @Path("campaigns/{campaign}/items")
    @Produces(MediaType.APPLICATION_JSON)
    public List<Campaigns.ItemView> items(@PathParam("campaign") String campaign) {
        UserModel caller = auth.adminAuth().getUser();
        if (auth.clients().canView()) {
            return call(() -> campaigns().items(campaign, null));
        }
        List<Campaigns.ItemView> mine = call(() -> campaigns().items(campaign, caller == null ? "" : caller.getId()));
        if (mine.isEmpty()) {
            auth.clients().requireView();
        }
        return mine;
    }

    @GET
    @Path("campaigns/{campaign}/items/{item}")
    @Produces(MediaType.APPLICATION_JSON)
    public Campaigns.ItemView item(@PathParam("campaign") String campaign, @PathParam("item") String item) {
        Campaigns.ItemView view = call(() -> campaigns().item(campaign, item));
        UserModel caller = auth.adminAuth().getUser();
        if (!auth.clients().canView() && (caller == null || view.reviewers().stream().noneMatch(p -> caller.getId().equals(p.id())))) {
            auth.clients().requireView();
        }
        return view;
    }

    /** Keep: the reviewer attests the identity is still needed as it is, until the next campaign. */
    @POST
    @Path("campaigns/{campaign}/items/{item}/keep")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Campaigns.ItemView keep(@PathParam("campaign") String campaign, @PathParam("item") String item, String body) {
        return decide(campaign, item, Campaigns.KEEP, body, false);
    }

    /** Narrow: drop the named (default: the unrequested) direct roles and client scopes. Held by the mutation guard. */
    @POST
    @Path("campaigns/{campaign}/items/{item}/narrow")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Campaigns.ItemView narrow(@PathParam("campaign") String campaign, @PathParam("item") String item, String body) {
        return decide(campaign, item, Campaigns.NARROW, body, true);
    }

    /** Retire: suspend the agent or disable the service account (reversible; never deleted). */
    @POST
    @Path("campaigns/{campaign}/items/{item}/retire")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Campaigns.ItemView retire(@PathParam("campaign") String campaign, @PathParam("item") String item, String body) {
        return decide(campaign, item, Campaigns.RETIRE, body, false);
    }

    /** The campaign's evidence: JSON (default) or CSV ({@code format=csv} or {@code Accept: text/csv}). */
    @GET
    @Path("campaigns/{campaign}/evidence")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    public Response evidence(@PathParam("campaign") String campaign, @QueryParam("format") String format) {
        auth.clients().requireView();
        boolean csv;
        if (format == null) {
            String accept = session.getContext().getRequestHeaders().getHeaderString("Accept");
            csv = accept != null && accept.contains(CSV) && !accept.contains(MediaType.APPLICATION_JSON);
        } else if (format.equals("csv") || format.equals("json")) {
            csv = format.equals("csv");
        } else {
            throw bad("format must be json or csv");
        }
        Evidence.Export export = call(() -> new Evidence(session, realm, campaigns()).export(campaign));
        if (csv) {
            return Response.ok(Evidence.csv(export), CSV + "; charset=utf-8").build();
        }
        return Response.ok(export, MediaType.APPLICATION_JSON).build();
    }

    /** Runs the review pass over this realm now (the scheduled pass does the same): deadlines, then a scheduled campaign if due. */
    @POST
    @Path("run")
    @Produces(MediaType.APPLICATION_JSON)
    public Campaigns.PassResult run() {
        auth.clients().requireManage();
        return call(() -> new Campaigns(session, realm, null).pass());
    }

    // ------------------------------------------------------------ narrowings

    @GET
    @Path("narrowings")
    @Produces(MediaType.APPLICATION_JSON)
    public List<RiskNarrowing.View> narrowings(@QueryParam("clientId") String clientId, @QueryParam("max") Integer max) {
        auth.clients().requireView();
        int size = max == null ? 100 : max;
        if (size < 1 || size > MAX) {
            throw bad("max must be between 1 and " + MAX);
        }
        String uuid = null;
        if (clientId != null) {
            ClientModel c = realm.getClientByClientId(clientId);
            if (c == null) {
                return List.of();
            }
            uuid = c.getId();
        }
        return new RiskNarrowing(session, realm, adminEvent).list(uuid, size);
    }

    /** The owner revalidates a narrowed identity: exactly what the narrowing took is put back. Held by the mutation guard. */
    @POST
    @Path("narrowings/{client}/revalidate")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public RiskNarrowing.View revalidate(@PathParam("client") String clientUuid, String body) {
        refuseUnlessInPerson();
        JsonNode root = object(body, Set.of("comment"));
        String comment = text(root, "comment");
        ClientModel client = realm.getClientById(clientUuid);
        if (client == null) {
            throw new ErrorResponseException("not_found", "no client " + clientUuid + " in realm " + realm.getName(), Response.Status.NOT_FOUND);
        }
        return call(() -> new RiskNarrowing(session, realm, adminEvent).revalidate(client, auth.adminAuth().getUser(), comment));
    }

    // ------------------------------------------------------------ helpers

    private Campaigns.ItemView decide(String campaign, String item, String decision, String body, boolean narrowing) {
        refuseUnlessInPerson();
        JsonNode root = object(body, narrowing ? Set.of("digest", "comment", "roles", "scopes") : Set.of("digest", "comment"));
        Campaigns.DecisionInput input = new Campaigns.DecisionInput(text(root, "digest"), text(root, "comment"),
                names(root, "roles"), names(root, "scopes"));
        if (input.comment() != null && input.comment().length() > 500) {
            throw bad("comment must be at most 500 characters");
        }
        return call(() -> campaigns().decide(campaign, item, decision, input, auth.adminAuth().getUser()));
    }

    /**
     * The session attribute the mutation guard sets while it replays an approved request through Keycloak's admin API
     * ({@code dev.nhiguard.guard.replay.Replayer#BYPASS_ATTRIBUTE}; the modules share no code, so the name is repeated
     * here, and {@code AccessReviewIT} applies a held decision through it). Set on the server's own session only: no
     * request can set it.
     */
    static final String GUARD_REPLAY = "nhi.guard.replay";

    /**
     * The clients a review decision is taken through: the reviews page's ({@code nhi-approvals}), the admin console and
     * {@code admin-cli} (kcadm.sh), as the mutation guard's approvals are ({@code Approvers#DECISION_CLIENTS}; the modules
     * share no code). The guard holds any change to them.
     */
    static final Set<String> DECISION_CLIENTS = Set.of("nhi-approvals", org.keycloak.models.Constants.ADMIN_CONSOLE_CLIENT_ID,
            org.keycloak.models.Constants.ADMIN_CLI_CLIENT_ID);

    /**
     * Client attributes that give a sign-in's tokens to someone other than the person signing in (the guard's
     * {@code Catalogue#TOKEN_MINTING_FLAGS}; a guard test holds the two lists equal): a decision client with one of them
     * on takes no decision.
     */
    static final java.util.List<String> TOKEN_MINTING_FLAGS = java.util.List.of("standard.token.exchange.enabled",
            "oauth2.device.authorization.grant.enabled", "oidc.ciba.grant.enabled", "oid4vci.enabled",
            "oauth2.jwt.authorization.grant.enabled");

    /**
     * A decision or attestation is the reviewer's own, taken in person: an admin who impersonates one decides nothing in
     * their name (the record would name the reviewer and nobody else; twenty-second red-team review), and neither does a
     * person's token whose session is not a live sign-in (an offline token taken in an impersonated session decided after
     * the impersonation ended, and the offline session need not say it was one; twenty-third review), nor a token of any
     * client but {@link #DECISION_CLIENTS} ({@link #notTakenInPerson}).
     */
    private void refuseUnlessInPerson() {
        org.keycloak.representations.AccessToken token = auth.adminAuth().getToken();
        String sid = token == null ? null : token.getSessionId();
        org.keycloak.models.RealmModel tokenRealm = auth.adminAuth().getRealm();
        UserSessionModel us = sid == null ? null : session.sessions().getUserSession(tokenRealm, sid);
        UserSessionModel offline = us != null || sid == null ? null : session.sessions().getOfflineUserSession(tokenRealm, sid);
        UserSessionModel found = us != null ? us : offline;
        if (found != null && found.getNote(ImpersonationSessionNote.IMPERSONATOR_ID.toString()) != null) {
            throw new ErrorResponseException("forbidden", "An impersonated session cannot decide reviews", Response.Status.FORBIDDEN);
        }
        // The mutation guard's replay of a decision it held (a narrowing, a revalidation) and a second person approved:
        // the guard refused, when it held the request, a requester's token that names an actor, is not of its decision
        // clients (which it checks more closely: their redirect URIs too) or is not a live session of the requester's own.
        if (session.getAttribute(GUARD_REPLAY) != null) {
            return;
        }
        String notInPerson = notTakenInPerson(token);
        if (notInPerson != null) {
            throw new ErrorResponseException("forbidden", "Review decisions are taken in person, with a token of the reviews page "
                    + "(nhi-approvals), the admin console or admin-cli: this token " + notInPerson, Response.Status.FORBIDDEN);
        }
        if (us == null) {
            throw new ErrorResponseException("forbidden", "A token of an offline or unknown session cannot decide reviews; sign in",
                    Response.Status.FORBIDDEN);
        }
    }

    /**
     * Why the token is not one the reviewer took themselves, or null: it names an actor ({@code act}: an agent's token for
     * its owner or a delegating user), or it was issued to a client other than {@link #DECISION_CLIENTS}, or to one of them
     * that is confidential or has a service account (it could exchange a person's token or mint its own). A token the
     * person handed to another client (a resource server, an agent), or one another client got for them by a token
     * exchange (standard or legacy) or refreshed from one, names that client: a twenty-fourth red-team review had an agent
     * exchange its owner's token, which keeps her live session, and attest its own review item as her; a re-attack of the
     * first fix (which looked for an exchange's traces) decided with a legacy exchange's token and with the person's own
     * token sent to a resource server.
     */
    private String notTakenInPerson(org.keycloak.representations.AccessToken token) {
        if (token != null && token.getOtherClaims().containsKey("act")) {
            return "names an actor (act)";
        }
        ClientModel client = auth.adminAuth().getClient();
        String clientId = client == null ? null : client.getClientId();
        if (clientId == null || !DECISION_CLIENTS.contains(clientId)) {
            return "was issued to " + (clientId == null ? "an unknown client" : "client " + clientId);
        }
        if (!client.isPublicClient() || client.isServiceAccountsEnabled()) {
            return "was issued to client " + clientId + ", which is confidential or has a service account";
        }
        for (String flag : TOKEN_MINTING_FLAGS) {
            if (Boolean.parseBoolean(client.getAttribute(flag))) {
                return "was issued to client " + clientId + ", which has " + flag + " on";
            }
        }
        return null;
    }

    private Campaigns campaigns() {
        return new Campaigns(session, realm, adminEvent);
    }

    private static <T> T call(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (ReviewException e) {
            Response.Status status = switch (e.kind()) {
                case NOT_FOUND -> Response.Status.NOT_FOUND;
                case FORBIDDEN -> Response.Status.FORBIDDEN;
                case CONFLICT -> Response.Status.CONFLICT;
                case INVALID -> Response.Status.BAD_REQUEST;
                case RATE_LIMITED -> Response.Status.TOO_MANY_REQUESTS;
            };
            throw new ErrorResponseException(e.error(), e.getMessage(), status);
        }
    }

    private static JsonNode object(String body, Set<String> fields) {
        JsonNode root;
        try {
            root = STRICT.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (JsonProcessingException e) {
            throw bad("request body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw bad("request body must be a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw bad("unknown field '" + f + "'; allowed: " + String.join(", ", new java.util.TreeSet<>(fields)));
            }
        }
        return root;
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw bad(field + " must be a string");
        }
        return v.textValue();
    }

    private static List<String> names(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray() || v.size() > 500) {
            throw bad(field + " must be an array of at most 500 names");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || e.textValue().isBlank()) {
                throw bad(field + " must hold non-empty strings");
            }
            out.add(e.textValue());
        }
        return out;
    }

    static ErrorResponseException bad(String message) {
        return new ErrorResponseException("invalid_request", message, Response.Status.BAD_REQUEST);
    }
}
