package dev.nhiguard.guard.changerequest;

import java.util.List;

import org.keycloak.common.util.Time;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.canonical.CanonicalJson;
import dev.nhiguard.guard.catalogue.Match;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.sealing.Sealing;
import dev.nhiguard.guard.store.ChangeRequestEntity;

/**
 * The client secret a change request replaces, sealed at hold time (AES-256-GCM under the seal
 * key, like the body's credentials) so that rolling the applied request back can restore it:
 * {@code client-secret-regenerate}, and {@code client-update} whose body supplies a secret (whatever it equals).
 * Never shown or emitted. Destroyed when the request ends other than APPLIED (rejected, cancelled,
 * expired, failed), when it is ROLLED_BACK, and by the expiry task once the policy's
 * {@code secretRollbackRetentionSeconds} after apply have passed. The rotated secret and user
 * passwords are not kept: Keycloak keeps only a hash of a password, which no admin API takes back.
 */
final class SecretRollback {

    /** Operations whose rollback restores the replaced client secret. */
    static final List<String> OPERATIONS = List.of("client-update", "client-secret-regenerate");

    private SecretRollback() {
    }

    /** The sealed material to keep with a request being held, or null when it replaces no client secret. */
    static String capture(KeycloakSession s, RealmModel realm, Match primary, List<Match> effects, JsonNode body,
            GuardPolicy policy) {
        if (policy.secretRollbackRetentionSeconds() <= 0 || primary.targetId() == null) {
            return null;
        }
        boolean regenerate = effects.stream().anyMatch(m -> m.operation().id().equals("client-secret-regenerate"));
        boolean update = effects.stream().anyMatch(m -> m.operation().id().equals("client-update"));
        if (!regenerate && !update) {
            return null;
        }
        ClientModel client = realm.getClientById(primary.targetId());
        String current = client == null ? null : client.getSecret();
        if (current == null || current.isEmpty()) {
            return null;
        }
        if (!regenerate) {
            JsonNode asked = body == null ? null : body.get("secret");
            if (asked == null || !asked.isTextual() || asked.asText().isEmpty()) {
                return null; // the secret stays as it is
            }
            // Keycloak's mask and a vault reference are stored as sent: a new secret like any other.
            // A supplied secret equal to the current one is kept too: whether a rollback restores a secret
            // (shown as rollbackRestoresSecret) must not tell a right guess from a wrong one.
        }
        JsonNode sealed = Sealing.sealer(s, realm.getId())
                .seal(JsonSerialization.mapper.createObjectNode().put("secret", current));
        return CanonicalJson.canonicalize(sealed);
    }

    /** The replaced secret in clear, for the body of the rollback request only; null when none is kept. */
    static String restorable(KeycloakSession s, RealmModel realm, ChangeRequestEntity applied, GuardPolicy policy) {
        if (applied.getRollbackMaterial() == null || !OPERATIONS.contains(applied.getOperation()) || expired(applied, policy)) {
            return null;
        }
        JsonNode clear = Sealing.sealer(s, realm.getId()).unseal(ChangeRequestView.parse(applied.getRollbackMaterial()));
        JsonNode secret = clear == null ? null : clear.get("secret");
        return secret != null && secret.isTextual() ? secret.asText() : null;
    }

    /** Whether the retention after apply has passed. */
    static boolean expired(ChangeRequestEntity cr, GuardPolicy policy) {
        return cr.getAppliedAt() != null
                && cr.getAppliedAt() + policy.secretRollbackRetentionSeconds() * 1000 < Time.currentTimeMillis();
    }
}
