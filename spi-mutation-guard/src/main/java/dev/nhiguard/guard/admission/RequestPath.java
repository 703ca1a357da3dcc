package dev.nhiguard.guard.admission;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request path read one way for every decision: raw (percent-encoded) segments split on
 * {@code /}, each decoded once, strictly. Anything on which a JAX-RS router and this reading
 * could disagree is refused instead of interpreted: encoded separators ({@code %2F},
 * {@code %5C}), matrix parameters ({@code ;}), empty and dot segments, percent-encoded
 * unreserved characters (RFC 3986 §6.2.2.2: they must not be encoded), malformed escapes and
 * invalid UTF-8. One trailing slash is dropped (JAX-RS matches with and without it).
 *
 * @param segments the decoded segments, never empty strings
 * @param raw      the raw path as received, without query
 */
public record RequestPath(List<String> segments, String raw) {

    /** Longest path the guard reads; longer write paths are refused with 414. */
    public static final int MAX_LENGTH = 2048;

    /** Why a path was refused, with the HTTP status to answer. */
    public static final class Refused extends Exception {
        private final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /**
     * Reads a raw path such as {@code /admin/realms/r/clients/abc}.
     *
     * @throws Refused 414 when longer than {@link #MAX_LENGTH}, 400 for anything ambiguous
     */
    public static RequestPath parse(String rawPath) throws Refused {
        if (rawPath == null) {
            throw new Refused(400, "Missing request path");
        }
        if (rawPath.length() > MAX_LENGTH) {
            throw new Refused(414, "Request path longer than " + MAX_LENGTH + " characters");
        }
        String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        List<String> out = new ArrayList<>();
        if (path.isEmpty()) {
            return new RequestPath(out, rawPath);
        }
        for (String raw : path.split("/", -1)) {
            out.add(segment(raw));
        }
        return new RequestPath(List.copyOf(out), rawPath);
    }

    private static String segment(String raw) throws Refused {
        if (raw.isEmpty()) {
            throw new Refused(400, "Empty path segment ('//') in an admin write");
        }
        if (raw.indexOf(';') >= 0) {
            throw new Refused(400, "Matrix parameters (';') are not accepted in admin write paths");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new Refused(400, "Malformed percent-encoding in the request path");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new Refused(400, "Malformed percent-encoding in the request path");
                }
                int b = hi * 16 + lo;
                if (b == '/' || b == '\\') {
                    throw new Refused(400, "Encoded path separators (%2F, %5C) are not accepted in admin write paths");
                }
                if (b < 0x80 && unreserved((char) b)) {
                    throw new Refused(400, "Percent-encoded unreserved character '" + (char) b + "' in the request path");
                }
                if (b < 0x20 || b == 0x7F) {
                    throw new Refused(400, "Control character in the request path");
                }
                bytes.write(b);
                i += 2;
            } else if (c > 0x7E || c < 0x21 || c == '\\') {
                throw new Refused(400, "Character that must be percent-encoded in the request path");
            } else {
                bytes.write(c);
            }
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new Refused(400, "The request path is not valid UTF-8");
        }
        if (decoded.equals(".") || decoded.equals("..")) {
            throw new Refused(400, "Dot segments are not accepted in admin write paths");
        }
        return decoded;
    }

    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                || c == '_' || c == '~';
    }

    /** The decoded segments from index {@code from}, joined as a path starting with '/', or "" when none. */
    public String join(int from) {
        if (from >= segments.size()) {
            return "";
        }
        return "/" + String.join("/", segments.subList(from, segments.size()));
    }

    public boolean startsWith(String... prefix) {
        if (segments.size() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (!segments.get(i).equals(prefix[i])) {
                return false;
            }
        }
        return true;
    }
}
