package dev.nhiguard.agent.registry;

import java.util.Locale;
import java.util.stream.Stream;

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

import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelDuplicateException;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.ModelToRepresentation;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

import dev.nhiguard.agent.lifecycle.LifecycleActions;

/**
 * {@code /admin/realms/{realm}/agents}: the agent registry. manage-clients to write,
 * view-clients to read. Every change emits an admin event of resource type {@code AGENT}.
 */
public final class AgentsResource {

    public static final String RESOURCE_TYPE = "AGENT";
    static final int MAX_PAGE = 1000;

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final AdminEventBuilder adminEvent;
    private final AgentRegistry registry;

    AgentsResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth, AdminEventBuilder adminEvent) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.adminEvent = adminEvent;
        this.registry = new AgentRegistry(session, realm);
    }

    /** A page of agents. */
    public record Page(int first, int max, java.util.List<AgentRepresentation> items) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Page list(@QueryParam("first") Integer first, @QueryParam("max") Integer max,
                     @QueryParam("status") String status, @QueryParam("owner") String ownerId,
                     @QueryParam("name") String name) {
        auth.clients().requireView();
        int from = first == null ? 0 : first;
        int size = max == null ? 100 : max;
        if (from < 0 || size < 1 || size > MAX_PAGE) {
            throw bad("first must be >= 0 and max between 1 and " + MAX_PAGE);
        }
        AgentRecord.Status wanted = null;
        if (status != null) {
            try {
                wanted = AgentRecord.Status.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw bad("status must be one of active, suspended, retired");
            }
        }
        AgentRecord.Status statusFilter = wanted;
        Stream<ClientModel> clients = AgentQueries.agentClientIds(session, realm).stream()
                .map(realm::getClientById)
                .filter(c -> c != null && AgentRecord.isAgent(c))
                .filter(c -> statusFilter == null || statusFilter.name().equals(c.getAttribute(AgentRecord.STATUS)))
                .filter(c -> ownerId == null || ownerId.equals(c.getAttribute(AgentRecord.OWNER_ID))
                        || ownerId.equals(c.getAttribute(AgentOwners.OWNER2_ID)))
                .filter(c -> name == null || name.equals(c.getClientId()))
                .skip(from)
                .limit(size);
        return new Page(from, size, clients.map(registry::toRepresentation).toList());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response register(String body) {
        auth.clients().requireManage();
        ClientModel client;
        try {
            client = registry.register(AgentInput.parse(body, true));
        } catch (AgentInput.InvalidInput e) {
            throw bad(e.getMessage());
        } catch (AgentRegistry.Conflict | ModelDuplicateException e) {
            throw conflict(e.getMessage());
        }
        adminEvent.resource(ResourceType.CLIENT).operation(OperationType.CREATE).resourcePath("clients", client.getId())
                .representation(ModelToRepresentation.toRepresentation(client, session)).success();
        AgentRepresentation rep = registry.toRepresentation(client);
        event(OperationType.CREATE, client, rep, "registered");
        return Response.created(session.getContext().getUri().getAbsolutePathBuilder().path(client.getId()).build())
                .entity(rep).type(MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public AgentRepresentation get(@PathParam("id") String id) {
        auth.clients().requireView();
        return registry.toRepresentation(agent(id));
    }

    @PUT
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public AgentRepresentation update(@PathParam("id") String id, String body) {
        auth.clients().requireManage();
        ClientModel client = agent(id);
        auth.clients().requireManage(client);
        boolean reassigned;
        try {
            reassigned = registry.update(client, AgentInput.parse(body, false));
        } catch (AgentInput.InvalidInput e) {
            throw bad(e.getMessage());
        } catch (AgentRegistry.Conflict e) {
            throw conflict(e.getMessage());
        }
        client.updateClient();
        if (reassigned) {
            new LifecycleActions(session, realm, adminEvent).recordManual(client, LifecycleActions.OWNER_REASSIGNED, actor(),
                    "owner reassigned by " + actor() + ": owner latch lifted, agent " + String.valueOf(AgentRecord.of(client).status()).toLowerCase(Locale.ROOT));
        }
        AgentRepresentation rep = registry.toRepresentation(client);
        event(OperationType.UPDATE, client, rep, "updated");
        return rep;
    }

    @POST
    @Path("{id}/suspend")
    @Produces(MediaType.APPLICATION_JSON)
    public AgentRepresentation suspend(@PathParam("id") String id, String body) {
        return transition(id, body, AgentRecord.Status.SUSPENDED, "suspended");
    }

    @POST
    @Path("{id}/resume")
    @Produces(MediaType.APPLICATION_JSON)
    public AgentRepresentation resume(@PathParam("id") String id, String body) {
        return transition(id, body, AgentRecord.Status.ACTIVE, "resumed");
    }

    @POST
    @Path("{id}/retire")
    @Produces(MediaType.APPLICATION_JSON)
    public AgentRepresentation retire(@PathParam("id") String id, String body) {
        return transition(id, body, AgentRecord.Status.RETIRED, "retired");
    }

    private AgentRepresentation transition(String id, String body, AgentRecord.Status target, String action) {
        auth.clients().requireManage();
        ClientModel client = agent(id);
        auth.clients().requireManage(client);
        dev.nhiguard.agent.RequestBodies.requireJsonIfPresent(session, body);
        String reason;
        try {
            reason = AgentInput.reason(body);
        } catch (AgentInput.InvalidInput e) {
            throw bad(e.getMessage());
        }
        String actor = actor();
        String recorded = action + " by " + actor + (reason == null ? "" : ": " + reason);
        try {
            registry.changeStatus(client, target, recorded);
        } catch (AgentRegistry.Conflict e) {
            throw conflict(e.getMessage());
        }
        client.updateClient();
        new LifecycleActions(session, realm, adminEvent).recordManual(client, switch (target) {
            case ACTIVE -> LifecycleActions.RESUME;
            case SUSPENDED -> LifecycleActions.SUSPEND;
            case RETIRED -> LifecycleActions.RETIRE;
        }, actor, recorded);
        AgentRepresentation rep = registry.toRepresentation(client);
        event(OperationType.ACTION, client, rep, action);
        return rep;
    }

    private String actor() {
        return auth.adminAuth().getUser() == null ? "admin" : auth.adminAuth().getUser().getUsername();
    }

    private ClientModel agent(String id) {
        ClientModel client = realm.getClientById(id);
        if (client == null || !AgentRecord.isAgent(client)) {
            throw new ErrorResponseException("not_found", "no agent " + id + " in realm " + realm.getName(), Response.Status.NOT_FOUND);
        }
        return client;
    }

    private void event(OperationType op, ClientModel client, AgentRepresentation rep, String action) {
        adminEvent.resource(RESOURCE_TYPE).operation(op).resourcePath("agents", client.getId()).representation(rep)
                .detail("action", action).detail("clientId", client.getClientId()).detail("status", rep.status())
                .detail("reason", rep.statusReason()).success();
    }

    static ErrorResponseException bad(String message) {
        return new ErrorResponseException("invalid_request", message, Response.Status.BAD_REQUEST);
    }

    static ErrorResponseException conflict(String message) {
        return new ErrorResponseException("conflict", message, Response.Status.CONFLICT);
    }
}
