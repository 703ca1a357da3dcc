package dev.nhiguard.guard.reads;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.keycloak.services.resources.admin.ClientAttributeCertificateResource;
import org.keycloak.services.resources.admin.ClientResource;
import org.keycloak.services.resources.admin.ClientsResource;
import org.keycloak.services.resources.admin.RealmAdminResource;

import dev.nhiguard.guard.admission.Endpoints;
import dev.nhiguard.guard.admission.RequestPath;

/**
 * The Keycloak admin endpoints that hand out a client's credential material, found the way
 * admission finds a write's endpoint: the request path read strictly ({@link RequestPath}) and
 * resolved to the JAX-RS resource method Keycloak routes it to ({@link Endpoints}). Pure: no
 * database, no session.
 */
public enum CredentialEndpoint {
    /** {@code GET clients/{id}/client-secret}: the secret. */
    CLIENT_SECRET(ClientResource.class, "getClientSecret", "secret"),
    /** {@code GET clients/{id}/client-secret/rotated}: the rotated (previous, still valid) secret. */
    ROTATED_SECRET(ClientResource.class, "getClientRotatedSecret", "rotated-secret"),
    /** {@code GET clients/{id}}: the representation carries {@code secret} and credential attributes. */
    CLIENT(ClientResource.class, "getClient", "client-representation"),
    /** {@code GET clients}: every listed representation carries them. */
    CLIENTS(ClientsResource.class, "getClients", "client-representation"),
    /** {@code GET clients/{id}/installation/providers/{providerId}}: adapter configurations carry the secret or keys. */
    INSTALLATION(ClientResource.class, "getInstallationProvider", "installation"),
    /** {@code GET clients/{id}/certificates/{attr}}: the key info includes a stored private key. */
    CERTIFICATE(ClientAttributeCertificateResource.class, "getKeyInfo", "private-key"),
    /** {@code POST clients/{id}/certificates/{attr}/download}: a keystore with the stored private key. */
    KEYSTORE(ClientAttributeCertificateResource.class, "getKeystore", "keystore"),
    /**
     * {@code POST partial-export?exportClients=true}: Keycloak masks the clients' secrets but not their stored private keys
     * ({@code jwt.credential.private.key}), which the export carries in clear.
     */
    PARTIAL_EXPORT(RealmAdminResource.class, "partialExport", "realm-export"),
    /** {@code POST clients/{id}/client-secret}: the new secret, in the answer to whoever regenerates it. */
    REGENERATED_SECRET(ClientResource.class, "regenerateSecret", "secret"),
    /** {@code POST clients/{id}/registration-access-token}: the client with its new registration access token (and secret). */
    REGISTRATION_ACCESS_TOKEN(ClientResource.class, "regenerateRegistrationAccessToken", "registration-access-token"),
    /** {@code POST clients/{id}/certificates/{attr}/generate}: the new key pair, private key included. */
    GENERATED_KEY(ClientAttributeCertificateResource.class, "generate", "private-key"),
    /** {@code POST clients/{id}/certificates/{attr}/generate-and-download}: a keystore with a new private key Keycloak keeps no copy of. */
    GENERATED_KEYSTORE(ClientAttributeCertificateResource.class, "generateAndGetKeystore", "keystore"),
    /**
     * {@code PUT clients/{id}} of a guarded client whose body sends a credential the client holds
     * (the round trip of a read representation): it passes where another value would be held, so
     * its answer confirms the value ({@link ResentCredentials}). Never matched by {@link #classify}.
     */
    RESENT(ClientResource.class, "update", "resent-credential"),
    /** {@code GET|PUT|PATCH /admin/api/{realm}/clients/v2/{clientId}} (client admin API v2): the answer's {@code auth.secret}. */
    CLIENT_V2(null, "org.keycloak.admin.api.client.ClientApi#getClient", "client-representation"),
    /** {@code GET|POST /admin/api/{realm}/clients/v2} (client admin API v2): each client's {@code auth.secret} in the answer. */
    CLIENTS_V2(null, "org.keycloak.admin.api.client.ClientsApi#getClients", "client-representation"),
    /**
     * {@code GET|PUT /realms/{realm}/clients-registrations/{provider}/{clientId}} and
     * {@code POST /realms/{realm}/clients-registrations/{provider}} with an admin's access token
     * (Keycloak accepts one with {@code manage-clients}): the registration answer carries the secret
     * (the registration access token's own reads are the client's, not an admin's).
     */
    REGISTRATION(null, "org.keycloak.services.clientregistration.ClientRegistrationService#provider", "client-registration");

    private final Class<?> resource;
    private final String method;
    private final String material;

    CredentialEndpoint(Class<?> resource, String method, String material) {
        this.resource = resource;
        this.method = method;
        this.material = material;
    }

    /**
     * Whether the endpoint is a write whose answer hands out credential material it creates: held
     * in a guarded realm, its answer reaches the requester at apply, who is then a reader.
     */
    public boolean createsMaterial() {
        return this == REGENERATED_SECRET || this == REGISTRATION_ACCESS_TOKEN || this == GENERATED_KEY || this == GENERATED_KEYSTORE;
    }

    /** What is read, as recorded ({@code material} detail). */
    public String material() {
        return material;
    }

    /** {@code fully.qualified.Class#method} of the Keycloak resource method. */
    public String key() {
        return resource == null ? method : resource.getName() + "#" + method;
    }

    /** An endpoint with the path parameters Keycloak bound on the way (client-uuid, attr, providerId). */
    public record Match(CredentialEndpoint endpoint, Map<String, String> pathParams) {
        /** The internal id of the client read, or null for the list. */
        public String clientUuid() {
            return pathParams.get("client-uuid");
        }
    }

    /**
     * The credential endpoint an admin request reaches, if any. Every one of them lies below
     * Keycloak's {@code clients} locator of the realm resource
     * ({@code /admin/realms/{realm}/clients…}) or is the realm's partial export, so any other path is answered
     * without matching.
     *
     * @param httpMethod upper-case HTTP method
     */
    public static Optional<Match> classify(String httpMethod, RequestPath path) {
        List<String> seg = path.segments();
        if (seg.size() >= 4 && seg.get(0).equals("realms") && seg.get(2).equals("clients-registrations")) {
            // Read (GET), replaced (PUT) or created (POST, the client named in the answer): each answer carries the secret.
            if (("GET".equals(httpMethod) || "PUT".equals(httpMethod)) && seg.size() == 5) {
                return Optional.of(new Match(REGISTRATION, Map.of("providerId", seg.get(3), "clientId", seg.get(4))));
            }
            if ("POST".equals(httpMethod) && seg.size() == 4) {
                return Optional.of(new Match(REGISTRATION, Map.of("providerId", seg.get(3))));
            }
            return Optional.empty();
        }
        if (!"DELETE".equals(httpMethod) && path.startsWith("admin", "api") && seg.size() >= 5 && seg.size() <= 6
                && seg.get(3).equals("clients") && seg.get(4).equals("v2")) {
            // The client admin API v2 answers a client (read, created, patched, replaced) or a list of them with
            // its secret in auth.secret.
            return Optional.of(seg.size() == 6 ? new Match(CLIENT_V2, Map.of("clientId", seg.get(5)))
                    : new Match(CLIENTS_V2, Map.of()));
        }
        if (!("GET".equals(httpMethod) || "POST".equals(httpMethod)) || path.segments().size() < 4
                || !path.startsWith("admin", "realms")
                || !("clients".equals(path.segments().get(3)) || "partial-export".equals(path.segments().get(3)))) {
            return Optional.empty();
        }
        if (!(Endpoints.resolve(RealmAdminResource.class, path, 3, httpMethod, null) instanceof Endpoints.Resolved resolved)) {
            return Optional.empty();
        }
        String key = resolved.key();
        for (CredentialEndpoint e : values()) {
            if (e.key().equals(key)) {
                return Optional.of(new Match(e, Map.copyOf(resolved.pathParams())));
            }
        }
        return Optional.empty();
    }
}
