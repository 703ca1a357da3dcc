package dev.nhiguard.guard.changerequest;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.services.ErrorResponseException;

/** Error answers in Keycloak's {@code {"error","error_description"}} shape, with extra fields where useful. */
public final class GuardErrors {

    private GuardErrors() {
    }

    public static Response response(Response.Status status, String error, String description, Map<String, ?> extra) {
        return response(status.getStatusCode(), error, description, extra);
    }

    public static Response response(int status, String error, String description, Map<String, ?> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", description);
        if (extra != null) {
            body.putAll(extra);
        }
        return Response.status(status).entity(body).type(MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** An exception carrying such an answer; rolls the request's transaction back. */
    public static ErrorResponseException error(Response.Status status, String error, String description) {
        return new ErrorResponseException(response(status, error, description, null));
    }

    public static ErrorResponseException error(Response.Status status, String error, String description, Map<String, ?> extra) {
        return new ErrorResponseException(response(status, error, description, extra));
    }

    public static ErrorResponseException error(int status, String error, String description) {
        return new ErrorResponseException(response(status, error, description, null));
    }

    public static ErrorResponseException badRequest(String description) {
        return error(Response.Status.BAD_REQUEST, "invalid_request", description);
    }

    public static ErrorResponseException notFound(String description) {
        return error(Response.Status.NOT_FOUND, "not_found", description);
    }

    public static ErrorResponseException forbidden(String description) {
        return error(Response.Status.FORBIDDEN, "access_denied", description);
    }

    /** 409 naming the change request's current state. */
    public static ErrorResponseException conflict(String description, String state) {
        return error(Response.Status.CONFLICT, "conflict", description, state == null ? null : Map.of("state", state));
    }
}
