package dev.nhiguard.agent.notify;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jboss.logging.Logger;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailTemplateProvider;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

import dev.nhiguard.agent.registry.AgentOwners;
import dev.nhiguard.agent.registry.AgentRecord;

/**
 * Emails to an agent's owner: the owner user, or the enabled members of the owner group and
 * its subgroups (the same people who see the agent in their owner list). Recipients are
 * resolved inside the transaction that caused the mail; the mail leaves only after it ends
 * (see {@link Outbox}), through the realm's SMTP settings and Keycloak's
 * {@link EmailTemplateProvider}. A realm without SMTP settings gets no mail.
 */
public final class OwnerMail {

    public static final String EXPIRY_TEMPLATE = "nhi-agent-expiry-warning.ftl";
    public static final String EXPIRY_SUBJECT = "nhiAgentExpiryWarningSubject";
    public static final String SUSPENDED_TEMPLATE = "nhi-agent-suspended.ftl";
    public static final String SUSPENDED_SUBJECT = "nhiAgentSuspendedSubject";

    /** Owner-group mails go to at most this many members. */
    static final int MAX_RECIPIENTS = 200;

    private static final Logger LOG = Logger.getLogger(OwnerMail.class);
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    /** One email, to each of the users named. */
    public record Mail(String realmId, List<String> userIds, String template, String subjectKey, List<Object> subjectArgs,
                       Map<String, Object> attributes) {
    }

    private OwnerMail() {
    }

    /** Whether the realm can send mail at all. */
    public static boolean canSend(RealmModel realm) {
        return realm.getSmtpConfig() != null && !realm.getSmtpConfig().isEmpty();
    }

    /** The warning that an agent expires soon. */
    public static Mail expiryWarning(KeycloakSession session, RealmModel realm, ClientModel client, AgentRecord agent, Instant now) {
        long days = Math.max(0, java.time.Duration.between(now, agent.expiresAt()).toDays());
        Map<String, Object> a = agentAttributes(realm, client, agent);
        a.put("daysLeft", days);
        return new Mail(realm.getId(), recipients(session, realm, client), EXPIRY_TEMPLATE, EXPIRY_SUBJECT,
                List.of(client.getClientId(), UTC.format(agent.expiresAt())), wrap(realm, a));
    }

    /** The notice that an agent was suspended, with the recorded reason. */
    public static Mail suspended(KeycloakSession session, RealmModel realm, ClientModel client, AgentRecord agent) {
        Map<String, Object> a = agentAttributes(realm, client, agent);
        a.put("reason", agent.statusReason() == null ? "" : agent.statusReason());
        a.put("suspendedAt", agent.statusChangedAt() == null ? "" : UTC.format(agent.statusChangedAt()));
        return new Mail(realm.getId(), recipients(session, realm, client), SUSPENDED_TEMPLATE, SUSPENDED_SUBJECT,
                List.of(client.getClientId(), realm.getName()), wrap(realm, a));
    }

    /** Enabled people (not service accounts) with an email address who own the agent (owner and second owner). */
    static List<String> recipients(KeycloakSession session, RealmModel realm, ClientModel client) {
        List<UserModel> candidates = new ArrayList<>();
        for (AgentOwners.Ref owner : AgentOwners.of(client)) {
            if (owner.id() == null) {
                continue;
            }
            if (AgentRecord.OWNER_USER.equals(owner.type())) {
                UserModel u = session.users().getUserById(realm, owner.id());
                if (u != null) {
                    candidates.add(u);
                }
            } else if (AgentRecord.OWNER_GROUP.equals(owner.type())) {
                GroupModel g = session.groups().getGroupById(realm, owner.id());
                if (g != null) {
                    collectMembers(session, realm, g, candidates, new LinkedHashSet<>());
                }
            }
        }
        Set<String> out = new LinkedHashSet<>();
        for (UserModel u : candidates) {
            if (u.isEnabled() && u.getServiceAccountClientLink() == null && u.getEmail() != null && !u.getEmail().isBlank()) {
                out.add(u.getId());
            }
            if (out.size() >= MAX_RECIPIENTS) {
                LOG.warnf("realm %s: the owners of agent %s have more than %d members with email; only %d are mailed",
                        realm.getName(), client.getClientId(), MAX_RECIPIENTS, MAX_RECIPIENTS);
                break;
            }
        }
        return List.copyOf(out);
    }

    private static void collectMembers(KeycloakSession session, RealmModel realm, GroupModel group, List<UserModel> out, Set<String> seen) {
        if (!seen.add(group.getId()) || out.size() > MAX_RECIPIENTS * 2) {
            return;
        }
        session.users().getGroupMembersStream(realm, group, 0, MAX_RECIPIENTS * 2).forEach(out::add);
        group.getSubGroupsStream().forEach(sub -> collectMembers(session, realm, sub, out, seen));
    }

    private static Map<String, Object> agentAttributes(RealmModel realm, ClientModel client, AgentRecord agent) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("id", client.getId());
        a.put("name", client.getClientId());
        a.put("purpose", agent.purpose() == null ? "" : agent.purpose());
        a.put("expiresAt", agent.expiresAt() == null ? "" : UTC.format(agent.expiresAt()));
        return a;
    }

    private static Map<String, Object> wrap(RealmModel realm, Map<String, Object> agent) {
        Map<String, Object> attributes = new HashMap<>();
        attributes.put("agent", agent);
        attributes.put("agentRealm", realm.getName());
        return attributes;
    }

    /**
     * Mails that leave after the session's transaction ends: on commit, or also on rollback for
     * mails whose cause was committed separately (a claimed once-only notice).
     */
    public static final class Outbox {
        /**
         * The session attribute a change request's apply sets (the mutation guard's {@code RealmWriteLock}): a
         * {@code Consumer<Runnable>} that runs the mails once the realm's write lock is released.
         */
        public static final String AFTER_THE_LOCK = "nhi.guard.after-realm-lock";

        private final KeycloakSession session;
        private final List<Mail> onCommit = new ArrayList<>();
        private final List<Mail> always = new ArrayList<>();
        private boolean enlisted;

        public Outbox(KeycloakSession session) {
            this.session = session;
        }

        public void afterCommit(Mail mail) {
            add(onCommit, mail);
        }

        public void afterCompletion(Mail mail) {
            add(always, mail);
        }

        private void add(List<Mail> list, Mail mail) {
            if (mail.userIds().isEmpty()) {
                return;
            }
            list.add(mail);
            if (enlisted) {
                return;
            }
            enlisted = true;
            KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
            session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                @Override
                protected void commitImpl() {
                    List<Mail> mails = new ArrayList<>(onCommit);
                    mails.addAll(always);
                    clear();
                    send(mails);
                }

                @Override
                protected void rollbackImpl() {
                    List<Mail> mails = new ArrayList<>(always);
                    clear();
                    send(mails);
                }

                /** Now; or, in a change request's apply, once the realm's write lock is released (AFTER_THE_LOCK). */
                private void send(List<Mail> mails) {
                    @SuppressWarnings("unchecked")
                    java.util.function.Consumer<Runnable> afterTheLock = session.getAttribute(AFTER_THE_LOCK,
                            java.util.function.Consumer.class);
                    if (afterTheLock != null) {
                        afterTheLock.accept(() -> sendAll(factory, mails));
                    } else {
                        sendAll(factory, mails);
                    }
                }
            });
        }

        private void clear() {
            onCommit.clear();
            always.clear();
        }
    }

    static void sendAll(KeycloakSessionFactory factory, List<Mail> mails) {
        for (Mail mail : mails) {
            for (String userId : mail.userIds()) {
                try {
                    KeycloakModelUtils.runJobInTransaction(factory, s -> send(s, mail, userId));
                } catch (RuntimeException e) {
                    LOG.warnf(e, "realm %s: could not send %s to user %s", mail.realmId(), mail.template(), userId);
                }
            }
        }
    }

    private static void send(KeycloakSession s, Mail mail, String userId) {
        RealmModel realm = s.realms().getRealm(mail.realmId());
        if (realm == null || !canSend(realm)) {
            return;
        }
        s.getContext().setRealm(realm);
        UserModel user = s.users().getUserById(realm, userId);
        if (user == null || user.getEmail() == null || user.getEmail().isBlank()) {
            return;
        }
        try {
            s.getProvider(EmailTemplateProvider.class).setRealm(realm).setUser(user)
                    .send(mail.subjectKey(), mail.subjectArgs(), mail.template(), new HashMap<>(mail.attributes()));
        } catch (EmailException e) {
            LOG.warnf(e, "realm %s: could not send %s to %s", realm.getName(), mail.template(), user.getUsername());
        }
    }
}
