package dev.nhiguard.audit.realmsink;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nhiguard.audit.sink.SinkFormat;

/**
 * A realm's own sinks as written and as stored: {@code {"sinks":[{"id","type","url","format","secret"}]}}.
 * Reading checks the shape only (fields, id, type, URL syntax, format, secret form); the
 * allow-list and the secrets' sealing are {@link RealmSinks}'s. Stored in the realm attribute
 * {@value #ATTRIBUTE} with the secret sealed ({@code secretRef}); shown with the secret masked.
 */
public final class RealmSinkConfig {

    /** The realm attribute holding the realm's sinks (the mutation guard reads it for its before-images). */
    public static final String ATTRIBUTE = "nhi.audit.sinks";
    /** Keycloak's mask: shown for every secret, and "keep the stored secret" when written back. */
    public static final String MASK = "**********";
    /** Prefix of a sink's delivery state key: never the id of a server-wide sink. */
    public static final String STATE_PREFIX = "realm:";
    public static final int MAX_SINKS_LIMIT = 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Set<String> TOP = Set.of("sinks");
    private static final Set<String> FIELDS = Set.of("id", "type", "url", "format", "secret", "secretRef", "tlsTrust");
    private static final int MAX_TRUST_CHARS = 65536;
    /** Sink types of the server that are not available per realm, and why. */
    private static final java.util.Map<String, String> SERVER_ONLY = java.util.Map.of(
            "file", "writes files on the server's disk",
            "log", "writes into the server's log",
            "kafka", "Kafka brokers hand the client further addresses (advertised listeners) no allow-list can check");

    /** Bad input, with the field it concerns. */
    public static final class Invalid extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * One sink as written. A webhook: {@code secret} is the clear secret, {@link #MASK} (keep the
     * stored one), or null when {@code secretRef} (a sealed secret, as stored) is given instead. A
     * syslog sink ({@code syslog://host:port}, or {@code syslog+tls://host:port}, RFC 5425) has no
     * secret; {@code tlsTrust} holds the PEM certificates it trusts (null: the JVM's default trust).
     */
    public record Sink(String id, String type, URI url, SinkFormat format, String secret, String secretRef, String tlsTrust) {

        public boolean webhook() {
            return "webhook".equals(type);
        }

        /** The key of its delivery state: a new destination starts its own cursor. */
        public String stateKey() {
            return STATE_PREFIX + id + ":" + java.util.HexFormat.of().formatHex(sha256(type + "\n" + url), 0, 4);
        }

        public Sink withSecretRef(String ref) {
            return new Sink(id, type, url, format, null, ref, tlsTrust);
        }
    }

    private RealmSinkConfig() {
    }

    /**
     * Reads a written configuration.
     *
     * @throws Invalid with a message naming the field
     */
    public static List<Sink> parse(String body, int maxSinks) {
        JsonNode root;
        try {
            root = body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new Invalid("The body must be a JSON object {\"sinks\": [...]}");
        }
        if (root == null || !root.isObject()) {
            throw new Invalid("The body must be a JSON object {\"sinks\": [...]}");
        }
        unknown(root, TOP, "");
        JsonNode sinks = root.get("sinks");
        if (sinks == null || !sinks.isArray()) {
            throw new Invalid("'sinks' must be an array");
        }
        if (sinks.size() > maxSinks) {
            throw new Invalid("'sinks' holds " + sinks.size() + " sinks; a realm may have at most " + maxSinks);
        }
        List<Sink> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < sinks.size(); i++) {
            JsonNode s = sinks.get(i);
            String at = "sinks[" + i + "]";
            if (!s.isObject()) {
                throw new Invalid("'" + at + "' must be an object");
            }
            unknown(s, FIELDS, at + ".");
            String id = text(s, "id", at, true);
            if (!ID.matcher(id).matches()) {
                throw new Invalid("'" + at + ".id' must be 1-32 of a-z, 0-9 and '-', starting with a letter or digit");
            }
            if (!ids.add(id)) {
                throw new Invalid("'" + at + ".id' repeats the id '" + id + "'");
            }
            String type = text(s, "type", at, true).toLowerCase(Locale.ROOT);
            if (SERVER_ONLY.containsKey(type)) {
                throw new Invalid("'" + at + ".type' " + type + " is not available as a realm sink: " + SERVER_ONLY.get(type));
            }
            if (!type.equals("webhook") && !type.equals("syslog")) {
                throw new Invalid("'" + at + ".type' must be webhook or syslog, is '" + type + "'");
            }
            URI url = type.equals("webhook") ? url(text(s, "url", at, true), at) : syslogUrl(text(s, "url", at, true), at);
            String formatText = text(s, "format", at, false);
            SinkFormat format;
            try {
                format = SinkFormat.of(at + ".format", formatText);
            } catch (IllegalArgumentException e) {
                throw new Invalid("'" + at + ".format' must be native, cloudevents or ocsf");
            }
            String secret = text(s, "secret", at, false);
            String secretRef = text(s, "secretRef", at, false);
            String tlsTrust = text(s, "tlsTrust", at, false);
            if (type.equals("syslog")) {
                if (secret != null || secretRef != null) {
                    throw new Invalid("'" + at + ".secret' does not apply to a syslog sink");
                }
                if (tlsTrust != null) {
                    checkTrust(tlsTrust, url, at);
                }
                out.add(new Sink(id, type, url, format, null, null, tlsTrust));
                continue;
            }
            if (tlsTrust != null) {
                throw new Invalid("'" + at + ".tlsTrust' applies to syslog+tls sinks only");
            }
            if ((secret == null) == (secretRef == null)) {
                throw new Invalid("'" + at + ".secret' is required (the webhook's signing secret: whsec_<base64> or at least 16 characters; "
                        + MASK + " keeps the stored one)");
            }
            if (secret != null && !secret.equals(MASK)) {
                checkSecret(secret, at);
            }
            out.add(new Sink(id, type, url, format, secret, secretRef, null));
        }
        return out;
    }

    /** The stored form (secrets sealed); every sink must carry its {@code secretRef}. */
    public static String stored(List<Sink> sinks) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("sinks");
        for (Sink s : sinks) {
            ObjectNode o = a.addObject().put("id", s.id()).put("type", s.type()).put("url", s.url().toString())
                    .put("format", s.format().name().toLowerCase(Locale.ROOT));
            if (s.webhook()) {
                if (s.secretRef() == null) {
                    throw new IllegalStateException("sink " + s.id() + " has no sealed secret");
                }
                o.put("secretRef", s.secretRef());
            } else if (s.tlsTrust() != null) {
                o.put("tlsTrust", s.tlsTrust());
            }
        }
        return root.toString();
    }

    /** What is shown: the configuration with every secret masked. */
    public static ObjectNode shown(List<Sink> sinks) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("sinks");
        for (Sink s : sinks) {
            ObjectNode o = a.addObject().put("id", s.id()).put("type", s.type()).put("url", s.url().toString())
                    .put("format", s.format().name().toLowerCase(Locale.ROOT));
            if (s.webhook()) {
                o.put("secret", MASK);
            } else if (s.tlsTrust() != null) {
                o.put("tlsTrust", s.tlsTrust()); // certificates: public
            }
        }
        return root;
    }

    private static void checkSecret(String secret, String at) {
        if (secret.length() > 512) {
            throw new Invalid("'" + at + ".secret' is longer than 512 characters");
        }
        if (secret.startsWith("whsec_")) {
            byte[] key;
            try {
                key = java.util.Base64.getDecoder().decode(secret.substring(6));
            } catch (IllegalArgumentException e) {
                throw new Invalid("'" + at + ".secret' starting with whsec_ must continue in base64");
            }
            if (key.length < 16) {
                throw new Invalid("'" + at + ".secret' whsec_ key must have at least 16 bytes");
            }
        } else if (secret.length() < 16) {
            throw new Invalid("'" + at + ".secret' must be whsec_<base64> or at least 16 characters");
        }
    }

    /** {@code syslog://host:port} (TCP) or {@code syslog+tls://host:port} (RFC 5425); nothing after the port. */
    private static URI syslogUrl(String text, String at) {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            throw new Invalid("'" + at + ".url' is not a valid URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("syslog") && !scheme.equals("syslog+tls")) {
            throw new Invalid("'" + at + ".url' of a syslog sink must be syslog://host:port or syslog+tls://host:port");
        }
        if (u.isOpaque() || u.getHost() == null || u.getPort() < 0 || u.getRawUserInfo() != null
                || !(u.getRawPath() == null || u.getRawPath().isEmpty()) || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new Invalid("'" + at + ".url' of a syslog sink must be syslog://host:port or syslog+tls://host:port, nothing more");
        }
        return u;
    }

    private static void checkTrust(String pem, URI url, String at) {
        if (!"syslog+tls".equalsIgnoreCase(url.getScheme())) {
            throw new Invalid("'" + at + ".tlsTrust' applies to syslog+tls sinks only");
        }
        if (pem.length() > MAX_TRUST_CHARS) {
            throw new Invalid("'" + at + ".tlsTrust' is longer than " + MAX_TRUST_CHARS + " characters");
        }
        try {
            if (java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificates(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEmpty()) {
                throw new Invalid("'" + at + ".tlsTrust' holds no certificate");
            }
        } catch (java.security.cert.CertificateException e) {
            throw new Invalid("'" + at + ".tlsTrust' must be PEM certificates");
        }
    }

    private static URI url(String text, String at) {
        if (text.length() > 2048) {
            throw new Invalid("'" + at + ".url' is longer than 2048 characters");
        }
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            throw new Invalid("'" + at + ".url' is not a valid URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new Invalid("'" + at + ".url' of a webhook must be http or https, is '" + (scheme.isEmpty() ? text : scheme + ":") + "'");
        }
        if (u.isOpaque() || u.getHost() == null) {
            throw new Invalid("'" + at + ".url' must be an absolute http(s) URL with a host");
        }
        if (u.getRawUserInfo() != null) {
            throw new Invalid("'" + at + ".url' must not carry credentials (user info); use 'secret'");
        }
        if (u.getRawFragment() != null) {
            throw new Invalid("'" + at + ".url' must not have a fragment");
        }
        if (u.getRawQuery() != null) {
            // The URL is stored, shown, chained and streamed as it is: a key in its query would be in clear everywhere
            // (sixteenth review: ?api_key=… reached the change request, the chain, the admin events and the log).
            throw new Invalid("'" + at + ".url' must not have a query (a key in it would be stored and shown in clear); "
                    + "put the credential in 'secret'");
        }
        return u;
    }

    private static String text(JsonNode o, String field, String at, boolean required) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new Invalid("'" + at + "." + field + "' is required");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new Invalid("'" + at + "." + field + "' must be a non-empty string");
        }
        return v.asText().trim();
    }

    private static void unknown(JsonNode o, Set<String> allowed, String at) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new Invalid("Unknown field '" + at + f + "'");
            }
        }
    }

    static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
