package dev.nhiguard.audit.listener;

import java.io.IOException;

import org.jboss.logging.Logger;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.jpa.AdminEventEntity;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.audit.store.RecordSealing;

/**
 * Seals the credentials Keycloak leaves in the representation of an admin event it stores (with the realm's "include
 * representation"): a generated private key ({@code …/certificates/{attr}/generate}, {@code upload}), a registration
 * access token ({@code …/registration-access-token}) and whatever else the chain's redactor finds. Keycloak strips some
 * secrets from representations itself, not these; anyone with {@code view-events} would read them, and a registration
 * access token reads the client's secret. Keycloak's JPA event store has persisted the event just before the listeners
 * run ({@code AdminEventBuilder#send}); its entity is still in the transaction's persistence context, unflushed, so the
 * sealed representation is what reaches the database. Values are sealed as in the chain (keyed per event, so they
 * compare with nothing). Another event store is left as it is.
 */
final class StoredAdminEventRedaction {

    private static final Logger LOG = Logger.getLogger(StoredAdminEventRedaction.class);

    private StoredAdminEventRedaction() {
    }

    static void apply(KeycloakSession session, AdminEvent event, boolean includeRepresentation, RecordSealing sealing) {
        String representation = event.getRepresentation();
        if (!includeRepresentation || representation == null || representation.isEmpty() || event.getId() == null) {
            return;
        }
        RealmModel realm = session.realms().getRealm(event.getRealmId());
        if (realm == null || !realm.isAdminEventsEnabled()) {
            return; // Keycloak stores no admin event of the realm: nothing to seal
        }
        String sealed;
        try {
            JsonNode parsed = JsonSerialization.mapper.readTree(representation);
            if (parsed == null || !parsed.isContainerNode()) {
                return;
            }
            JsonNode redacted = sealing.redactor(session, event.getRealmId()).forRecord(event.getId()).redact(parsed);
            if (redacted.equals(parsed)) {
                return; // nothing sealed: the common case
            }
            sealed = JsonSerialization.mapper.writeValueAsString(redacted);
        } catch (IOException e) {
            return; // not JSON: Keycloak writes representations with its own mapper, so this is not one of them
        }
        JpaConnectionProvider jpa = session.getProvider(JpaConnectionProvider.class);
        AdminEventEntity stored = jpa == null ? null : jpa.getEntityManager().find(AdminEventEntity.class, event.getId());
        if (stored != null && representation.equals(stored.getRepresentation())) {
            stored.setRepresentation(sealed);
            LOG.debugf("sealed credentials in the stored representation of admin event %s", event.getId());
        }
    }
}
