package dev.nhiguard.guard.replay;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.keycloak.common.ClientConnection;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelDuplicateException;
import org.keycloak.models.ModelException;
import org.keycloak.models.RealmModel;
import org.keycloak.services.ErrorResponseException;
import org.keycloak.services.managers.RealmManager;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.RealmAdminResource;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;
import org.keycloak.services.resources.admin.fgap.AdminPermissions;
import org.keycloak.util.JsonSerialization;

import dev.nhiguard.guard.admission.Endpoints;
import dev.nhiguard.guard.admission.RequestPath;
import dev.nhiguard.guard.changerequest.MultipartForm;
import dev.nhiguard.guard.changerequest.RequestBody;

/**
 * Performs a stored admin request through Keycloak's own admin resources: starts at
 * {@link RealmAdminResource} and follows the sub-resource locators ({@code @Path} methods without
 * an HTTP method) to the resource method matching the stored method and path, so Keycloak's own
 * permission checks, validation and admin events run under the requester's identity.
 */
public final class Replayer {

    private static final Logger LOG = Logger.getLogger(Replayer.class);

    /** Session attribute set while a replay runs; the model-level backstop lets such changes through. */
    public static final String BYPASS_ATTRIBUTE = "nhi.guard.replay";

    /** Outcome of a replay: Keycloak's status, its body as text (may be null) and Location header. */
    public record Result(int status, String body, String location) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private Replayer() {
    }

    /**
     * Replays in the given session (its own transaction): sets the synthetic request, the realm
     * and the bypass marker, then invokes. Non-2xx outcomes mark the transaction rollback-only.
     */
    public static Result replay(KeycloakSession session, RealmModel targetRealm, AdminAuth requester, ClientConnection connection,
            URI baseUri, String method, String fullPathWithQuery, String relativePath, String body, String changeRequestId,
            Map<String, String> eventDetails) {
        return replay(session, targetRealm, requester, connection, baseUri, method, fullPathWithQuery, relativePath, body,
                changeRequestId, eventDetails, false);
    }

    /**
     * A dry run: the same replay, but Keycloak's admin events are built and never sent (no event
     * store, no event listener sees them). The caller rolls the transaction back.
     */
    public static Result dryRun(KeycloakSession session, RealmModel targetRealm, AdminAuth requester, ClientConnection connection,
            URI baseUri, String method, String fullPathWithQuery, String relativePath, String body) {
        return replay(session, targetRealm, requester, connection, baseUri, method, fullPathWithQuery, relativePath, body,
                DRY_RUN_MARKER, Map.of(), true);
    }

    /** The replay marker value of a dry run (the backstop lets it through like an apply; nothing of it commits). */
    public static final String DRY_RUN_MARKER = "dry-run";

    /** An admin event builder that sends nothing: the dry run's events would describe a change that never happens. */
    private static final class SilentEvents extends AdminEventBuilder {
        SilentEvents(RealmModel realm, AdminAuth auth, KeycloakSession session, ClientConnection connection) {
            super(realm, auth, session, connection);
        }

        @Override
        protected void send() {
        }
    }

    private static Result replay(KeycloakSession session, RealmModel targetRealm, AdminAuth requester, ClientConnection connection,
            URI baseUri, String method, String fullPathWithQuery, String relativePath, String body, String changeRequestId,
            Map<String, String> eventDetails, boolean silent) {
        List<MultipartForm.Part> parts;
        try {
            parts = RequestBody.multipartForm(body == null ? null : JsonSerialization.mapper.readTree(body));
        } catch (java.io.IOException | RequestBody.MalformedBody e) {
            return fail(session, 400, "The approved form cannot be read: " + e.getMessage());
        }
        session.getContext().setHttpRequest(new SyntheticRequest(method, baseUri, fullPathWithQuery, parts));
        session.getContext().setConnection(connection);
        session.setAttribute(BYPASS_ATTRIBUTE, changeRequestId);
        try {
            if (!RealmManager.isAdministrationRealm(requester.getRealm()) && !requester.getRealm().equals(targetRealm)) {
                return fail(session, 403, "Requester's realm may not administer realm " + targetRealm.getName());
            }
            session.getContext().setRealm(targetRealm);
            AdminPermissionEvaluator auth = AdminPermissions.evaluator(session, targetRealm, requester);
            AdminEventBuilder events = silent ? new SilentEvents(targetRealm, requester, session, connection)
                    : new AdminEventBuilder(targetRealm, requester, session, connection);
            eventDetails.forEach(events::detail);
            Object resource = new RealmAdminResource(session, auth, events);
            int q = relativePath.indexOf('?');
            // The stored path is the raw one admission read (RequestPath); it is decoded the same way here.
            String path;
            try {
                path = RequestPath.parse(q < 0 ? relativePath : relativePath.substring(0, q)).join(0);
            } catch (RequestPath.Refused e) {
                return fail(session, 400, e.getMessage());
            }
            Map<String, List<String>> query = queryOf(q < 0 ? null : relativePath.substring(q + 1));
            Result r = dispatch(resource, path, method, query, body, 0);
            if (!r.ok()) {
                session.getTransactionManager().setRollbackOnly();
            }
            return r;
        } catch (InvocationFailure f) {
            return fail(session, f.status, f.getMessage());
        } finally {
            session.removeAttribute(BYPASS_ATTRIBUTE);
        }
    }

    private static Result fail(KeycloakSession session, int status, String message) {
        session.getTransactionManager().setRollbackOnly();
        String body;
        try {
            body = JsonSerialization.writeValueAsString(Map.of("error", status == 404 ? "not_found" : "replay_failed",
                    "error_description", message == null ? "" : message));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return new Result(status, body, null);
    }

    private static final class InvocationFailure extends RuntimeException {
        final int status;

        InvocationFailure(int status, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
        }
    }

    /**
     * Follows the stored path from a resource object with the same templates and the same JAX-RS
     * order admission resolved it with ({@link Endpoints}), invoking locators on the way.
     *
     * @param path decoded path below the resource, "" or starting with '/'
     */
    private static Result dispatch(Object resource, String path, String httpMethod, Map<String, List<String>> query,
            String body, int depth) {
        if (depth > 24) {
            throw new InvocationFailure(404, "Path too deep", null);
        }
        List<Endpoints.Candidate> matching = new ArrayList<>();
        Map<Endpoints.Candidate, Matcher> matchers = new java.util.IdentityHashMap<>();
        for (Endpoints.Candidate c : Endpoints.candidates(resource.getClass())) {
            Matcher m = c.pattern().matcher(path);
            if (m.matches()) {
                matching.add(c);
                matchers.put(c, m);
            }
        }
        if (matching.isEmpty()) {
            throw new InvocationFailure(404, "No admin resource matches " + path, null);
        }
        matching.sort(Endpoints.ORDER);
        Endpoints.Candidate best = matching.get(0);
        if (!best.isLocator()) {
            for (Endpoints.Candidate c : matching) {
                if (!c.isLocator() && c.template().equals(best.template()) && c.httpMethod().equalsIgnoreCase(httpMethod)) {
                    return invokeResourceMethod(resource, c.method(), Endpoints.values(c, matchers.get(c)), query, body);
                }
            }
            throw new InvocationFailure(405, "Method not allowed", null);
        }
        Matcher m = matchers.get(best);
        Object sub = invoke(resource, best.method(), args(best.method(), Endpoints.values(best, m), query, null));
        if (sub == null) {
            throw new InvocationFailure(404, "Resource not found", null);
        }
        String tail = m.group(m.groupCount());
        return dispatch(sub, tail == null || tail.equals("/") ? "" : tail, httpMethod, query, body, depth + 1);
    }

    private static Result invokeResourceMethod(Object resource, Method method, Map<String, String> pathValues,
            Map<String, List<String>> query, String body) {
        Consumes consumes = method.getAnnotation(Consumes.class);
        Map<String, String> form = null;
        boolean multipart = false;
        if (consumes != null) {
            for (String type : consumes.value()) {
                if (type.startsWith("multipart/")) {
                    multipart = true; // the resource reads the approved parts from the request (SyntheticRequest)
                }
                if (type.startsWith("application/x-www-form-urlencoded")) {
                    form = formOf(body);
                }
            }
        }
        if (multipart && !isMultipart(body)) {
            throw new InvocationFailure(422, "Only multipart forms can be replayed to this method", null);
        }
        Object out;
        try {
            out = method.invoke(resource, form != null ? formArgs(method, pathValues, query, form)
                    : args(method, pathValues, query, multipart ? null : body));
        } catch (InvocationTargetException e) {
            return failureResponse(e.getCause());
        } catch (IllegalAccessException e) {
            throw new InvocationFailure(500, "Cannot invoke " + method, e);
        }
        if (out == null) {
            return new Result(method.getReturnType() == void.class ? 204 : 204, null, null);
        }
        if (out instanceof Response r) {
            String location = r.getLocation() == null ? null : r.getLocation().toString();
            return new Result(r.getStatus(), entityText(r.getEntity()), location);
        }
        return new Result(200, entityText(out), null);
    }

    private static Object invoke(Object resource, Method method, Object[] args) {
        try {
            return method.invoke(resource, args);
        } catch (InvocationTargetException e) {
            Result r = failureResponse(e.getCause());
            throw new InvocationFailure(r.status(), r.body(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new InvocationFailure(500, "Cannot invoke " + method, e);
        }
    }

    private static Result failureResponse(Throwable t) {
        if (t instanceof ErrorResponseException ere) {
            Response r = ere.getResponse();
            return new Result(r.getStatus(), entityText(r.getEntity()), null);
        }
        if (t instanceof WebApplicationException wae) {
            Response r = wae.getResponse();
            String text = r.hasEntity() ? entityText(r.getEntity()) : jsonError(wae.getMessage());
            return new Result(r.getStatus(), text, null);
        }
        if (t instanceof ModelDuplicateException) {
            return new Result(409, jsonError(t.getMessage()), null);
        }
        if (t instanceof ModelException) {
            return new Result(400, jsonError(t.getMessage()), null);
        }
        LOG.warnf(t, "Replay of a held admin request failed with an unexpected exception");
        return new Result(500, jsonError("Keycloak failed to perform the request: " + t), null);
    }

    private static String jsonError(String message) {
        try {
            return JsonSerialization.writeValueAsString(Map.of("error", "replay_failed",
                    "error_description", message == null ? "" : message));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String entityText(Object entity) {
        if (entity == null) {
            return null;
        }
        if (entity instanceof String s) {
            return s;
        }
        if (entity instanceof byte[] b) {
            return java.util.Base64.getEncoder().encodeToString(b);
        }
        try {
            return JsonSerialization.writeValueAsString(entity);
        } catch (java.io.IOException e) {
            return String.valueOf(entity);
        }
    }

    private static Object[] args(Method method, Map<String, String> pathValues, Map<String, List<String>> query, String body) {
        Parameter[] params = method.getParameters();
        Object[] args = new Object[params.length];
        for (int i = 0; i < params.length; i++) {
            Parameter p = params[i];
            PathParam pp = p.getAnnotation(PathParam.class);
            QueryParam qp = p.getAnnotation(QueryParam.class);
            DefaultValue dv = p.getAnnotation(DefaultValue.class);
            if (pp != null) {
                args[i] = convert(pathValues.get(pp.value()), p);
            } else if (qp != null) {
                List<String> values = query.get(qp.value());
                if (List.class.isAssignableFrom(p.getType())) {
                    args[i] = values == null ? new ArrayList<>() : new ArrayList<>(values);
                } else {
                    String v = values == null || values.isEmpty() ? (dv == null ? null : dv.value()) : values.get(0);
                    args[i] = convert(v, p);
                }
            } else if (hasJaxRsAnnotation(p)) {
                args[i] = dv == null ? defaultFor(p.getType()) : convert(dv.value(), p);
            } else {
                args[i] = entity(p, body);
            }
        }
        return args;
    }

    /** Whether the approved body is a multipart form (its parts, read in {@link #replay}, are the synthetic request's). */
    private static boolean isMultipart(String body) {
        try {
            return RequestBody.isMultipart(body == null ? null : JsonSerialization.mapper.readTree(body));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The approved form's parameters; a body that is not a URL-encoded form cannot be replayed to a form method. */
    private static Map<String, String> formOf(String body) {
        try {
            Map<String, String> form = RequestBody.urlEncodedForm(body == null ? null : JsonSerialization.mapper.readTree(body));
            if (form == null) {
                throw new InvocationFailure(422, "Only URL-encoded forms can be replayed to this method", null);
            }
            return form;
        } catch (java.io.IOException | RequestBody.MalformedBody e) {
            throw new InvocationFailure(400, "The approved form cannot be read: " + e.getMessage(), null);
        }
    }

    /** Arguments of a form method: path and query parameters as for any method, {@code @FormParam}s from the form. */
    private static Object[] formArgs(Method method, Map<String, String> pathValues, Map<String, List<String>> query,
            Map<String, String> form) {
        Object[] args = args(method, pathValues, query, null);
        Parameter[] params = method.getParameters();
        for (int i = 0; i < params.length; i++) {
            jakarta.ws.rs.FormParam fp = params[i].getAnnotation(jakarta.ws.rs.FormParam.class);
            if (fp != null) {
                String value = form.get(fp.value());
                if (List.class.isAssignableFrom(params[i].getType())) {
                    args[i] = value == null ? new ArrayList<>() : new ArrayList<>(List.of(value));
                } else {
                    DefaultValue dv = params[i].getAnnotation(DefaultValue.class);
                    args[i] = convert(value == null ? (dv == null ? null : dv.value()) : value, params[i]);
                }
            } else if (!hasJaxRsAnnotation(params[i])) {
                throw new InvocationFailure(422, "A form method with an entity parameter cannot be replayed", null);
            }
        }
        return args;
    }

    private static boolean hasJaxRsAnnotation(Parameter p) {
        for (Annotation a : p.getAnnotations()) {
            if (a.annotationType().getName().startsWith("jakarta.ws.rs.")) {
                return true;
            }
        }
        return false;
    }

    private static Object entity(Parameter p, String body) {
        Class<?> type = p.getType();
        if (body == null) {
            return type == InputStream.class ? new ByteArrayInputStream(new byte[0]) : null;
        }
        if (type == String.class) {
            return body;
        }
        if (type == InputStream.class) {
            return new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
        }
        try {
            // Keycloak's own JAX-RS mapper, so the replay binds the body exactly as the held request would have been.
            com.fasterxml.jackson.databind.ObjectMapper keycloak = dev.nhiguard.guard.changerequest.KeycloakReading.mapper();
            return keycloak.readValue(body, keycloak.getTypeFactory().constructType(p.getParameterizedType()));
        } catch (java.io.IOException e) {
            throw new InvocationFailure(400, "Body does not fit " + p.getParameterizedType() + ": " + e.getMessage(), e);
        }
    }

    private static Object defaultFor(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        return null;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object convert(String value, Parameter p) {
        Class<?> type = p.getType();
        if (value == null) {
            return defaultFor(type);
        }
        try {
            if (type == String.class) {
                return value;
            }
            if (type == Integer.class || type == int.class) {
                return Integer.valueOf(value);
            }
            if (type == Long.class || type == long.class) {
                return Long.valueOf(value);
            }
            if (type == Boolean.class || type == boolean.class) {
                return Boolean.valueOf(value);
            }
            if (type.isEnum()) {
                return Enum.valueOf((Class<Enum>) type, value);
            }
        } catch (IllegalArgumentException e) {
            throw new InvocationFailure(400, "Bad parameter value '" + value + "'", e);
        }
        return value;
    }

    private static Map<String, List<String>> queryOf(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("[&;]")) { // ';' separates too, as in Netty's decoder, which Keycloak reads queries with
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = java.net.URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }
}
