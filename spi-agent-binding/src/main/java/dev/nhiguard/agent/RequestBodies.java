package dev.nhiguard.agent;

import java.util.Locale;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.keycloak.models.KeycloakSession;
import org.keycloak.services.ErrorResponseException;

/**
 * What this module's admin endpoints accept as a body, checked the same way whether or not the
 * mutation guard reads the request first (it reads it strictly in a guarded realm, and passes
 * it untouched in a realm whose policy guards nothing): a JSON body is declared as JSON, and an
 * endpoint that takes no body gets none. Answers use Keycloak's error JSON.
 */
public final class RequestBodies {

    private RequestBodies() {
    }

    /** 415 when a non-empty body is not declared {@code application/json} (or a {@code +json} type). */
    public static void requireJsonIfPresent(KeycloakSession session, String body) {
        if (body == null || body.isBlank()) {
            return;
        }
        MediaType type = session.getContext().getRequestHeaders().getMediaType();
        String name = type == null ? "" : (type.getType() + "/" + type.getSubtype()).toLowerCase(Locale.ROOT);
        if (!name.equals("application/json") && !(name.startsWith("application/") && name.endsWith("+json"))) {
            throw new ErrorResponseException("invalid_request", "The request body must be application/json"
                    + (name.isEmpty() ? "" : ", not " + name), Response.Status.UNSUPPORTED_MEDIA_TYPE);
        }
    }

    /** 400 when an endpoint that takes no input was sent one (an empty JSON object or {@code null} is no input). */
    public static void requireNone(String body) {
        String b = body == null ? "" : body.strip();
        if (!b.isEmpty() && !b.equals("{}") && !b.equals("null")) {
            throw new ErrorResponseException("invalid_request", "This endpoint takes no request body",
                    Response.Status.BAD_REQUEST);
        }
    }
}
