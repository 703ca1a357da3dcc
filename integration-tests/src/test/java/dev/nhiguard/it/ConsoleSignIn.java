package dev.nhiguard.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.nhiguard.testing.HttpAdmin;

/** The admin console's sign-in into an existing SSO session (an impersonation's cookies), as a browser runs it. */
public final class ConsoleSignIn {

    private static final Pattern SSO_COOKIE = Pattern.compile("(KEYCLOAK_IDENTITY|KEYCLOAK_SESSION)=([^;,\\s]+)");

    private ConsoleSignIn() {
    }

    /** The console's tokens (access, refresh, ID) of the session the {@code Set-Cookie} value names: code flow with PKCE. */
    public static JsonNode tokens(HttpAdmin http, URI base, String realm, String setCookie) throws Exception {
        return tokens(http, base, realm, setCookie, "openid");
    }

    /** As {@link #tokens(HttpAdmin, URI, String, String)}, asking for these scopes ({@code openid offline_access}). */
    public static JsonNode tokens(HttpAdmin http, URI base, String realm, String setCookie, String scope) throws Exception {
        List<String> cookies = new ArrayList<>();
        Matcher m = SSO_COOKIE.matcher(setCookie == null ? "" : setCookie);
        while (m.find()) {
            cookies.add(m.group(1) + "=" + m.group(2));
        }
        assertTrue(cookies.size() >= 1, "SSO cookies of the session: " + setCookie);
        String verifier = UUID.randomUUID() + "-" + UUID.randomUUID();
        String challenge = Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        String redirect = base.resolve("/admin/" + realm + "/console/").toString();
        HttpAdmin.Response auth = http.sendWithHeaders("GET", "/realms/" + realm + "/protocol/openid-connect/auth?client_id="
                + "security-admin-console&response_type=code&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8) + "&state=s&nonce=n&code_challenge_method=S256"
                + "&code_challenge=" + challenge + "&redirect_uri=" + URLEncoder.encode(redirect, StandardCharsets.UTF_8), null,
                "Cookie", String.join("; ", cookies));
        String location = auth.header("location");
        assertTrue(auth.status() == 302 && location != null && location.contains("code="), "a code for the session: "
                + auth.status() + " " + location);
        String code = URLDecoder.decode(location.replaceAll(".*[?&]code=([^&]+).*", "$1"), StandardCharsets.UTF_8);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("client_id", "security-admin-console");
        form.put("code", code);
        form.put("redirect_uri", redirect);
        form.put("code_verifier", verifier);
        return http.token(realm, form);
    }
}
