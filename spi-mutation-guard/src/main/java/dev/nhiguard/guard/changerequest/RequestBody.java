package dev.nhiguard.guard.changerequest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one strict reader of admin request bodies. A JSON body must be declared
 * ({@code application/json} or a {@code +json} type, charset UTF-8 if given), be valid UTF-8
 * without a byte-order mark, hold exactly one JSON value, no duplicate member names and at most
 * {@link #MAX_DEPTH} levels of nesting. Form uploads ({@code multipart/form-data},
 * {@code application/x-www-form-urlencoded}) and {@code text/plain} are kept as opaque bytes:
 * {@code {"_form": {"contentType", "base64"}}}, so the digest covers them. Any other media
 * type, and a body without a {@code Content-Type}, is refused: a reader that guesses can read
 * a request differently from Keycloak.
 */
public final class RequestBody {

    /** Field marking a stored non-JSON body. */
    public static final String FORM_MARKER = "_form";

    /** Largest body the guard accepts (bytes). */
    public static final int MAX_BYTES = 1_000_000;

    /** Deepest JSON nesting the guard accepts. */
    public static final int MAX_DEPTH = 64;

    private static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private RequestBody() {
    }

    /** A body that is not what it claims to be (400). */
    public static final class MalformedBody extends Exception {
        public MalformedBody(String message) {
            super(message);
        }
    }

    /** A body in a media type the guard does not read (415). */
    public static final class UnsupportedMediaType extends Exception {
        public UnsupportedMediaType(String message) {
            super(message);
        }
    }

    /** The body as stored; null for an empty body. */
    public static JsonNode of(String contentType, byte[] bytes) throws MalformedBody, UnsupportedMediaType {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        if (contentType == null || contentType.isBlank()) {
            throw new UnsupportedMediaType("A request body needs a Content-Type header (application/json)");
        }
        String ct = contentType.toLowerCase(Locale.ROOT).trim();
        String type = ct.split(";", 2)[0].trim();
        String charset = parameter(ct, "charset");
        if (type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"))) {
            if (charset != null && !charset.equals("utf-8")) {
                throw new UnsupportedMediaType("JSON bodies must be UTF-8 (charset=" + charset + " given)");
            }
            return json(bytes);
        }
        if (type.equals("multipart/form-data") || type.equals("application/x-www-form-urlencoded")
                || type.equals("text/plain")) {
            ObjectNode o = STRICT.createObjectNode();
            ObjectNode f = o.putObject(FORM_MARKER);
            f.put("contentType", contentType);
            f.put("base64", Base64.getEncoder().encodeToString(bytes));
            return o;
        }
        throw new UnsupportedMediaType("Media type " + type + " is not accepted for admin writes");
    }

    /** Strict JSON from bytes: UTF-8, one value, no duplicate names, bounded depth. */
    public static JsonNode json(byte[] bytes) throws MalformedBody {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedBody("Request body is not valid UTF-8");
        }
        return json(text);
    }

    /** Strict JSON from text: one value, no duplicate names, bounded depth, no byte-order mark. */
    public static JsonNode json(String text) throws MalformedBody {
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            throw new MalformedBody("Request body starts with a byte-order mark");
        }
        if (text.isBlank()) {
            return null;
        }
        try {
            return STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new MalformedBody("Request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String parameter(String contentType, String name) {
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].trim().split("=", 2);
            if (kv.length == 2 && kv[0].trim().equals(name)) {
                String v = kv[1].trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v;
            }
        }
        return null;
    }
}
