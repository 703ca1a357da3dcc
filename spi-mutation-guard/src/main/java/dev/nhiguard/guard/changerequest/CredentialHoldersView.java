package dev.nhiguard.guard.changerequest;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.guard.catalogue.TargetType;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * Who holds the credential of a change request's target, as its approvers see it ({@code credentialHolders} of a change
 * request): the identities recorded as having read or set the client's credential, or set how the user signs in
 * ({@link CredentialReaders}), and whether the requester holds it, directly or through identities they hold. An approver
 * who turns on a service account, or grants it a privilege, sees who can act as it afterwards.
 */
public final class CredentialHoldersView {

    /** At most this many holders are listed; {@code more} says when there are others. */
    static final int LIMIT = 50;

    private CredentialHoldersView() {
    }

    /** The view, or null when the target is neither a client nor a user (or is not named by id). */
    public static ObjectNode of(KeycloakSession s, RealmModel realm, ChangeRequestEntity cr) {
        if (cr.getTargetId() == null || cr.getTargetType() == null) {
            return null;
        }
        TargetType type;
        try {
            type = TargetType.valueOf(cr.getTargetType());
        } catch (IllegalArgumentException e) {
            return null;
        }
        List<String> subjects = new ArrayList<>();
        if (type == TargetType.CLIENT) {
            subjects.add(cr.getTargetId());
        } else if (type == TargetType.USER) {
            subjects.add(cr.getTargetId());
            UserModel user = s.users().getUserById(realm, cr.getTargetId());
            if (user != null && user.getServiceAccountClientLink() != null) {
                subjects.add(user.getServiceAccountClientLink()); // a service account is held through its client
            }
        } else {
            return null;
        }
        ObjectNode o = JsonSerialization.mapper.createObjectNode();
        ArrayNode holders = o.putArray("holders");
        Set<String> listed = new LinkedHashSet<>();
        boolean more = false;
        for (String subject : subjects) {
            for (String holder : CredentialReaders.directHolders(s, subject, LIMIT)) {
                if (listed.contains(holder)) {
                    continue;
                }
                if (listed.size() == LIMIT) {
                    more = true;
                    break;
                }
                listed.add(holder);
                holders.add(holder(s, realm, holder));
            }
        }
        o.put("more", more);
        boolean requesterHolds = false;
        for (String subject : subjects) {
            requesterHolds = requesterHolds || CredentialReaders.holds(s, realm, subject, cr.getRequesterUserId())
                    || (cr.getRequesterImpersonatorId() != null
                            && CredentialReaders.holds(s, realm, subject, cr.getRequesterImpersonatorId()));
        }
        o.put("requesterHolds", requesterHolds);
        return o;
    }

    private static ObjectNode holder(KeycloakSession s, RealmModel realm, String userId) {
        ObjectNode h = JsonSerialization.mapper.createObjectNode();
        h.put("userId", userId);
        RealmModel in = realm;
        UserModel user = s.users().getUserById(realm, userId);
        if (user == null) {
            RealmModel admin = s.realms().getRealmByName(org.keycloak.Config.getAdminRealm());
            if (admin != null && !admin.equals(realm)) {
                user = s.users().getUserById(admin, userId);
                in = admin;
            }
        }
        if (user == null) {
            // A client's id (a service account's records name its client) or an initial access token's id, or a user
            // deleted since.
            ClientModel client = realm.getClientById(userId);
            if (client != null) {
                h.put("serviceAccountOf", client.getClientId());
                return h;
            }
            // An initial access token: its own holders are the admins who received it.
            ArrayNode heldBy = h.putArray("heldBy");
            for (String via : CredentialReaders.directHolders(s, userId, LIMIT)) {
                UserModel person = s.users().getUserById(realm, via);
                heldBy.add(person == null ? via : person.getUsername());
            }
            return h;
        }
        h.put("username", user.getUsername());
        h.put("realm", in.getName());
        if (user.getServiceAccountClientLink() != null) {
            ClientModel client = in.getClientById(user.getServiceAccountClientLink());
            if (client != null) {
                h.put("serviceAccountOf", client.getClientId());
            }
        }
        return h;
    }
}
