package dev.nhiguard.guard.changerequest;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An admin request's body as the guard stores it: JSON as JSON; anything else (form uploads of
 * certificates) as {@code {"_form": {"contentType", "base64"}}} so the digest covers its bytes.
 */
public final class RequestBody {

    /** Field marking a stored non-JSON body. */
    public static final String FORM_MARKER = "_form";

    /** Largest body the guard accepts (bytes). */
    public static final int MAX_BYTES = 1_000_000;

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private RequestBody() {
    }

    /** Thrown for a body that claims to be JSON but is not. */
    public static final class MalformedBody extends Exception {
        public MalformedBody(String message) {
            super(message);
        }
    }

    /** The body as stored; null for an empty body. */
    public static JsonNode of(String contentType, byte[] bytes) throws MalformedBody {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (ct.isEmpty() || ct.startsWith("application/json") || ct.contains("+json") || ct.startsWith("text/plain")) {
            String text = new String(bytes, StandardCharsets.UTF_8);
            if (text.isBlank()) {
                return null;
            }
            try {
                return STRICT.readTree(text);
            } catch (JsonProcessingException e) {
                throw new MalformedBody("Request body is not valid JSON: " + e.getOriginalMessage());
            }
        }
        ObjectNode o = STRICT.createObjectNode();
        ObjectNode f = o.putObject(FORM_MARKER);
        f.put("contentType", contentType);
        f.put("base64", Base64.getEncoder().encodeToString(bytes));
        return o;
    }
}
