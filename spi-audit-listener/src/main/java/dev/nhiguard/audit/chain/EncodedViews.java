package dev.nhiguard.audit.chain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The texts a string reads as once one layer of the encodings keys get pasted in is undone: percent-encoding, HTML and
 * XML character references, JSON string escapes, hex (as bytes, rewritten as base64, and as text) and base64 of text
 * (a PEM file, a JSON Web Key, base64 again). {@link SecretRedactor} judges each view as it judges the string, down to
 * a fixed depth. Each view is made only when the string shows the encoding's mark, so ordinary text costs a few scans.
 */
final class EncodedViews {

    /** Shorter runs hold no key (a bare SEC1 P-256 key is 39 bytes: 78 hex digits, 52 base64 characters). */
    static final int MIN_HEX_RUN = 64;
    static final int MIN_BASE64_RUN = 52;
    /** Runs looked at per string and per encoding: a string of many short runs costs no more than a few. */
    private static final int MAX_RUNS = 16;

    private EncodedViews() {
    }

    static List<String> of(String s) {
        List<String> views = new ArrayList<>(2);
        if (s.indexOf('%') >= 0) {
            add(views, s, percentDecoded(s));
        }
        if (s.indexOf('&') >= 0) {
            add(views, s, referencesDecoded(s));
        }
        if (s.indexOf('\\') >= 0) {
            add(views, s, escapesDecoded(s));
        }
        hexRuns(s, views);
        String dump = hexDumpJoined(s);
        if (dump != null) {
            hexRuns(dump, views);
        }
        base64Runs(s, views);
        return views;
    }

    /**
     * A hex dump's bytes joined into one run: line breaks, spaces, commas and colons between pairs and {@code 0x}
     * prefixes removed ({@code xxd -p}, {@code xxd -i}, {@code od -An -tx1}); null when there is nothing to join or too
     * few hex digits for a key. Dumps with offsets and a text column ({@code xxd}, {@code hexdump -C}) are not read.
     */
    static String hexDumpJoined(String s) {
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            digits += hex(s.charAt(i)) >= 0 ? 1 : 0;
        }
        if (digits < MIN_HEX_RUN) {
            return null;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || c == ',' || c == ':') {
                continue;
            }
            if (c == '0' && i + 3 < s.length() && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
                    && hex(s.charAt(i + 2)) >= 0 && hex(s.charAt(i + 3)) >= 0) {
                i++; // "0x" before a pair
                continue;
            }
            b.append(c);
        }
        return b.length() == s.length() ? null : b.toString();
    }

    private static void add(List<String> views, String s, String view) {
        if (view != null && !view.equals(s)) {
            views.add(view);
        }
    }

    /** {@code %XX} decoded as bytes, read as UTF-8; a {@code +} stays (base64 has it). Null when nothing was encoded. */
    static String percentDecoded(String s) {
        byte[] out = new byte[s.length()];
        int n = 0;
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                out[n++] = (byte) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
                i += 2;
                any = true;
            } else if (c < 0x80) {
                out[n++] = (byte) c;
            } else {
                return null; // not a percent-encoded text
            }
        }
        return any ? new String(out, 0, n, StandardCharsets.UTF_8) : null;
    }

    /** Numeric ({@code &#10;}, {@code &#xA;}) and the five XML named character references decoded. */
    static String referencesDecoded(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int semi = c == '&' ? s.indexOf(';', i + 1) : -1;
            if (semi > i + 1 && semi - i <= 10) {
                String name = s.substring(i + 1, semi);
                int cp = reference(name);
                if (cp >= 0) {
                    b.appendCodePoint(cp);
                    i = semi;
                    any = true;
                    continue;
                }
            }
            b.append(c);
        }
        return any ? b.toString() : null;
    }

    private static int reference(String name) {
        switch (name) {
            case "lt": return '<';
            case "gt": return '>';
            case "amp": return '&';
            case "quot": return '"';
            case "apos": return '\'';
            default:
        }
        try {
            if (name.startsWith("#x") || name.startsWith("#X")) {
                return checked(Integer.parseInt(name.substring(2), 16));
            }
            if (name.startsWith("#")) {
                return checked(Integer.parseInt(name.substring(1)));
            }
        } catch (NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static int checked(int cp) {
        return Character.isValidCodePoint(cp) ? cp : -1;
    }

    /** JSON string escapes ({@code \/}, Unicode escapes (backslash, u, four hex digits), {@code \n}, …) and a shell's backslash-newline undone. */
    static String escapesDecoded(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(i + 1);
            int replaced = switch (e) {
                case '/', '\\', '"', '\'' -> e;
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case '\n' -> -2; // a shell line continuation: nothing
                case 'u' -> i + 5 < s.length() ? unicode(s, i + 2) : -1;
                default -> -1;
            };
            if (replaced == -1) {
                b.append(c);
                continue;
            }
            if (replaced >= 0) {
                b.append((char) replaced);
            }
            i += e == 'u' ? 5 : 1;
            any = true;
        }
        return any ? b.toString() : null;
    }

    private static int unicode(String s, int at) {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int h = hex(s.charAt(at + k));
            if (h < 0) {
                return -1;
            }
            v = v << 4 | h;
        }
        return v;
    }

    /**
     * Runs of hex digits (pairs may be separated by {@code :} or a space, as tools print DER): as base64 of their bytes
     * (so a DER key is judged as one) and as Latin-1 text (hex of a PEM file).
     */
    static void hexRuns(String s, List<String> views) {
        int runs = 0;
        for (int i = 0; i < s.length() && runs < MAX_RUNS; ) {
            int end = hexRunEnd(s, i);
            if (end == i) {
                i++;
                continue;
            }
            int digits = 0;
            for (int k = i; k < end; k++) {
                digits += hex(s.charAt(k)) >= 0 ? 1 : 0;
            }
            if (digits >= MIN_HEX_RUN) {
                byte[] b = new byte[digits / 2];
                int n = 0;
                for (int k = i; k + 1 < end && n < b.length; ) {
                    if (hex(s.charAt(k)) < 0) {
                        k++;
                        continue;
                    }
                    b[n++] = (byte) (hex(s.charAt(k)) << 4 | hex(s.charAt(k + 1)));
                    k += 2;
                }
                views.add(Base64.getEncoder().encodeToString(b));
                views.add(new String(b, StandardCharsets.ISO_8859_1));
                runs++;
            }
            i = end;
        }
    }

    /** The end of the run of hex digit pairs starting at {@code i} (pairs may be separated by one ':' or ' '). */
    private static int hexRunEnd(String s, int i) {
        int j = i;
        while (j + 1 < s.length() && hex(s.charAt(j)) >= 0 && hex(s.charAt(j + 1)) >= 0) {
            j += 2;
            if (j + 2 < s.length() && (s.charAt(j) == ':' || s.charAt(j) == ' ') && hex(s.charAt(j + 1)) >= 0
                    && hex(s.charAt(j + 2)) >= 0) {
                j++;
            }
        }
        return j;
    }

    /** Runs of base64 (either alphabet, line breaks inside allowed) decoded and read as Latin-1 text. */
    static void base64Runs(String s, List<String> views) {
        int runs = 0;
        for (int i = 0; i < s.length() && runs < MAX_RUNS; ) {
            int j = i;
            int chars = 0;
            for (; j < s.length(); j++) {
                char c = s.charAt(j);
                if (SecretRedactor.EmbeddedDer.isAlphabet(c)) {
                    chars++;
                } else if (c != '\n' && c != '\r') {
                    break;
                }
            }
            if (chars >= MIN_BASE64_RUN) {
                StringBuilder run = new StringBuilder(chars);
                for (int k = i; k < j; k++) {
                    if (SecretRedactor.EmbeddedDer.isAlphabet(s.charAt(k))) {
                        run.append(s.charAt(k));
                    }
                }
                byte[] decoded = decode(run);
                if (decoded != null) {
                    views.add(new String(decoded, StandardCharsets.ISO_8859_1));
                    runs++;
                }
            }
            i = Math.max(j, i + 1);
        }
    }

    private static byte[] decode(StringBuilder run) {
        int usable = run.length() % 4 == 1 ? run.length() - 1 : run.length();
        String t = run.substring(0, usable);
        try {
            return t.indexOf('-') >= 0 || t.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(t) : Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
