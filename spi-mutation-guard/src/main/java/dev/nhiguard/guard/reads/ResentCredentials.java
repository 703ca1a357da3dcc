package dev.nhiguard.guard.reads;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A client update of a guarded client that sends back a credential the client holds passes
 * (Keycloak changes nothing), while one sending any other value is held. The answer (204 or 202)
 * therefore tells the sender whether the value was right: the sender is recorded as a reader of
 * that client ({@code CREDENTIAL_READ}, and the reader row that keeps a reader from approving the
 * client's own requests), as for a read of the client. Each guess is a request of its own, and
 * a right one makes its sender a reader. Names only, never values.
 */
public final class ResentCredentials {

    /** The client and the credential names (as {@link ClientCredentialMaterial} names them) the body sends unchanged. */
    public record Confirmed(String clientUuid, List<String> names) {
    }

    private ResentCredentials() {
    }

    /** What the body of {@code PUT clients/{id}} sends back unchanged, or null when nothing. */
    public static Confirmed of(ClientModel client, JsonNode body) {
        if (client == null || body == null || !body.isObject()) {
            return null;
        }
        List<String> names = new ArrayList<>();
        if (sameCredential(body.get("secret"), client.getSecret())) {
            names.add("secret");
        }
        JsonNode attributes = body.get("attributes");
        if (attributes != null && attributes.isObject()) {
            Map<String, String> held = client.getAttributes();
            for (Iterator<String> it = attributes.fieldNames(); it.hasNext();) {
                String name = it.next();
                if (ClientCredentialMaterial.isSecretAttribute(name) && sameCredential(attributes.get(name), held.get(name))) {
                    names.add(name);
                }
            }
        }
        return names.isEmpty() ? null : new Confirmed(client.getId(), List.copyOf(names));
    }

    /**
     * Records the confirmation in a transaction of its own, committed before the caller goes on:
     * whatever Keycloak answers next (a 403 for an admin who may not configure the client rolls
     * its own transaction back), the sender stays recorded as a reader.
     *
     * @throws RuntimeException when the record could not be written (the write must then be refused)
     */
    public static void record(KeycloakSession s, RealmModel realm, AdminAuth sender, String relativePath, Confirmed confirmed) {
        CredentialEndpoint.Match match = new CredentialEndpoint.Match(CredentialEndpoint.RESENT,
                Map.of("client-uuid", confirmed.clientUuid()));
        CredentialReadRecorder.Reader reader = new CredentialReadRecorder.Reader(sender.getToken(), sender.getRealm().getId(),
                sender.getUser().getId(), sender.getClient() == null ? null : sender.getClient().getId());
        CredentialReadRecorder.record(s.getKeycloakSessionFactory(), reader, realm.getName(), match, "PUT", relativePath,
                List.of(new CredentialReadRecorder.Exposure(confirmed.clientUuid(), confirmed.names())));
    }

    /**
     * A value equal to the held one. Keycloak stores a client's secret as sent, its mask and a vault reference too: one who
     * sends the stored text back knows it, whatever it looks like.
     */
    private static boolean sameCredential(JsonNode sent, String held) {
        return sent != null && sent.isTextual() && held != null && !sent.asText().isEmpty() && sent.asText().equals(held);
    }
}
