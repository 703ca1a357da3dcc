package dev.nhiguard.guard.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * Keeps {@code openapi/mutation-guard.yaml} honest against {@link MutationGuardResource}: the
 * same set of method + path, the same path and query parameters, every {@code $ref} resolving,
 * and the answers every endpoint can give documented.
 */
class OpenApiDocumentTest {

    static final String PREFIX = "/admin/realms/{realm}/mutation-guard/";
    static final List<String> HTTP_METHODS = List.of("get", "put", "post", "delete", "patch");
    static final Map<Class<? extends Annotation>, String> JAXRS = Map.of(GET.class, "get", PUT.class, "put",
            POST.class, "post", DELETE.class, "delete", PATCH.class, "patch");

    static JsonNode doc;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = MutationGuardResource.class.getResourceAsStream(MutationGuardResource.OPENAPI_RESOURCE)) {
            assertNotNull(in, MutationGuardResource.OPENAPI_RESOURCE + " must be on the classpath");
            doc = new YAMLMapper().readTree(in);
        }
    }

    /** "post /admin/realms/{realm}/mutation-guard/change-requests/{id}/approve" → the resource method. */
    static Map<String, Method> resourceOperations() {
        Map<String, Method> out = new TreeMap<>();
        for (Method m : MutationGuardResource.class.getDeclaredMethods()) {
            Path path = m.getAnnotation(Path.class);
            for (var e : JAXRS.entrySet()) {
                if (m.isAnnotationPresent(e.getKey())) {
                    String p = PREFIX + (path == null ? "" : path.value().replaceFirst("^/", ""));
                    Method previous = out.put(e.getValue() + " " + p, m);
                    assertEquals(null, previous, "two resource methods for " + e.getValue() + " " + p);
                }
            }
        }
        return out;
    }

    static Map<String, JsonNode> documentedOperations() {
        Map<String, JsonNode> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext();) {
            var path = it.next();
            for (String method : HTTP_METHODS) {
                if (path.getValue().has(method)) {
                    out.put(method + " " + path.getKey(), path.getValue().get(method));
                }
            }
        }
        return out;
    }

    @Test
    void documentIsOpenApi3WithPaths() {
        assertTrue(doc.path("openapi").asText().startsWith("3.0."), doc.path("openapi").asText());
        assertFalse(doc.path("paths").isEmpty());
    }

    @Test
    void everyEndpointIsDocumentedAndEveryDocumentedEndpointExists() {
        Set<String> code = resourceOperations().keySet();
        Set<String> yaml = documentedOperations().keySet();
        Set<String> undocumented = new TreeSet<>(code);
        undocumented.removeAll(yaml);
        Set<String> nonexistent = new TreeSet<>(yaml);
        nonexistent.removeAll(code);
        assertTrue(undocumented.isEmpty(), "resource methods missing from the OpenAPI document: " + undocumented);
        assertTrue(nonexistent.isEmpty(), "documented operations the resource does not have: " + nonexistent);
        assertTrue(documentedOperations().keySet().stream().allMatch(k -> k.contains(PREFIX)));
    }

    @Test
    void pathAndQueryParametersMatchTheResource() {
        Pattern template = Pattern.compile("\\{([^}]+)}");
        Map<String, JsonNode> documented = documentedOperations();
        for (var e : resourceOperations().entrySet()) {
            String key = e.getKey();
            String path = key.substring(key.indexOf(' ') + 1);
            JsonNode op = documented.get(key);
            List<JsonNode> params = new ArrayList<>();
            doc.path("paths").path(path).path("parameters").forEach(p -> params.add(resolve(p)));
            op.path("parameters").forEach(p -> params.add(resolve(p)));

            Set<String> templateNames = new TreeSet<>();
            Matcher m = template.matcher(path);
            while (m.find()) {
                templateNames.add(m.group(1));
            }
            assertEquals(templateNames, names(params, "path"), key + ": path parameters");
            for (JsonNode p : params) {
                if ("path".equals(p.path("in").asText())) {
                    assertTrue(p.path("required").asBoolean(), key + ": path parameter " + p.path("name") + " must be required");
                }
            }

            Set<String> javaPath = new TreeSet<>(List.of("realm"));
            Set<String> javaQuery = new TreeSet<>();
            for (Parameter p : e.getValue().getParameters()) {
                if (p.isAnnotationPresent(PathParam.class)) {
                    javaPath.add(p.getAnnotation(PathParam.class).value());
                }
                if (p.isAnnotationPresent(QueryParam.class)) {
                    javaQuery.add(p.getAnnotation(QueryParam.class).value());
                }
            }
            assertEquals(javaPath, templateNames, key + ": path parameters of the resource method");
            assertEquals(javaQuery, names(params, "query"), key + ": query parameters");
        }
    }

    @Test
    void everyOperationDocumentsItsAnswersInKeycloaksErrorShape() {
        for (var e : documentedOperations().entrySet()) {
            JsonNode responses = e.getValue().path("responses");
            assertTrue(responses.fields().hasNext(), e.getKey() + " has no responses");
            assertTrue(responses.fieldNames().next().startsWith("2"), e.getKey() + ": first response must be the success");
            for (String status : List.of("401", "403")) {
                assertTrue(responses.has(status), e.getKey() + " lacks " + status);
            }
            if (e.getKey().contains("{id}")) {
                assertTrue(responses.has("404"), e.getKey() + " lacks 404");
            }
            boolean takesBody = e.getValue().has("requestBody");
            if (takesBody) {
                assertTrue(responses.has("400"), e.getKey() + " takes a body but lacks 400");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = responses.fields(); it.hasNext();) {
                var r = it.next();
                if (r.getKey().startsWith("4") || r.getKey().startsWith("5")) {
                    String schema = resolve(r.getValue()).path("content").path("application/json").path("schema").toString();
                    assertTrue(schema.contains("Error") || schema.contains("StepUpChallenge") || schema.contains("ApplyResult"),
                            e.getKey() + " " + r.getKey() + " must answer Keycloak's error JSON: " + schema);
                }
            }
        }
        JsonNode error = doc.path("components").path("schemas").path("Error");
        assertEquals(Set.of("error", "error_description"), fieldNames(error.path("properties")));
        JsonNode challenge = resolve(doc.path("components").path("responses").path("UnauthenticatedOrStepUp"));
        assertTrue(challenge.path("headers").has("WWW-Authenticate"), "the step-up challenge names its RFC 9470 header");
    }

    @Test
    void everyReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertFalse(refs.isEmpty());
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/"), "only local references: " + ref);
            assertFalse(doc.at(ref.substring(1)).isMissingNode(), "unresolved $ref " + ref);
        }
    }

    private static JsonNode resolve(JsonNode node) {
        JsonNode n = node;
        for (int i = 0; i < 10 && n.has("$ref"); i++) {
            n = doc.at(n.get("$ref").asText().substring(1));
        }
        return n;
    }

    private static Set<String> names(List<JsonNode> params, String in) {
        Set<String> out = new TreeSet<>();
        params.stream().filter(p -> in.equals(p.path("in").asText())).forEach(p -> out.add(p.path("name").asText()));
        return out;
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> out = new TreeSet<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static void collectRefs(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if ("$ref".equals(e.getKey())) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, out));
        }
    }
}
