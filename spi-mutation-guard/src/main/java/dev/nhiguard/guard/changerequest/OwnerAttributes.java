package dev.nhiguard.guard.changerequest;

import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/**
 * The client attributes that name the owner of a service account, as the agent-binding module
 * writes them: {@code nhi.agent.owner.type}/{@code nhi.agent.owner.id} for registered agents,
 * {@code nhi.owner.type}/{@code nhi.owner.id} for any other service account; the type is
 * {@code user} or {@code group}, the id the user's or group's id. The modules share no classes;
 * {@code OwnerAttributesContractTest} checks these names against the agent module's.
 */
public final class OwnerAttributes {

    public static final String AGENT_OWNER_TYPE = "nhi.agent.owner.type";
    public static final String AGENT_OWNER_ID = "nhi.agent.owner.id";
    /** An agent's optional second owner. */
    public static final String AGENT_OWNER2_TYPE = "nhi.agent.owner2.type";
    public static final String AGENT_OWNER2_ID = "nhi.agent.owner2.id";
    public static final String OWNER_TYPE = "nhi.owner.type";
    public static final String OWNER_ID = "nhi.owner.id";
    /** The marker of a registered agent's client ({@code "true"}). */
    public static final String AGENT_MARKER = "nhi.agent";
    public static final String USER = "user";
    public static final String GROUP = "group";

    private OwnerAttributes() {
    }

    /** Whether the client is a registered agent's. */
    public static boolean isAgent(ClientModel client) {
        return "true".equals(client.getAttribute(AGENT_MARKER));
    }

    /**
     * Whether the client is a guarded non-human identity: its service account is on, or it is a
     * registered agent (an agent stays one whatever its service-account setting says). Turning a
     * service account off deletes its user; the backstop judges that removal.
     */
    public static boolean isNonHumanIdentity(ClientModel client) {
        return client.isServiceAccountsEnabled() || isAgent(client);
    }

    /**
     * Whether the client exchanges other clients' tokens (standard token exchange on, read as Keycloak reads it:
     * {@code Boolean.parseBoolean}, {@code OIDCAdvancedConfigWrapper#isStandardTokenExchangeEnabled}). A token it
     * gets for a service account's token names that service account as its subject and carries the service account's
     * roles, with this client's mappers, scope, audience and lifetime: its settings shape the service account's tokens.
     */
    public static boolean exchangesTokens(ClientModel client) {
        return Boolean.parseBoolean(client.getAttribute(dev.nhiguard.guard.catalogue.Catalogue.STANDARD_TOKEN_EXCHANGE));
    }

    /**
     * Whether the client's settings shape what a non-human identity's tokens carry: it is one ({@link
     * #isNonHumanIdentity}), or it exchanges others' tokens ({@link #exchangesTokens}).
     */
    public static boolean shapesNonHumanTokens(ClientModel client) {
        return isNonHumanIdentity(client) || exchangesTokens(client);
    }

    /** Whether the user owns the client, directly or through membership of the owning group. */
    public static boolean owns(KeycloakSession session, RealmModel realm, ClientModel client, UserModel user) {
        return owns(session, realm, client.getAttribute(AGENT_OWNER_TYPE), client.getAttribute(AGENT_OWNER_ID), user)
                || owns(session, realm, client.getAttribute(AGENT_OWNER2_TYPE), client.getAttribute(AGENT_OWNER2_ID), user)
                || owns(session, realm, client.getAttribute(OWNER_TYPE), client.getAttribute(OWNER_ID), user);
    }

    private static boolean owns(KeycloakSession session, RealmModel realm, String type, String id, UserModel user) {
        if (id == null) {
            return false;
        }
        if (GROUP.equals(type)) {
            GroupModel g = session.groups().getGroupById(realm, id);
            return g != null && user.isMemberOf(g);
        }
        return id.equals(user.getId());
    }
}
