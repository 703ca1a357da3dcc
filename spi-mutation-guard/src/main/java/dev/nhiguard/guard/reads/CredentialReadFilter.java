package dev.nhiguard.guard.reads;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;

import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.representations.idm.CertificateRepresentation;
import org.keycloak.representations.idm.ClientInitialAccessPresentation;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.services.resources.KeycloakApplication;
import org.keycloak.util.JsonSerialization;
import org.keycloak.utils.KeycloakSessionUtil;

import dev.nhiguard.guard.admission.AdmissionFilter;
import dev.nhiguard.guard.admission.RequestPath;

/**
 * Credential reads are recorded: when an admin request that reaches one of Keycloak's
 * {@link CredentialEndpoint}s is answered with 2xx, the reader, the client and the material
 * are recorded as {@code CREDENTIAL_READ} admin events ({@link CredentialReadRecorder}) before
 * the answer's body is written. When they cannot be recorded, the answer is replaced by
 * {@code 503 credential_read_not_recorded}: no credential leaves unrecorded.
 *
 * <p>Cost stays off other requests: anything that is not a 2xx GET/POST under
 * {@code /admin/realms/{realm}/clients} (or the realm's partial export) is let through after string
 * checks, and the endpoint is resolved from the path alone (no database). Answers whose body Keycloak
 * built from a representation (client, client list, secret, key info) are recorded for exactly what
 * they carry; installation files and keystores for what the stored client holds; a partial export,
 * streamed after this filter, for the private keys its clients store.
 */
@Provider
public final class CredentialReadFilter implements ContainerResponseFilter {

    private static final Logger LOG = Logger.getLogger(CredentialReadFilter.class);

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        int status = response.getStatus();
        if (status < 200 || status > 299) {
            return;
        }
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        if (method.equals("DELETE") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        java.net.URI requestUri = AdmissionFilter.requestUri(request);
        if (requestUri == null) {
            return; // refused before matching (AdminPathFilter): no credential was answered
        }
        String raw = AdmissionFilter.rawPath(requestUri, request.getUriInfo().getBaseUri());
        boolean registration = !method.equals("PATCH") && reachesClientRegistration(request, raw);
        if (!method.equals("GET") && !method.equals("POST") && !raw.contains("/admin/api/") && !registration) {
            // Only the client admin API v2 and client registration answer a PUT or PATCH with a secret (an encoded
            // admin API v2 path never gets that far: admission refuses it with 400).
            return;
        }
        if (!AdmissionFilter.looksLikeAdmin(raw) && !registration) {
            return;
        }
        if (registration && !byAdminToken(request)) {
            // A registration access token reads its own client: the client's registrant, not an admin. A client registered
            // with an initial access token is held by whoever holds that token.
            String initialAccess = method.equals("POST") ? initialAccessTokenId(request) : null;
            if (initialAccess != null) {
                KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
                try {
                    InitialAccessTokens.recordRegistered(session, request.getUriInfo().getPathSegments(true).get(1).getPath(),
                            createdClientId(response.getEntity()), initialAccess);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Client registration %s with an initial access token could not be recorded; it is rolled back", raw);
                    rollBack(session);
                    refuse(response, 503, "credential_read_not_recorded", "Who holds the registered client's credential could "
                            + "not be recorded; the registration was rolled back");
                }
            }
            return;
        }
        RequestPath path;
        try {
            path = RequestPath.parse(raw);
        } catch (RequestPath.Refused e) {
            if (registration || AmbiguousClientPath.mayReachClients(raw)) {
                // Keycloak answered a path read two ways near the clients' credentials: not sent.
                refuse(response, 400, "invalid_request", "Ambiguous admin path below clients: " + e.getMessage()
                        + "; credential reads must use a plain path to be recorded");
            }
            return;
        }
        if (method.equals("POST") && response.getEntity() instanceof ClientInitialAccessPresentation minted
                && minted.getToken() != null && path.segments().size() > 2) {
            // POST …/clients-initial-access: the admin receiving the token holds every client registered with it.
            KeycloakSession session = KeycloakSessionUtil.getKeycloakSession();
            try {
                InitialAccessTokens.recordMinted(session, path.segments().get(2), minted.getId());
            } catch (RuntimeException e) {
                LOG.errorf(e, "Initial access token %s could not be recorded; it is rolled back", raw);
                rollBack(session);
                refuse(response, 503, "credential_read_not_recorded", "Who holds the initial access token could not be "
                        + "recorded; its creation was rolled back");
            }
            return;
        }
        Optional<CredentialEndpoint.Match> found = CredentialEndpoint.classify(method, path);
        if (found.isEmpty()) {
            return;
        }
        CredentialEndpoint.Match match = found.get();
        KeycloakSessionFactory factory = KeycloakApplication.getSessionFactory();
        String realm = path.segments().get(registration ? 1 : 2);
        String relative = path.join(registration ? 2 : 3).substring(1);
        // A write's answer (a registration, a client created or changed through the client admin API v2) is recorded in
        // the write's own transaction, which the recording's failure rolls back: the client it created is not committed
        // yet (Keycloak commits after the response filters), so a transaction of its own would not find it.
        boolean registered = !method.equals("GET") && (registration || match.endpoint() == CredentialEndpoint.CLIENTS_V2
                || match.endpoint() == CredentialEndpoint.CLIENT_V2);
        try {
            List<CredentialReadRecorder.Exposure> exposures = match.endpoint() == CredentialEndpoint.PARTIAL_EXPORT
                    ? exportedKeys(request, realm) : exposures(match, response);
            if (exposures.isEmpty()) {
                return;
            }
            if (registered) {
                CredentialReadRecorder.recordInRequest(KeycloakSessionUtil.getKeycloakSession(), realm, match, method, relative,
                        exposures);
            } else {
                CredentialReadRecorder.record(factory, CredentialReadRecorder.Reader.ofRequest(), realm, match, method, relative,
                        exposures);
            }
        } catch (RuntimeException e) {
            if (registered) {
                LOG.errorf(e, "%s %s: the credential its answer carries could not be recorded; it is rolled back", method, raw);
                rollBack(KeycloakSessionUtil.getKeycloakSession());
                refuse(response, 503, "credential_read_not_recorded", "The client's credential this answer carries could not "
                        + "be recorded in the audit record; the write was rolled back");
                return;
            }
            LOG.errorf(e, "Credential read %s %s could not be recorded; the answer is withheld", method, raw);
            boolean write = !method.equals("GET") && match.endpoint() != CredentialEndpoint.KEYSTORE;
            refuse(response, 503, "credential_read_not_recorded", write
                    ? "The write was applied, but the credential its answer carries could not be recorded in the audit "
                            + "record; the answer is withheld (read or regenerate the credential again)"
                    : "The credential read could not be recorded in the audit record; its answer is withheld");
        }
    }

    /** The clients whose material the answer exposes, decided on the answer's own body where Keycloak built one. */
    static List<CredentialReadRecorder.Exposure> exposures(CredentialEndpoint.Match match,
            ContainerResponseContext response) {
        Object entity = response.getEntity();
        List<CredentialReadRecorder.Exposure> out = new ArrayList<>();
        switch (match.endpoint()) {
            case CLIENT_SECRET, ROTATED_SECRET, REGENERATED_SECRET -> {
                if (entity instanceof CredentialRepresentation c && c.getValue() != null && !c.getValue().isBlank()) {
                    out.add(new CredentialReadRecorder.Exposure(match.clientUuid(), List.of(
                            match.endpoint() == CredentialEndpoint.ROTATED_SECRET ? ClientCredentialMaterial.ROTATED_SECRET : "secret")));
                }
            }
            case REGISTRATION_ACCESS_TOKEN -> {
                if (entity instanceof ClientRepresentation rep) {
                    List<String> exposed = new ArrayList<>(ClientCredentialMaterial.of(rep));
                    if (rep.getRegistrationAccessToken() != null && !rep.getRegistrationAccessToken().isBlank()) {
                        exposed.add(ClientCredentialMaterial.REGISTRATION_ACCESS_TOKEN);
                    }
                    if (!exposed.isEmpty()) {
                        out.add(new CredentialReadRecorder.Exposure(match.clientUuid(), exposed));
                    }
                }
            }
            // Keycloak's own answer only (a held write is answered 202 by admission, with no key in it).
            case GENERATED_KEY -> {
                if (entity instanceof CertificateRepresentation c && c.getPrivateKey() != null && !c.getPrivateKey().isBlank()) {
                    out.add(CredentialReadRecorder.Exposure.created(match));
                }
            }
            case GENERATED_KEYSTORE -> {
                if (entity instanceof byte[] keystore && keystore.length > 0) {
                    out.add(CredentialReadRecorder.Exposure.created(match));
                }
            }
            case CLIENT -> {
                if (entity instanceof ClientRepresentation rep) {
                    add(out, rep);
                }
            }
            case CLIENTS -> {
                for (Object item : materialised(response)) {
                    if (item instanceof ClientRepresentation rep) {
                        add(out, rep);
                    }
                }
            }
            case PARTIAL_EXPORT -> { } // streamed after the filters: exportedKeys reads what it carries from the clients
            case CERTIFICATE -> {
                if (entity instanceof CertificateRepresentation c && c.getPrivateKey() != null && !c.getPrivateKey().isBlank()) {
                    out.add(new CredentialReadRecorder.Exposure(match.clientUuid(),
                            List.of(match.pathParams().get("attr") + ClientCredentialMaterial.PRIVATE_KEY_SUFFIX)));
                }
            }
            case INSTALLATION, KEYSTORE -> out.add(new CredentialReadRecorder.Exposure(match.clientUuid(), null));
            case CLIENT_V2 -> addV2(out, entity);
            case REGISTRATION -> {
                String clientId = match.pathParams().get("clientId");
                if (clientId == null) {
                    clientId = createdClientId(entity); // a registration POST names the new client in its answer
                }
                out.add(CredentialReadRecorder.Exposure.byClientId(clientId, null));
            }
            case CLIENTS_V2 -> {
                if (entity instanceof Collection<?> || entity instanceof Stream<?>) {
                    materialised(response).forEach(item -> addV2(out, item));
                } else {
                    addV2(out, entity); // a created client
                }
            }
        }
        return out;
    }

    /**
     * The stored private keys (and private members of key sets) a partial export with its clients carries ({@code exportClients=true}, read as JAX-RS reads
     * a Boolean), one exposure per client that stores one: Keycloak streams the export after the response filters and
     * masks the clients' secrets, not their private keys.
     */
    static List<CredentialReadRecorder.Exposure> exportedKeys(ContainerRequestContext request, String realmName) {
        if (!"true".equalsIgnoreCase(request.getUriInfo().getQueryParameters().getFirst("exportClients"))) {
            return List.of();
        }
        RealmModel realm = KeycloakSessionUtil.getKeycloakSession().realms().getRealmByName(realmName);
        List<CredentialReadRecorder.Exposure> out = new ArrayList<>();
        if (realm != null) {
            realm.getClientsStream().forEach(client -> {
                List<String> keys = ClientCredentialMaterial.exportedKeys(client);
                if (!keys.isEmpty()) {
                    out.add(new CredentialReadRecorder.Exposure(client.getId(), keys));
                }
            });
        }
        return out;
    }

    private static void add(List<CredentialReadRecorder.Exposure> out, ClientRepresentation rep) {
        List<String> exposed = ClientCredentialMaterial.of(rep);
        if (!exposed.isEmpty() && rep.getId() != null) {
            out.add(new CredentialReadRecorder.Exposure(rep.getId(), exposed));
        }
    }

    /**
     * Whether the request reaches client registration ({@code /realms/{realm}/clients-registrations/…}),
     * as JAX-RS matched it (decoded segments), with a string check first so other requests pay nothing.
     */
    private static boolean reachesClientRegistration(ContainerRequestContext request, String raw) {
        if (!(raw.contains("/clients-registrations/") || raw.indexOf('%') >= 0 || raw.indexOf(';') >= 0)) {
            return false;
        }
        List<jakarta.ws.rs.core.PathSegment> segments = request.getUriInfo().getPathSegments(true);
        return segments.size() >= 3 && segments.get(0).getPath().equals("realms")
                && segments.get(2).getPath().equals("clients-registrations");
    }

    /**
     * Whether the request's bearer token is an access token ({@code typ} Bearer), which client
     * registration accepts from an admin with {@code manage-clients}, rather than a registration
     * or initial access token. Read without verifying: the answer was 2xx, so Keycloak verified it,
     * and the record's transaction authenticates it again. The header is taken as Keycloak's
     * {@code ClientRegistrationAuth} takes it: the first {@code Authorization} header (JAX-RS joins
     * repeated headers with a comma in {@code getHeaderString}, which no token parses), the token
     * after the first space. A token that answered 2xx yet cannot be read counts as an admin's:
     * recorded rather than let through.
     */
    static boolean byAdminToken(ContainerRequestContext request) {
        try {
            org.keycloak.representations.JsonWebToken jwt = bearer(request);
            if (jwt == null) {
                return false; // Keycloak's registration then knows no token either: an anonymous request
            }
            String type = jwt.getType();
            return !(org.keycloak.services.clientregistration.ClientRegistrationTokenUtils.TYPE_INITIAL_ACCESS_TOKEN.equals(type)
                    || org.keycloak.services.clientregistration.ClientRegistrationTokenUtils.TYPE_REGISTRATION_ACCESS_TOKEN.equals(type));
        } catch (org.keycloak.jose.jws.JWSInputException | RuntimeException e) {
            return true;
        }
    }

    /**
     * The request's bearer token as Keycloak takes it (the first {@code Authorization} header), read without verifying it
     * (Keycloak verified it before answering 2xx); null without one.
     */
    private static org.keycloak.representations.JsonWebToken bearer(ContainerRequestContext request)
            throws org.keycloak.jose.jws.JWSInputException {
        String header = request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        int space = header == null ? -1 : header.indexOf(' ');
        if (space <= 0 || !header.substring(0, space).equalsIgnoreCase(org.keycloak.util.TokenUtil.TOKEN_TYPE_BEARER)) {
            return null;
        }
        return new org.keycloak.jose.jws.JWSInput(header.substring(space + 1)).readJsonContent(org.keycloak.representations.JsonWebToken.class);
    }

    private static void rollBack(KeycloakSession session) {
        if (session != null && session.getTransactionManager().isActive()) {
            session.getTransactionManager().setRollbackOnly();
        }
    }

    /** The id of the initial access token the request is authorized with ({@code jti}), or null for any other. */
    static String initialAccessTokenId(ContainerRequestContext request) {
        try {
            org.keycloak.representations.JsonWebToken jwt = bearer(request);
            return jwt != null
                    && org.keycloak.services.clientregistration.ClientRegistrationTokenUtils.TYPE_INITIAL_ACCESS_TOKEN.equals(jwt.getType())
                    ? jwt.getId() : null;
        } catch (org.keycloak.jose.jws.JWSInputException | RuntimeException e) {
            return null; // Keycloak refused the request already
        }
    }

    /**
     * The client a client-registration create answers with: {@code clientId} (Keycloak's own
     * representation) or {@code client_id} (OpenID Connect), read through its JSON form.
     */
    private static String createdClientId(Object entity) {
        if (entity == null || entity instanceof String || entity instanceof byte[]) {
            throw new IllegalStateException("a client registration answer without a client representation");
        }
        com.fasterxml.jackson.databind.JsonNode tree = JsonSerialization.mapper.valueToTree(entity);
        com.fasterxml.jackson.databind.JsonNode id = tree.has("clientId") ? tree.get("clientId") : tree.get("client_id");
        if (id == null || !id.isTextual()) {
            throw new IllegalStateException("a client registration answer that names no client");
        }
        return id.textValue();
    }

    /**
     * A client of the client admin API v2 ({@code auth.secret}), read through its JSON form: no
     * compile-time tie to its classes. A projection ({@code ?fields=auth}) may leave out the
     * {@code uuid}: then the client is found by {@code clientId}; an answer that carries a secret and
     * names its client by neither is not sent (the filter answers 503).
     */
    private static void addV2(List<CredentialReadRecorder.Exposure> out, Object rep) {
        if (rep == null || rep instanceof String || rep instanceof byte[]) {
            return;
        }
        com.fasterxml.jackson.databind.JsonNode tree = JsonSerialization.mapper.valueToTree(rep);
        com.fasterxml.jackson.databind.JsonNode secret = tree.path("auth").path("secret");
        if (!secret.isTextual() || secret.textValue().isBlank()) {
            return;
        }
        if (tree.path("uuid").isTextual()) {
            out.add(new CredentialReadRecorder.Exposure(tree.path("uuid").textValue(), List.of("secret")));
        } else if (tree.path("clientId").isTextual()) {
            out.add(CredentialReadRecorder.Exposure.byClientId(tree.path("clientId").textValue(), List.of("secret")));
        } else {
            throw new IllegalStateException("a client admin API v2 answer carries a secret without naming its client");
        }
    }

    /**
     * The items of a list answer. Keycloak answers the client list with a lazy {@link Stream}
     * that its session filter closes once written; it is collected here (while the session is
     * open) and handed back as a stream of the same items that closes the original.
     */
    private static Collection<?> materialised(ContainerResponseContext response) {
        Object entity = response.getEntity();
        if (entity instanceof Collection<?> c) {
            return c;
        }
        if (entity instanceof Stream<?> s) {
            List<Object> items = new ArrayList<>();
            s.forEach(items::add);
            response.setEntity(items.stream().onClose(s::close)); // keeps the entity's annotations and media type
            return items;
        }
        return List.of();
    }

    private static void refuse(ContainerResponseContext response, int status, String error, String description) {
        if (response.getEntity() instanceof Stream<?> s) {
            s.close();
        }
        String body;
        try {
            body = JsonSerialization.writeValueAsString(java.util.Map.of("error", error, "error_description", description));
        } catch (java.io.IOException e) {
            body = "{\"error\":\"" + error + "\"}";
        }
        response.getHeaders().remove("Content-Disposition");
        response.getHeaders().remove(HttpHeaders.CONTENT_TYPE);
        response.getHeaders().remove(HttpHeaders.CONTENT_LENGTH);
        response.setStatus(status);
        response.setEntity(body, new java.lang.annotation.Annotation[0], MediaType.APPLICATION_JSON_TYPE);
    }
}
