package dev.nhiguard.guard.changerequest;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.ws.rs.core.Response;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.RealmAdminResource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.guard.admission.Coverage;
import dev.nhiguard.guard.admission.CoverageTable;
import dev.nhiguard.guard.admission.Endpoints;
import dev.nhiguard.guard.admission.RequestPath;
import dev.nhiguard.guard.catalogue.Catalogue;
import dev.nhiguard.guard.catalogue.Operation;
import dev.nhiguard.guard.catalogue.TargetType;
import dev.nhiguard.guard.catalogue.Match;
import dev.nhiguard.guard.sealing.SealedFields;
import dev.nhiguard.guard.policy.GuardPolicy;
import dev.nhiguard.guard.policy.PolicyException;
import dev.nhiguard.guard.reads.CredentialEndpoint;
import dev.nhiguard.guard.reads.ResentCredentials;
import dev.nhiguard.guard.reads.WrittenCredentials;

/** Decides whether an admin write is guarded and, if so, holds it as a change request. */
public final class Admission {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Admission.class);

    private Admission() {
    }

    /** What admission decided. */
    public sealed interface Outcome permits Pass, Held, Refused {
    }

    /** What a write is, before anything is stored: passed, refused, or guarded with these effects. */
    public sealed interface Classification permits Pass, Refused, Guarded {
    }

    /**
     * Not guarded: let Keycloak handle it.
     *
     * @param resent  a guarded client's credential the body sends back unchanged, or null: the sender is
     *                recorded as its reader, in a transaction of its own ({@link ResentCredentials#record})
     * @param written the clients whose credential the write sets: its writer is recorded as their holder when
     *                the write commits ({@link WrittenCredentials#enlist})
     */
    public record Pass(ResentCredentials.Confirmed resent, List<WrittenCredentials.Target> written)
            implements Outcome, Classification {
        public Pass() {
            this(null, List.of());
        }
    }

    /** Guarded: these effects would be held under this policy ({@code normalized} is the body as Keycloak reads it). */
    /**
     * @param credentialBody the endpoint binds the body to Keycloak's credential representation
     *                       ({@code reset-password}): its {@code value} is sealed whatever else it carries
     */
    public record Guarded(GuardPolicy policy, List<Match> effects, JsonNode normalized, TargetState state,
            boolean credentialBody) implements Classification {
    }

    /** Held as a change request. */
    public record Held(com.fasterxml.jackson.databind.node.ObjectNode summary, String id) implements Outcome {
    }

    /** Refused with this answer (step-up needed, guard cannot decide). */
    public record Refused(Response response) implements Outcome, Classification {
    }

    /** A policy change or a prune is validated before it is held, so an invalid one is never stored or approved. */
    private static String invalidBody(List<Match> effects, JsonNode body) {
        for (Match match : effects) {
            if (match.operation().id().equals("audit-chain-prune")) {
                String problem = dev.nhiguard.audit.rest.AuditChainResource.pruneBodyProblem(body == null ? null : body.toString());
                if (problem != null) {
                    return problem;
                }
                continue;
            }
            String text = switch (match.operation().id()) {
                case "guard-policy-update" -> body == null ? "" : body.toString();
                case "realm-guard-policy-attribute" -> body.path("attributes").path(Catalogue.POLICY_ATTRIBUTE).asText("");
                default -> null;
            };
            if (text == null || (text.isEmpty() && match.operation().id().equals("realm-guard-policy-attribute"))) {
                continue;
            }
            try {
                GuardPolicy.parse(text);
            } catch (PolicyException e) {
                return "Invalid guard policy: " + e.getMessage();
            }
        }
        return null;
    }

    /**
     * Why a held write's query must not be stored, or null: the path is stored and shown with its
     * query, which is never sealed, and no admin endpoint of Keycloak takes a credential there, so a
     * query parameter with a secret's name ({@code ?secret=…}) is refused instead.
     */
    static String secretInQuery(String pathWithQuery) {
        int q = pathWithQuery == null ? -1 : pathWithQuery.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : pathWithQuery.substring(q + 1).split("[&;]")) { // ';' too, as Netty's decoder splits
            String name = pair.split("=", 2)[0];
            try {
                name = java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // not percent-decodable: judged as sent
            }
            if (dev.nhiguard.audit.chain.SecretRedactor.isBuiltInSecretName(name)) {
                return "Query parameter '" + name + "' would carry a credential into the stored request; Keycloak's admin API "
                        + "takes none in the query";
            }
        }
        return null;
    }

    /** The path relative to {@code /admin/realms/{realm}}, or null when the path is not under it. */
    public static String relativePath(String path, String realmName) {
        String prefix = "/admin/realms/" + realmName;
        if (!path.startsWith(prefix)) {
            return null;
        }
        String rest = path.substring(prefix.length());
        if (!rest.isEmpty() && !rest.startsWith("/")) {
            return null;
        }
        return rest.equals("/") ? "" : rest;
    }

    private static Refused refused(int status, String error, String description) {
        return new Refused(GuardErrors.response(status, error, description, null));
    }

    /**
     * Classifies an admin write the way Keycloak will read it and holds it when guarded. The path
     * is read by {@link RequestPath} and resolved to the Keycloak resource method JAX-RS routes it
     * to ({@link Endpoints}); the body is read with Keycloak's own JSON mapper into the type that
     * method consumes. The method's {@link Coverage} then decides; a method nobody classified, or a
     * locator whose resource cannot be known, is held as {@code unclassified-write}. A path that
     * resolves to nothing is answered here (404/405), so nothing unresolved reaches Keycloak.
     *
     * @param path          raw (percent-encoded) path from {@code /admin/realms/…}, without query
     * @param pathWithQuery the same with its query, as stored
     * @param body          the body as read by {@link RequestBody} (null when none)
     */
    public static Outcome admit(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path,
            String pathWithQuery, JsonNode body, String rollbackOf) {
        return admit(s, realm, auth, method, path, pathWithQuery, body, rollbackOf, null);
    }

    /**
     * As above, for a write JAX-RS routed to {@code routed} (null: none), which the guard's own resolution of the path
     * must agree with.
     */
    public static Outcome admit(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path,
            String pathWithQuery, JsonNode body, String rollbackOf, java.lang.reflect.Method routed) {
        Classification classification = classify(s, realm, auth, method, path, body, routed);
        if (classification instanceof Pass pass) {
            if (pass.resent() != null) {
                // The pass confirms a credential the body sends back: its sender is a reader, whoever asks next.
                String relative = relativePath(path, realm.getName());
                ResentCredentials.record(s, realm, auth, relative == null ? "" : relative.replaceFirst("^/", ""), pass.resent());
            }
            return pass;
        }
        if (classification instanceof Refused refused) {
            return refused;
        }
        Guarded guarded = (Guarded) classification;
        GuardPolicy policy = guarded.policy();
        List<Match> effects = guarded.effects();
        JsonNode normalized = guarded.normalized();
        TargetState state = guarded.state();
        String invalid = invalidBody(effects, normalized);
        if (invalid == null) {
            invalid = secretInQuery(pathWithQuery);
        }
        if (invalid != null) {
            return new Refused(GuardErrors.response(Response.Status.BAD_REQUEST, "invalid_request", invalid, null));
        }
        AuthState as = AuthState.of(s, auth);
        String problem = as.stepUpProblem(policy);
        if (problem != null) {
            return new Refused(AuthState.challenge(policy, problem));
        }
        Match primary = primary(effects);
        dev.nhiguard.guard.store.ChangeRequestEntity cr;
        try {
            // A mapping delete without a list is held with the list Keycloak would delete (AbsentMappingLists):
            // applied, it removes exactly the approved mappings, not whatever is mapped by then.
            JsonNode stored = (body == null || body.isNull()) && normalized != null && normalized.isArray() ? normalized : body;
            cr = GuardService.hold(s, realm, auth, as, policy, primary, effects, method, pathWithQuery, stored,
                    guarded.credentialBody(), state, rollbackOf);
        } catch (GuardService.DryRunRefused e) {
            // Keycloak itself refuses the request: it would fail at apply, so it is not held.
            return new Refused(e.response());
        }
        var summary = ChangeRequestView.summary(cr, 0, policy);
        long others = Approvers.eligible(s, realm, policy, auth.getUser().getId());
        if (others < policy.approvalsRequired()) {
            summary.with("needs").put("warning", "There are " + others + " approver(s) besides you but the policy needs "
                    + policy.approvalsRequired() + "; no admin request can appoint approvers: the operator appoints them "
                    + "(start-up option bootstrap-approvers or realm import), or the policy's approverRealm names the "
                    + "administration realm whose approvers decide");
        }
        summary.put("message", "This change is held for approval as change request " + cr.getId()
                + "; it is not applied until " + policy.approvalsRequired() + " approver(s) holding '"
                + policy.approverRole() + "' approve it");
        return new Held(summary, cr.getId());
    }

    /**
     * Whether classifying a write of this realm may write Keycloak's database (a user-storage provider's reads import
     * users and create the roles and groups a directory names): such a write is not classified in the request's session,
     * whose transaction stays open while a held write's change request is stored in a transaction of its own.
     */
    public static boolean classifyingMayWrite(RealmModel realm) {
        return DirectoryMemberships.readsMayWrite(realm);
    }

    /**
     * Classifies an admin write the way Keycloak will read it, storing nothing: {@link Pass},
     * {@link Refused} (unreadable, unroutable, or the policy is broken) or {@link Guarded} with every
     * effect. Reads only, so it may run in the request's own session.
     */
    public static Classification classify(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path,
            JsonNode body) {
        return classify(s, realm, auth, method, path, body, null);
    }

    /**
     * As {@link #classify(KeycloakSession, RealmModel, AdminAuth, String, String, JsonNode)}, and
     * checks the guard's routing against the resource method JAX-RS actually matched
     * ({@code routed}, null when unknown): if they differ the guard would be classifying a request
     * Keycloak does not run, so the write is refused.
     */
    public static Classification classify(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path,
            JsonNode body, java.lang.reflect.Method routed) {
        // Keycloak narrows user, group and client queries to what the calling admin may see (fine-grained admin
        // permissions v2, in the request's session): a role's or group's members, an owner's clients. The guard
        // decides on every guarded subject, seen or not by the admin asking.
        return org.keycloak.authorization.fgap.AdminPermissionsSchema.runWithoutAuthorization(s,
                () -> classifyAll(s, realm, auth, method, path, body, routed));
    }

    private static Classification classifyAll(KeycloakSession s, RealmModel realm, AdminAuth auth, String method, String path,
            JsonNode body, java.lang.reflect.Method routed) {
        GuardPolicy policy;
        try {
            policy = Policies.of(realm);
        } catch (PolicyException e) {
            return new Refused(GuardErrors.response(Response.Status.SERVICE_UNAVAILABLE, "guard_unavailable",
                    e.getMessage() + "; writes to guarded objects are refused until the policy is fixed", null));
        }
        RequestPath rp;
        try {
            rp = RequestPath.parse(path);
        } catch (RequestPath.Refused e) {
            return refused(e.status(), e.status() == 414 ? "request_uri_too_long" : "invalid_request", e.getMessage());
        }
        if (!rp.startsWith("admin", "realms", realm.getName())) {
            return refused(400, "invalid_request", "path must start with /admin/realms/" + realm.getName() + "/");
        }
        // A realm whose policy guards nothing still keeps sink secrets out of its attributes.
        boolean mayWriteAuditSinks = body != null && body.path("attributes").has(Catalogue.AUDIT_SINKS_ATTRIBUTE);
        // And records who sets a client's credential, for the day it guards something.
        if (policy.guardsNothing() && !mayWriteAuditSinks && !WrittenCredentials.mayWrite(rp.segments(), 3)) {
            return new Pass();
        }
        Endpoints.Resolution resolution = Endpoints.resolve(RealmAdminResource.class, rp, 3, method,
                new ExtensionLocator(s, realm, auth), m -> unsupportedMediaType(m, body) == null);
        if (policy.guardsNothing() && !(resolution instanceof Endpoints.Resolved)) {
            return new Pass();
        }
        TargetState state = new TargetState(s, realm, policy.approverRole());
        String rel = rp.join(3);
        List<Match> effects;
        JsonNode normalized = body;
        if (resolution instanceof Endpoints.NotFound) {
            return refused(404, "not_found", "No admin resource matches " + method + " " + path);
        } else if (resolution instanceof Endpoints.MethodNotAllowed) {
            return refused(405, "method_not_allowed", method + " is not allowed on " + path);
        } else if (resolution instanceof Endpoints.Opaque opaque) {
            // Below a locator whose return type the guard cannot follow (authorization services' PolicyService#getResource
            // returns Object): the locator's class decides where the coverage table classifies it as a whole
            // (PolicyService#*: admin-permissions), so a policy leaving unclassified-write out does not pass it.
            Optional<Coverage> whole = CoverageTable.of(opaque.locator().getDeclaringClass().getName(), opaque.locator().getName());
            if (whole.isPresent() && whole.get() instanceof Coverage.Guarded g) {
                Operation op = Catalogue.get().byId(g.operation()).orElseThrow();
                effects = policy.guards(op) ? List.of(new Match(op, Map.of(), op.targetType(), null)) : List.of();
            } else {
                effects = unclassified(policy, "below " + opaque.key());
            }
        } else {
            Endpoints.Resolved resolved = (Endpoints.Resolved) resolution;
            if (routed != null && !Endpoints.sameMethod(resolved.method(), routed)) {
                LOG.errorf("%s %s: the guard routes to %s, JAX-RS to %s#%s; refusing the write", method, path, resolved.key(),
                        routed.getDeclaringClass().getName(), routed.getName());
                return refused(503, "guard_unavailable",
                        "The mutation guard could not decide on this write and refused it: routing differs from Keycloak's");
            }
            String unsupported = unsupportedMediaType(resolved.method(), body);
            if (unsupported != null) {
                return refused(415, "invalid_request", unsupported);
            }
            if (ownEndpoint(resolved.method()) && body != null && !body.isObject() && !body.has(RequestBody.FORM_MARKER)) {
                // Our own modules' endpoints take the body as text and read one JSON object from it.
                return refused(400, "invalid_request", "The request body must be a JSON object");
            }
            try {
                normalized = KeycloakReading.read(body, resolved.entityType());
                normalized = AbsentMappingLists.expand(s, realm, resolved.method(), rp.segments().subList(3, rp.segments().size()),
                        normalized);
            } catch (KeycloakReading.Unreadable e) {
                return refused(400, "invalid_request", e.getMessage());
            } catch (AbsentMappingLists.UnknownHolder e) {
                List<Match> unknown = unclassified(policy, resolved.key() + " without a role list below " + e.getMessage());
                return unknown.isEmpty() ? new Pass() : new Guarded(policy, unknown, normalized, state, false);
            }
            String sinksWrite = auditSinksWrittenOutsideTheirEndpoint(resolved.method(), normalized, realm);
            if (sinksWrite != null) {
                return refused(400, "invalid_request", sinksWrite);
            }
            String texts = guardTextsOverridden(resolved.method(), resolved.pathParams(), normalized);
            if (texts != null) {
                return refused(403, "change_refused", texts);
            }
            if (policy.guardsNothing()) {
                return new Pass(null, WrittenCredentials.of(s, resolved, normalized, realm));
            }
            String smtp = storedSmtpSecretSentElsewhere(resolved.method(), normalized, realm);
            if (smtp != null) {
                return refused(403, "change_refused", smtp);
            }
            if (isSingleLocalizationText(resolved.method())
                    && policy.guards(Catalogue.get().byId(LOCALIZATION_TEXTS).orElseThrow())) {
                return refused(403, "change_refused", "A realm's texts are changed as JSON (POST /localization/{locale} with "
                        + "{\"key\": \"text\"}), which is held for approval: a mail's or login page's text can wrap the link "
                        + "of a password reset or an action in an address of its author's choosing");
            }
            Optional<Coverage> coverage = CoverageTable.of(resolved.method().getDeclaringClass().getName(),
                    resolved.method().getName());
            if (coverage.isEmpty()) {
                effects = unclassified(policy, resolved.key());
            } else if (coverage.get() instanceof Coverage.Unguarded) {
                return new Pass();
            } else if (coverage.get() instanceof Coverage.Guarded g) {
                Operation op = Catalogue.get().byId(g.operation()).orElseThrow();
                effects = policy.guards(op) ? List.of(new Match(op, Map.of(), op.targetType(), null)) : List.of();
            } else {
                Set<String> ops = Set.copyOf(((Coverage.Catalogue) coverage.get()).operations());
                effects = Catalogue.get().classifyAll(method, rel, normalized, state,
                        op -> ops.contains(op.id()) && policy.guards(op));
            }
        }
        if (effects.isEmpty()) {
            return new Pass(resentCredential(resolution, state, realm, policy, normalized),
                    resolution instanceof Endpoints.Resolved r ? WrittenCredentials.of(s, r, normalized, realm) : List.of());
        }
        boolean credentialBody = resolution instanceof Endpoints.Resolved r
                && r.entityType() == org.keycloak.representations.idm.CredentialRepresentation.class;
        return new Guarded(policy, effects, normalized, state, credentialBody);
    }

    /**
     * The clients a held write gives credential material ({@link WrittenCredentials}), resolved and
     * read as admission resolved and read it; empty when it sets none.
     *
     * @param storedPath the stored request path ({@code /admin/realms/{realm}/…}, query allowed)
     * @param clear      the stored body, unsealed
     */
    static List<WrittenCredentials.Target> writtenCredentials(KeycloakSession s, RealmModel realm, AdminAuth auth,
            String method, String storedPath, JsonNode clear) {
        RequestPath rp;
        try {
            rp = RequestPath.parse(storedPath.split("\\?", 2)[0]);
        } catch (RequestPath.Refused e) {
            return List.of(); // admission refuses such paths; nothing held has one
        }
        Endpoints.Resolution resolution = Endpoints.resolve(RealmAdminResource.class, rp, 3, method.toUpperCase(java.util.Locale.ROOT),
                new ExtensionLocator(s, realm, auth), m -> unsupportedMediaType(m, clear) == null);
        if (!(resolution instanceof Endpoints.Resolved resolved)) {
            return List.of();
        }
        try {
            return WrittenCredentials.of(s, resolved, KeycloakReading.read(clear, resolved.entityType()), realm);
        } catch (KeycloakReading.Unreadable e) {
            return List.of(); // admission read it; Keycloak refuses what it cannot read, and sets nothing
        }
    }

    /**
     * A credential of a guarded client (service account, agent, administration client) that a
     * passing client update sends back unchanged, or null: a wrong value would have been held, so
     * the pass confirms it ({@link ResentCredentials}).
     */
    private static ResentCredentials.Confirmed resentCredential(Endpoints.Resolution resolution, TargetState state,
            RealmModel realm, GuardPolicy policy, JsonNode body) {
        if (!(resolution instanceof Endpoints.Resolved r) || !RESENT_KEY.equals(r.key())
                || !policy.guards(Catalogue.get().byId("client-update").orElseThrow())) {
            return null; // where the policy holds no client update, any value passes: nothing is confirmed
        }
        String uuid = r.pathParams().get("client-uuid");
        if (uuid == null || !(state.shapesServiceAccountTokens(uuid) || state.isAdminClient(uuid))) {
            return null;
        }
        return ResentCredentials.of(realm.getClientById(uuid), body);
    }

    private static final String RESENT_KEY = CredentialEndpoint.RESENT.key();

    /**
     * Why a realm update must not set the realm's audit sinks attribute to the value it carries,
     * or null. The audit module's endpoint ({@code PUT audit-chain/realm-sinks}) stores a sink's
     * secret only encrypted ({@code secretRef}); a realm update stores the attribute as sent, so a
     * {@code secret} in it would stay in clear in the realm, where every later realm read, export
     * and before-image shows it. Such a value, or one that is not JSON, is refused; a value without
     * clear secrets (the stored one sent back by the console, a changed destination) goes on to
     * the guard's usual classification (held), and delivery checks its destinations again.
     */
    static String auditSinksWrittenOutsideTheirEndpoint(java.lang.reflect.Method method, JsonNode body, RealmModel realm) {
        String owner = method.getDeclaringClass().getSimpleName();
        if (body == null || !method.getName().equals("updateRealm")
                || !(owner.equals("RealmAdminResource") || owner.equals("UIRealmResource"))) {
            return null;
        }
        JsonNode sent = body.path("attributes").path(Catalogue.AUDIT_SINKS_ATTRIBUTE);
        if (sent.isMissingNode() || sent.isNull()
                || (sent.isTextual() && sent.textValue().equals(realm.getAttribute(Catalogue.AUDIT_SINKS_ATTRIBUTE)))) {
            return null;
        }
        return sinksProblem(sent, realm.getName());
    }

    /**
     * The same rule for a realm created through {@code POST /admin/realms} (Keycloak's realm import
     * stores the attributes as sent): a sinks attribute that carries a clear secret, or is not JSON,
     * is refused (400); the new realm's sinks are set through its {@code audit-chain/realm-sinks}.
     */
    public static String newRealmAuditSinksProblem(JsonNode realmRepresentation) {
        if (realmRepresentation == null || !realmRepresentation.isObject()) {
            return null;
        }
        JsonNode sent = realmRepresentation.path("attributes").path(Catalogue.AUDIT_SINKS_ATTRIBUTE);
        if (sent.isMissingNode() || sent.isNull()) {
            return null;
        }
        return sinksProblem(sent, realmRepresentation.path("realm").asText("{realm}"));
    }

    private static String sinksProblem(JsonNode sent, String realmName) {
        JsonNode value;
        try {
            value = sent.isTextual() ? KeycloakReading.mapper().readTree(sent.textValue()) : null;
        } catch (java.io.IOException e) {
            value = null;
        }
        if (value == null || !value.isContainerNode() || carriesClearSecret(value)) {
            return "The realm attribute " + Catalogue.AUDIT_SINKS_ATTRIBUTE + " holds sink secrets only encrypted: set "
                    + "the realm's sinks through PUT /admin/realms/" + realmName + "/audit-chain/realm-sinks";
        }
        return null;
    }

    /** The prefix of every message key of NHI Guard's pages and mails (the themes' bundles). */
    static final String GUARD_TEXT_PREFIX = "nhi";

    /** Catalogue operation of realm localization texts. */
    static final String LOCALIZATION_TEXTS = "realm-localization-texts";

    /** {@code PUT /localization/{locale}/{key}}: one text as {@code text/plain}, which the guard can hold but not show. */
    private static boolean isSingleLocalizationText(java.lang.reflect.Method method) {
        return method.getDeclaringClass().getName().equals("org.keycloak.services.resources.admin.RealmLocalizationResource")
                && method.getName().equals("saveRealmLocalizationText");
    }

    private static boolean storedSecret(JsonNode value) {
        return value.isTextual() && SealedFields.meansStoredValue(value.asText());
    }

    /** SMTP settings a test must send with the stored password or token secret, or it would send them elsewhere. */
    private static final Map<String, String> SMTP_ROUTE = Map.of("host", "", "port", "25", "user", "", "authType", "basic",
            "authTokenUrl", "", "authTokenClientId", "", "authTokenScope", "", "ssl", "false", "starttls", "false");

    /**
     * Why an SMTP test must not run, or null. Sent with Keycloak's mask for the password or the token client secret,
     * the test uses the stored one (with a vault reference, the vault's); Keycloak checks only host, port and user before it does, so the stored token
     * secret would be posted to a token URL the caller names (and a password sent without TLS). The test reuses a
     * stored secret only with every setting that routes it as stored.
     */
    static String storedSmtpSecretSentElsewhere(java.lang.reflect.Method method, JsonNode body, RealmModel realm) {
        if (!method.getDeclaringClass().getName().equals("org.keycloak.services.resources.admin.RealmAdminResource")
                || !method.getName().equals("testSMTPConnection") || body == null) {
            return null;
        }
        if (!body.isObject() || body.has(RequestBody.FORM_MARKER)) {
            // Keycloak's deprecated form overload (a JSON "config" field): read here, it would be a reading of our own.
            return "An SMTP test is sent as JSON (Content-Type application/json) where the realm's settings are guarded";
        }
        // The mask stands for the stored secret; a vault reference for a secret Keycloak resolves from the vault.
        boolean reuses = storedSecret(body.path("password")) || storedSecret(body.path("authTokenClientSecret"));
        if (!reuses) {
            return null;
        }
        Map<String, String> stored = realm.getSmtpConfig();
        for (Map.Entry<String, String> e : SMTP_ROUTE.entrySet()) {
            String sent = body.path(e.getKey()).isValueNode() && !body.path(e.getKey()).isNull() ? body.get(e.getKey()).asText() : e.getValue();
            String kept = stored == null ? e.getValue() : stored.getOrDefault(e.getKey(), e.getValue());
            if (!sent.equalsIgnoreCase(kept == null ? e.getValue() : kept)) {
                return "This SMTP test would use the stored SMTP secret with a " + e.getKey() + " other than the stored one; "
                        + "send the secret itself, or test the settings as they are stored";
            }
        }
        return null;
    }

    /**
     * Why a realm localization write must not pass, or null. The approvals page takes its buttons,
     * dialogs and state names, and the approval mails their subjects, from the realm's message
     * bundle, where realm overrides win over the theme: an override relabels Approve as Reject.
     * So no override of a key of NHI Guard's ({@value #GUARD_TEXT_PREFIX}…) is written, in any
     * locale, whoever asks; their wording is the {@code nhi-guard} theme's (deploy a theme to
     * change it). A file upload the guard cannot read is refused too (send the texts as JSON).
     * Deleting an override passes: the theme's text comes back.
     */
    static String guardTextsOverridden(java.lang.reflect.Method method, Map<String, String> pathParams, JsonNode body) {
        if (!method.getDeclaringClass().getName().equals("org.keycloak.services.resources.admin.RealmLocalizationResource")) {
            return null;
        }
        String refusal = "The texts of NHI Guard's pages and mails (keys " + GUARD_TEXT_PREFIX + "…) cannot be overridden in a "
                + "realm's localization: they tell approvers what they decide. Change them in the nhi-guard theme";
        switch (method.getName()) {
            case "saveRealmLocalizationText":
                String key = pathParams.get("key");
                return key == null || key.startsWith(GUARD_TEXT_PREFIX) ? refusal : null;
            case "createOrUpdateRealmLocalizationTexts":
                if (body == null) {
                    return null;
                }
                if (!body.isObject()) {
                    return refusal;
                }
                for (var it = body.fieldNames(); it.hasNext(); ) {
                    if (it.next().startsWith(GUARD_TEXT_PREFIX)) {
                        return refusal;
                    }
                }
                return null;
            case "createOrUpdateRealmLocalizationTextsFromFile":
                return "A realm's texts are uploaded as JSON (POST with Content-Type application/json), which the guard "
                        + "reads to keep the texts of NHI Guard's pages and mails (keys " + GUARD_TEXT_PREFIX + "…) as the theme has them";
            default:
                return null;
        }
    }

    private static boolean carriesClearSecret(JsonNode node) {
        if (node.isObject()) {
            for (var it = node.fields(); it.hasNext(); ) {
                var field = it.next();
                if (field.getKey().equalsIgnoreCase("secret") || carriesClearSecret(field.getValue())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                if (carriesClearSecret(element)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Why the method cannot take this body, or null: a form or text body needs a method that
     * declares that media type ({@code @Consumes}); a JSON body a method that declares none or
     * JSON. Keycloak would refuse either mismatch itself (415); answering it here keeps such
     * requests out of the change requests.
     */
    static String unsupportedMediaType(java.lang.reflect.Method method, JsonNode body) {
        if (body == null) {
            return null;
        }
        jakarta.ws.rs.Consumes consumes = method.getAnnotation(jakarta.ws.rs.Consumes.class);
        if (consumes == null) {
            consumes = method.getDeclaringClass().getAnnotation(jakarta.ws.rs.Consumes.class);
        }
        List<String> declared = consumes == null ? List.of()
                : java.util.Arrays.stream(consumes.value()).flatMap(v -> java.util.Arrays.stream(v.split(",")))
                        .map(v -> v.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT)).toList();
        if (body.has(RequestBody.FORM_MARKER)) {
            String type = body.get(RequestBody.FORM_MARKER).path("contentType").asText("").split(";")[0].trim()
                    .toLowerCase(java.util.Locale.ROOT);
            return declared.contains(type) || declared.contains("*/*") ? null
                    : "This endpoint does not accept " + type + " bodies; send application/json";
        }
        boolean json = declared.isEmpty() || declared.contains("*/*")
                || declared.stream().anyMatch(d -> d.equals("application/json") || d.endsWith("+json"));
        return json ? null : "This endpoint accepts " + String.join(", ", declared) + ", not JSON";
    }

    /** Whether the method belongs to one of NHI Guard's own admin resources. */
    private static boolean ownEndpoint(java.lang.reflect.Method method) {
        return method.getDeclaringClass().getName().startsWith("dev.nhiguard.");
    }

    private static List<Match> unclassified(GuardPolicy policy, String where) {
        Operation op = Catalogue.get().byId(UNCLASSIFIED).orElseThrow();
        return policy.guards(op) ? List.of(new Match(op, Map.of("endpoint", where), TargetType.OTHER, null)) : List.of();
    }

    /** The effect whose target's before-image covers the others: the realm over its policy attribute. */
    static Match primary(List<Match> effects) {
        return effects.stream().filter(m -> m.targetType() == TargetType.REALM).findFirst().orElse(effects.get(0));
    }

    /** Catalogue operation of writes nobody classified. */
    public static final String UNCLASSIFIED = "unclassified-write";
}
