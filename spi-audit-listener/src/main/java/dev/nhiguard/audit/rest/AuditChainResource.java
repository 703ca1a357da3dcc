package dev.nhiguard.audit.rest;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import org.jboss.logging.Logger;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.common.util.Time;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.events.admin.OperationType;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.chain.ChainRecords;
import dev.nhiguard.audit.chain.CheckpointNotes;
import dev.nhiguard.audit.listener.AuditEventListenerProviderFactory;
import dev.nhiguard.audit.realmsink.RealmSinkConfig;
import dev.nhiguard.audit.store.AuditCheckpointEntity;
import dev.nhiguard.audit.store.Checkpoints;
import dev.nhiguard.audit.store.SinkStateEntity;
import dev.nhiguard.audit.store.AuditChainStore;
import dev.nhiguard.audit.store.AuditHeadEntity;
import dev.nhiguard.audit.store.AuditRecordEntity;
import dev.nhiguard.audit.store.ChainPruning;
import dev.nhiguard.audit.store.ChainVerification;

/**
 * {@code /admin/realms/{realm}/audit-chain}: read access to the realm's chain for holders of
 * view-events, and explicit retention ({@code POST prune}) for holders of manage-realm and
 * manage-events. Nothing here edits a record; a prune deletes records below a signed
 * checkpoint and is itself recorded in the chain.
 */
public final class AuditChainResource {

    private static final Logger LOG = Logger.getLogger(AuditChainResource.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final int MAX_LIMIT = 1000;
    private static final int EXPORT_BATCH = 500;

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final Checkpoints checkpoints;
    private final AuditEventListenerProviderFactory listener;

    private final AdminEventBuilder adminEvent;

    AuditChainResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth, AdminEventBuilder adminEvent) {
        this.session = session;
        this.adminEvent = adminEvent;
        this.realm = realm;
        this.auth = auth;
        AuditEventListenerProviderFactory listener = (AuditEventListenerProviderFactory) session.getKeycloakSessionFactory()
                .getProviderFactory(EventListenerProvider.class, AuditEventListenerProviderFactory.PROVIDER_ID);
        this.checkpoints = listener.checkpoints();
        this.listener = listener;
    }

    /**
     * Deletes the records with {@code seq < below}, where a signed checkpoint covers
     * {@code below}, and appends a {@code CHAIN_PRUNED} record in the same transaction.
     * Body: {@code {"below": <seq>}}.
     */
    @POST
    @Path("prune")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode prune(String body) {
        auth.realm().requireManageRealm();
        auth.realm().requireManageEvents();
        long below = parseBelow(body);
        String realmId = realm.getId();
        ChainPruning.Pruned pruned;
        try {
            ChainPruning.Plan plan = KeycloakModelUtils.runJobInTransactionWithResult(session.getKeycloakSessionFactory(),
                    s -> ChainPruning.plan(new AuditChainStore(s, checkpoints), realmId, below));
            pruned = ChainPruning.prune(new AuditChainStore(session, checkpoints, listener.sealing()), realmId, below, plan, prunedDraft(),
                    listener.sinkIds(), listener.maxRecordBytes());
        } catch (ChainPruning.Refused e) {
            throw new ErrorResponseException(e.error(), e.getMessage(), Response.Status.CONFLICT);
        } catch (AuditChainStore.RecordTooLargeException e) {
            session.getTransactionManager().setRollbackOnly(); // nothing is deleted
            throw new ErrorResponseException("audit_record_too_large",
                    "The prune was refused: its CHAIN_PRUNED record exceeds the audit chain's size limit (max-record-bytes).",
                    Response.Status.BAD_REQUEST);
        }
        LOG.infof("audit chain of realm %s pruned below record %d (%d records deleted, anchor %s, checkpoint %d)",
                realm.getName(), below, pruned.deleted(), pruned.anchorHash(), pruned.checkpointSeq());
        ObjectNode n = F.objectNode();
        n.put("below", pruned.below());
        n.put("deleted", pruned.deleted());
        n.putObject("anchor").put("seq", pruned.anchorSeq()).put("hash", pruned.anchorHash());
        n.put("checkpointSeq", pruned.checkpointSeq());
        n.set("record", pruned.record().withHash());
        return n;
    }

    /**
     * Why a prune body is not {@code {"below": <seq of at least 2>}}, or null: the mutation guard
     * asks before it holds a prune, so a garbage body is answered 400 and never stored as a
     * change request.
     */
    public static String pruneBodyProblem(String body) {
        try {
            parseBelow(body);
            return null;
        } catch (ErrorResponseException e) {
            return e.getErrorDescription();
        }
    }

    private static long parseBelow(String body) {
        JsonNode json;
        try {
            json = body == null || body.isBlank() ? null : ChainRecords.parse(body);
        } catch (IllegalArgumentException e) {
            throw badRequest("The body must be a JSON object {\"below\": <seq>}");
        }
        if (json == null || !json.isObject()) {
            throw badRequest("The body must be a JSON object {\"below\": <seq>}");
        }
        java.util.Iterator<String> names = json.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!"below".equals(name)) {
                throw badRequest("Unknown field '" + name + "'");
            }
        }
        JsonNode below = json.get("below");
        if (below == null || !below.isIntegralNumber() || !below.canConvertToLong() || below.asLong() < 2) {
            throw badRequest("'below' must be an integer of at least 2 (records with a smaller seq are pruned)");
        }
        return below.asLong();
    }

    /** The CHAIN_PRUNED record's draft: who asked, when; ChainPruning adds what was pruned. */
    private ObjectNode prunedDraft() {
        ObjectNode n = F.objectNode();
        n.put("v", ChainRecords.VERSION);
        n.put("realmId", realm.getId());
        n.put("realm", realm.getName());
        n.put("time", Time.currentTimeMillis());
        n.put("eventId", KeycloakModelUtils.generateId());
        n.put("category", "ADMIN");
        AdminAuth admin = auth.adminAuth();
        ObjectNode actor = n.putObject("actor");
        actor.put("realmId", admin.getRealm().getId());
        actor.put("userId", admin.getUser().getId());
        if (admin.getClient() != null) {
            actor.put("clientId", admin.getClient().getId());
        }
        if (session.getContext().getConnection() != null && session.getContext().getConnection().getRemoteAddr() != null) {
            actor.put("ipAddress", session.getContext().getConnection().getRemoteAddr());
        }
        return n;
    }

    /** The realm's own sinks, secrets masked. */
    @GET
    @Path("realm-sinks")
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode realmSinks() {
        auth.realm().requireViewEvents();
        try {
            return listener.realmSinks().shown(realm);
        } catch (RealmSinkConfig.Invalid e) {
            throw new ErrorResponseException("invalid_configuration", "The stored realm sink configuration ("
                    + RealmSinkConfig.ATTRIBUTE + ") is invalid and not delivered to: " + e.getMessage(), Response.Status.CONFLICT);
        }
    }

    /**
     * Replaces the realm's own sinks (body {@code {"sinks":[…]}}); a destination outside the
     * server's allow-list, or a name resolving to an address it does not allow, is refused with 400
     * and nothing changes. The mutation guard holds this write as a change request.
     */
    @PUT
    @Path("realm-sinks")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode putRealmSinks(String body) {
        auth.realm().requireManageRealm();
        auth.realm().requireManageEvents();
        ObjectNode shown;
        try {
            shown = listener.realmSinks().replace(session, realm, body);
        } catch (RealmSinkConfig.Invalid e) {
            throw badRequest(e.getMessage());
        }
        adminEvent.resource("AUDIT_REALM_SINKS").operation(OperationType.UPDATE).resourcePath("audit-chain", "realm-sinks")
                .representation(shown).success();
        LOG.debugf("realm sinks of realm %s replaced: %d sink(s)", realm.getName(), shown.path("sinks").size()); // also in the guard's dry runs
        return shown;
    }

    /** Delivery state of the push sinks for this realm. */
    @GET
    @Path("sinks")
    @Produces(MediaType.APPLICATION_JSON)
    public ArrayNode sinks() {
        auth.realm().requireViewEvents();
        ArrayNode out = F.arrayNode();
        for (SinkStateEntity s : new AuditChainStore(session, checkpoints).sinkStates(realm.getId())) {
            ObjectNode n = out.addObject();
            n.put("sink", s.getSinkId());
            n.put("deliveredSeq", s.getDeliveredSeq());
            n.put("attempts", s.getAttempts());
            n.put("nextAttemptAt", s.getNextAttemptAt());
            if (s.getLastError() != null) {
                n.put("lastError", s.getLastError());
            }
        }
        return out;
    }

    /** The latest signed checkpoint, as a C2SP signed note. */
    @GET
    @Path("checkpoints/latest")
    @Produces(MediaType.TEXT_PLAIN + ";charset=utf-8")
    public String latestCheckpoint() {
        auth.realm().requireViewEvents();
        sequenceStaged(); // a batch that crosses a multiple of checkpoint-every-records writes its checkpoint
        AuditCheckpointEntity c = new AuditChainStore(session, checkpoints).latestCheckpoint(realm.getId());
        if (c == null) {
            throw new ErrorResponseException("not_found", "No checkpoint yet", Response.Status.NOT_FOUND);
        }
        return c.getNote();
    }

    /** The key checkpoints are verified with: its name, C2SP verifier key and X.509 public key. */
    @GET
    @Path("checkpoints/key")
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode checkpointKey() {
        auth.realm().requireViewEvents();
        String realmId = realm.getId();
        Checkpoints.SigningKey key = KeycloakModelUtils.runJobInTransactionWithResult(session.getKeycloakSessionFactory(),
                s -> checkpoints.key(s, realmId));
        ObjectNode n = F.objectNode();
        n.put("keyName", key.name());
        n.put("algorithm", "Ed25519");
        n.put("verifierKey", CheckpointNotes.verifierKey(key.name(), key.publicKey()));
        n.put("publicKeyPem", "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.publicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        return n;
    }

    /** The head: number of records and hash of the last one. */
    @GET
    @Path("head")
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode head() {
        auth.realm().requireViewEvents();
        sequenceStagedOrCount(); // the head reports what is still staged itself
        AuditChainStore store = new AuditChainStore(session, checkpoints);
        AuditHeadEntity head = store.head(realm.getId());
        ObjectNode n = F.objectNode();
        n.put("realmId", realm.getId());
        n.put("seq", head == null ? 0 : head.getSeq());
        n.put("hash", head == null ? ChainRecords.GENESIS : head.getHash());
        n.put("firstSeq", ChainVerification.firstSeq(head));
        n.put("anchorSeq", head == null ? 0 : head.getAnchorSeq());
        n.put("anchorHash", head == null ? ChainRecords.GENESIS : head.getAnchorHash());
        n.put("staged", store.stagedCount(realm.getId()));
        return n;
    }

    /** Records after a cursor, in sequence order, optionally filtered by type, actor and target prefix. */
    @GET
    @Path("records")
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode records(@QueryParam("after") String after, @QueryParam("limit") String limit,
                              @QueryParam("type") String type, @QueryParam("actor") String actor,
                              @QueryParam("target") String target) {
        auth.realm().requireViewEvents();
        sequenceStaged();
        long afterSeq = parseLong("after", after, 0, 0, Long.MAX_VALUE);
        int n = (int) parseLong("limit", limit, 100, 1, MAX_LIMIT);
        List<AuditRecordEntity> page = new AuditChainStore(session, checkpoints).page(realm.getId(), afterSeq, Long.MAX_VALUE, n,
                blankToNull(type), blankToNull(actor), blankToNull(target));
        ObjectNode body = F.objectNode();
        ArrayNode items = body.putArray("records");
        for (AuditRecordEntity r : page) {
            items.add(exported(r));
        }
        if (page.size() == n) {
            body.put("next", page.get(page.size() - 1).getSeq());
        } else {
            body.putNull("next");
        }
        return body;
    }

    @GET
    @Path("records/{seq}")
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode record(@PathParam("seq") String seq) {
        auth.realm().requireViewEvents();
        sequenceStaged();
        long s = parseLong("seq", seq, -1, 1, Long.MAX_VALUE);
        AuditChainStore store = new AuditChainStore(session, checkpoints);
        AuditRecordEntity r = store.get(realm.getId(), s);
        if (r == null && s < ChainVerification.firstSeq(store.head(realm.getId()))) {
            throw new ErrorResponseException("not_found", "Audit record " + s + " was pruned", Response.Status.NOT_FOUND);
        }
        if (r == null) {
            throw new ErrorResponseException("not_found", "Audit record " + s + " not found", Response.Status.NOT_FOUND);
        }
        return exported(r);
    }

    /** Verifies records {@code from..to} (default: the whole chain). */
    @GET
    @Path("verify")
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode verify(@QueryParam("from") String from, @QueryParam("to") String to) {
        auth.realm().requireViewEvents();
        sequenceStaged();
        long f = parseLong("from", from, 1, 1, Long.MAX_VALUE);
        Long t = to == null || to.isBlank() ? null : parseLong("to", to, -1, 1, Long.MAX_VALUE);
        if (t != null && t < f) {
            throw badRequest("Parameter 'to' must not be less than 'from'");
        }
        String realmId = realm.getId();
        ChainVerification.Result r = KeycloakModelUtils.runJobInTransactionWithResult(session.getKeycloakSessionFactory(),
                s -> ChainVerification.verify(new AuditChainStore(s, checkpoints), realmId, f, t));
        ObjectNode n = F.objectNode();
        n.put("ok", r.ok());
        n.put("from", r.from());
        n.put("to", r.to());
        n.put("checked", r.checked());
        n.put("headSeq", r.headSeq());
        n.put("headHash", r.headHash());
        n.put("checkpoints", r.checkpoints());
        if (r.from() > f) {
            n.put("prunedBelow", r.from());
        }
        if (!r.ok()) {
            n.put("brokenSeq", r.brokenSeq());
            n.put("reason", r.reason());
            LOG.warnf("audit chain of realm %s is broken at record %d: %s", realmId, r.brokenSeq(), r.reason());
        }
        return n;
    }

    /** The whole chain as JSON Lines (one record per line, with its hash), streamed in batches. */
    @GET
    @Path("export")
    @Produces("application/jsonl")
    public Response export() {
        auth.realm().requireViewEvents();
        sequenceStaged();
        String realmId = realm.getId();
        KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
        StreamingOutput body = out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            long after = 0;
            AuditHeadEntity head = KeycloakModelUtils.runJobInTransactionWithResult(factory,
                    s -> new AuditChainStore(s, checkpoints).head(realmId));
            if (head != null && head.getAnchorSeq() > 0) {
                ObjectNode line = F.objectNode();
                line.putObject("anchor").put("seq", head.getAnchorSeq()).put("hash", head.getAnchorHash());
                w.write(line.toString());
                w.write('\n');
                after = head.getAnchorSeq();
            }
            while (true) {
                long cursor = after;
                List<ExportLine> lines = KeycloakModelUtils.runJobInTransactionWithResult(factory, s -> {
                    AuditChainStore store = new AuditChainStore(s, checkpoints);
                    List<AuditRecordEntity> records = store.page(realmId, cursor, Long.MAX_VALUE, EXPORT_BATCH, null, null, null);
                    List<ExportLine> batch = new java.util.ArrayList<>();
                    if (records.isEmpty()) {
                        return batch;
                    }
                    java.util.Iterator<AuditCheckpointEntity> cps = store.checkpoints(realmId, cursor,
                            records.get(records.size() - 1).getSeq(), Integer.MAX_VALUE).iterator();
                    AuditCheckpointEntity cp = cps.hasNext() ? cps.next() : null;
                    for (AuditRecordEntity r : records) {
                        batch.add(new ExportLine(r.getSeq(), exported(r).toString(), true));
                        while (cp != null && cp.getSeq() == r.getSeq()) {
                            ObjectNode line = F.objectNode();
                            ObjectNode inner = line.putObject("checkpoint");
                            inner.put("seq", cp.getSeq());
                            inner.put("note", cp.getNote());
                            batch.add(new ExportLine(r.getSeq(), line.toString(), false));
                            cp = cps.hasNext() ? cps.next() : null;
                        }
                    }
                    return batch;
                });
                long recordLines = 0;
                for (ExportLine line : lines) {
                    w.write(line.json());
                    w.write('\n');
                    after = line.seq();
                    if (line.record()) {
                        recordLines++;
                    }
                }
                w.flush();
                if (recordLines < EXPORT_BATCH) {
                    break;
                }
            }
        };
        return Response.ok(body, "application/jsonl")
                .header("Content-Disposition", "attachment; filename=\"audit-chain-" + realm.getName() + ".jsonl\"")
                .build();
    }

    /**
     * Moves what is staged for the realm into its chain before a read, so the read shows every
     * change committed before it. When that fails and committed records are still staged, the
     * read is refused (503 {@code audit_chain_behind}) rather than answered without them.
     */
    private void sequenceStaged() {
        long staged = sequenceStagedOrCount();
        if (staged > 0) {
            throw new ErrorResponseException("audit_chain_behind", staged + " committed records of this realm could not be entered"
                    + " into its audit chain yet, so the chain cannot be read complete. They stay staged and are retried; the server log"
                    + " says why.", Response.Status.SERVICE_UNAVAILABLE);
        }
    }

    /** Sequences what is staged for the realm; 0 when that worked, else how many records are still staged. */
    private long sequenceStagedOrCount() {
        return listener.sequenceStagedNow(realm.getId()) ? 0 : new AuditChainStore(session, checkpoints).stagedCount(realm.getId());
    }

    private record ExportLine(long seq, String json, boolean record) {
    }

    private static ObjectNode exported(AuditRecordEntity r) {
        ObjectNode node = (ObjectNode) ChainRecords.parse(r.getContent());
        node.put("hash", r.getHash());
        return node;
    }

    private static long parseLong(String name, String value, long dflt, long min, long max) {
        if (value == null || value.isBlank()) {
            if (dflt < min) {
                throw badRequest("Parameter '" + name + "' is required");
            }
            return dflt;
        }
        try {
            long v = Long.parseLong(value.trim());
            if (v < min || v > max) {
                throw badRequest("Parameter '" + name + "' must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw badRequest("Parameter '" + name + "' must be an integer");
        }
    }

    private static ErrorResponseException badRequest(String description) {
        return new ErrorResponseException("invalid_request", description, Response.Status.BAD_REQUEST);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

}
