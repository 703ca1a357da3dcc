package dev.nhiguard.guard.changerequest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one strict reader of admin request bodies. A JSON body must be declared
 * ({@code application/json} or a {@code +json} type, charset UTF-8 if given), be valid UTF-8
 * without a byte-order mark, hold exactly one JSON value, no duplicate member names and at most
 * {@link #MAX_DEPTH} levels of nesting. Form uploads ({@code multipart/form-data},
 * {@code application/x-www-form-urlencoded}) and {@code text/plain} are kept as their bytes:
 * {@code {"_form": {"contentType", "base64"}}}, so the digest covers them; the fields of a form are read strictly
 * ({@link MultipartForm}, URL-encoded parameters) and shown beside them. Any other media
 * type, and a body without a {@code Content-Type}, is refused: a reader that guesses can read
 * a request differently from Keycloak.
 */
public final class RequestBody {

    /** Field marking a stored non-JSON body. */
    public static final String FORM_MARKER = "_form";

    /** Member of a stored form saying why the guard cannot read it strictly (it is then never held). */
    static final String UNREADABLE = "unreadable";

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
            if (type.equals("application/x-www-form-urlencoded")) {
                if (charset != null && !charset.equals("utf-8")) {
                    throw new UnsupportedMediaType("Form bodies must be UTF-8 (charset=" + charset + " given)");
                }
                // What the approvers read (the bytes are sealed whole): the parameters as the replay will send them,
                // sealed by name and content like any JSON body's members.
                ObjectNode fields = f.putObject("fields");
                formParameters(new String(bytes, StandardCharsets.UTF_8)).forEach(fields::put);
            }
            if (type.equals("multipart/form-data")) {
                // What the approvers read (the bytes are sealed whole), as the apply hands the parts to Keycloak: short
                // text fields with their values (sealed by name and content like JSON members), files by name and size.
                // A form the guard cannot read strictly passes on to Keycloak where nothing holds it (an identity
                // provider's metadata import, a server with the guard switched off) and cannot be held.
                List<MultipartForm.Part> parts;
                try {
                    parts = MultipartForm.parse(contentType, bytes);
                } catch (MalformedBody e) {
                    f.put(UNREADABLE, e.getMessage());
                    return o;
                }
                ObjectNode fields = f.putObject("fields");
                ObjectNode files = f.putObject("files");
                for (MultipartForm.Part part : parts) {
                    String text = part.shownText();
                    if (text != null) {
                        fields.put(part.name(), text);
                    } else {
                        ObjectNode file = files.putObject(part.name());
                        file.put("filename", part.filename() == null ? "" : part.filename());
                        file.put("bytes", part.content().length);
                    }
                }
            }
            return o;
        }
        throw new UnsupportedMediaType("Media type " + type + " is not accepted for admin writes");
    }

    /**
     * The parameters of a stored {@code application/x-www-form-urlencoded} body, in order, decoded as JAX-RS decodes
     * form parameters ({@code +} as space, percent escapes as UTF-8), one value each (a repeated one is refused when the
     * request is held); null when the body is not such a form (none, JSON, multipart, text). A malformed escape is
     * refused as the server refuses it.
     */
    public static Map<String, String> urlEncodedForm(JsonNode stored) throws MalformedBody {
        JsonNode form = stored == null ? null : stored.get(FORM_MARKER);
        if (form == null || !"application/x-www-form-urlencoded".equals(form.path("contentType").asText("")
                .toLowerCase(Locale.ROOT).split(";", 2)[0].trim())) {
            return null;
        }
        return formParameters(new String(Base64.getDecoder().decode(form.path("base64").asText("")), StandardCharsets.UTF_8));
    }

    /** Why a stored form cannot be held (the guard could not read it strictly), or null. */
    public static String unholdable(JsonNode stored) {
        JsonNode form = stored == null ? null : stored.get(FORM_MARKER);
        return form == null || !form.has(UNREADABLE) ? null : form.get(UNREADABLE).asText();
    }

    /** Whether a stored body is a form the replay hands to Keycloak's resource: URL-encoded or multipart. */
    public static boolean isReplayableForm(JsonNode stored) {
        JsonNode form = stored == null ? null : stored.get(FORM_MARKER);
        String type = form == null ? "" : form.path("contentType").asText("").toLowerCase(Locale.ROOT).split(";", 2)[0].trim();
        return type.equals("application/x-www-form-urlencoded") || type.equals("multipart/form-data");
    }

    /** Whether a stored body is a multipart form. */
    public static boolean isMultipart(JsonNode stored) {
        JsonNode form = stored == null ? null : stored.get(FORM_MARKER);
        return form != null && MultipartForm.isMultipart(form.path("contentType").asText(""));
    }

    /** The parts of a stored {@code multipart/form-data} body, as its approvers were shown them; null when it is none. */
    public static List<MultipartForm.Part> multipartForm(JsonNode stored) throws MalformedBody {
        JsonNode form = stored == null ? null : stored.get(FORM_MARKER);
        String contentType = form == null ? null : form.path("contentType").asText("");
        if (!MultipartForm.isMultipart(contentType)) {
            return null;
        }
        return MultipartForm.parse(contentType, Base64.getDecoder().decode(form.path("base64").asText("")));
    }

    /** Keycloak's {@code quarkus.http.limits.max-form-attribute-size}: the server refuses a longer form parameter. */
    private static final int MAX_FORM_ATTRIBUTE_BYTES = 131072;

    private static Map<String, String> formParameters(String text) throws MalformedBody {
        Map<String, String> params = new java.util.LinkedHashMap<>();
        try {
            for (String pair : text.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (value.getBytes(StandardCharsets.UTF_8).length > MAX_FORM_ATTRIBUTE_BYTES) {
                    throw new MalformedBody("Form parameter " + name + " is longer than the server accepts ("
                            + MAX_FORM_ATTRIBUTE_BYTES + " bytes)");
                }
                if (params.containsKey(name)) {
                    // Keycloak's form parameters take the first value: an approver shown both would not know which
                    throw new MalformedBody("Form parameter " + name + " is given more than once");
                }
                params.put(name, value);
            }
        } catch (IllegalArgumentException e) {
            throw new MalformedBody("Malformed form body: " + e.getMessage());
        }
        return params;
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
        try (JsonParser parser = STRICT.getFactory().createParser(text)) {
            JsonToken first = parser.nextToken();
            JsonNode tree = first == null ? null : value(parser, first);
            if (parser.nextToken() != null) {
                throw new MalformedBody("Request body is not valid JSON: trailing data after the value");
            }
            return tree;
        } catch (JsonProcessingException e) {
            throw new MalformedBody("Request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new MalformedBody("Request body is not valid JSON: " + e.getMessage());
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    /** 2^53 − 1: the largest integer every JSON reader, and RFC 8785's canonical form, keeps exactly. */
    private static final java.math.BigInteger MAX_SAFE_INTEGER = java.math.BigInteger.valueOf((1L << 53) - 1);

    private static MalformedBody notCanonical(String written) {
        return new MalformedBody("Request body is not accepted: the number " + written + " is not written in its canonical"
                + " JSON form (RFC 8785: 100 not 1e2 or 100.0, 0.5 not .50; integers within ±(2^53 − 1))");
    }

    /**
     * The tree of one JSON value, its numbers kept as written. A number read into a string field reads as its text in
     * Keycloak's binding (Jackson takes the token's text), and the approved request is stored and replayed in RFC 8785's
     * canonical form, which writes every number as its double prints: so a number must already be written that way
     * ({@code 1e2}, {@code 1.0}, {@code -0}, {@code 1.00000000000000001} and integers beyond 2^53 are refused), else
     * the guard would classify, show and apply three different texts of it. Keycloak's representations hold no such
     * number.
     */
    private static JsonNode value(JsonParser parser, JsonToken token) throws java.io.IOException, MalformedBody {
        switch (token) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
                    String name = parser.currentName();
                    o.set(name, value(parser, parser.nextToken()));
                }
                return o;
            }
            case START_ARRAY: {
                com.fasterxml.jackson.databind.node.ArrayNode a = NODES.arrayNode();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                    a.add(value(parser, t));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT: {
                String written = parser.getText();
                java.math.BigInteger v = parser.getBigIntegerValue();
                if (v.abs().compareTo(MAX_SAFE_INTEGER) > 0 || !v.toString().equals(written)) {
                    throw notCanonical(written);
                }
                return v.bitLength() < 32 ? NODES.numberNode(v.intValue()) : NODES.numberNode(v.longValue());
            }
            case VALUE_NUMBER_FLOAT: {
                String written = parser.getText();
                double v = Double.parseDouble(written);
                if (!Double.isFinite(v) || !org.erdtman.jcs.NumberToJSON.serializeNumber(v).equals(written)) {
                    throw notCanonical(written);
                }
                return NODES.numberNode(new java.math.BigDecimal(written));
            }
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new MalformedBody("Request body is not valid JSON: unexpected " + token);
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
