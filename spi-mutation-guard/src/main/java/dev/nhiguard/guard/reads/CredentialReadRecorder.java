package dev.nhiguard.guard.reads;

import java.util.List;

import jakarta.ws.rs.NotAuthorizedException;

import org.jboss.logging.Logger;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.representations.AccessToken;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.AdminRoot;
import org.keycloak.utils.KeycloakSessionUtil;

import dev.nhiguard.audit.rest.AuthenticatedAdmin;

/**
 * Writes the {@value #RESOURCE_TYPE} admin events of one successful credential read, in a
 * transaction of its own that commits before Keycloak's answer is written: the audit chain's
 * listener stages their records in that transaction (with {@code admin-events=inline}, appends
 * them to the chain in it), Keycloak's event store (when the realm stores admin events) stores
 * them in it. The events name the reader (the admin Keycloak
 * authenticated for the request; when its session does not say, the request's bearer token
 * authenticated again as Keycloak's admin API does), the client and the material, never a value.
 */
final class CredentialReadRecorder {

    private static final Logger LOG = Logger.getLogger(CredentialReadRecorder.class);

    /** Resource type of the events (and of their audit-chain records). */
    static final String RESOURCE_TYPE = "CREDENTIAL_READ";

    private CredentialReadRecorder() {
    }

    /**
     * One client whose credential material the answer exposes.
     *
     * @param clientUuid internal id of the client, or null when the answer names it by {@code clientId} only
     * @param exposed    what the answer carries (names), or null when only the stored client can say
     * @param clientId   the client's clientId when its internal id is not known
     */
    record Exposure(String clientUuid, List<String> exposed, String clientId) {

        Exposure(String clientUuid, List<String> exposed) {
            this(clientUuid, exposed, null);
        }

        /** The private key a key-generating endpoint ({@code certificates/{attr}/generate…}) hands out. */
        static Exposure created(CredentialEndpoint.Match match) {
            return new Exposure(match.clientUuid(), List.of(match.pathParams().get("attr") + ClientCredentialMaterial.PRIVATE_KEY_SUFFIX));
        }

        /** A client an answer names by its clientId only (the client admin API v2 with a projection without {@code uuid}). */
        static Exposure byClientId(String clientId, List<String> exposed) {
            return new Exposure(null, exposed, clientId);
        }
    }

    /**
     * Records one event per exposed client that still holds credential material.
     *
     * @param relativePath the decoded request path below {@code /admin/realms/{realm}/}, e.g. {@code clients/…/client-secret}
     * @return how many events were recorded
     * @throws RuntimeException when the events could not be recorded (the answer must then not be sent)
     */
    static int record(KeycloakSessionFactory factory, Reader reader, String realmName, CredentialEndpoint.Match match,
            String httpMethod, String relativePath, List<Exposure> exposures) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, s -> {
            AdminAuth auth = reader == null ? null : reader.in(s);
            if (auth == null) {
                try {
                    auth = AdminRoot.authenticateRealmAdminRequest(s);
                } catch (NotAuthorizedException e) {
                    throw new IllegalStateException("a credential read answered 2xx but its bearer token does not authenticate", e);
                }
            }
            RealmModel realm = s.realms().getRealmByName(realmName);
            if (realm == null) {
                throw new IllegalStateException("realm " + realmName + " of a credential read not found");
            }
            return recordIn(s, realm, auth, match, httpMethod, relativePath, exposures);
        });
    }

    /**
     * As {@link #record}, in the request's own session and transaction (still open while the response filters run), for
     * what the request itself wrote and has not committed yet: a client registered through client registration, or
     * created or changed through the client admin API v2.
     *
     * @throws RuntimeException when the events could not be recorded (the request's transaction must then roll back)
     */
    static int recordInRequest(KeycloakSession request, String realmName, CredentialEndpoint.Match match, String httpMethod,
            String relativePath, List<Exposure> exposures) {
        if (request == null || !request.getTransactionManager().isActive()) {
            throw new IllegalStateException("a write answered 2xx without an open transaction to record its answer in");
        }
        AdminAuth auth = AuthenticatedAdmin.of(request);
        if (auth == null) {
            auth = AdminRoot.authenticateRealmAdminRequest(request);
        }
        RealmModel realm = request.realms().getRealmByName(realmName);
        if (realm == null) {
            throw new IllegalStateException("realm " + realmName + " of a client registration not found");
        }
        return recordIn(request, realm, auth, match, httpMethod, relativePath, exposures);
    }

    /** As {@link #record}, in the caller's session and transaction, for a reader already authenticated. */
    static int recordIn(KeycloakSession s, RealmModel realm, AdminAuth auth, CredentialEndpoint.Match match,
            String httpMethod, String relativePath, List<Exposure> exposures) {
        s.getContext().setRealm(realm);
        List<String> read = new java.util.ArrayList<>(exposures.size());
        for (Exposure x : exposures) {
            ClientModel client = x.clientUuid() != null ? realm.getClientById(x.clientUuid())
                    : realm.getClientByClientId(x.clientId());
            if (client == null) {
                // The answer carries material of a client this session cannot see (removed meanwhile, or created by a
                // transaction not committed yet): unrecorded, it must not be sent.
                throw new IllegalStateException("client " + (x.clientUuid() != null ? x.clientUuid() : x.clientId())
                        + " of a credential read not found");
            }
            List<String> exposed = x.exposed() != null ? x.exposed() : fromModel(client, match);
            if (exposed.isEmpty()) {
                continue;
            }
            emit(s, realm, auth, match, httpMethod, relativePath, client, exposed);
            read.add(client.getId());
        }
        dev.nhiguard.guard.changerequest.CredentialReaders.record(s, realm, read, auth.getUser().getId());
        // An impersonating admin learned what the impersonated user's answer carried: a reader too.
        String impersonator = dev.nhiguard.guard.changerequest.AuthState.of(s, auth).impersonatorId();
        if (impersonator != null && !impersonator.equals(auth.getUser().getId())) {
            dev.nhiguard.guard.changerequest.CredentialReaders.record(s, realm, read, impersonator);
        }
        return read.size();
    }

    /**
     * The reader as Keycloak authenticated the request (its verified token, realm, user and client
     * ids), so the record's transaction finds them by id instead of verifying the token again.
     */
    record Reader(AccessToken token, String realmId, String userId, String clientUuid) {

        /** The reader of the current request, or null when Keycloak has not authenticated one in its session. */
        static Reader ofRequest() {
            KeycloakSession request = KeycloakSessionUtil.getKeycloakSession();
            AdminAuth auth = request == null ? null : AuthenticatedAdmin.of(request);
            return auth == null ? null : new Reader(auth.getToken(), auth.getRealm().getId(), auth.getUser().getId(),
                    auth.getClient().getId());
        }

        /** The same admin in another session, or null when one of them no longer exists. */
        AdminAuth in(KeycloakSession s) {
            RealmModel realm = s.realms().getRealm(realmId);
            if (realm == null) {
                return null;
            }
            s.getContext().setRealm(realm); // user lookups need the session bound to the user's realm
            UserModel user = s.users().getUserById(realm, userId);
            ClientModel client = realm.getClientById(clientUuid);
            return user == null || client == null ? null : new AdminAuth(realm, token, user, client);
        }
    }

    /** What an answer Keycloak built from the stored client carries (installation, keystore). */
    private static List<String> fromModel(ClientModel client, CredentialEndpoint.Match match) {
        if (match.endpoint() == CredentialEndpoint.KEYSTORE) {
            String attr = match.pathParams().get("attr");
            return ClientCredentialMaterial.hasPrivateKey(client, attr) ? List.of(attr + ClientCredentialMaterial.PRIVATE_KEY_SUFFIX)
                    : List.of();
        }
        return ClientCredentialMaterial.of(client);
    }

    private static void emit(KeycloakSession s, RealmModel realm, AdminAuth auth, CredentialEndpoint.Match match,
            String httpMethod, String relativePath, ClientModel client, List<String> exposed) {
        boolean list = match.endpoint() == CredentialEndpoint.CLIENTS || match.endpoint() == CredentialEndpoint.CLIENTS_V2
                || match.endpoint() == CredentialEndpoint.PARTIAL_EXPORT;
        AdminEventBuilder b = new AdminEventBuilder(realm, auth, s, s.getContext().getConnection())
                .operation(OperationType.ACTION).resource(RESOURCE_TYPE)
                .detail("material", match.endpoint().material())
                .detail("exposed", String.join(",", exposed))
                .detail("clientUuid", client.getId())
                .detail("clientId", client.getClientId())
                .detail("endpoint", httpMethod + " " + relativePath)
                .detail("keycloakMethod", match.endpoint().key());
        if (list) {
            b.resourcePath("clients", client.getId());
        } else {
            b.resourcePath(relativePath.split("/"));
        }
        String provider = match.pathParams().get("providerId");
        if (provider != null) {
            b.detail("installationProvider", provider);
        }
        String attr = match.pathParams().get("attr");
        if (attr != null) {
            b.detail("certificateAttribute", attr);
        }
        b.success();
        LOG.debugf("Credential read recorded in realm %s: %s of client %s by user %s", realm.getName(),
                match.endpoint().material(), client.getClientId(), auth.getUser().getId());
    }
}
