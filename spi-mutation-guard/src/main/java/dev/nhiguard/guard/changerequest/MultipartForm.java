package dev.nhiguard.guard.changerequest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A {@code multipart/form-data} body (RFC 7578) read strictly into its parts. The guard holds a form upload (a client's
 * certificate or keystore) as its bytes; this reading is the one its approvers are shown and the one its apply hands to
 * Keycloak's resource, so what is shown is what is applied. Keycloak never reads the held request itself. Refused: a
 * missing or malformed boundary, a part without a {@code form-data} name, a name given twice (Keycloak would take the
 * first; an approver could not tell which), a transfer encoding other than 7bit, 8bit or binary, more than
 * {@link #MAX_PARTS} parts, and anything after the closing delimiter but whitespace.
 */
public final class MultipartForm {

    /** Most parts a form may have (Keycloak's uploads use four). */
    public static final int MAX_PARTS = 16;

    /** One part: its form name, the file name if it was sent as a file, its declared content type, its bytes. */
    public record Part(String name, String filename, String contentType, byte[] content) {

        /** The content as text (UTF-8), as Keycloak's form parts read it. */
        public String text() {
            return new String(content, StandardCharsets.UTF_8);
        }

        /** The content if it is short UTF-8 text sent as a plain field (no file name); null otherwise. */
        public String shownText() {
            if (filename != null || content.length > 4096) {
                return null;
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    private MultipartForm() {
    }

    /** Whether a content type is {@code multipart/form-data}. */
    public static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].trim().equals("multipart/form-data");
    }

    /** The parts of a {@code multipart/form-data} body, in order. */
    public static List<Part> parse(String contentType, byte[] body) throws RequestBody.MalformedBody {
        String boundary = boundary(contentType);
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        byte[] between = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at;
        if (startsWith(body, 0, delimiter)) {
            at = delimiter.length;
        } else {
            int found = indexOf(body, between, 0);
            if (found < 0) {
                throw malformed("no part starts with its boundary");
            }
            at = found + between.length;
        }
        List<Part> parts = new ArrayList<>();
        Set<String> names = new HashSet<>();
        while (true) {
            if (startsWith(body, at, new byte[] {'-', '-'})) {
                at += 2;
                break; // the closing delimiter
            }
            at = skipPadding(body, at);
            if (!startsWith(body, at, new byte[] {'\r', '\n'})) {
                throw malformed("a boundary is not followed by a line break");
            }
            at += 2;
            int headersEnd = indexOf(body, new byte[] {'\r', '\n', '\r', '\n'}, at - 2);
            if (headersEnd < 0) {
                throw malformed("a part's headers do not end");
            }
            String headers = headersEnd < at ? "" : new String(body, at, headersEnd - at, StandardCharsets.UTF_8);
            int contentStart = headersEnd + 4;
            int contentEnd = indexOf(body, between, contentStart);
            if (contentEnd < 0) {
                throw malformed("the last part is not closed by its boundary");
            }
            Part part = part(headers, Arrays.copyOfRange(body, contentStart, contentEnd));
            if (!names.add(part.name())) {
                throw malformed("the form field " + part.name() + " is given more than once");
            }
            if (parts.size() == MAX_PARTS) {
                throw malformed("more than " + MAX_PARTS + " parts");
            }
            parts.add(part);
            at = contentEnd + between.length;
        }
        for (int i = at; i < body.length; i++) {
            if (body[i] != '\r' && body[i] != '\n' && body[i] != ' ' && body[i] != '\t') {
                throw malformed("data after the closing boundary");
            }
        }
        return parts;
    }

    private static String boundary(String contentType) throws RequestBody.MalformedBody {
        if (!isMultipart(contentType)) {
            throw malformed("not multipart/form-data");
        }
        String boundary = null;
        for (String param : contentType.split(";")) {
            String p = param.trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("boundary")) {
                if (boundary != null) {
                    throw malformed("the boundary is given more than once");
                }
                boundary = unquote(p.substring(eq + 1).trim());
            }
        }
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70
                || !boundary.matches("[0-9A-Za-z'()+_,./:=? -]*[0-9A-Za-z'()+_,./:=?-]")) {
            throw malformed("the Content-Type has no valid boundary (RFC 2046: 1 to 70 characters)");
        }
        return boundary;
    }

    private static Part part(String headers, byte[] content) throws RequestBody.MalformedBody {
        String name = null;
        String filename = null;
        String type = null;
        for (String line : headers.split("\r\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw malformed("a part header is not a header: " + shorten(line));
            }
            String header = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (header) {
                case "content-disposition" -> {
                    if (name != null) {
                        throw malformed("a part has two Content-Disposition headers");
                    }
                    String[] fields = splitParameters(value);
                    if (!fields[0].trim().equalsIgnoreCase("form-data")) {
                        throw malformed("a part is not form-data");
                    }
                    for (int i = 1; i < fields.length; i++) {
                        String f = fields[i].trim();
                        int eq = f.indexOf('=');
                        String key = eq < 0 ? f.toLowerCase(Locale.ROOT) : f.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                        String v = eq < 0 ? "" : unquote(f.substring(eq + 1).trim());
                        if (key.equals("name")) {
                            name = v;
                        } else if (key.equals("filename")) {
                            filename = v;
                        } else {
                            throw malformed("a part's Content-Disposition has the parameter " + shorten(key));
                        }
                    }
                    if (name == null || name.isEmpty()) {
                        throw malformed("a part has no name");
                    }
                }
                case "content-type" -> type = value;
                case "content-transfer-encoding" -> {
                    String encoding = value.toLowerCase(Locale.ROOT);
                    if (!encoding.equals("7bit") && !encoding.equals("8bit") && !encoding.equals("binary")) {
                        throw malformed("a part's transfer encoding is " + shorten(encoding));
                    }
                }
                default -> throw malformed("a part has the header " + shorten(header));
            }
        }
        if (name == null) {
            throw malformed("a part has no Content-Disposition");
        }
        return new Part(name, filename, type, content);
    }

    /** A header value split at the semicolons outside quoted strings. */
    private static String[] splitParameters(String value) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                out.add(value.substring(start, i));
                start = i + 1;
            }
        }
        out.add(value.substring(start));
        return out.toArray(String[]::new);
    }

    private static String unquote(String v) throws RequestBody.MalformedBody {
        if (v.startsWith("\"")) {
            if (v.length() < 2 || !v.endsWith("\"") || v.substring(1, v.length() - 1).contains("\"")
                    || v.contains("\\")) {
                throw malformed("a quoted parameter is malformed");
            }
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    private static int skipPadding(byte[] b, int at) {
        while (at < b.length && (b[at] == ' ' || b[at] == '\t')) {
            at++;
        }
        return at;
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        if (at < 0 || at + prefix.length > b.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] b, byte[] needle, int from) {
        for (int i = Math.max(0, from); i + needle.length <= b.length; i++) {
            if (startsWith(b, i, needle)) {
                return i;
            }
        }
        return -1;
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static RequestBody.MalformedBody malformed(String why) {
        return new RequestBody.MalformedBody("Malformed multipart form: " + why);
    }
}
