package dev.nhiguard.agent.inventory;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

import dev.nhiguard.agent.enforcement.AgentBindingExecutorFactory;
import dev.nhiguard.agent.enforcement.SecurityProfileCheck;
import dev.nhiguard.agent.lifecycle.LifecycleActions;
import dev.nhiguard.agent.lifecycle.LifecyclePolicy;
import dev.nhiguard.agent.lifecycle.LifecycleRun;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.review.ReviewsResource;
import dev.nhiguard.agent.review.RiskNarrowing;

/** {@code /admin/realms/{realm}/nhi}: what non-human identities the realm has, and its lifecycle policy. */
public final class NhiResource {

    static final int MAX_PAGE = 1000;
    static final String CSV = "text/csv";

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final AdminEventBuilder adminEvent;

    NhiResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth, AdminEventBuilder adminEvent) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.adminEvent = adminEvent;
    }

    /** A page of the inventory: {@code total} counts every entry matching the filters. */
    public record Page(int first, int max, long total, List<InventoryEntry> items) {
    }

    /** Whether agent token-time enforcement is active on this server. */
    public record Status(boolean tokenTimeEnforcement, String securityProfile, String detail, String requiredOption) {
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    public Status status() {
        auth.clients().requireView();
        SecurityProfileCheck.Status s = SecurityProfileCheck.check(session);
        return new Status(s.enforced(), s.securityProfile(), s.detail(),
                "--spi-security-profile--default--name=" + AgentBindingExecutorFactory.SECURITY_PROFILE);
    }

    /**
     * Every service-account client, agents and others. Filters: {@code flag} (repeatable, all must
     * hold), {@code agent} (true/false), {@code search} (clientId substring), {@code owner} (owner id).
     * {@code format=csv} (or {@code Accept: text/csv}) answers CSV of the same page.
     */
    @GET
    @Path("inventory")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    public Response inventory(@QueryParam("first") Integer first, @QueryParam("max") Integer max,
                              @QueryParam("flag") List<String> flags, @QueryParam("agent") String agent,
                              @QueryParam("search") String search, @QueryParam("owner") String owner,
                              @QueryParam("format") String format, @QueryParam("expiresWithinDays") Integer expiresWithinDays) {
        auth.clients().requireView();
        int from = first == null ? 0 : first;
        int size = max == null ? 100 : max;
        if (from < 0 || size < 1 || size > MAX_PAGE) {
            throw bad("first must be >= 0 and max between 1 and " + MAX_PAGE);
        }
        Set<String> wanted = flags == null ? Set.of() : flags.stream().map(f -> f.toUpperCase(Locale.ROOT)).collect(Collectors.toSet());
        for (String f : wanted) {
            if (!Inventory.FLAGS.contains(f)) {
                throw bad("unknown flag " + f + "; flags are " + String.join(", ", new java.util.TreeSet<>(Inventory.FLAGS)));
            }
        }
        if (agent != null && !agent.equals("true") && !agent.equals("false")) {
            throw bad("agent must be true or false");
        }
        if (expiresWithinDays != null && (expiresWithinDays < 0 || expiresWithinDays > 3650)) {
            throw bad("expiresWithinDays must be between 0 and 3650");
        }
        java.time.Instant horizon = expiresWithinDays == null ? null
                : dev.nhiguard.agent.registry.AgentClock.now(session, realm).plus(java.time.Duration.ofDays(expiresWithinDays));
        boolean csv;
        if (format == null) {
            String accept = session.getContext().getRequestHeaders().getHeaderString("Accept");
            csv = accept != null && accept.contains(CSV) && !accept.contains(MediaType.APPLICATION_JSON);
        } else if (format.equals("csv") || format.equals("json")) {
            csv = format.equals("csv");
        } else {
            throw bad("format must be json or csv");
        }

        InventoryFilter filter = new InventoryFilter(wanted, agent == null ? null : Boolean.valueOf(agent), search, owner, horizon);
        InventoryIndex.Page indexed = new InventoryIndex(session, realm).page(filter, from, size);
        long total;
        List<InventoryEntry> page;
        if (indexed != null) {
            total = indexed.total();
            page = indexed.items();
        } else {
            // The realm's index is being built by another request: evaluate the models this once.
            List<InventoryEntry> matching = new Inventory(session, realm).all().stream().filter(filter::test).toList();
            total = matching.size();
            page = matching.stream().skip(from).limit(size).toList();
        }
        if (csv) {
            return Response.ok(InventoryCsv.write(page), CSV + "; charset=utf-8")
                    .header("X-Total-Count", total).build();
        }
        return Response.ok(new Page(from, size, total, page), MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path("policy")
    @Produces(MediaType.APPLICATION_JSON)
    public LifecyclePolicy policy() {
        auth.clients().requireView();
        return LifecyclePolicy.stored(realm.getAttribute(LifecyclePolicy.ATTRIBUTE));
    }

    @PUT
    @Path("policy")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public LifecyclePolicy updatePolicy(String body) {
        auth.realm().requireManageRealm();
        LifecyclePolicy policy;
        try {
            policy = LifecyclePolicy.parse(body == null ? "" : body);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        realm.setAttribute(LifecyclePolicy.ATTRIBUTE, policy.toJson());
        adminEvent.resource("NHI_POLICY").operation(OperationType.UPDATE).resourcePath("nhi", "policy").representation(policy).success();
        return policy;
    }

    /** A risk signal about one client. */
    public record SignalResult(String clientId, String id, String signal, String action, String outcome, String reason) {
    }

    /** A recorded automatic action. */
    public record ActionView(String id, String clientId, String action, String trigger, String reason, String at) {
    }

    /**
     * Reports a risk signal: {@code {"type": "leaked-secret" | "auth-failure-burst" | "new-source-network",
     * "clientId": "...", "detail": "..."}}. Proportionate response: an agent is suspended for a
     * leaked secret or an authentication-failure burst; another service account with a client
     * secret gets a new secret for a leaked one; everything else is recorded for review.
     */
    @POST
    @Path("signals")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response signal(String body) {
        auth.clients().requireManage();
        Signal signal;
        try {
            signal = Signal.parse(body);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        ClientModel client = realm.getClientByClientId(signal.clientId());
        if (client == null || !client.isServiceAccountsEnabled()) {
            throw new ErrorResponseException("not_found", "no service-account client " + signal.clientId() + " in realm " + realm.getName(),
                    Response.Status.NOT_FOUND);
        }
        auth.clients().requireManage(client);
        String reporter = auth.adminAuth().getUser() == null ? "unknown" : auth.adminAuth().getUser().getUsername();
        String reason = "reported by " + reporter + (signal.detail() == null ? "" : ": " + signal.detail());
        LifecycleActions actions = new LifecycleActions(session, realm, adminEvent);
        String trigger = "signal:" + signal.type();
        String action;
        LifecycleActions.Outcome outcome;
        boolean agent = AgentRecord.isAgent(client);
        if (RiskNarrowing.appliesTo(realm, signal.type())) {
            // The review policy answers this signal with a narrowing, kept until the owner revalidates.
            action = RiskNarrowing.NARROW;
            outcome = new RiskNarrowing(session, realm, adminEvent).narrow(client, trigger, reason);
        } else if (agent && !Signal.NEW_SOURCE_NETWORK.equals(signal.type())) {
            action = LifecycleActions.SUSPEND;
            outcome = actions.suspend(client, trigger, reason);
        } else {
            action = LifecycleActions.ROTATE_SECRET;
            outcome = !agent && Signal.LEAKED_SECRET.equals(signal.type())
                    ? actions.rotateSecret(client, trigger, reason) : LifecycleActions.Outcome.NOT_APPLICABLE;
            if (outcome == LifecycleActions.Outcome.NOT_APPLICABLE) {
                action = LifecycleActions.REVIEW;
                outcome = actions.review(client, trigger, reason);
            }
        }
        if (outcome == LifecycleActions.Outcome.RATE_LIMITED) {
            throw new ErrorResponseException("rate_limited", "automatic actions of realm " + realm.getName()
                    + " reached the policy's hourly limit; the signal was not acted on", Response.Status.TOO_MANY_REQUESTS);
        }
        return Response.ok(new SignalResult(client.getClientId(), client.getId(), signal.type(), action, outcome.name(), reason),
                MediaType.APPLICATION_JSON).build();
    }

    /** Runs the lifecycle pass over this realm now (the scheduled pass does the same). */
    @POST
    @Path("lifecycle/run")
    @Produces(MediaType.APPLICATION_JSON)
    public LifecycleRun.Result runLifecycle(String body) {
        auth.clients().requireManage();
        dev.nhiguard.agent.RequestBodies.requireNone(body);
        return new LifecycleRun(session, realm, adminEvent).run();
    }

    /** Recorded lifecycle actions, automatic and by admins (trigger {@code admin:<username>}), newest first. */
    @GET
    @Path("actions")
    @Produces(MediaType.APPLICATION_JSON)
    public List<ActionView> actions(@QueryParam("clientId") String clientId, @QueryParam("max") Integer max) {
        auth.clients().requireView();
        int size = max == null ? 100 : max;
        if (size < 1 || size > MAX_PAGE) {
            throw bad("max must be between 1 and " + MAX_PAGE);
        }
        String uuid = null;
        if (clientId != null) {
            ClientModel c = realm.getClientByClientId(clientId);
            if (c == null) {
                return List.of();
            }
            uuid = c.getId();
        }
        return new LifecycleActions(session, realm, adminEvent).recent(uuid, size).stream()
                .map(a -> {
                    ClientModel c = realm.getClientById(a.getClientId());
                    return new ActionView(a.getId(), c == null ? a.getClientId() : c.getClientId(), a.getAction(), a.getTrigger(),
                            a.getReason(), java.time.Instant.ofEpochMilli(a.getCreatedAt()).toString());
                }).toList();
    }

    /** Access reviews: campaigns, decisions, evidence, the review policy and risk narrowings. */
    @Path("reviews")
    public ReviewsResource reviews() {
        return new ReviewsResource(session, realm, auth, adminEvent);
    }

    static ErrorResponseException bad(String message) {
        return new ErrorResponseException("invalid_request", message, Response.Status.BAD_REQUEST);
    }
}
