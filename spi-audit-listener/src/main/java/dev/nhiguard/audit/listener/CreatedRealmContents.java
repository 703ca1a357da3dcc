package dev.nhiguard.audit.listener;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.keycloak.component.ComponentModel;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserProvider;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.ChainRecords;

/**
 * The first record of a realm created through the admin API ({@code POST /admin/realms}, a realm import): what came
 * into being with it. Keycloak records the creation in the creator's realm with a representation that leaves out the
 * users, clients, identity providers and components the import made, so a user with a password, a confidential client
 * or a key provider could appear with no record naming them. This record, in the new realm's own chain, counts them
 * and names the first {@value #LISTED} of each kind (their credentials never: none are read here, and the chain seals
 * what it recognises) and the admin who made them. It stays well inside the record size limit: names are cut to
 * {@value #NAME_CHARS} characters, and the lists are left out (the counts kept) when they would take more than half
 * of it.
 */
final class CreatedRealmContents {

    static final int LISTED = 100;
    static final int NAME_CHARS = 128;

    private CreatedRealmContents() {
    }

    /** Whether the event is a realm's creation through the admin API (a partial import's items share its type). */
    static boolean isRealmCreation(AdminEvent event) {
        return event.getResourceType() == ResourceType.REALM && event.getOperationType() == OperationType.CREATE
                && event.getError() == null && event.getResourcePath() != null && event.getResourcePath().indexOf('/') < 0;
    }

    /** The created realm (by the event's resource path, its name), or null. */
    static RealmModel created(KeycloakSession session, AdminEvent event) {
        return session.realms().getRealmByName(event.getResourcePath());
    }

    /** The record's draft without its contents: who created the realm, from where. */
    static ObjectNode bare(AdminEvent event, RealmModel realm) {
        ObjectNode n = ChainRecords.draft(event, false);
        n.put("realmId", realm.getId());
        n.put("realm", realm.getName());
        n.put("eventId", UUID.randomUUID().toString());
        n.put("type", "REALM_CONTENTS");
        n.put("target", realm.getName());
        ObjectNode details = n.with("details");
        details.put("createdFrom", event.getRealmName() == null ? "" : event.getRealmName());
        details.put("creationEventId", event.getId() == null ? "" : event.getId());
        return n;
    }

    /**
     * The draft of the new realm's record of its contents. Users are read from Keycloak's own store only: user
     * federation (an imported LDAP provider) is not queried, so nothing is imported or searched outside the database.
     */
    static ObjectNode draft(KeycloakSession session, AdminEvent event, RealmModel realm, int maxRecordBytes) {
        ObjectNode n = bare(event, realm);
        ObjectNode contents = n.putObject("representation");
        UserProvider local = session.getProvider(UserProvider.class);
        ObjectNode users = contents.putObject("users");
        users.put("count", local.getUsersCount(realm, true));
        listed(users, local.searchForUserStream(realm, java.util.Map.of(), 0, LISTED)
                .map(u -> u.getUsername() + (u.getServiceAccountClientLink() != null ? " (service account)" : "")));
        ObjectNode clients = contents.putObject("clients");
        clients.put("count", realm.getClientsCount());
        ArrayNode clientList = clients.putArray("listed");
        realm.getClientsStream(0, LISTED).forEach(c -> clientList.addObject().put("clientId", cut(c.getClientId()))
                .put("publicClient", c.isPublicClient()).put("serviceAccountsEnabled", c.isServiceAccountsEnabled()));
        ObjectNode idps = contents.putObject("identityProviders");
        RealmModel requestRealm = session.getContext().getRealm();
        session.getContext().setRealm(realm); // Keycloak's identity-provider store reads the context's realm
        try {
            List<String> aliases = session.identityProviders().getAllStream(java.util.Map.of(), null, null)
                    .map(i -> i.getAlias() + " (" + i.getProviderId() + ")").toList();
            idps.put("count", aliases.size());
            listed(idps, aliases.stream());
        } finally {
            session.getContext().setRealm(requestRealm);
        }
        ObjectNode components = contents.putObject("components");
        List<ComponentModel> all = realm.getComponentsStream().sorted(Comparator.comparing(c -> String.valueOf(c.getName()))).toList();
        components.put("count", all.size());
        listed(components, all.stream().map(c -> c.getName() + " (" + c.getProviderType() + ": " + c.getProviderId() + ")"));
        ObjectNode roles = contents.putObject("realmRoles");
        roles.put("count", realm.getRolesStream().count());
        listed(roles, realm.getRolesStream(0, LISTED).map(r -> r.getName()));
        ObjectNode groups = contents.putObject("topLevelGroups");
        groups.put("count", realm.getGroupsCount(true));
        listed(groups, realm.getTopLevelGroupsStream(0, LISTED).map(g -> g.getName()));
        // Attribute names only (the guard's policy and the realm's settings live there; values may be large)
        ObjectNode attributes = contents.putObject("attributes");
        attributes.put("count", realm.getAttributes().size());
        listed(attributes, realm.getAttributes().keySet().stream());
        if (n.toString().getBytes(StandardCharsets.UTF_8).length > maxRecordBytes / 2) {
            // Within the limit whatever the names: counts only.
            contents.forEach(kind -> {
                if (kind instanceof ObjectNode k) {
                    k.remove("listed");
                }
            });
            n.with("details").put("listsLeftOut", "the names would exceed half the record size limit");
        }
        return n;
    }

    private static void listed(ObjectNode into, Stream<String> names) {
        ArrayNode a = into.putArray("listed");
        names.map(CreatedRealmContents::cut).sorted().limit(LISTED).forEach(a::add);
    }

    private static String cut(String name) {
        return name == null ? "" : name.length() <= NAME_CHARS ? name : name.substring(0, NAME_CHARS) + "…";
    }
}
