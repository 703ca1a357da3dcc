package dev.nhiguard.agent.registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.crypto.SignatureProvider;
import org.keycloak.jose.jwk.JSONWebKeySet;
import org.keycloak.jose.jwk.JWK;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientScopeModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.IdentityProviderModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ProtocolMapperModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.services.Urls;
import org.keycloak.services.managers.ClientManager;
import org.keycloak.services.managers.RealmManager;
import org.keycloak.urls.UrlType;
import org.keycloak.util.JWKSUtils;
import org.keycloak.util.JsonSerialization;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.nhiguard.agent.claims.AgentClaimMapper;

/**
 * The agent registry of one realm: creates each agent's dedicated client and keeps the
 * agent's metadata in that client's attributes ({@link AgentRecord}).
 */
public final class AgentRegistry {

    private static final Logger LOG = Logger.getLogger(AgentRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String MAPPER_NAME = "nhi agent claim";
    /** Keycloak's client attribute for DPoP-bound access tokens (RFC 9449). */
    public static final String DPOP = "dpop.bound.access.tokens";
    /** Keycloak's client attribute for certificate-bound access tokens (RFC 8705). */
    static final String MTLS_BOUND_TOKENS = "tls.client.certificate.bound.access.tokens";
    /** When the key binding was last set (the credential's age in the inventory). */
    public static final String BINDING_AT = "nhi.agent.binding.at";

    private final KeycloakSession session;
    private final RealmModel realm;

    public AgentRegistry(KeycloakSession session, RealmModel realm) {
        this.session = session;
        this.realm = realm;
    }

    /** A conflict with the registry's state (409). */
    static final class Conflict extends Exception {
        Conflict(String message) {
            super(message, null, false, false);
        }
    }

    /** Resolved owner. */
    record Owner(String type, String id, String name) {
    }

    Owner resolveOwner(AgentInput.OwnerRef ref) throws AgentInput.InvalidInput {
        if (AgentRecord.OWNER_USER.equals(ref.type())) {
            UserModel user = ref.id() != null ? session.users().getUserById(realm, ref.id())
                    : session.users().getUserByUsername(realm, ref.name());
            if (user == null) {
                throw new AgentInput.InvalidInput("owner user not found in realm " + realm.getName());
            }
            if (!user.isEnabled()) {
                throw new AgentInput.InvalidInput("owner user " + user.getUsername() + " is disabled");
            }
            if (user.getServiceAccountClientLink() != null) {
                throw new AgentInput.InvalidInput("owner must be a person or a group, not the service account " + user.getUsername());
            }
            return new Owner(AgentRecord.OWNER_USER, user.getId(), user.getUsername());
        }
        GroupModel group = ref.id() != null ? session.groups().getGroupById(realm, ref.id())
                : KeycloakModelUtils.findGroupByPath(session, realm, ref.name());
        if (group == null) {
            throw new AgentInput.InvalidInput("owner group not found in realm " + realm.getName());
        }
        return new Owner(AgentRecord.OWNER_GROUP, group.getId(), KeycloakModelUtils.buildGroupPath(group));
    }

    private List<ClientScopeModel> resolveScopes(List<String> names) throws AgentInput.InvalidInput {
        Map<String, ClientScopeModel> byName = new HashMap<>();
        realm.getClientScopesStream().forEach(s -> byName.put(s.getName(), s));
        List<ClientScopeModel> out = new ArrayList<>();
        for (String n : names) {
            ClientScopeModel s = byName.get(n);
            if (s == null || !OIDCLoginProtocol.LOGIN_PROTOCOL.equals(s.getProtocol())) {
                throw new AgentInput.InvalidInput("allowedScopes: no OpenID Connect client scope named '" + n + "' in realm " + realm.getName());
            }
            out.add(s);
        }
        return out;
    }

    private void checkBinding(AgentInput.Binding b) throws AgentInput.InvalidInput {
        if (AgentRecord.BINDING_JWK.equals(b.type())) {
            checkLoadable(boundJwk(b), b.thumbprint());
        }
        if (AgentRecord.BINDING_SPIFFE.equals(b.type())) {
            IdentityProviderModel idp = session.identityProviders().getByAlias(b.identityProvider());
            if (idp == null) {
                throw new AgentInput.InvalidInput("keyBinding.identityProvider: no identity provider with alias '" + b.identityProvider() + "'");
            }
        }
    }

    /**
     * Loads the key the way Keycloak's {@code client-jwt} authenticator will: the client's JWKS
     * through Keycloak's own {@link JWKSUtils} (signature keys only), then a signature verifier
     * for the key's algorithm. A key Keycloak cannot load is refused here instead of at every
     * token request.
     */
    private void checkLoadable(Map<String, Object> jwk, String thumbprint) throws AgentInput.InvalidInput {
        String alg = (String) jwk.get("alg");
        try {
            JSONWebKeySet set = JsonSerialization.readValue(JSON.writeValueAsString(Map.of("keys", List.of(jwk))), JSONWebKeySet.class);
            List<KeyWrapper> keys = JWKSUtils.getKeyWrappersForUse(set, JWK.Use.SIG).getKeys();
            if (keys.size() != 1 || keys.get(0).getPublicKey() == null) {
                throw new AgentInput.InvalidInput("keyBinding.jwk: Keycloak cannot load this key as a signature key");
            }
            KeyWrapper key = keys.get(0);
            if (!thumbprint.equals(key.getKid()) || !alg.equals(key.getAlgorithm())) {
                throw new AgentInput.InvalidInput("keyBinding.jwk: Keycloak loads this key with kid " + key.getKid()
                        + " and alg " + key.getAlgorithm() + ", expected " + thumbprint + " and " + alg);
            }
            SignatureProvider provider = session.getProvider(SignatureProvider.class, alg);
            if (provider == null) {
                throw new AgentInput.InvalidInput("keyBinding.jwk: this Keycloak has no signature provider for " + alg);
            }
            provider.verifier(key);
        } catch (AgentInput.InvalidInput e) {
            throw e;
        } catch (Exception e) {
            throw new AgentInput.InvalidInput("keyBinding.jwk: Keycloak cannot load this key: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** The JWK as it is stored in the client's JWKS: kid = thumbprint, alg and use set. */
    private static Map<String, Object> boundJwk(AgentInput.Binding b) {
        Map<String, Object> jwk = new LinkedHashMap<>(b.jwk());
        jwk.put("kid", b.thumbprint());
        return jwk;
    }

    private Delegation resolveDelegation(AgentInput.DelegationInput in) throws AgentInput.InvalidInput {
        List<String> users = new ArrayList<>();
        for (String u : in.users()) {
            UserModel user = session.users().getUserById(realm, u);
            if (user == null) {
                user = session.users().getUserByUsername(realm, u);
            }
            if (user == null) {
                throw new AgentInput.InvalidInput("delegation.users: no user '" + u + "' in realm " + realm.getName());
            }
            if (!users.contains(user.getId())) {
                users.add(user.getId());
            }
        }
        List<String> groups = new ArrayList<>();
        for (String g : in.groups()) {
            GroupModel group = g.startsWith("/") ? KeycloakModelUtils.findGroupByPath(session, realm, g) : session.groups().getGroupById(realm, g);
            if (group == null) {
                throw new AgentInput.InvalidInput("delegation.groups: no group '" + g + "' in realm " + realm.getName());
            }
            if (!groups.contains(group.getId())) {
                groups.add(group.getId());
            }
        }
        return new Delegation(in.owner(), users, groups, in.consented());
    }

    /** Registers a new agent with its own new client. Validates everything before writing. */
    public ClientModel register(AgentInput in) throws AgentInput.InvalidInput, Conflict {
        if (in.clientId() != null) {
            if (realm.getClientByClientId(in.clientId()) != null) {
                throw new Conflict("client " + in.clientId() + " already exists: an agent always gets its own new client, "
                        + "an existing or shared client cannot be bound");
            }
            throw new AgentInput.InvalidInput("clientId is not accepted: the agent's client is created with the agent's name");
        }
        if (realm.getClientByClientId(in.name()) != null) {
            throw new Conflict("a client " + in.name() + " already exists: an agent always gets its own new client, "
                    + "an existing or shared client cannot be bound");
        }
        Owner owner = resolveOwner(in.owner());
        Owner second = in.secondOwner() == null ? null : resolveOwner(in.secondOwner());
        if (second != null && second.id().equals(owner.id())) {
            throw new AgentInput.InvalidInput("secondOwner must differ from owner");
        }
        Delegation delegation = in.delegation() == null ? Delegation.OWNER_ONLY : resolveDelegation(in.delegation());
        List<ClientScopeModel> scopes = resolveScopes(in.allowedScopes());
        checkBinding(in.keyBinding());
        Instant now = AgentClock.now(session, realm);
        if (!in.expiresAt().isAfter(now)) {
            throw new AgentInput.InvalidInput("expiresAt must be in the future");
        }

        ClientRepresentation rep = new ClientRepresentation();
        rep.setClientId(in.name());
        rep.setName(in.name());
        rep.setDescription(in.purpose());
        rep.setProtocol(OIDCLoginProtocol.LOGIN_PROTOCOL);
        rep.setPublicClient(false);
        rep.setBearerOnly(false);
        rep.setServiceAccountsEnabled(true);
        rep.setStandardFlowEnabled(false);
        rep.setImplicitFlowEnabled(false);
        rep.setDirectAccessGrantsEnabled(false);
        rep.setFullScopeAllowed(false);
        rep.setConsentRequired(false);
        rep.setAttributes(new LinkedHashMap<>());
        ClientModel client = ClientManager.createClient(session, realm, rep);
        new ClientManager(new RealmManager(session)).enableServiceAccount(client);
        applyBinding(client, in.keyBinding());
        client.setAttribute(BINDING_AT, now.toString());
        client.setAttribute("standard.token.exchange.enabled", Boolean.toString(Boolean.TRUE.equals(in.tokenExchange())));
        client.setAttribute(DPOP, Boolean.toString(Boolean.TRUE.equals(in.dpop())));
        applyScopes(client, scopes);
        addClaimMapper(client);
        setSecondOwner(client, second);
        delegation.writeTo(client);

        AgentRecord record = new AgentRecord(owner.type(), owner.id(), in.purpose(), now, in.expiresAt(), in.allowedScopes(),
                in.keyBinding().type(), bindingValue(in.keyBinding()), in.keyBinding().identityProvider(),
                AgentRecord.Status.ACTIVE, "registered", now);
        record.writeTo(client);
        dev.nhiguard.agent.inventory.InventoryIndex.touch(session, realm.getId(), client.getId());
        LOG.infof("realm %s: registered agent %s (client %s), owner %s %s", realm.getName(), in.name(), client.getId(), owner.type(), owner.id());
        return client;
    }

    /**
     * Applies the fields present in an update. Validates everything before writing. Answers true
     * when the update lifted the owner latch (an owner was reassigned to a latched agent, which
     * is then active again; the caller records that).
     */
    public boolean update(ClientModel client, AgentInput in) throws AgentInput.InvalidInput, Conflict {
        AgentRecord current = AgentRecord.of(client);
        if (current.status() == AgentRecord.Status.RETIRED) {
            throw new Conflict("agent " + client.getClientId() + " is retired and cannot be changed");
        }
        if (in.clientId() != null) {
            throw new AgentInput.InvalidInput("clientId cannot be changed: one agent, one client");
        }
        if (in.name() != null && !in.name().equals(client.getClientId())) {
            throw new AgentInput.InvalidInput("name cannot be changed");
        }
        Owner owner = in.owner() == null ? null : resolveOwner(in.owner());
        Owner second = in.secondOwner() == null ? null : resolveOwner(in.secondOwner());
        String primaryId = owner == null ? current.ownerId() : owner.id();
        if (second != null && second.id().equals(primaryId)) {
            throw new AgentInput.InvalidInput("secondOwner must differ from owner");
        }
        Delegation delegation = in.delegation() == null ? null : resolveDelegation(in.delegation());
        List<ClientScopeModel> scopes = in.allowedScopes() == null ? null : resolveScopes(in.allowedScopes());
        if (in.keyBinding() != null) {
            checkBinding(in.keyBinding());
        }
        if (in.expiresAt() != null && !in.expiresAt().isAfter(AgentClock.now(session, realm))) {
            throw new AgentInput.InvalidInput("expiresAt must be in the future");
        }

        AgentRecord next = new AgentRecord(
                owner == null ? current.ownerType() : owner.type(),
                owner == null ? current.ownerId() : owner.id(),
                in.purpose() == null ? current.purpose() : in.purpose(),
                current.createdAt(),
                in.expiresAt() == null ? current.expiresAt() : in.expiresAt(),
                in.allowedScopes() == null ? current.allowedScopes() : in.allowedScopes(),
                in.keyBinding() == null ? current.bindingType() : in.keyBinding().type(),
                in.keyBinding() == null ? current.bindingValue() : bindingValue(in.keyBinding()),
                in.keyBinding() == null ? current.bindingIdp() : in.keyBinding().identityProvider(),
                current.status(), current.statusReason(), current.statusChangedAt());
        if (in.purpose() != null) {
            client.setDescription(in.purpose());
        }
        if (in.keyBinding() != null) {
            applyBinding(client, in.keyBinding());
            client.setAttribute(BINDING_AT, AgentClock.now(session, realm).toString());
            // A new key retires the tokens the old one obtained: a holder of the old key (a stolen one, the reason for
            // a rotation) could otherwise keep renewing them through the UMA grant, which needs no client key.
            dev.nhiguard.agent.IssuedTokens.revoke(session, realm, client);
        }
        if (in.tokenExchange() != null) {
            client.setAttribute("standard.token.exchange.enabled", Boolean.toString(in.tokenExchange()));
        }
        if (in.dpop() != null) {
            client.setAttribute(DPOP, Boolean.toString(in.dpop()));
        }
        if (scopes != null) {
            applyScopes(client, scopes);
        }
        if (second != null || in.clearSecondOwner()) {
            setSecondOwner(client, second);
        }
        if (delegation != null) {
            delegation.writeTo(client);
        }
        next.writeTo(client);
        dev.nhiguard.agent.inventory.InventoryIndex.touch(session, realm.getId(), client.getId());
        boolean reassigned = owner != null || second != null;
        if (reassigned && AgentOwners.latch(client) != null) {
            boolean onlyByLatch = AgentOwners.suspendedOnlyByLatch(client);
            client.removeAttribute(AgentOwners.LATCH);
            client.removeAttribute(AgentOwners.LATCH_SUSPENDED);
            if (next.status() == AgentRecord.Status.SUSPENDED && onlyByLatch) {
                next.withStatus(AgentRecord.Status.ACTIVE, "owner reassigned", AgentClock.now(session, realm)).writeTo(client);
                dev.nhiguard.agent.inventory.InventoryIndex.touch(session, realm.getId(), client.getId());
            }
            return true;
        }
        return false;
    }

    private static void setSecondOwner(ClientModel client, Owner second) {
        if (second == null) {
            client.removeAttribute(AgentOwners.OWNER2_TYPE);
            client.removeAttribute(AgentOwners.OWNER2_ID);
        } else {
            client.setAttribute(AgentOwners.OWNER2_TYPE, second.type());
            client.setAttribute(AgentOwners.OWNER2_ID, second.id());
        }
    }

    /** Moves an agent to a new status, recording why. */
    public void changeStatus(ClientModel client, AgentRecord.Status target, String reason) throws Conflict {
        AgentRecord current = AgentRecord.of(client);
        AgentRecord.Status from = current.status();
        if (from == AgentRecord.Status.RETIRED) {
            throw new Conflict("agent " + client.getClientId() + " is retired");
        }
        if (from == target && target == AgentRecord.Status.SUSPENDED && AgentOwners.suspendedOnlyByLatch(client)) {
            // Suspended for having lost its owner, now for this reason too: a new owner no longer resumes it.
            client.removeAttribute(AgentOwners.LATCH_SUSPENDED);
            current.withStatus(target, reason, AgentClock.now(session, realm)).writeTo(client);
            dev.nhiguard.agent.inventory.InventoryIndex.touch(session, realm.getId(), client.getId());
            LOG.infof("realm %s: agent %s (client %s) stays SUSPENDED after an owner is reassigned: %s", realm.getName(),
                    client.getClientId(), client.getId(), reason);
            return;
        }
        if (from == target) {
            throw new Conflict("agent " + client.getClientId() + " is already " + target.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (target == AgentRecord.Status.ACTIVE && AgentOwners.latch(client) != null) {
            throw new Conflict("agent " + client.getClientId() + " lost its owner (" + AgentOwners.latch(client)
                    + "); it stays suspended until an owner is reassigned (PUT /agents/" + client.getId() + " with owner)");
        }
        current.withStatus(target, reason, AgentClock.now(session, realm)).writeTo(client);
        dev.nhiguard.agent.inventory.InventoryIndex.touch(session, realm.getId(), client.getId());
        if (target == AgentRecord.Status.RETIRED) {
            client.setEnabled(false);
        }
        if (target != AgentRecord.Status.ACTIVE) {
            // Tokens issued before now stop working at once, the agent's own and another client's exchanges of them
            // (a gateway renewing an exchanged token without end); resuming does not revive them.
            dev.nhiguard.agent.IssuedTokens.revoke(session, realm, client);
        }
        LOG.infof("realm %s: agent %s (client %s) %s -> %s: %s", realm.getName(), client.getClientId(), client.getId(), from, target, reason);
    }

    private static String bindingValue(AgentInput.Binding b) {
        return AgentRecord.BINDING_SPIFFE.equals(b.type()) ? b.spiffeId() : b.thumbprint();
    }

    private static void applyBinding(ClientModel client, AgentInput.Binding b) {
        for (String a : List.of("jwks.string", "use.jwks.string", "use.jwks.url", "jwks.url", "x509.subjectdn", "x509.allow.regex.pattern.comparison",
                "jwt.credential.issuer", "jwt.credential.sub", MTLS_BOUND_TOKENS)) {
            client.removeAttribute(a);
        }
        switch (b.type()) {
            case AgentRecord.BINDING_JWK -> {
                Map<String, Object> jwk = boundJwk(b);
                try {
                    client.setAttribute("jwks.string", JSON.writeValueAsString(Map.of("keys", List.of(jwk))));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                client.setAttribute("use.jwks.string", "true");
                client.setAttribute("use.jwks.url", "false");
                client.setClientAuthenticatorType("client-jwt");
            }
            case AgentRecord.BINDING_MTLS -> {
                client.setAttribute("x509.subjectdn", b.subjectDn());
                client.setAttribute("x509.allow.regex.pattern.comparison", "false");
                // RFC 8705: the access tokens are bound to the certificate (cnf.x5t#S256)
                client.setAttribute(MTLS_BOUND_TOKENS, "true");
                client.setClientAuthenticatorType("client-x509");
            }
            case AgentRecord.BINDING_SPIFFE -> {
                client.setAttribute("jwt.credential.issuer", b.identityProvider());
                client.setAttribute("jwt.credential.sub", b.spiffeId());
                client.setClientAuthenticatorType("federated-jwt");
            }
            default -> throw new IllegalArgumentException(b.type());
        }
        client.setSecret(null);
    }

    /**
     * The agent's client carries only client scopes that never show in the scope claim (basic,
     * roles, …) as defaults, and exactly its allowed scopes as optional scopes.
     */
    private static void applyScopes(ClientModel client, List<ClientScopeModel> allowed) {
        List<String> allowedIds = allowed.stream().map(ClientScopeModel::getId).toList();
        for (boolean dflt : new boolean[] {true, false}) {
            client.getClientScopes(dflt).values().stream()
                    .filter(s -> !allowedIds.contains(s.getId()))
                    .filter(s -> !dflt || s.isIncludeInTokenScope())
                    .toList()
                    .forEach(client::removeClientScope);
        }
        for (ClientScopeModel s : allowed) {
            if (client.getClientScopes(true).containsKey(s.getName())) {
                client.removeClientScope(s);
            }
            if (!client.getClientScopes(false).containsKey(s.getName())) {
                client.addClientScope(s, false);
            }
        }
    }

    private static void addClaimMapper(ClientModel client) {
        ProtocolMapperModel m = new ProtocolMapperModel();
        m.setName(MAPPER_NAME);
        m.setProtocol(OIDCLoginProtocol.LOGIN_PROTOCOL);
        m.setProtocolMapper(AgentClaimMapper.PROVIDER_ID);
        m.setConfig(new HashMap<>(Map.of(
                "access.token.claim", "true",
                // also in a lightweight access token (the client attribute client.use.lightweight.access.token.enabled)
                "lightweight.claim", "true",
                "introspection.token.claim", "true",
                "id.token.claim", "false",
                "userinfo.token.claim", "false")));
        client.addProtocolMapper(m);
    }

    /** The REST view of an agent's client. */
    public AgentRepresentation toRepresentation(ClientModel client) {
        AgentRecord r = AgentRecord.of(client);
        UserModel sa = session.users().getServiceAccount(client);
        String alg = AgentRecord.BINDING_JWK.equals(r.bindingType()) ? boundAlgorithm(client) : null;
        AgentRepresentation.KeyBinding kb = new AgentRepresentation.KeyBinding(r.bindingType(),
                AgentRecord.BINDING_SPIFFE.equals(r.bindingType()) ? null : r.bindingValue(),
                AgentRecord.BINDING_SPIFFE.equals(r.bindingType()) ? r.bindingValue() : null,
                r.bindingIdp(), alg);
        String secondId = client.getAttribute(AgentOwners.OWNER2_ID);
        String secondType = client.getAttribute(AgentOwners.OWNER2_TYPE);
        AgentRepresentation.Owner second = secondId == null ? null
                : new AgentRepresentation.Owner(secondType, secondId, ownerName(secondType, secondId));
        Delegation d = Delegation.of(client);
        AgentRepresentation.DelegationView delegation = new AgentRepresentation.DelegationView(d.owner(),
                d.userIds().stream().map(id -> new AgentRepresentation.Named(id, ownerName(AgentRecord.OWNER_USER, id))).toList(),
                d.groupIds().stream().map(id -> new AgentRepresentation.Named(id, ownerName(AgentRecord.OWNER_GROUP, id))).toList(),
                d.consented());
        boolean tokenExchange = "true".equals(client.getAttribute("standard.token.exchange.enabled"));
        boolean dpop = "true".equals(client.getAttribute(DPOP));
        return new AgentRepresentation(client.getId(), client.getClientId(), client.getClientId(),
                new AgentRepresentation.Owner(r.ownerType(), r.ownerId(), ownerName(r.ownerType(), r.ownerId())), r.purpose(),
                str(r.createdAt()), str(r.expiresAt()), r.allowedScopes(), kb, tokenExchange,
                r.status() == null ? null : r.status().name(), r.statusReason(), str(r.statusChangedAt()),
                sa == null ? null : sa.getId(), client.isEnabled(), second, AgentOwners.latch(client), delegation, dpop,
                AgentUsage.of(issuer(), client.getClientId(), r.bindingType(), r.bindingValue(), alg, tokenExchange, dpop));
    }

    /** The realm's issuer URL as agents see it (the frontend URL when one is set). */
    private String issuer() {
        return Urls.realmIssuer(session.getContext().getUri(UrlType.FRONTEND).getBaseUri(), realm.getName());
    }

    private String ownerName(String type, String id) {
        if (AgentRecord.OWNER_USER.equals(type) && id != null) {
            UserModel u = session.users().getUserById(realm, id);
            return u == null ? null : u.getUsername();
        }
        if (AgentRecord.OWNER_GROUP.equals(type) && id != null) {
            GroupModel g = session.groups().getGroupById(realm, id);
            return g == null ? null : KeycloakModelUtils.buildGroupPath(g);
        }
        return null;
    }

    /** The alg of the bound key in the client's JWKS, or null if unreadable. */
    private static String boundAlgorithm(ClientModel client) {
        try {
            Object keys = JSON.readValue(client.getAttribute("jwks.string"), Map.class).get("keys");
            if (keys instanceof List<?> l && l.size() == 1 && l.get(0) instanceof Map<?, ?> k && k.get("alg") instanceof String a) {
                return a;
            }
        } catch (Exception e) {
            LOG.debugf(e, "client %s: unreadable JWKS", client.getClientId());
        }
        return null;
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }
}
