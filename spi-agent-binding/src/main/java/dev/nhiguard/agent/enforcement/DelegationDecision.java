package dev.nhiguard.agent.enforcement;

import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.managers.UserConsentManager;

import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.Delegation;

/** Whether an agent may act for a user, by its stored {@link Delegation}. */
final class DelegationDecision {

    /** The decision and what granted or refused it. */
    record Result(boolean granted, String why) {
    }

    private DelegationDecision() {
    }

    static Result decide(KeycloakSession session, RealmModel realm, ClientModel agent, UserModel user) {
        if (user == null) {
            return new Result(false, "the subject is not a user of realm " + realm.getName());
        }
        if (!user.isEnabled()) {
            return new Result(false, "the user is disabled");
        }
        Delegation d = Delegation.of(agent);
        if (d.owner() && AgentOwners.isOwner(session, realm, agent, user)) {
            return new Result(true, "owner");
        }
        if (d.userIds().contains(user.getId())) {
            return new Result(true, "named user");
        }
        for (String gid : d.groupIds()) {
            GroupModel g = session.groups().getGroupById(realm, gid);
            if (g != null && user.isMemberOf(g)) {
                return new Result(true, "member of " + g.getName());
            }
        }
        if (d.consented() && UserConsentManager.getConsentByClient(session, realm, user, agent.getId()) != null) {
            return new Result(true, "consented");
        }
        return new Result(false, "not granted by the agent's delegation: "
                + (d.owner() ? "owner" : "") + (d.userIds().isEmpty() ? "" : ", " + d.userIds().size() + " named users")
                + (d.groupIds().isEmpty() ? "" : ", " + d.groupIds().size() + " groups") + (d.consented() ? ", consenting users" : ""));
    }
}
