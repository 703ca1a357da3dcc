package dev.nhiguard.agent.owner;

import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.Config;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.managers.AppAuthManager;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

import dev.nhiguard.agent.ModuleVersion;
import dev.nhiguard.agent.registry.AgentQueries;
import dev.nhiguard.agent.registry.AgentRecord;
import dev.nhiguard.agent.registry.AgentRegistry;
import dev.nhiguard.agent.registry.AgentRepresentation;

/**
 * {@code GET /realms/{realm}/nhi-owner/agents}: with a user's bearer token, the agents that user
 * owns, directly or through a group they belong to (including parent groups). A token carrying {@code act}
 * (an agent acting for the owner) is refused with 403: an owner lists their agents in person.
 */
public final class OwnerAgentsResourceProviderFactory implements RealmResourceProviderFactory, ServerInfoAwareProviderFactory {

    public static final String PROVIDER_ID = "nhi-owner";
    /** RFC 8693's actor claim: the token is held by someone acting for its subject. */
    static final String ACT_CLAIM = "act";

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new RealmResourceProvider() {
            @Override
            public Object getResource() {
                return new OwnerAgentsResource(session);
            }

            @Override
            public void close() {
            }
        };
    }

    /** The owner's view. */
    public static final class OwnerAgentsResource {
        private final KeycloakSession session;

        OwnerAgentsResource(KeycloakSession session) {
            this.session = session;
        }

        @GET
        @Path("agents")
        @Produces(MediaType.APPLICATION_JSON)
        public List<AgentRepresentation> mine() {
            AuthenticationManager.AuthResult auth = new AppAuthManager.BearerTokenAuthenticator(session).authenticate();
            if (auth == null || auth.user() == null) {
                throw new ErrorResponseException("invalid_token", "a valid bearer token of a user of this realm is required",
                        Response.Status.UNAUTHORIZED);
            }
            if (auth.token() != null && auth.token().getOtherClaims().containsKey(ACT_CLAIM)) {
                // An owner acts in person: a token an agent holds for its owner (token exchange) lists nothing.
                throw new ErrorResponseException("invalid_token", "a token that names an actor (act) is not the owner's own",
                        Response.Status.FORBIDDEN);
            }
            RealmModel realm = session.getContext().getRealm();
            UserModel user = auth.user();
            Set<String> ownerIds = new java.util.HashSet<>();
            user.getGroupsStream()
                    .flatMap(g -> {
                        java.util.List<GroupModel> chain = new java.util.ArrayList<>();
                        for (GroupModel x = g; x != null; x = x.getParent()) {
                            chain.add(x);
                        }
                        return chain.stream();
                    })
                    .map(GroupModel::getId).forEach(ownerIds::add);
            ownerIds.add(user.getId());
            AgentRegistry registry = new AgentRegistry(session, realm);
            return AgentQueries.agentClientIds(session, realm).stream()
                    .map(realm::getClientById)
                    .filter(c -> c != null && AgentRecord.isAgent(c) && (ownerIds.contains(c.getAttribute(AgentRecord.OWNER_ID))
                            || ownerIds.contains(c.getAttribute(dev.nhiguard.agent.registry.AgentOwners.OWNER2_ID))))
                    .map(registry::toRepresentation)
                    .toList();
        }
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return Map.of("version", ModuleVersion.get());
    }
}
