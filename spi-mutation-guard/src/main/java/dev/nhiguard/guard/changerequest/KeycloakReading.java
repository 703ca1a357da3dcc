package dev.nhiguard.guard.changerequest;

import java.io.InputStream;
import java.lang.reflect.Type;
import java.util.Map;

import org.keycloak.services.util.ObjectMapperResolver;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A request body as Keycloak itself reads it: Keycloak's JAX-RS JSON mapper (the one its
 * {@link ObjectMapperResolver} hands to RESTEasy) binds the body to the type the resource
 * method consumes ({@code ClientRepresentation}, {@code RealmRepresentation}, a list of
 * {@code RoleRepresentation} …), with every coercion Keycloak applies ({@code "TRUE"} for a
 * boolean, numbers for strings); the bound value is turned back into JSON for classification.
 * Fields Keycloak does not bind are thereby dropped, absent ones stay absent. Bodies the method
 * takes as a stream, a string or a map are classified as sent.
 */
public final class KeycloakReading {

    private static final ObjectMapper KEYCLOAK = new ObjectMapperResolver().getContext(Object.class);

    private KeycloakReading() {
    }

    /** Keycloak would refuse the body (400). */
    public static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    /** The mapper Keycloak's admin API reads request bodies with. */
    public static ObjectMapper mapper() {
        return KEYCLOAK;
    }

    public static JsonNode read(JsonNode body, Type entityType) throws Unreadable {
        if (body == null || entityType == null || body.has(RequestBody.FORM_MARKER)) {
            return body;
        }
        JavaType type = KEYCLOAK.getTypeFactory().constructType(entityType);
        Class<?> raw = type.getRawClass();
        if (raw == String.class || raw == InputStream.class || raw == byte[].class || raw == Object.class
                || JsonNode.class.isAssignableFrom(raw) || (Map.class.isAssignableFrom(raw) && !type.hasGenericTypes())) {
            return body;
        }
        try {
            // Bound from the parsed tree's tokens: the same tokens Keycloak's parser yields from the
            // text, without printing and parsing the body once more.
            Object value = KEYCLOAK.readerFor(type).readValue(body);
            return KEYCLOAK.valueToTree(value);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new Unreadable("Request body does not fit " + raw.getSimpleName() + ": "
                    + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }
}
