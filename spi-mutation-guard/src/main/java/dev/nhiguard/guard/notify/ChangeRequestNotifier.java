package dev.nhiguard.guard.notify;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jboss.logging.Logger;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailTemplateProvider;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.changerequest.GuardService;
import dev.nhiguard.guard.changerequest.Policies;
import dev.nhiguard.guard.policy.PolicyException;

/**
 * Turns {@code CHANGE_REQUEST} admin events into emails. Recipients are resolved inside the
 * transition's transaction; the mail leaves only after it committed, so a rolled-back
 * transition sends nothing.
 */
final class ChangeRequestNotifier implements EventListenerProvider {

    private static final Logger LOG = Logger.getLogger(ChangeRequestNotifier.class);

    /** Transitions the requester hears about; CREATED goes to the approvers, CANCELLED to nobody. */
    static final Set<String> REQUESTER_TRANSITIONS = Set.of("APPROVED", "REJECTED", "APPLIED", "FAILED", "EXPIRED", "ROLLED_BACK");
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    /**
     * One email to send: through which realm's mail settings and theme ({@code realmId}), to whom
     * (the user's realm and id), which template, with which attributes.
     */
    record Mail(String realmId, String userRealmId, String userId, String template, String subjectKey, List<Object> subjectArgs,
                Map<String, Object> attributes) {
    }

    private final KeycloakSession session;
    private final List<Mail> outbox = new ArrayList<>();
    private boolean enlisted;

    ChangeRequestNotifier(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public void onEvent(Event event) {
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        if (!GuardService.RESOURCE_TYPE.equals(event.getResourceTypeAsString()) || event.getRepresentation() == null) {
            return;
        }
        RealmModel realm = session.realms().getRealm(event.getRealmId());
        if (realm == null || realm.getSmtpConfig() == null || realm.getSmtpConfig().isEmpty()) {
            return;
        }
        JsonNode cr;
        try {
            cr = JsonSerialization.mapper.readTree(event.getRepresentation());
        } catch (IOException e) {
            LOG.warnf(e, "Unreadable change-request event in realm %s; no email sent", realm.getName());
            return;
        }
        String transition = event.getDetails() == null ? null : event.getDetails().get("transition");
        if (transition == null) {
            transition = cr.path("transition").asText(null);
        }
        Map<String, Object> attributes = attributes(realm, cr, transition);
        String operation = operationLabel(cr);
        String target = shown(targetName(realm, cr.path("target").asText("")));
        String requesterId = cr.path("requester").path("userId").asText(null);
        if ("CREATED".equals(transition)) {
            RealmModel approverRealm = approverRealm(realm);
            for (UserModel approver : approvers(approverRealm, realm)) {
                if (!approver.getId().equals(requesterId)) {
                    // Through the guarded realm's mail settings: approvers of another realm (approverRealm) too.
                    queue(new Mail(realm.getId(), approverRealm.getId(), approver.getId(), "nhi-guard-approval-needed.ftl",
                            "nhiGuardApprovalNeededSubject", List.of(operation, target), attributes));
                }
            }
        } else if (REQUESTER_TRANSITIONS.contains(transition) && requesterId != null) {
            String requesterRealmId = cr.path("requester").path("realmId").asText(realm.getId());
            queue(new Mail(requesterRealmId, requesterRealmId, requesterId, "nhi-guard-decision.ftl", "nhiGuardDecisionSubject",
                    List.of(operation, target, transition), attributes));
        }
    }

    /** The realm whose users approve the guarded realm's changes (the policy's approverRealm); the guarded realm when unreadable. */
    private RealmModel approverRealm(RealmModel guarded) {
        try {
            RealmModel r = dev.nhiguard.guard.changerequest.Approvers.approverRealm(session, guarded, Policies.of(guarded));
            return r == null ? guarded : r;
        } catch (PolicyException e) {
            return guarded;
        }
    }

    /** The approvers as the guard counts them: enabled users of the approver realm holding the role directly, with an email. */
    private List<UserModel> approvers(RealmModel approverRealm, RealmModel guarded) {
        String roleName = approverRole(guarded);
        RoleModel role = roleName == null ? null : approverRealm.getRole(roleName);
        if (role == null) {
            return List.of();
        }
        return dev.nhiguard.guard.changerequest.Approvers.directHolders(session, approverRealm, role)
                .filter(UserModel::isEnabled)
                .filter(u -> u.getEmail() != null && !u.getEmail().isBlank())
                .filter(u -> u.getServiceAccountClientLink() == null)
                .toList();
    }

    private static String approverRole(RealmModel realm) {
        try {
            return Policies.of(realm).approverRole();
        } catch (PolicyException e) {
            LOG.warnf("Unreadable guard policy of realm %s (%s); approvers are not mailed", realm.getName(), e.getMessage());
            return null;
        }
    }

    /** Longest value from a request that a mail shows in full. */
    static final int SHOWN_LENGTH = 200;

    /**
     * A value from the request (a clientId, a username, a path, a reason) as a mail shows it: characters outside
     * printable ASCII as code point escapes (a backslash, {@code u} and the hexadecimal code point in braces), as the approvals page shows them, and at most
     * {@value #SHOWN_LENGTH} characters. A line break in a clientId wrote lines of its creator's choosing, a link
     * among them, into the approvers' mails (seventeenth review); a bidi control would reorder what they read.
     */
    static String shown(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        value.codePoints().forEach(c -> {
            if (c >= 0x20 && c <= 0x7e) {
                out.append((char) c);
            } else {
                out.append("\\u{").append(Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)).append('}');
            }
        });
        return out.length() > SHOWN_LENGTH ? out.substring(0, SHOWN_LENGTH) + "..." : out.toString();
    }

    /** Every effect of the request, its operation (the strictest) first, as the approvals page names them. */
    static String operationLabel(JsonNode cr) {
        String operation = cr.path("operation").asText();
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(operation));
        cr.path("effects").forEach(e -> {
            if (!e.asText().equals(operation)) {
                all.add(e.asText());
            }
        });
        return String.join(" + ", all);
    }

    /** What a person recognises: a client's clientId, a user's username, else the target as stored. */
    private String targetName(RealmModel realm, String target) {
        int colon = target.indexOf(':');
        if (colon < 0) {
            return target.isEmpty() ? "realm " + realm.getName() : target;
        }
        String type = target.substring(0, colon);
        String id = target.substring(colon + 1);
        if ("client".equals(type)) {
            var client = realm.getClientById(id);
            return client == null ? target : client.getClientId();
        }
        if ("user".equals(type)) {
            UserModel user = session.users().getUserById(realm, id);
            if (user == null) {
                return target;
            }
            return user.getServiceAccountClientLink() != null
                    ? "service account of " + realm.getClientById(user.getServiceAccountClientLink()).getClientId()
                    : user.getUsername();
        }
        return target;
    }

    private Map<String, Object> attributes(RealmModel realm, JsonNode cr, String transition) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", cr.path("id").asText());
        c.put("operation", operationLabel(cr));
        c.put("target", shown(targetName(realm, cr.path("target").asText(""))));
        c.put("request", shown(cr.path("method").asText() + " " + cr.path("path").asText()));
        c.put("state", cr.path("state").asText());
        c.put("transition", transition);
        c.put("requester", shown(cr.path("requester").path("username").asText(cr.path("requester").path("userId").asText())));
        c.put("digest", cr.path("digest").asText());
        c.put("decision", shown(cr.path("decision").asText("")));
        c.put("expiresAt", cr.hasNonNull("expiresAt") ? UTC.format(Instant.ofEpochMilli(cr.get("expiresAt").asLong())) : "");
        Map<String, Object> attributes = new HashMap<>();
        attributes.put("changeRequest", c);
        attributes.put("targetRealm", shown(realm.getName())); // a realm admin renames the realm unheld
        String link = approvalsPage(realm, c.get("id").toString(), signInRealm(realm, cr, transition));
        if (link != null) {
            attributes.put("link", link);
        }
        return attributes;
    }

    /**
     * Where the mail's reader signs in to the page: approvers in the policy's approver realm (the
     * guarded realm unless it names one), the requester in the realm they requested from.
     */
    private String signInRealm(RealmModel realm, JsonNode cr, String transition) {
        if ("CREATED".equals(transition)) {
            try {
                String approverRealm = Policies.of(realm).approverRealm();
                return approverRealm == null ? realm.getName() : approverRealm;
            } catch (PolicyException e) {
                return realm.getName();
            }
        }
        RealmModel requesterRealm = session.realms().getRealm(cr.path("requester").path("realmId").asText(realm.getId()));
        return requesterRealm == null ? realm.getName() : requesterRealm.getName();
    }

    /**
     * The approvals page of the nhi-guard theme, opened on this change request; null without a trusted base. The base
     * is the sign-in realm's: the page signs in there, and that realm's client accepts its own frontend's pages.
     */
    private String approvalsPage(RealmModel realm, String id, String signInRealm) {
        RealmModel signIn = signInRealm == null ? null : session.realms().getRealmByName(signInRealm);
        java.net.URI base = MailLinkBase.of(session, signIn != null ? signIn : realm);
        return base == null ? null : ApprovalsPage.link(base, realm.getName(), id, signInRealm);
    }

    private void queue(Mail mail) {
        outbox.add(mail);
        if (!enlisted) {
            enlisted = true;
            session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
                @Override
                protected void commitImpl() {
                    sendAll();
                }

                @Override
                protected void rollbackImpl() {
                    outbox.clear();
                }
            });
        }
    }

    private void sendAll() {
        List<Mail> mails = List.copyOf(outbox);
        outbox.clear();
        @SuppressWarnings("unchecked")
        java.util.function.Consumer<Runnable> afterTheLock = session.getAttribute(
                dev.nhiguard.guard.changerequest.RealmWriteLock.AFTER_THE_LOCK, java.util.function.Consumer.class);
        if (afterTheLock != null) {
            // An apply's mails: sent once the realm's lock is released, not while every write of the realm waits.
            KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
            afterTheLock.accept(() -> sendAll(factory, mails));
            return;
        }
        sendAll(session.getKeycloakSessionFactory(), mails);
    }

    private static void sendAll(KeycloakSessionFactory factory, List<Mail> mails) {
        for (Mail mail : mails) {
            try {
                KeycloakModelUtils.runJobInTransaction(factory, s -> send(s, mail));
            } catch (RuntimeException e) {
                LOG.warnf(e, "Could not send %s to user %s of realm %s", mail.template(), mail.userId(), mail.realmId());
            }
        }
    }

    private static void send(KeycloakSession s, Mail mail) {
        RealmModel realm = s.realms().getRealm(mail.realmId());
        if (realm == null) {
            return;
        }
        RealmModel userRealm = s.realms().getRealm(mail.userRealmId());
        if (userRealm == null) {
            return;
        }
        s.getContext().setRealm(userRealm);
        UserModel user = s.users().getUserById(userRealm, mail.userId());
        s.getContext().setRealm(realm);
        if (user == null || user.getEmail() == null || user.getEmail().isBlank()) {
            LOG.debugf("User %s of realm %s has no email; no change-request mail", mail.userId(), realm.getName());
            return;
        }
        try {
            s.getProvider(EmailTemplateProvider.class).setRealm(realm).setUser(user)
                    .send(mail.subjectKey(), mail.subjectArgs(), mail.template(), new HashMap<>(mail.attributes()));
        } catch (EmailException e) {
            LOG.warnf(e, "Could not send %s to %s in realm %s", mail.template(), user.getUsername(), realm.getName());
        }
    }

    @Override
    public void close() {
    }
}
