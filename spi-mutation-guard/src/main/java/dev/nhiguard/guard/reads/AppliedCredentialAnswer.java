package dev.nhiguard.guard.reads;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;

import dev.nhiguard.guard.admission.RequestPath;

/**
 * A held write that creates credential material (a regenerated secret or registration access
 * token, a generated key pair or keystore) hands it to the requester in the apply's answer: the
 * requester is then a reader of that client, recorded as for a direct read ({@code CREDENTIAL_READ}
 * and the reader row that keeps a reader from approving the client's own requests), in the apply's
 * transaction.
 */
public final class AppliedCredentialAnswer {

    private AppliedCredentialAnswer() {
    }

    /**
     * Records the requester as a reader when the applied request is such a write.
     *
     * @param path the stored request path ({@code /admin/realms/{realm}/…}, query allowed)
     * @return whether a read was recorded
     */
    public static boolean record(KeycloakSession s, RealmModel realm, AdminAuth requester, String method, String path) {
        String raw = path.split("\\?", 2)[0];
        RequestPath parsed;
        try {
            parsed = RequestPath.parse(raw);
        } catch (RequestPath.Refused e) {
            return false; // admission refuses such paths; nothing held has one
        }
        Optional<CredentialEndpoint.Match> found = CredentialEndpoint.classify(method, parsed);
        if (found.isEmpty() || !found.get().endpoint().createsMaterial() || found.get().clientUuid() == null) {
            return false;
        }
        CredentialEndpoint.Match match = found.get();
        ClientModel client = realm.getClientById(match.clientUuid());
        if (client == null) {
            return false;
        }
        List<String> exposed = switch (match.endpoint()) {
            case REGENERATED_SECRET -> List.of("secret");
            case REGISTRATION_ACCESS_TOKEN -> {
                List<String> all = new ArrayList<>(ClientCredentialMaterial.of(client));
                all.add(ClientCredentialMaterial.REGISTRATION_ACCESS_TOKEN);
                yield all;
            }
            default -> CredentialReadRecorder.Exposure.created(match).exposed();
        };
        return CredentialReadRecorder.recordIn(s, realm, requester, match, method, parsed.join(3).substring(1),
                List.of(new CredentialReadRecorder.Exposure(client.getId(), exposed))) > 0;
    }
}
