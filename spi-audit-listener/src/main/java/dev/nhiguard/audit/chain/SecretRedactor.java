package dev.nhiguard.audit.chain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * The one redaction step of the audit chain: every record passes through
 * {@link #redactRecord} before it is staged, hashed or appended, so no credential reaches the
 * chain, {@code verify}, the export, the sinks or the records API in clear.
 *
 * <p>A credential value is replaced by the string {@code **sealed** hmac-sha256:<64 hex>}, the
 * HMAC-SHA256 of the value (UTF-8) under a fingerprint key the server keeps to itself (see
 * {@code dev.nhiguard.audit.store.RecordSealing}), derived per record ({@link #forRecord}): the
 * same value gives the same fingerprint within one record only. Without the key a fingerprint
 * cannot be tested against guesses, not even for a short password, and no fingerprint can be
 * compared with one of another record (a guess written into the chain tells nothing).
 *
 * <p><b>What is sealed</b> (the list, in this class only):
 * <ol>
 * <li>the value of a member whose name, compared case-insensitively, is in {@link #SECRET_NAMES}
 *     or ends with one of {@link #SECRET_SUFFIXES} (attribute keys of maps are member names
 *     too: {@code attributes."saml.signing.private.key"}, {@code config.clientSecret},
 *     {@code config.privateKey[0]}); a string or number is sealed, each element of an array is
 *     sealed, an object is sealed as a whole (its canonical JSON); booleans and nulls stay;</li>
 * <li>in a credential representation (an element of a {@code credentials} member, or an object
 *     with a {@code temporary} member or a {@code type} in {@link #CREDENTIAL_TYPES}): the
 *     members {@link #CREDENTIAL_VALUE_NAMES} ({@code value}, {@code salt}; {@code secretData}
 *     and {@code hashedSaltedValue} are secret names everywhere);</li>
 * <li>in a JSON Web Key (an object with {@code kty}): the private members
 *     {@link #JWK_PRIVATE_MEMBERS}; public members ({@code n}, {@code e}, {@code x},
 *     {@code x5c}, …) stay;</li>
 * <li>in a diff or patch entry (an object with a JSON Pointer {@code path}): the members
 *     {@link #DIFF_VALUE_NAMES} when a segment of the pointer is a secret name by rules 1 or 2
 *     ({@code {"path":"/client/secret","from":…,"to":…}});</li>
 * <li>by structure, any string anywhere: a PEM private key block
 *     ({@code -----BEGIN … PRIVATE KEY-----}) or a base64 DER private key (PKCS#8, encrypted
 *     PKCS#8, PKCS#1, SEC1) or keystore (PKCS#12, JKS, JCEKS) is sealed as a whole; so is a
 *     compact JWS or JWE (a bearer token);</li>
 * <li>a string holding JSON (an object or array) is parsed, redacted by these rules and
 *     re-serialised when something in it was sealed.</li>
 * </ol>
 * Left as they are: Keycloak's own mask {@code **********}, vault references
 * {@code ${vault.…}}, empty strings, values already sealed, and the {@code **redacted**} marker
 * of records written before sealing. Certificates, public keys and JWKS public keys are not
 * secret and stay. The structural members of a record ({@link #RECORD_STRUCTURE}) are not
 * redacted; everything else ({@code representation}, {@code details}, {@code error}, …) is.
 * Operators add member names (exact, case-insensitive) with the {@code redact-fields} option;
 * nothing can be removed from this list.
 */
public final class SecretRedactor {

    /** The start of every sealed value; 64 lower-case hex digits follow. */
    public static final String SEALED_PREFIX = "**sealed** hmac-sha256:";
    /** Keycloak's own mask of secrets in representations (left as it is). */
    public static final String KEYCLOAK_MASK = "**********";
    /** The marker of records written before sealing (left as it is). */
    public static final String LEGACY_REDACTED = "**redacted**";

    /** Member names whose values are credentials, lower case. */
    public static final Set<String> SECRET_NAMES = Set.of(
            // secrets and their Keycloak spellings
            "secret", "secretdata", "client.secret.rotated", "secret.key", "secretkey",
            // private keys (also by suffix below)
            "private.key", "privatekey",
            // keystores and their passwords (passwords also by suffix)
            "keystore", "passphrase",
            // LDAP / user federation
            "bindcredential",
            // tokens
            "token", "registrationaccesstoken", "registration_access_token", "initialaccesstoken",
            "accesstoken", "access_token", "refreshtoken", "refresh_token", "idtoken", "id_token",
            "subject_token", "actor_token", "client_assertion",
            // API keys
            "apikey", "api.key", "api_key",
            // short spellings of passwords and PINs; an HTTP Authorization header's value (a webhook's header map)
            "passwd", "pwd", "pin", "authorization",
            // hyphenated spellings (HTTP header names and the like)
            "access-token", "refresh-token", "id-token", "private-key",
            // stored password hashes of older credential representations
            "hashedsaltedvalue",
            "passwordconfirm", "password-confirm");

    /**
     * Name suffixes, lower case: {@code password} ({@code keyPassword}, {@code storePassword},
     * {@code keystorePassword}, {@code smtp password}…), {@code secret} ({@code clientSecret},
     * {@code client_secret}, {@code authTokenClientSecret}…), private keys
     * ({@code saml.signing.private.key}, {@code jwt.credential.private.key}, {@code signingPrivateKey}).
     */
    public static final List<String> SECRET_SUFFIXES = List.of("password", "secret", ".private.key", "privatekey", "private_key",
            // keys and tokens under prefixed names (aws_secret_access_key, my.api.token, authToken, bearer_token); not
            // every name ending in "token" or "key": Keycloak's own settings (use_refresh_token, key sizes) are not secret
            "secretkey", "secret_key", "secret.key", "accesskey", "access_key", "access.key", "apikey", "api_key", "api.key",
            "apitoken", "api_token", "api.token", "authtoken", "auth_token", "auth.token", "bearertoken", "bearer_token",
            "secret-key", "access-key", "api-key", "api-token", "auth-token", "bearer-token");

    /** The last characters of {@link #SECRET_SUFFIXES}: a name ending otherwise has none of them. */
    private static final String SUFFIX_LAST_CHARS = SECRET_SUFFIXES.stream().map(x -> x.substring(x.length() - 1)).distinct()
            .collect(Collectors.joining());

    /** Members that hold the credential itself inside a credential representation, lower case. */
    public static final Set<String> CREDENTIAL_VALUE_NAMES = Set.of("value", "salt");

    /** {@code type} values that make an object a credential representation, lower case. */
    public static final Set<String> CREDENTIAL_TYPES = Set.of("password", "password-history", "secret", "otp", "totp", "hotp",
            "recovery-authn-codes", "webauthn", "webauthn-passwordless", "kerberos");

    /** Private members of a JSON Web Key (RFC 7518): RSA, EC/OKP and symmetric keys. */
    public static final Set<String> JWK_PRIVATE_MEMBERS = Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    /** Value members of a diff or JSON Patch entry. */
    public static final Set<String> DIFF_VALUE_NAMES = Set.of("value", "from", "to", "old", "new", "before", "after",
            "oldValue", "newValue");

    /** Members of a record that are not redacted (ours, not the event producer's). */
    public static final Set<String> RECORD_STRUCTURE = Set.of("v", "realmId", "realm", "seq", "time", "eventId", "category",
            "type", "operation", "actor", "target", "prevHash", "hash");

    /**
     * A PEM private key's header as PEM writes it. A key under any other header (two spaces, lower case, other dashes)
     * is found by its DER ({@link EmbeddedDer}): a loose header alone would let any value that mentions one be sealed,
     * and so hidden from the approver of the change that carries it.
     */
    private static final Pattern PEM_PRIVATE_KEY = Pattern.compile("-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----");
    private static final Pattern VAULT_REFERENCE = Pattern.compile("^\\$\\{vault\\.[^}]+}$");
    private static final Pattern BASE64 = Pattern.compile("^[A-Za-z0-9+/_-]+={0,2}$");
    private static final Pattern JOSE_COMPACT = Pattern.compile("^[A-Za-z0-9_-]{8,}(?:\\.[A-Za-z0-9_-]*){2}(?:\\.[A-Za-z0-9_-]*){0,2}$");
    private static final int MIN_DER_BASE64 = 44; // a bare SEC1 P-256 key is 39 bytes, 52 characters

    /** The fingerprint key of a realm's redactor; null for a record's redactor. */
    private final byte[] key;
    /** A record's redactor: its key, derived from {@link #parentKey} when it first seals a value (most records seal nothing). */
    private byte[] recordKey;
    private final byte[] parentKey;
    private final String recordKeyInput;
    private final Set<String> extraNames;

    /**
     * @param fingerprintKey key of the fingerprints (at least 32 bytes)
     * @param extraNames     more member names to seal (exact, case-insensitive), on top of the list
     */
    public SecretRedactor(byte[] fingerprintKey, Collection<String> extraNames) {
        if (fingerprintKey == null || fingerprintKey.length < 32) {
            throw new IllegalArgumentException("the fingerprint key must have at least 32 bytes");
        }
        this.key = fingerprintKey.clone();
        this.parentKey = null;
        this.recordKeyInput = null;
        this.extraNames = extraNames.stream().map(n -> n.trim().toLowerCase(Locale.ROOT)).filter(n -> !n.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    private SecretRedactor(byte[] parentKey, String recordKeyInput, Set<String> normalizedNames) {
        this.key = null;
        this.parentKey = parentKey;
        this.recordKeyInput = recordKeyInput;
        this.extraNames = normalizedNames;
    }

    /** What a record's fingerprint key is derived with (followed by the record's {@code eventId}). */
    static final String RECORD_KEY_LABEL = "nhi-guard/audit-seal/record/v1\n";

    /**
     * The redactor of one record: its fingerprints are keyed by HMAC-SHA256(this key,
     * {@value #RECORD_KEY_LABEL} + the record's {@code eventId}), so a value sealed in one record
     * cannot be compared with the same value sealed in another. Otherwise anyone who can both read
     * the chain and write a value that it records (an ordinary client's secret) could test a guess
     * at any credential the chain holds, one write per guess.
     */
    public SecretRedactor forRecord(String eventId) {
        return new SecretRedactor(key(), RECORD_KEY_LABEL + (eventId == null ? "" : eventId), extraNames);
    }

    /** The key fingerprints are made with (a record's redactor serves one thread, and derives its key on first use). */
    private byte[] key() {
        if (key != null) {
            return key;
        }
        if (recordKey == null) {
            recordKey = hmac(parentKey, recordKeyInput);
        }
        return recordKey;
    }

    private static byte[] hmac(byte[] key, String value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /**
     * A copy of the record (or record draft) with every credential sealed under the record's own key
     * ({@link #forRecord}); the structural members are kept.
     */
    public ObjectNode redactRecord(ObjectNode record) {
        JsonNode eventId = record.get("eventId");
        return forRecord(eventId != null && eventId.isTextual() ? eventId.asText() : null).redactMembers(record);
    }

    private ObjectNode redactMembers(ObjectNode record) {
        Work work = new Work();
        ObjectNode out = record.deepCopy();
        List<String> names = new ArrayList<>();
        out.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            if (!RECORD_STRUCTURE.contains(name)) {
                out.set(name, member(name, out.get(name), false, false, false, work));
            }
        }
        return out;
    }

    /** A redacted copy of any JSON value. */
    public JsonNode redact(JsonNode node) {
        return walk(node.deepCopy(), false, new Work());
    }

    /** {@code **sealed** hmac-sha256:<hex>} of a value. */
    public String seal(String value) {
        return SEALED_PREFIX + HexFormat.of().formatHex(hmac(key(), value));
    }

    /** Whether values of a member with this name are credentials (rule 1, with the operator's extra names). */
    public boolean isSecretName(String name) {
        return isBuiltInSecretName(name) || extraNames.contains(name.toLowerCase(Locale.ROOT));
    }

    /** Whether values of a member with this name are credentials by rule 1's list alone (no operator names). */
    public static boolean isBuiltInSecretName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (SECRET_NAMES.contains(n)) {
            return true;
        }
        if (n.isEmpty() || SUFFIX_LAST_CHARS.indexOf(n.charAt(n.length() - 1)) < 0) {
            return false; // most member names: no suffix ends in their last character
        }
        for (String suffix : SECRET_SUFFIXES) {
            if (n.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    // ---- the walk ---------------------------------------------------------------------------

    /** The value to store for a member, given its name and the object it is in. */
    private JsonNode member(String name, JsonNode value, boolean inCredential, boolean inJwk, boolean diffValue, Work work) {
        if (diffValue || isSecretName(name)
                || (inCredential && CREDENTIAL_VALUE_NAMES.contains(name.toLowerCase(Locale.ROOT)))
                || (inJwk && JWK_PRIVATE_MEMBERS.contains(name))) {
            return sealAll(value);
        }
        return walk(value, "credentials".equalsIgnoreCase(name), work);
    }

    /** Redacts a node in place where it can; returns the node to put in its place. */
    private JsonNode walk(JsonNode node, boolean credentialsElement, Work work) {
        if (node.isObject()) {
            redactObject((ObjectNode) node, credentialsElement, work);
            return node;
        }
        if (node.isArray()) {
            ArrayNode a = (ArrayNode) node;
            if (linesHoldAKey(a)) {
                return sealAll(a); // a key written as a list of its lines (a multi-valued attribute or config entry)
            }
            for (int i = 0; i < a.size(); i++) {
                a.set(i, walk(a.get(i), credentialsElement, work));
            }
            return a;
        }
        if (node.isTextual()) {
            return text(node, work);
        }
        return node;
    }

    /** Two or more strings that, joined as lines, are or hold a private key (each line alone may not). */
    private static boolean linesHoldAKey(ArrayNode a) {
        if (a.size() < 2) {
            return false;
        }
        StringBuilder joined = new StringBuilder();
        for (JsonNode e : a) {
            if (!e.isTextual()) {
                return false;
            }
            joined.append(e.asText()).append('\n');
        }
        return joined.length() >= MIN_DER_BASE64 && isPrivateKeyOrKeystore(joined.toString());
    }

    private void redactObject(ObjectNode o, boolean credentialsElement, Work work) {
        boolean credential = credentialsElement || o.has("temporary")
                || (o.path("type").isTextual() && CREDENTIAL_TYPES.contains(o.get("type").asText().toLowerCase(Locale.ROOT)));
        boolean jwk = isJsonWebKey(o);
        Set<String> diffValues = Set.of();
        if (o.path("path").isTextual() && o.get("path").asText().startsWith("/") && pointerIsSecret(o.get("path").asText())) {
            String op = o.path("op").asText("");
            diffValues = "move".equals(op) || "copy".equals(op) ? Set.of() : DIFF_VALUE_NAMES; // there "from" is a pointer
        }
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            o.set(name, member(name, o.get(name), credential, jwk, diffValues.contains(name), work));
        }
    }

    /**
     * A JSON Web Key: an object with {@code kty} (in any case), or one without it that has a private exponent or scalar
     * {@code d} beside the public members of an RSA or EC key ({@code n}, {@code e}, {@code x}, {@code y}, {@code crv})
     * or the primes {@code p}, {@code q}.
     */
    static boolean isJsonWebKey(ObjectNode o) {
        if (o.path("kty").isTextual()) {
            return true;
        }
        java.util.Iterator<String> names = o.fieldNames();
        while (names.hasNext()) {
            if (names.next().equalsIgnoreCase("kty")) {
                return true;
            }
        }
        return o.path("d").isTextual() && (o.has("n") || o.has("e") || o.has("x") || o.has("y") || o.has("crv")
                || o.has("p") || o.has("q"));
    }

    /** Whether a JSON Pointer leads into a credential: a secret name on the way, or a credential value under {@code credentials}. */
    private boolean pointerIsSecret(String pointer) {
        boolean underCredentials = false;
        for (String raw : pointer.substring(1).split("/", -1)) {
            String segment = raw.replace("~1", "/").replace("~0", "~");
            if (isSecretName(segment) || (underCredentials && CREDENTIAL_VALUE_NAMES.contains(segment.toLowerCase(Locale.ROOT)))) {
                return true;
            }
            if ("credentials".equalsIgnoreCase(segment)) {
                underCredentials = true;
            }
        }
        return false;
    }

    /** Seals every scalar of a value that is a credential as a whole. */
    private JsonNode sealAll(JsonNode value) {
        if (value == null || value.isNull() || value.isBoolean() || value.isMissingNode()) {
            return value;
        }
        if (value.isArray()) {
            ArrayNode out = ((ArrayNode) value).arrayNode();
            value.forEach(v -> out.add(sealAll(v)));
            return out;
        }
        if (value.isObject()) {
            return TextNode.valueOf(seal(Canonical.canonicalize(value)));
        }
        String s = value.asText();
        // Under a credential's name only what is sealed already is kept: Keycloak's mask and a vault reference are
        // sealed too. Keycloak stores a client's secret and a user's password as sent and leaves a vault reference in
        // its own events unmasked: a literal "${vault.…}" or "**********" secret stood in clear in the chain, the sinks
        // and the stored admin events (twenty-fourth red-team review).
        if (s.isEmpty() || alreadySealed(s)) {
            return value;
        }
        return TextNode.valueOf(seal(s));
    }

    /** A string anywhere: sealed when it is a key, keystore or token by its structure; JSON in it is redacted. */
    private JsonNode text(JsonNode node, Work work) {
        String s = node.asText();
        if (s.isEmpty() || kept(s)) {
            return node;
        }
        if (work.nesting == 0) {
            // Each value of the record is judged within a budget of its own, in proportion to its length: a value too
            // costly to judge is sealed, and only that one (the approver still sees every other).
            work.budget = BUDGET_PER_CHARACTER * s.length() + BUDGET_BASE;
        }
        if (isPrivateKeyOrKeystore(s) || isJoseCompact(s)) {
            return TextNode.valueOf(seal(s));
        }
        String t = s.strip();
        if (t.startsWith("{") || t.startsWith("[")) {
            JsonNode parsed;
            try {
                parsed = Canonical.JSON.readTree(t);
            } catch (IOException e) {
                parsed = null; // not JSON as a whole: judged below like any text
            }
            if (parsed != null && parsed.isContainerNode()) {
                if (work.nesting >= MAX_TEXT_NESTING) {
                    return TextNode.valueOf(seal(s)); // JSON in text nested deeper than data has: sealed, not judged
                }
                JsonNode redacted;
                work.nesting++;
                try {
                    redacted = walk(parsed.deepCopy(), false, work);
                } finally {
                    work.nesting--;
                }
                if (!redacted.equals(parsed)) {
                    try {
                        return TextNode.valueOf(Canonical.JSON.writeValueAsString(redacted));
                    } catch (JsonProcessingException e) {
                        return TextNode.valueOf(seal(s)); // cannot write it back: seal it whole
                    }
                }
                return node;
            }
        }
        return hiddenSecret(s, 0, work) ? TextNode.valueOf(seal(s)) : node;
    }

    /** JSON in text in JSON…: a string this many levels down that holds JSON again is sealed, not parsed. */
    private static final int MAX_TEXT_NESTING = 4;
    /** Characters the deep checks ({@link #hiddenSecret}) may read for one value of a record: past it, the value is sealed. */
    private static final long BUDGET_PER_CHARACTER = 64;
    private static final long BUDGET_BASE = 1_000_000;

    /**
     * One redaction's shared state: the verdicts already reached (a text met again, at another start of the same JSON
     * or in another view, is judged once), how deep JSON in text is open, and what the deep checks may still read for the
     * value being judged. Without it a text nesting JSON and encodings in each other cost exponential time in its length.
     */
    private static final class Work {
        final java.util.Map<Judged, Boolean> verdicts = new java.util.HashMap<>();
        int nesting;
        long budget = BUDGET_BASE;
    }

    private record Judged(String text, int depth, int nesting) {
    }

    /** Layers of encoding a text is judged through ({@link EncodedViews}): percent-encoded base64 of a PEM file is two. */
    private static final int MAX_DECODING_DEPTH = 2;
    /** Places in one text where JSON is tried (each '{' or '[' up to this many). */
    private static final int MAX_JSON_STARTS = 8;

    /**
     * Whether a text holds a secret in a form the structural checks do not read as it stands: JSON after other text or
     * encoded as a JSON string, a key's base64 broken by separators other than whitespace ({@code .}, {@code |},
     * quote marks, a shell's line continuations), or a key or such JSON under layers of encoding ({@link EncodedViews}).
     * Sealed whole: the secret's place in the text cannot be rewritten without decoding it.
     */
    private boolean hiddenSecret(String s, int depth, Work work) {
        Judged key = new Judged(s, depth, work.nesting);
        Boolean known = work.verdicts.get(key);
        if (known != null) {
            return known;
        }
        work.budget -= s.length();
        boolean hidden = work.budget < 0 || judgeHidden(s, depth, work); // past the budget: sealed, not judged
        work.verdicts.put(key, hidden);
        return hidden;
    }

    private boolean judgeHidden(String s, int depth, Work work) {
        if (jsonHoldsSecret(s, work) || (s.length() >= MIN_DER_BASE64 && EmbeddedDer.findAcrossSeparators(s))) {
            return true;
        }
        if (depth >= MAX_DECODING_DEPTH) {
            return false;
        }
        for (String view : EncodedViews.of(s)) {
            if (isPrivateKeyOrKeystore(view) || isJoseCompact(view.strip()) || hiddenSecret(view, depth + 1, work)) {
                return true;
            }
        }
        return false;
    }

    /** JSON inside a text (from a '{' or '[' after its start, or the text a JSON string) in which a rule seals something. */
    private boolean jsonHoldsSecret(String s, Work work) {
        int tried = 0;
        for (int i = nextJsonStart(s, 0); i >= 0 && tried < MAX_JSON_STARTS; i = nextJsonStart(s, i + 1), tried++) {
            work.budget -= s.length() - i;
            JsonNode parsed = work.budget < 0 ? null : firstJsonValue(s.substring(i));
            if (parsed != null && parsed.isContainerNode()) {
                if (work.nesting >= MAX_TEXT_NESTING) {
                    return true; // JSON in text nested deeper than data has: sealed, not judged
                }
                work.nesting++;
                try {
                    if (!walk(parsed.deepCopy(), false, work).equals(parsed)) {
                        return true;
                    }
                } finally {
                    work.nesting--;
                }
            }
        }
        String t = s.strip();
        if (t.length() > 2 && t.startsWith("\"")) {
            JsonNode inner = firstJsonValue(t);
            if (inner != null && inner.isTextual() && !inner.asText().equals(s)) {
                String x = inner.asText();
                work.nesting++;
                try {
                    return work.nesting > MAX_TEXT_NESTING || !text(TextNode.valueOf(x), work).asText().equals(x);
                } finally {
                    work.nesting--;
                }
            }
        }
        return false;
    }

    private static int nextJsonStart(String s, int from) {
        int brace = s.indexOf('{', from);
        int bracket = s.indexOf('[', from);
        return brace < 0 ? bracket : bracket < 0 ? brace : Math.min(brace, bracket);
    }

    /** The first JSON value of a text (what follows it is ignored), or null. */
    private static JsonNode firstJsonValue(String s) {
        try (com.fasterxml.jackson.core.JsonParser p = Canonical.JSON.getFactory().createParser(s)) {
            return p.nextToken() == null ? null : Canonical.JSON.readTree(p);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A text that is no key by its structure: sealed already, a redaction marker, Keycloak's mask, a vault reference. */
    private static boolean kept(String s) {
        return alreadySealed(s) || KEYCLOAK_MASK.equals(s) || (s.startsWith("${vault.") && VAULT_REFERENCE.matcher(s).matches());
    }

    private static boolean alreadySealed(String s) {
        return s.startsWith(SEALED_PREFIX) || LEGACY_REDACTED.equals(s);
    }

    // ---- structure ----------------------------------------------------------------------------

    /**
     * A PEM private key header anywhere in the text, OpenSSH or PuTTY key material, the whole text a base64 DER private
     * key or keystore, or such a key's base64 anywhere in the text (under any header or none, between words, wrapped in
     * lines, inside base64 of a PEM file).
     */
    static boolean isPrivateKeyOrKeystore(String s) {
        if ((s.contains("PRIVATE KEY") && PEM_PRIVATE_KEY.matcher(s).find())
                || s.contains("b3BlbnNzaC1rZXktdjE") || s.contains("PuTTY-User-Key-File") || s.contains("Private-Lines:")) {
            return true;
        }
        if (s.length() < MIN_DER_BASE64) {
            return false;
        }
        if (wholeIsPrivateKeyOrKeystore(s)) {
            return true;
        }
        return EmbeddedDer.find(s) || pemInBase64(s);
    }

    /**
     * A PEM file written as base64 (as Kubernetes secrets and many configuration formats hold them: {@code LS0tLS1CRUdJTi…}
     * is {@code -----BEGIN…}), anywhere in the text: decoded and judged as text.
     */
    private static boolean pemInBase64(String s) {
        int seen = 0;
        for (int i = s.indexOf("LS0tLS1CRUdJTi"); i >= 0; i = s.indexOf("LS0tLS1CRUdJTi", i + 1)) {
            if (++seen > MAX_PEM_IN_BASE64) {
                return true; // more than any real text carries, each decoded to the end of its run: sealed, not judged
            }
            int end = i;
            while (end < s.length() && (EmbeddedDer.isAlphabet(s.charAt(end)) || s.charAt(end) == '=')) {
                end++;
            }
            try {
                String pem = new String(Base64.getMimeDecoder().decode(s.substring(i, end)), java.nio.charset.StandardCharsets.ISO_8859_1);
                if ((pem.contains("PRIVATE KEY") && PEM_PRIVATE_KEY.matcher(pem).find()) || EmbeddedDer.find(pem)) {
                    return true;
                }
            } catch (IllegalArgumentException e) {
                // not base64 after all
            }
        }
        return false;
    }

    /** PEM files as base64 one text is judged for; beyond that it is sealed (each is decoded to its run's end). */
    private static final int MAX_PEM_IN_BASE64 = 16;

    /** The whole text (whitespace aside) is base64 of a DER private key or keystore. */
    private static boolean wholeIsPrivateKeyOrKeystore(String s) {
        String b = s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || s.indexOf(' ') >= 0 ? s.replaceAll("\\s", "") : s;
        if (b.length() < MIN_DER_BASE64 || !BASE64.matcher(b).matches()) {
            return false;
        }
        byte[] der;
        try {
            der = b.indexOf('-') >= 0 || b.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(b) : Base64.getDecoder().decode(b);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return Der.isPrivateKeyOrKeystore(der);
    }

    /** A compact JWS (three parts) or JWE (five parts) whose header is JSON with {@code alg}. */
    static boolean isJoseCompact(String s) {
        if (s.length() < 20 || !JOSE_COMPACT.matcher(s).matches()) {
            return false;
        }
        int parts = s.split("\\.", -1).length;
        if (parts != 3 && parts != 5) {
            return false;
        }
        try {
            JsonNode header = Canonical.JSON.readTree(Base64.getUrlDecoder().decode(s.substring(0, s.indexOf('.'))));
            return header != null && header.isObject() && header.path("alg").isTextual();
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Base64 of a DER private key or keystore inside a longer text. A candidate starts at the text's start or after a
     * character outside the base64 alphabets (a space, a line break, a colon, the dashes of a header) with the base64
     * of a DER SEQUENCE ({@code M}) or of a JKS/JCEKS magic number; its first four characters give the DER length, so
     * only that many characters are decoded (line breaks and spaces inside skipped), and the decoded bytes are judged
     * by {@link Der#isPrivateKeyOrKeystore}. Linear in the text apart from the keys it decodes.
     */
    static final class EmbeddedDer {

        private EmbeddedDer() {
        }

        static boolean find(String s) {
            return find(s, false);
        }

        /**
         * As {@link #find(String)}, but a key's base64 may be broken by any characters outside the alphabet (dots, bars,
         * quote marks, backslash-newlines): the DER length its first characters give says how many alphabet characters
         * to take, and the structure check refuses whatever else would be read in.
         */
        static boolean findAcrossSeparators(String s) {
            return find(s, true);
        }

        private static boolean find(String s, boolean acrossSeparators) {
            int n = s.length();
            // Characters all candidates together may read: a text that would take more (many candidates whose DER
            // length is long) is sealed rather than judged at a quadratic cost; a real key is read once.
            int[] budget = {4 * n + 4096};
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                boolean boundary = i == 0 || !isAlphabet(s.charAt(i - 1)) || s.charAt(i - 1) == '-' && c != '-'
                        // a key glued to a word: most keys' DER begins with a long SEQUENCE, MII… in base64
                        || c == 'M' && s.startsWith("MII", i);
                if (!boundary || (c != 'M' && c != '/' && c != '_' && c != 'z')) {
                    continue;
                }
                if (keyAt(s, i, acrossSeparators, budget) || budget[0] < 0) {
                    return true;
                }
            }
            return false;
        }

        private static boolean keyAt(String s, int start, boolean acrossSeparators, int[] budget) {
            byte[] head = decode(s, start, 8, acrossSeparators, budget);
            if (head == null || head.length < 4) {
                return false;
            }
            int magic = ((head[0] & 0xFF) << 24) | ((head[1] & 0xFF) << 16) | ((head[2] & 0xFF) << 8) | (head[3] & 0xFF);
            if (magic == Der.JKS_MAGIC || magic == Der.JCEKS_MAGIC) {
                return true;
            }
            if ((head[0] & 0xFF) != Der.SEQUENCE) {
                return false;
            }
            int len = head[1] & 0xFF;
            int total;
            if (len < 0x80) {
                total = 2 + len;
            } else {
                int k = len & 0x7F;
                if (k == 0 || k > 3 || head.length < 2 + k) {
                    return false;
                }
                int l = 0;
                for (int j = 0; j < k; j++) {
                    l = (l << 8) | (head[2 + j] & 0xFF);
                }
                total = 2 + k + l;
            }
            if (total < 32 || total > MAX_EMBEDDED_DER) {
                return false;
            }
            byte[] der = decode(s, start, (total + 2) / 3 * 4, acrossSeparators, budget);
            if (der == null || der.length < total) {
                return false;
            }
            return Der.isPrivateKeyOrKeystore(der.length == total ? der : java.util.Arrays.copyOf(der, total));
        }

        /**
         * Up to {@code chars} base64 characters from {@code start}, whitespace inside skipped, decoded (standard or URL
         * alphabet, padding optional); null when the text ends or leaves the alphabet first in a way no decoder takes.
         */
        private static byte[] decode(String s, int start, int chars, boolean acrossSeparators, int[] budget) {
            StringBuilder b = new StringBuilder(Math.min(chars, s.length() - start));
            int i = start;
            int run = 0; // alphabet characters since the last separator
            for (; i < s.length() && b.length() < chars && i - start <= budget[0]; i++) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                    continue;
                }
                if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'n' || s.charAt(i + 1) == 'r')) {
                    i++; // a line break written as the two characters of an escape (a key pasted from a JSON or shell string)
                    continue;
                }
                if (c == '=' || !isAlphabet(c)) {
                    if (acrossSeparators && (run == 0 || run >= MIN_RUN_BETWEEN_SEPARATORS)) {
                        run = 0;
                        continue; // a separator after a line's worth of base64 (words between short runs are no key)
                    }
                    break;
                }
                b.append(c);
                run++;
            }
            budget[0] -= i - start;
            // the last unit may lack its padding (Java's decoders take that); a lone character is no unit
            int usable = b.length() % 4 == 1 ? b.length() - 1 : b.length();
            if (usable < 4) {
                return null;
            }
            String t = b.substring(0, usable);
            try {
                return t.indexOf('-') >= 0 || t.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(t) : Base64.getDecoder().decode(t);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        static boolean isAlphabet(char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
                    || c == '-' || c == '_';
        }

        /** Base64 broken by separators other than whitespace is read on only where each piece is at least this long. */
        private static final int MIN_RUN_BETWEEN_SEPARATORS = 16;

        /** Larger DER is not a key we look for (a keystore of many entries is still found by its magic number). */
        private static final int MAX_EMBEDDED_DER = 1 << 20;
    }

    /** Just enough DER to recognise private keys and keystores; certificates and public keys do not match. */
    static final class Der {

        private static final int INTEGER = 0x02;
        private static final int OCTET_STRING = 0x04;
        private static final int OID = 0x06;
        private static final int SEQUENCE = 0x30;
        private static final int JKS_MAGIC = 0xFEEDFEED;
        private static final int JCEKS_MAGIC = 0xCECECECE;

        private record Tlv(int tag, int start, int length) {
            int end() {
                return start + length;
            }
        }

        private Der() {
        }

        static boolean isPrivateKeyOrKeystore(byte[] b) {
            if (b.length >= 4) {
                int magic = ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
                if (magic == JKS_MAGIC || magic == JCEKS_MAGIC) {
                    return true;
                }
            }
            Tlv outer = read(b, 0, b.length);
            if (outer == null || outer.tag() != SEQUENCE || outer.end() != b.length) {
                return false;
            }
            List<Tlv> c = children(b, outer);
            if (c == null || c.isEmpty()) {
                return false;
            }
            // PKCS#8 PrivateKeyInfo / OneAsymmetricKey: INTEGER 0|1, AlgorithmIdentifier, OCTET STRING privateKey
            if (c.size() >= 3 && isSmallInteger(b, c.get(0), 0, 1) && isAlgorithmIdentifier(b, c.get(1)) && c.get(2).tag() == OCTET_STRING) {
                return true;
            }
            // EncryptedPrivateKeyInfo: AlgorithmIdentifier, OCTET STRING encryptedData (longer than the
            // digest of a DigestInfo, which has the same shape)
            if (c.size() == 2 && isAlgorithmIdentifier(b, c.get(0)) && c.get(1).tag() == OCTET_STRING && c.get(1).length() > 64) {
                return true;
            }
            // SEC1 ECPrivateKey: INTEGER 1, OCTET STRING privateKey, [0] parameters, [1] publicKey
            if (c.size() >= 2 && c.size() <= 4 && isSmallInteger(b, c.get(0), 1, 1) && c.get(1).tag() == OCTET_STRING
                    && c.subList(2, c.size()).stream().allMatch(t -> t.tag() == 0xA0 || t.tag() == 0xA1)) {
                return true;
            }
            // PKCS#12 PFX: INTEGER 3, ContentInfo
            if (c.size() >= 2 && isSmallInteger(b, c.get(0), 3, 3) && c.get(1).tag() == SEQUENCE) {
                List<Tlv> ci = children(b, c.get(1));
                return ci != null && !ci.isEmpty() && ci.get(0).tag() == OID;
            }
            // PKCS#1 RSAPrivateKey (version 0 and 8 integers) and OpenSSL DSA keys (version 0 and 5 integers)
            return c.size() >= 6 && isSmallInteger(b, c.get(0), 0, 0) && c.stream().allMatch(t -> t.tag() == INTEGER);
        }

        private static boolean isAlgorithmIdentifier(byte[] b, Tlv t) {
            if (t.tag() != SEQUENCE) {
                return false;
            }
            List<Tlv> c = children(b, t);
            return c != null && !c.isEmpty() && c.get(0).tag() == OID;
        }

        private static boolean isSmallInteger(byte[] b, Tlv t, int min, int max) {
            return t.tag() == INTEGER && t.length() == 1 && (b[t.start()] & 0xFF) >= min && (b[t.start()] & 0xFF) <= max;
        }

        private static List<Tlv> children(byte[] b, Tlv parent) {
            List<Tlv> out = new ArrayList<>();
            int pos = parent.start();
            while (pos < parent.end()) {
                Tlv t = read(b, pos, parent.end());
                if (t == null) {
                    return null;
                }
                out.add(t);
                pos = t.end();
            }
            return out;
        }

        /** One definite-length TLV at {@code pos} that ends by {@code limit}, or null. */
        private static Tlv read(byte[] b, int pos, int limit) {
            if (pos + 2 > limit) {
                return null;
            }
            int tag = b[pos] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                return null; // high tag numbers: not in the structures above
            }
            int len = b[pos + 1] & 0xFF;
            int p = pos + 2;
            if (len >= 0x80) {
                int n = len & 0x7F;
                if (n == 0 || n > 3 || p + n > limit) {
                    return null;
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[p + i] & 0xFF);
                }
                p += n;
            }
            if (p + len > limit) {
                return null;
            }
            return new Tlv(tag, p, len);
        }
    }
}
