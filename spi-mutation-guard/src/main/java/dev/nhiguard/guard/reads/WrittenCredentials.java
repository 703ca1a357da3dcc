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
 * writes when they are applied (the requester, whoever applies). A partial import commits in a
 * transaction of its own, before the record's, and so does Keycloak's user update, held or not.
 */
public final class WrittenCredentials {

    /** What a write gives a credential: a client, or a user (a person signs in with what the writer set). */
    public enum Kind {
        CLIENT, USER
    }

    /**
     * A client or user a write gives credential material.
     *
     * @param id    the internal id, or null when the write names it by name only (a create)
     * @param name  its clientId or username when its internal id is not known
     * @param names what the write sets (secret, attribute names, {@code certificate:<attr>}, credentials, email), names only
     */
    public record Target(Kind kind, String id, String name, List<String> names) {

        /** A client. */
        public Target(String clientUuid, String clientId, List<String> names) {
            this(Kind.CLIENT, clientUuid, clientId, names);
        }
    }

    /**
     * The client attribute naming the identity provider whose keys sign a federated client assertion (Keycloak's
     * {@code FederatedJWTClientAuthenticator.JWT_CREDENTIAL_ISSUER_KEY}): whoever configures that provider's keys
     * holds the credential of every client naming it.
     */
    static final String FEDERATED_ISSUER = "jwt.credential.issuer";

    /**
     * Client attributes that name the key, certificate, subject or issuer a client authenticates with (changed: a
     * credential; {@code x509.casubjectdn} cleared lets any trusted authority vouch for the subject).
     */
    static final Set<String> AUTHENTICATION_ATTRIBUTES = Set.of("jwks.url", "jwks.string", "jwt.credential.certificate",
            "jwt.credential.public.key", "jwt.credential.kid", FEDERATED_ISSUER, "jwt.credential.sub", "x509.subjectdn",
            "x509.casubjectdn", "x509.allow.regex.pattern.comparison", "attester_trust_idps");

    /** Switches that make the client authenticate with the key its {@code jwks.url} or {@code jwks.string} names. */
    private static final List<String> AUTHENTICATION_SWITCHES = List.of("use.jwks.url", "use.jwks.string");

    private static final String KC = "org.keycloak.services.resources.admin.";

    private WrittenCredentials() {
    }

    /**
     * The clients a write Keycloak resolves to this method gives credential material, in the body
     * as Keycloak reads it; empty for every other write.
     */
    public static List<Target> of(KeycloakSession s, Endpoints.Resolved resolved, JsonNode body, RealmModel realm) {
        String key = resolved.key();
        Map<String, String> params = resolved.pathParams();
        switch (key) {
            case KC + "ClientsResource#createClient": {
                Target t = ofNewClient(body, true);
                return t == null ? List.of() : List.of(t);
            }
            case KC + "IdentityProvidersResource#create":
                return trusting(s, realm, java.util.stream.Stream.of(text(body, "alias")));
            case KC + "IdentityProviderResource#update":
                return trusting(s, realm, java.util.stream.Stream.of(params.get("alias"), text(body, "alias")));
            case KC + "ClientResource#update": {
                String uuid = params.get("client-uuid");
                List<String> names = setBy(body, uuid == null ? null : realm.getClientById(uuid));
                return names.isEmpty() || uuid == null ? List.of() : List.of(new Target(uuid, null, names));
            }
            case KC + "UsersResource#createUser": {
                Target t = ofNewUser(body, realm);
                return t == null ? List.of() : List.of(t);
            }
            case KC + "UserResource#updateUser": {
                String id = params.get("user-id");
                List<String> names = signInSetBy(body, id == null ? null : s.users().getUserById(realm, id));
                return names.isEmpty() || id == null ? List.of() : List.of(new Target(Kind.USER, id, null, names));
            }
            case KC + "UserResource#resetPassword":
            case KC + "UserResource#addFederatedIdentity":
            case KC + "UserResource#impersonate": {
                // A password, a linked identity, or a session as the user (where its credentials can be set).
                String id = params.get("user-id");
                return id == null ? List.of() : List.of(new Target(Kind.USER, id, null, List.of(resolved.method().getName())));
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
                        Target t = ofNewClient(c, false); // Keycloak's import gives each client an id of its own
                        if (t != null) {
                            out.add(t);
                        }
                    }
                }
                JsonNode users = body == null ? null : body.get("users");
                if (users != null && users.isArray()) {
                    for (JsonNode u : users) {
                        Target t = ofNewUser(u, realm);
                        if (t != null) {
                            out.add(t);
                        }
                    }
                }
                JsonNode providers = body == null ? null : body.get("identityProviders");
                if (providers != null && providers.isArray()) {
                    List<String> aliases = new ArrayList<>();
                    providers.forEach(p -> aliases.add(text(p, "alias")));
                    out.addAll(trusting(s, realm, aliases.stream()));
                }
                return out;
            }
            default:
                return List.of();
        }
    }

    /**
     * Whether a write below {@code segments[from…]} can reach one of the endpoints {@link #of} names (clients, users,
     * partial import, identity providers): a cheap look at the first segment, before anything is resolved.
     */
    public static boolean mayWrite(List<String> segments, int from) {
        return segments.size() > from && Set.of("clients", "users", "partialImport", "identity-provider").contains(segments.get(from));
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

    /** A new client's credentials, named by the id Keycloak keeps ({@code keepsId}) and its clientId. */
    private static Target ofNewClient(JsonNode client, boolean keepsId) {
        if (client == null || !client.isObject()) {
            return null;
        }
        List<String> names = setBy(client, null);
        if (names.isEmpty()) {
            return null;
        }
        String id = keepsId ? text(client, "id") : null;
        String clientId = text(client, "clientId");
        return id == null && clientId == null ? null : new Target(id, clientId, names);
    }

    /**
     * A new user the writer gave a way to sign in (credentials, an email to reset them by, a federated identity), by the
     * username Keycloak gives it: its email where the realm takes emails as usernames.
     */
    private static Target ofNewUser(JsonNode user, RealmModel realm) {
        if (user == null || !user.isObject()) {
            return null;
        }
        List<String> names = signInSetBy(user, null);
        String username = realm != null && realm.isRegistrationEmailAsUsername() ? text(user, "email") : text(user, "username");
        return names.isEmpty() || username == null ? null : new Target(Kind.USER, null, username, names);
    }

    /**
     * How a user body lets its writer sign in as the user: credentials (a password or OTP secret of the writer's choosing),
     * an email address other than the user's current one (a reset link goes there), federated identities (a login
     * elsewhere links in). Names only.
     */
    public static List<String> signInSetBy(JsonNode user, org.keycloak.models.UserModel current) {
        List<String> names = new ArrayList<>();
        if (user == null || !user.isObject()) {
            return names;
        }
        JsonNode credentials = user.get("credentials");
        if (credentials != null && credentials.isArray() && !credentials.isEmpty()) {
            names.add("credentials");
        }
        String email = text(user, "email");
        if (email != null && (current == null || !email.equalsIgnoreCase(current.getEmail()))) {
            names.add("email");
        }
        JsonNode federated = user.get("federatedIdentities");
        if (current == null && federated != null && federated.isArray() && !federated.isEmpty()) {
            names.add("federatedIdentities"); // read on creation only
        }
        // Another user storage checks the password of a user linked to it; another username is what a certificate's
        // or Kerberos principal's name, or an identity provider linking by username, finds.
        String link = text(user, "federationLink");
        if (link != null && (current == null || !link.equals(current.getFederationLink()))) {
            names.add("federationLink");
        }
        String username = text(user, "username");
        if (current != null && username != null && !username.equalsIgnoreCase(current.getUsername())) {
            names.add("username");
        }
        return names;
    }

    /**
     * The clients authenticating by a federated assertion of one of these identity providers ({@value #FEDERATED_ISSUER}
     * names its alias): whoever sets the provider's keys or issuer can sign their assertions.
     */
    private static List<Target> trusting(KeycloakSession s, RealmModel realm, java.util.stream.Stream<String> aliases) {
        return aliases.filter(java.util.Objects::nonNull).distinct()
                .flatMap(alias -> s.clients().searchClientsByAttributes(realm, Map.of(FEDERATED_ISSUER, alias), null, null))
                .map(c -> new Target(c.getId(), c.getClientId(), List.of("identity-provider:" + c.getAttribute(FEDERATED_ISSUER))))
                .distinct().toList();
    }

    /** A member's text, or null when absent, not text or blank. */
    private static String text(JsonNode node, String member) {
        JsonNode v = node == null ? null : node.get(member);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
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
            if (ClientCredentialMaterial.isSecretAttribute(name)) {
                if (chosen(value)) {
                    names.add(name);
                }
            } else if (AUTHENTICATION_ATTRIBUTES.contains(name)) {
                String sent = value.isNull() ? "" : value.asText();
                String now = current == null || current.getAttribute(name) == null ? "" : current.getAttribute(name);
                if (current == null ? !sent.isBlank() : !sent.equals(now)) {
                    names.add(name);
                }
            } else if (AUTHENTICATION_SWITCHES.contains(name)) {
                if (Boolean.parseBoolean(value.asText()) && (current == null || !Boolean.parseBoolean(current.getAttribute(name)))) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** Whether a body of this client sets how it authenticates (a credential, as a secret is). */
    public static boolean setsAuthentication(JsonNode body, ClientModel current) {
        return setBy(body, current).stream().anyMatch(n -> !n.equals("secret") && !ClientCredentialMaterial.isSecretAttribute(n));
    }

    /**
     * A value the writer sent: any text (Keycloak stores a client's secret as sent, its mask and a vault reference too, and
     * a vault reference it cannot resolve reads as itself), a number or boolean (read into text), or a value the guard
     * sealed in a stored body (only the requester saw it in clear).
     */
    private static boolean chosen(JsonNode value) {
        if (value == null || value.isNull()) {
            return false;
        }
        return value.isValueNode() || dev.nhiguard.guard.sealing.Sealer.isSealed(value);
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
            String id = t.kind() == Kind.USER ? userId(s, realm, t) : clientUuid(realm, t);
            if (id != null) {
                uuids.add(id);
            }
        }
        CredentialReaders.record(s, realm, uuids, holderId);
        if (impersonatorId != null && !impersonatorId.equals(holderId)) {
            CredentialReaders.record(s, realm, uuids, impersonatorId);
        }
    }

    private static String clientUuid(RealmModel realm, Target t) {
        ClientModel client = t.id() != null ? realm.getClientById(t.id()) : null;
        if (client == null && t.name() != null) {
            client = realm.getClientByClientId(t.name());
        }
        return client == null ? null : client.getId();
    }

    private static String userId(KeycloakSession s, RealmModel realm, Target t) {
        org.keycloak.models.UserModel user = t.id() != null ? s.users().getUserById(realm, t.id()) : null;
        if (user == null && t.name() != null) {
            user = s.users().getUserByUsername(realm, t.name());
        }
        return user == null ? null : user.getId();
    }
}
