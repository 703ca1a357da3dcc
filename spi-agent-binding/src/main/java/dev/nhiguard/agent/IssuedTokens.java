package dev.nhiguard.agent;

import java.util.Set;

import org.keycloak.common.util.Time;
import org.keycloak.events.EventType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/** The tokens a non-human identity obtains: the events that say one was issued, and how those issued so far are revoked. */
public final class IssuedTokens {

    /**
     * Successful events of a token issued to the event's client: client credentials, token exchange, refresh, and the
     * UMA grant ({@code PERMISSION_TOKEN}), which mints a new token from a bearer token without authenticating the
     * client, so a holder of the token renews it there with no secret or key.
     */
    public static final Set<EventType> EVENTS = Set.of(EventType.CLIENT_LOGIN, EventType.TOKEN_EXCHANGE,
            EventType.REFRESH_TOKEN, EventType.PERMISSION_TOKEN);

    private IssuedTokens() {
    }

    /**
     * Every token issued so far to the client or naming its service account stops working: the client's not-before,
     * which Keycloak checks for tokens the client holds, and the service-account user's, which it checks for a token
     * naming that user whichever client holds it (another client's exchange of it, that client's renewals of the
     * exchange, the UMA grant, introspection, userinfo, the admin API). Keycloak compares whole seconds and a token
     * is stale when issued before not-before: one of this very second is stale too. The user sessions the client
     * took part in (a person's sign-in through it, tokens another client exchanged from those) end, online and
     * offline: a person's token exchanged by a gateway names the person, not the client, and lives as long as its
     * session. Enabling or resuming the client later revives none of them.
     */
    public static void revoke(KeycloakSession session, RealmModel realm, ClientModel client) {
        int notBefore = Time.currentTime() + 1;
        client.setNotBefore(notBefore);
        UserModel serviceAccount = session.users().getServiceAccount(client);
        if (serviceAccount != null) {
            session.users().setNotBeforeForUser(realm, serviceAccount, notBefore);
        }
        session.sessions().getUserSessionsStream(realm, client).toList()
                .forEach(s -> session.sessions().removeUserSession(realm, s));
        session.sessions().getOfflineUserSessionsStream(realm, client, null, null).toList()
                .forEach(s -> session.sessions().removeOfflineUserSession(realm, s));
    }
}
