package dev.nhiguard.audit.listener;

import java.util.UUID;
import java.util.stream.Stream;

import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.ChainRecords;

/**
 * The first record of a realm created through the admin API ({@code POST /admin/realms}, a realm import): what came
 * into being with it. Keycloak records the creation in the creator's realm with a representation that leaves out the
 * users, clients, identity providers and components the import made, so a user with a password, a confidential client
 * or a key provider could appear with no record naming them. This record, in the new realm's own chain, names them
 * (their credentials never: the chain seals them, and none are read here) and the admin who made them.
 */
final class CreatedRealmContents {

    /** Names listed per kind at most; the counts cover all. */
    static final int LISTED = 200;

    private CreatedRealmContents() {
    }

    /** Whether the event is a realm's creation through the admin API. */
    static boolean isRealmCreation(AdminEvent event) {
        return event.getResourceType() == ResourceType.REALM && event.getOperationType() == OperationType.CREATE
                && event.getResourcePath() != null && event.getError() == null;
    }

    /** The created realm (by the event's resource path, its name), or null. */
    static RealmModel created(KeycloakSession session, AdminEvent event) {
        return session.realms().getRealmByName(event.getResourcePath());
    }

    /** The draft of the new realm's record of its contents, made by the creation event's admin. */
    static ObjectNode draft(KeycloakSession session, AdminEvent event, RealmModel realm) {
        ObjectNode n = ChainRecords.draft(event, false);
        n.put("realmId", realm.getId());
        n.put("realm", realm.getName());
        n.put("eventId", UUID.randomUUID().toString());
        n.put("type", "REALM_CONTENTS");
        n.put("target", realm.getName());
        ObjectNode details = n.with("details");
        details.put("createdFrom", event.getRealmName() == null ? "" : event.getRealmName());
        details.put("creationEventId", event.getId() == null ? "" : event.getId());
        ObjectNode contents = n.putObject("representation");
        ObjectNode users = contents.putObject("users");
        users.put("count", session.users().getUsersCount(realm, true)); // service accounts included, as listed
        listed(users.putArray("usernames"), session.users().searchForUserStream(realm, java.util.Map.of(), 0, LISTED)
                .map(u -> u.getUsername() + (u.getServiceAccountClientLink() != null ? " (service account)" : "")));
        ObjectNode clients = contents.putObject("clients");
        clients.put("count", realm.getClientsCount());
        ArrayNode clientList = clients.putArray("items");
        realm.getClientsStream(0, LISTED).forEach(c -> clientList.addObject().put("clientId", c.getClientId())
                .put("publicClient", c.isPublicClient()).put("serviceAccountsEnabled", c.isServiceAccountsEnabled()));
        ArrayNode idps = contents.putArray("identityProviders");
        RealmModel requestRealm = session.getContext().getRealm();
        session.getContext().setRealm(realm); // Keycloak's identity-provider store reads the context's realm
        try {
            session.identityProviders().getAllStream(java.util.Map.of(), 0, LISTED)
                    .forEach(i -> idps.addObject().put("alias", i.getAlias()).put("providerId", i.getProviderId()));
        } finally {
            session.getContext().setRealm(requestRealm);
        }
        ArrayNode components = contents.putArray("components");
        realm.getComponentsStream().limit(LISTED)
                .forEach(c -> components.addObject().put("name", c.getName()).put("providerType", c.getProviderType())
                        .put("providerId", c.getProviderId()));
        listed(contents.putArray("realmRoles"), realm.getRolesStream(0, LISTED).map(r -> r.getName()));
        listed(contents.putArray("groups"), realm.getTopLevelGroupsStream(0, LISTED).map(g -> g.getName()));
        ObjectNode attributes = contents.putObject("attributes");
        realm.getAttributes().forEach(attributes::put); // sealed by the chain's redactor where they hold credentials
        return n;
    }

    private static void listed(ArrayNode into, Stream<String> names) {
        names.sorted().forEach(into::add);
    }
}
