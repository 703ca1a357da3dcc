package dev.nhiguard.guard.replay;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.PathSegment;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;

import org.keycloak.http.FormPartValue;
import org.keycloak.http.HttpRequest;

import dev.nhiguard.guard.changerequest.MultipartForm;

/**
 * The held request as Keycloak's admin resources see it during a replay: the stored method,
 * path and query, JSON content type (or the approved multipart form's type and parts), and no
 * Authorization header (the approver's token must not leak into the requester's replay).
 */
final class SyntheticRequest implements HttpRequest {

    private final String method;
    private final UriInfo uri;
    private final HttpHeaders headers;
    private final MultivaluedMap<String, FormPartValue> parts = new MultivaluedHashMap<>();

    /** With the parts of an approved {@code multipart/form-data} body ({@code form} null: a JSON request). */
    SyntheticRequest(String method, URI baseUri, String pathWithQuery, List<MultipartForm.Part> form) {
        this.method = method;
        this.uri = new Uri(baseUri, pathWithQuery);
        this.headers = new Headers(form == null ? MediaType.APPLICATION_JSON_TYPE : MediaType.MULTIPART_FORM_DATA_TYPE);
        if (form != null) {
            for (MultipartForm.Part part : form) {
                parts.add(part.name(), new Part(part));
            }
        }
    }

    /** A part as Keycloak's resources read it: its text (UTF-8) or its bytes. */
    private record Part(MultipartForm.Part part) implements FormPartValue {
        @Override public String asString() { return part.text(); }
        @Override public InputStream asInputStream() { return new ByteArrayInputStream(part.content()); }
    }

    @Override public String getHttpMethod() { return method; }
    @Override public MultivaluedMap<String, String> getDecodedFormParameters() { return new MultivaluedHashMap<>(); }
    @Override public MultivaluedMap<String, FormPartValue> getMultiPartFormParameters() { return parts; }
    @Override public HttpHeaders getHttpHeaders() { return headers; }
    @Override public X509Certificate[] getClientCertificateChain() { return null; }
    @Override public UriInfo getUri() { return uri; }
    @Override public boolean isProxyTrusted() { return true; }

    private static final class Headers implements HttpHeaders {
        private final MultivaluedMap<String, String> map = new MultivaluedHashMap<>();
        private final MediaType type;

        Headers(MediaType type) {
            this.type = type;
            map.putSingle(HttpHeaders.CONTENT_TYPE, type.toString());
            map.putSingle(HttpHeaders.ACCEPT, MediaType.APPLICATION_JSON);
        }

        @Override public List<String> getRequestHeader(String name) { return map.get(name); }
        @Override public String getHeaderString(String name) {
            List<String> v = map.get(name);
            return v == null ? null : String.join(",", v);
        }
        @Override public MultivaluedMap<String, String> getRequestHeaders() { return map; }
        @Override public List<MediaType> getAcceptableMediaTypes() { return List.of(MediaType.APPLICATION_JSON_TYPE); }
        @Override public List<Locale> getAcceptableLanguages() { return List.of(Locale.ENGLISH); }
        @Override public MediaType getMediaType() { return type; }
        @Override public Locale getLanguage() { return null; }
        @Override public Map<String, Cookie> getCookies() { return Collections.emptyMap(); }
        @Override public Date getDate() { return null; }
        @Override public int getLength() { return -1; }
    }

    private static final class Uri implements UriInfo {
        private final URI base;
        private final URI request;
        private final String path;
        private final MultivaluedMap<String, String> query = new MultivaluedHashMap<>();

        Uri(URI base, String pathWithQuery) {
            this.base = base;
            int q = pathWithQuery.indexOf('?');
            this.path = q < 0 ? pathWithQuery : pathWithQuery.substring(0, q);
            String rawQuery = q < 0 ? null : pathWithQuery.substring(q + 1);
            String b = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1) : base.toString();
            this.request = URI.create(b + pathWithQuery);
            if (rawQuery != null) {
                for (String pair : rawQuery.split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String k = eq < 0 ? pair : pair.substring(0, eq);
                    String v = eq < 0 ? "" : pair.substring(eq + 1);
                    query.add(decode(k), decode(v));
                }
            }
        }

        private static String decode(String s) {
            return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override public String getPath() { return path; }
        @Override public String getPath(boolean decode) { return path; }
        @Override public List<PathSegment> getPathSegments() { return getPathSegments(true); }
        @Override public List<PathSegment> getPathSegments(boolean decode) {
            List<PathSegment> out = new ArrayList<>();
            for (String s : path.split("/")) {
                if (s.isEmpty()) {
                    continue;
                }
                out.add(new PathSegment() {
                    @Override public String getPath() { return decode ? decode(s) : s; }
                    @Override public MultivaluedMap<String, String> getMatrixParameters() { return new MultivaluedHashMap<>(); }
                });
            }
            return out;
        }
        @Override public URI getRequestUri() { return request; }
        @Override public UriBuilder getRequestUriBuilder() { return UriBuilder.fromUri(request); }
        @Override public URI getAbsolutePath() { return URI.create(request.toString().split("\\?", 2)[0]); }
        @Override public UriBuilder getAbsolutePathBuilder() { return UriBuilder.fromUri(getAbsolutePath()); }
        @Override public URI getBaseUri() { return base; }
        @Override public UriBuilder getBaseUriBuilder() { return UriBuilder.fromUri(base); }
        @Override public MultivaluedMap<String, String> getPathParameters() { return new MultivaluedHashMap<>(); }
        @Override public MultivaluedMap<String, String> getPathParameters(boolean decode) { return new MultivaluedHashMap<>(); }
        @Override public MultivaluedMap<String, String> getQueryParameters() { return query; }
        @Override public MultivaluedMap<String, String> getQueryParameters(boolean decode) { return query; }
        @Override public List<String> getMatchedURIs() { return List.of(); }
        @Override public List<String> getMatchedURIs(boolean decode) { return List.of(); }
        @Override public List<Object> getMatchedResources() { return List.of(); }
        @Override public URI resolve(URI uri) { return base.resolve(uri); }
        @Override public URI relativize(URI uri) { return request.relativize(uri); }
    }
}
