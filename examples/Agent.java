import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An agent with its own identity in plain Java (JDK 17, no libraries): {@code java Agent.java}.
 * The same steps as examples/agent.sh and spi-agent-binding/README.md, "Onboarding an agent, step
 * by step": a P-256 key pair; registration through the admin REST API (with the mutation guard:
 * the change request approved by APPROVER_USER and applied); a token with a signed client
 * assertion (RFC 7523), with a DPoP proof (RFC 9449) if DPOP=true; a user's token exchanged
 * (RFC 8693) if USER_NAME is set. Environment variables as in agent.sh. Prints REGISTERED,
 * TOKEN and EXCHANGED lines.
 */
public final class Agent {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    final String kc = env("KC_URL", null);
    final String realm = env("REALM", null);
    final String name = env("AGENT_NAME", "example-bot-" + HexFormat.of().formatHex(random(4)));
    final boolean dpop = Boolean.parseBoolean(env("DPOP", "false"));
    final KeyPair key;
    final Map<String, Object> jwk = new LinkedHashMap<>();
    String tokenEndpoint;

    Agent() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        key = g.generateKeyPair();
        ECPublicKey pub = (ECPublicKey) key.getPublic();
        jwk.put("kty", "EC");
        jwk.put("crv", "P-256");
        jwk.put("x", B64.encodeToString(fixed(pub.getW().getAffineX())));
        jwk.put("y", B64.encodeToString(fixed(pub.getW().getAffineY())));
        tokenEndpoint = kc + "/realms/" + realm + "/protocol/openid-connect/token";
    }

    public static void main(String[] args) throws Exception {
        new Agent().run();
    }

    void run() throws Exception {
        String admin = passwordToken(env("ADMIN_USER", null), env("ADMIN_PASSWORD", null));
        String agents = kc + "/admin/realms/" + realm + "/agents";

        // 2. registration
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("owner", Map.of("type", "user", "username", env("OWNER", env("ADMIN_USER", null))));
        body.put("purpose", "example agent (examples/Agent.java)");
        body.put("expiresAt", Instant.now().plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString());
        body.put("keyBinding", Map.of("type", "jwk", "jwk", jwk));
        body.put("tokenExchange", true);
        body.put("dpop", dpop);
        HttpResponse<String> registered = send("POST", agents, admin, "application/json", Json.write(body), null);
        if (registered.statusCode() == 202) {
            approveAndApply(Json.obj(registered.body()).get("id").toString(), admin);
        } else if (registered.statusCode() != 201) {
            throw new IllegalStateException("registration answered " + registered.statusCode() + ": " + registered.body());
        }

        // 3. what the agent must send
        Map<String, Object> agent = first(get(agents + "?name=" + name, admin).get("items"));
        System.out.println("REGISTERED " + agent.get("id"));
        Map<String, Object> usage = map(agent.get("usage"));
        tokenEndpoint = (String) usage.get("tokenEndpoint");

        // 4. a token
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", name);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", clientAssertion(usage));
        Map<String, Object> token = tokenRequest(form);
        System.out.println("TOKEN " + token.get("token_type") + " " + map(claims((String) token.get("access_token")).get("agent")).get("name"));

        // 5. act for a user
        String user = env("USER_NAME", "");
        if (!user.isEmpty()) {
            form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
            form.put("client_assertion", clientAssertion(usage));
            form.put("subject_token", passwordToken(user, env("USER_PASSWORD", null)));
            form.put("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
            Map<String, Object> claims = claims((String) tokenRequest(form).get("access_token"));
            System.out.println("EXCHANGED sub=" + claims.get("sub") + " act=" + map(claims.get("act")).get("sub"));
        }
    }

    void approveAndApply(String cr, String admin) throws Exception {
        String approver = passwordToken(env("APPROVER_USER", null), env("APPROVER_PASSWORD", null));
        String base = kc + "/admin/realms/" + realm + "/mutation-guard/change-requests/" + cr;
        String digest = (String) get(base, approver).get("digest");
        HttpResponse<String> approved = send("POST", base + "/approve", approver, "application/json", Json.write(Map.of("digest", digest)), null);
        if (approved.statusCode() != 200) {
            throw new IllegalStateException("approval of " + cr + " answered " + approved.statusCode() + ": " + approved.body());
        }
        HttpResponse<String> applied = send("POST", base + "/apply", admin, null, null, null);
        if (applied.statusCode() != 200 || !"APPLIED".equals(Json.obj(applied.body()).get("state"))) {
            throw new IllegalStateException("apply of " + cr + " answered " + applied.statusCode() + ": " + applied.body());
        }
    }

    /** RFC 7523 client assertion, from the agent's usage: header alg and kid, aud = the issuer. */
    String clientAssertion(Map<String, Object> usage) throws Exception {
        Map<String, Object> spec = map(usage.get("clientAssertion"));
        Map<String, Object> header = map(spec.get("header"));
        long now = Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", name);
        claims.put("sub", name);
        claims.put("aud", map(spec.get("claims")).get("aud"));
        claims.put("jti", HexFormat.of().formatHex(random(16)));
        claims.put("iat", now);
        claims.put("exp", now + 60);
        return sign(Map.of("alg", header.get("alg"), "typ", "JWT", "kid", header.get("kid")), claims);
    }

    /** RFC 9449 proof for POST to the token endpoint; the agent's key is the proof key. */
    String dpopProof() throws Exception {
        return sign(Map.of("typ", "dpop+jwt", "alg", "ES256", "jwk", jwk), Map.of("jti", HexFormat.of().formatHex(random(16)),
                "htm", "POST", "htu", tokenEndpoint, "iat", Instant.now().getEpochSecond()));
    }

    Map<String, Object> tokenRequest(Map<String, String> form) throws Exception {
        String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpResponse<String> r = send("POST", tokenEndpoint, null, "application/x-www-form-urlencoded", body, dpop ? dpopProof() : null);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("token request answered " + r.statusCode() + ": " + r.body());
        }
        return Json.obj(r.body());
    }

    String sign(Map<String, Object> header, Map<String, Object> claims) throws Exception {
        String input = B64.encodeToString(Json.write(header).getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(Json.write(claims).getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format"); // JWS wants r || s, not DER
        s.initSign(key.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(s.sign());
    }

    String passwordToken(String user, String password) throws Exception {
        String body = "grant_type=password&client_id=admin-cli&username=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8);
        HttpResponse<String> r = send("POST", kc + "/realms/" + realm + "/protocol/openid-connect/token", null,
                "application/x-www-form-urlencoded", body, null);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("password grant for " + user + " answered " + r.statusCode() + ": " + r.body());
        }
        return (String) Json.obj(r.body()).get("access_token");
    }

    Map<String, Object> get(String url, String bearer) throws Exception {
        HttpResponse<String> r = send("GET", url, bearer, null, null, null);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return Json.obj(r.body());
    }

    static HttpResponse<String> send(String method, String url, String bearer, String type, String body, String dpop) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (dpop != null) {
            b.header("DPoP", dpop);
        }
        if (bearer != null && !"GET".equals(method)) {
            b.header("Prefer", "respond-async"); // a held change answers 202 with the change request (409 without)
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Map<String, Object> claims(String jwt) {
        return Json.obj(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    static Map<String, Object> first(Object list) {
        List<?> l = (List<?>) list;
        if (l.isEmpty()) {
            throw new IllegalStateException("agent not found after registration");
        }
        return map(l.get(0));
    }

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            if (fallback == null) {
                throw new IllegalStateException("set " + name);
            }
            return fallback;
        }
        return v;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    static byte[] fixed(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int len = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - len, out, 32 - len, len);
        return out;
    }

    /** Just enough JSON for this example: objects, arrays, strings, numbers, booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Map<String, Object> obj(String text) {
            return map(new Json(text).value());
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    i++; // ':'
                    m.put(k, value());
                    ws();
                    if (s.charAt(i++) == '}') {
                        return m;
                    }
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i++) == ']') {
                        return l;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            int start = i;
            while (i < s.length() && ",}] \n\r\t".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String word = s.substring(start, i);
            return switch (word) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                case "null" -> null;
                default -> word.contains(".") || word.contains("e") ? (Object) Double.parseDouble(word) : (Object) Long.parseLong(word);
            };
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            i++; // opening quote
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        static String write(Object o) {
            if (o == null) {
                return "null";
            }
            if (o instanceof String str) {
                StringBuilder b = new StringBuilder("\"");
                for (char c : str.toCharArray()) {
                    if (c == '"' || c == '\\') {
                        b.append('\\').append(c);
                    } else if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
                return b.append('"').toString();
            }
            if (o instanceof Map<?, ?> m) {
                return m.entrySet().stream().map(e -> write(e.getKey().toString()) + ":" + write(e.getValue()))
                        .collect(Collectors.joining(",", "{", "}"));
            }
            if (o instanceof List<?> l) {
                return l.stream().map(Json::write).collect(Collectors.joining(",", "[", "]"));
            }
            return o.toString();
        }
    }
}
