package dev.nhiguard.guard.reads;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminRoot;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.audit.rest.AuthenticatedAdmin;
import dev.nhiguard.guard.admission.Endpoints;
import dev.nhiguard.guard.changerequest.AuthState;
import dev.nhiguard.guard.changerequest.CredentialReaders;
import dev.nhiguard.guard.sealing.SealedFields;

/**
 * Whoever sets a client's credential holds it, as whoever reads it does. A write that gives a
 * client a secret of the writer's choosing, a key or certificate it authenticates with, or the
 * issuer and subject of a federated credential makes its writer a holder of that client's
 * credential, recorded as a reader ({@link CredentialReaders}): once the client has a service
 * account, a holder could make its requests and so does not approve them. Without this record an
 * approver could create an ordinary client with a secret of her own, have its service account
 * turned on by a second person who cannot see who holds the secret, and approve the requests
 * she makes with it.
 * <p>
 * Recorded for writes that pass (in the write's own transaction, at its commit, so a write
 * Keycloak refuses records nothing and a record that fails rolls the write back) and for held
 * writes when they are applied (the requester, whoever applies). A vault reference or Keycloak's
 * mask is not a value the writer chose, and sets nothing.
 */
public final class WrittenCredentials {

    /**
     * A client a write gives credential material.
     *
     * @param clientUuid the client's internal id, or null when the write names it by clientId only (a create)
     * @param clientId   the client's clientId when its internal id is not known
     * @param names      what the write sets (secret, attribute names, {@code certificate:<attr>}), names only
     */
    public record Target(String clientUuid, String clientId, List<String> names) {
    }

    /** Client attributes that name the key, certificate or subject a client authenticates with (set to a value: a credential). */
    static final Set<String> AUTHENTICATION_ATTRIBUTES = Set.of("jwks.url", "jwks.string", "jwt.credential.certificate",
            "jwt.credential.public.key", "jwt.credential.kid", "jwt.credential.issuer", "jwt.credential.sub", "x509.subjectdn",
            "x509.allow.regex.pattern.comparison");

    /** Switches that make the client authenticate with the key its {@code jwks.url} or {@code jwks.string} names. */
    private static final List<String> AUTHENTICATION_SWITCHES = List.of("use.jwks.url", "use.jwks.string");

    private static final String KC = "org.keycloak.services.resources.admin.";

    private WrittenCredentials() {
    }

    /**
     * The clients a write Keycloak resolves to this method gives credential material, in the body
     * as Keycloak reads it; empty for every other write.
     */
    public static List<Target> of(Endpoints.Resolved resolved, JsonNode body, RealmModel realm) {
        String key = resolved.key();
        Map<String, String> params = resolved.pathParams();
        switch (key) {
            case KC + "ClientsResource#createClient": {
                Target t = ofNewClient(body);
                return t == null ? List.of() : List.of(t);
            }
            case KC + "ClientResource#update": {
                String uuid = params.get("client-uuid");
                List<String> names = setBy(body, uuid == null ? null : realm.getClientById(uuid));
                return names.isEmpty() || uuid == null ? List.of() : List.of(new Target(uuid, null, names));
            }
            case KC + "ClientAttributeCertificateResource#uploadJks":
            case KC + "ClientAttributeCertificateResource#uploadJksCertificate": {
                // The uploader holds the key of what they upload (a keystore, or the certificate of a key of theirs).
                String uuid = params.get("client-uuid");
                return uuid == null ? List.of() : List.of(new Target(uuid, null, List.of("certificate:" + params.get("attr"))));
            }
            case KC + "RealmAdminResource#partialImport": {
                List<Target> out = new ArrayList<>();
                JsonNode clients = body == null ? null : body.get("clients");
                if (clients != null && clients.isArray()) {
                    for (JsonNode c : clients) {
                        Target t = ofNewClient(c);
                        if (t != null) {
                            out.add(t);
                        }
                    }
                }
                return out;
            }
            default:
                return List.of();
        }
    }

    /**
     * What a client written through the client admin API v2 (created, replaced or patched) is given:
     * {@code auth.secret}, {@code auth.certificate}; named by its clientId; null when nothing.
     */
    public static Target ofV2Client(String clientId, JsonNode body) {
        JsonNode auth = body == null ? null : body.get("auth");
        if (clientId == null || auth == null || !auth.isObject()) {
            return null;
        }
        List<String> names = new ArrayList<>();
        if (chosen(auth.get("secret"))) {
            names.add("secret");
        }
        if (chosen(auth.get("certificate"))) {
            names.add("certificate");
        }
        return names.isEmpty() ? null : new Target(null, clientId, List.copyOf(names));
    }

    private static Target ofNewClient(JsonNode client) {
        if (client == null || !client.isObject()) {
            return null;
        }
        List<String> names = setBy(client, null);
        if (names.isEmpty()) {
            return null;
        }
        String id = client.path("id").isTextual() && !client.get("id").asText().isBlank() ? client.get("id").asText() : null;
        String clientId = client.path("clientId").isTextual() ? client.get("clientId").asText() : null;
        return id == null && clientId == null ? null : new Target(id, clientId, names);
    }

    /**
     * What a client body sets that authenticates the client: a secret it sends (whether or not the client had it: its sender
     * knows it), a secret or private key attribute, or how the client authenticates (another authenticator, or a key,
     * certificate, subject or federated issuer it is checked against), compared with {@code current} when the client exists
     * (none of those is secret); for a new client any value counts.
     */
    public static List<String> setBy(JsonNode body, ClientModel current) {
        List<String> names = new ArrayList<>();
        if (body == null || !body.isObject()) {
            return names;
        }
        if (chosen(body.get("secret"))) {
            names.add("secret");
        }
        if (body.path("clientAuthenticatorType").isTextual()
                && (current == null || !body.get("clientAuthenticatorType").asText().equals(current.getClientAuthenticatorType()))) {
            names.add("clientAuthenticatorType");
        }
        JsonNode attributes = body.get("attributes");
        if (attributes == null || !attributes.isObject()) {
            return names;
        }
        for (Iterator<String> it = attributes.fieldNames(); it.hasNext();) {
            String name = it.next();
            JsonNode value = attributes.get(name);
            if (isSecretAttribute(name)) {
                if (chosen(value)) {
                    names.add(name);
                }
            } else if (AUTHENTICATION_ATTRIBUTES.contains(name)) {
                if (value.isTextual() && !value.asText().isBlank()
                        && (current == null || !value.asText().equals(current.getAttribute(name)))) {
                    names.add(name);
                }
            } else if (AUTHENTICATION_SWITCHES.contains(name)) {
                if ("true".equals(value.asText()) && (current == null || !"true".equals(current.getAttribute(name)))) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** Whether a body of this client sets how it authenticates (a credential, as a secret is). */
    public static boolean setsAuthentication(JsonNode body, ClientModel current) {
        return setBy(body, current).stream().anyMatch(n -> !n.equals("secret") && !isSecretAttribute(n));
    }

    private static boolean isSecretAttribute(String name) {
        return name.equals(ClientCredentialMaterial.ROTATED_SECRET) || name.endsWith(ClientCredentialMaterial.PRIVATE_KEY_SUFFIX)
                || SealedFields.isSecretName(name) || dev.nhiguard.audit.chain.SecretRedactor.isBuiltInSecretName(name);
    }

    /**
     * A value the writer chose: text that is not empty, Keycloak's mask or a vault reference, or a value the guard sealed in a
     * stored body (only the requester saw it in clear).
     */
    private static boolean chosen(JsonNode value) {
        if (value == null) {
            return false;
        }
        if (value.isValueNode() && !value.isNull()) { // Keycloak's mapper reads a number or boolean into a text field
            return !value.asText().isBlank() && !SealedFields.kept(value.asText());
        }
        return dev.nhiguard.guard.sealing.Sealer.isSealed(value);
    }

    /**
     * Records, when the request's transaction commits, the admin Keycloak authenticated for the request (and whoever
     * impersonates them) as a holder of these clients' credentials. A client the write names but Keycloak did not store is
     * skipped; a record that fails rolls the write back with it.
     */
    public static void enlist(KeycloakSession request, String realmName, List<Target> written) {
        if (written.isEmpty()) {
            return;
        }
        if (request == null || !request.getTransactionManager().isActive()) {
            throw new IllegalStateException("a write setting a client's credential has no transaction to record its writer in");
        }
        request.getTransactionManager().enlistPrepare(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                AdminAuth writer = AuthenticatedAdmin.of(request);
                if (writer == null) {
                    writer = AdminRoot.authenticateRealmAdminRequest(request); // throws: the write rolls back
                }
                RealmModel realm = request.realms().getRealmByName(realmName);
                if (realm == null) {
                    throw new IllegalStateException("realm " + realmName + " of a credential write not found");
                }
                record(request, realm, written, writer.getUser().getId(), AuthState.of(request, writer).impersonatorId());
            }

            @Override
            protected void rollbackImpl() {
                // the write did not happen: its writer holds nothing of it
            }
        });
    }

    /** Records the holder (and whoever impersonated them, when not null) in the caller's transaction. */
    public static void record(KeycloakSession s, RealmModel realm, List<Target> written, String holderId, String impersonatorId) {
        List<String> uuids = new ArrayList<>();
        for (Target t : written) {
            ClientModel client = t.clientUuid() != null ? realm.getClientById(t.clientUuid()) : null;
            if (client == null && t.clientId() != null) {
                client = realm.getClientByClientId(t.clientId());
            }
            if (client != null) {
                uuids.add(client.getId());
            }
        }
        CredentialReaders.record(s, realm, uuids, holderId);
        if (impersonatorId != null && !impersonatorId.equals(holderId)) {
            CredentialReaders.record(s, realm, uuids, impersonatorId);
        }
    }
}
