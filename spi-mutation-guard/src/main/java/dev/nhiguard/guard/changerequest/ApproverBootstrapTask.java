package dev.nhiguard.guard.changerequest;

import java.util.List;

import org.jboss.logging.Logger;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.timer.ScheduledTask;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.store.BootstrapSightEntity;

/**
 * The operator's appointment of approvers ({@code --spi-admin-realm-restapi-extension--mutation-guard--bootstrap-approvers=realm:user,…}):
 * while a named realm has fewer approvers than its policy needs ({@code approvalsRequired + 1}),
 * the named users are given the approver role directly (the role is created if missing). This is
 * the only way approvers appear without the current approvers' approval, and it is in the
 * operator's hands (server options), never an admin request's. Each appointment is logged as a
 * WARN and recorded as an admin event of resource type {@code GUARD_BOOTSTRAP} (so it lands in
 * the audit chain). Runs through Keycloak's cluster-aware task runner, so it also picks up users
 * of realms imported after start-up.
 *
 * <p>Only the user who held a listed name when the task first looked for it in the realm is appointed under it (by id,
 * {@link BootstrapSightEntity}), and only a user of Keycloak's own database: a user who takes the name later, by
 * whatever path (self-registration, an organization invitation's link, a first login through an identity provider, a
 * rename by a provider's mapper or a directory, an approved admin create), is not. The operator's option names people
 * the operator put there, not a name anyone may take. Approvers disabled by a permanent brute-force lockout still count
 * as present ({@link Approvers#appointed}): anyone who knows their username can lock them out, and that must not open
 * the bootstrap.
 */
public final class ApproverBootstrapTask implements ScheduledTask {

    private static final Logger LOG = Logger.getLogger(ApproverBootstrapTask.class);

    /**
     * One {@code realm:username} pair of the option, the username in lower case as Keycloak stores usernames and
     * trimmed, so a request's username compares with it whatever its case or padding (padding only ever holds more).
     */
    public record Appointment(String realm, String username) {
        /** Parses {@code realm:user,realm:user}; blank gives none. */
        public static List<Appointment> parse(String option) {
            if (option == null || option.isBlank()) {
                return List.of();
            }
            java.util.List<Appointment> out = new java.util.ArrayList<>();
            for (String part : option.split(",")) {
                String p = part.trim();
                int colon = p.indexOf(':');
                if (colon <= 0 || colon == p.length() - 1) {
                    throw new IllegalArgumentException("bootstrap-approvers must be realm:username pairs separated by commas, got '"
                            + p + "'");
                }
                out.add(new Appointment(p.substring(0, colon).trim(), storedUsername(p.substring(colon + 1))));
            }
            return List.copyOf(out);
        }

        /** Whether this appointment names the user Keycloak would store as {@code username} in the realm. */
        public boolean names(String realmName, String username) {
            return realm.equals(realmName) && this.username.equals(storedUsername(username));
        }

        /** In lower case as Keycloak stores a username ({@code KeycloakModelUtils.toLowerCaseSafe}), and trimmed. */
        private static String storedUsername(String username) {
            return username.trim().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final List<Appointment> appointments;

    /** Users this node has already logged as skipped (the task runs every few seconds; one warning each is enough). */
    private final java.util.Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public ApproverBootstrapTask(List<Appointment> appointments) {
        this.appointments = List.copyOf(appointments);
    }

    @Override
    public void run(KeycloakSession session) {
        for (Appointment a : appointments) {
            RealmModel realm = session.realms().getRealmByName(a.realm());
            if (realm == null) {
                continue; // not imported yet
            }
            session.getContext().setRealm(realm);
            // Looked for on every run, short of approvers or not: the first look pins who holds the name.
            UserModel user = session.users().getUserByUsername(realm, a.username());
            String heldAtFirstSight = firstSight(session, realm.getId(), a.username(), user);
            GuardPolicy policy;
            try {
                policy = Policies.of(realm);
            } catch (PolicyException e) {
                LOG.warnf("Approver bootstrap skipped in realm %s: %s", realm.getName(), e.getMessage());
                continue;
            }
            if (policy.approverRealm() != null || Approvers.appointed(session, realm, policy) >= policy.approvalsRequired() + 1) {
                continue;
            }
            if (user == null || user.getServiceAccountClientLink() != null) {
                continue;
            }
            // Only the holder at first sight, and only a user of Keycloak's own database: a user-storage provider's user
            // is whoever the directory says, under whatever name it gives, and a grant to it may go to the directory,
            // where it makes no approver (Approvers#holdsDirectly).
            boolean local = user.getFederationLink() == null && org.keycloak.storage.StorageId.isLocalStorage(user.getId());
            if (!local || !user.getId().equals(heldAtFirstSight)) {
                if (warned.add(realm.getId() + "/" + user.getId())) {
                    LOG.warnf("Approver bootstrap skipped for %s in realm %s: the user comes from a user-storage provider, or "
                            + "is not the user who held the name when the bootstrap first looked for it (signed up, renamed or "
                            + "created since); the option appoints only users of Keycloak's own database that held the name "
                            + "then (import them with the realm)", user.getUsername(), realm.getName());
                }
                continue;
            }
            RoleModel role = realm.getRole(policy.approverRole());
            if (role == null) {
                role = realm.addRole(policy.approverRole());
            }
            if (Approvers.holdsDirectly(session, realm, user, role)) {
                continue;
            }
            user.grantRole(role);
            LOG.warnf("Mutation guard: operator bootstrap appointed %s (%s) approver in realm %s (option bootstrap-approvers)",
                    user.getUsername(), user.getId(), realm.getName());
            record(session, realm, user, policy);
        }
    }

    /**
     * The id of the user who held the name when the task first looked for it in the realm (null: nobody), read, or noted
     * now from {@code holder} (this is the first look).
     */
    private static String firstSight(KeycloakSession session, String realmId, String username, UserModel holder) {
        jakarta.persistence.EntityManager em = session.getProvider(org.keycloak.connections.jpa.JpaConnectionProvider.class)
                .getEntityManager();
        BootstrapSightEntity seen = em.find(BootstrapSightEntity.class, BootstrapSightEntity.key(realmId, username));
        if (seen == null) {
            seen = new BootstrapSightEntity(realmId, username, holder == null ? null : holder.getId(),
                    org.keycloak.common.util.Time.currentTimeMillis());
            em.persist(seen);
        }
        return seen.getUserId();
    }

    private static void record(KeycloakSession s, RealmModel realm, UserModel user, GuardPolicy policy) {
        AdminEvent prepared = new AdminEvent();
        prepared.setRealmId(realm.getId());
        prepared.setRealmName(realm.getName());
        AuthDetails details = new AuthDetails();
        details.setRealmId(realm.getId());
        details.setRealmName(realm.getName());
        details.setIpAddress("nhi-guard-operator");
        prepared.setAuthDetails(details);
        ObjectNode rep = JsonSerialization.mapper.createObjectNode();
        rep.put("userId", user.getId());
        rep.put("username", user.getUsername());
        rep.put("role", policy.approverRole());
        rep.put("source", "server option bootstrap-approvers");
        new AdminEventBuilder(realm, new AdminAuth(realm, null, null, null), s, "nhi-guard-operator", prepared) {
        }.operation(OperationType.ACTION).resource("GUARD_BOOTSTRAP").resourcePath("mutation-guard", "bootstrap")
                .representation(rep).detail("userId", user.getId()).success();
    }

    @Override
    public String getTaskName() {
        return "nhi-guard-approver-bootstrap";
    }
}
