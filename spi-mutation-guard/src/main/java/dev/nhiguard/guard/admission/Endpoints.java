package dev.nhiguard.guard.admission;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;

/**
 * Finds the JAX-RS resource method Keycloak routes an admin request to, with the JAX-RS
 * matching rules (JAX-RS 3.1 §3.7.2) applied to the decoded path segments of a
 * {@link RequestPath}: at each resource class the templates of sub-resource methods
 * ({@code T(/)?}) and locators ({@code T(/.*)?}) are matched against the remaining path and
 * ordered by literal characters, then template variables, then variables with a regular
 * expression, sub-resource methods before locators; a locator is followed through its declared
 * return type. A locator declared to return {@code Object} or an interface is resolved by the
 * caller's {@link LocatorHook} (Keycloak's realm-extension locator) or left opaque.
 */
public final class Endpoints {

    private Endpoints() {
    }

    /** What a {@link LocatorHook} answers when the locator returns no resource: Keycloak answers 404. */
    public static final Class<?> NO_RESOURCE = Void.class;

    /** Resolves a locator whose declared return type says nothing (returns {@code Object}). */
    @FunctionalInterface
    public interface LocatorHook {
        /** The class of the resource the locator returns, {@link #NO_RESOURCE}, or null when it cannot be known. */
        Class<?> resolve(Method locator, Map<String, String> pathParams);
    }

    /** What the path resolves to. */
    public sealed interface Resolution permits Resolved, Opaque, NotFound, MethodNotAllowed {
    }

    /** The resource method Keycloak runs, with the path parameters collected on the way. */
    public record Resolved(Method method, Map<String, String> pathParams) implements Resolution {
        /** {@code fully.qualified.Class#method}, the coverage table's key. */
        public String key() {
            return method.getDeclaringClass().getName() + "#" + method.getName();
        }

        /** The generic type of the request entity (the one parameter without JAX-RS annotations), or null. */
        public Type entityType() {
            for (Parameter p : method.getParameters()) {
                if (!hasJaxRsAnnotation(p)) {
                    return p.getParameterizedType();
                }
            }
            return null;
        }
    }

    /** A locator whose resource class cannot be known here; what lies below it is not classified. */
    public record Opaque(Method locator, Map<String, String> pathParams) implements Resolution {
        public String key() {
            return locator.getDeclaringClass().getName() + "#" + locator.getName();
        }
    }

    /** No resource matches: Keycloak answers 404. */
    public record NotFound() implements Resolution {
    }

    /** A resource matches but has no method for this HTTP method: Keycloak answers 405. */
    public record MethodNotAllowed() implements Resolution {
    }

    /**
     * Whether two reflective handles name the same resource method: same declaring class, name and
     * parameter types (JAX-RS may hand out a handle of its own for the method it matched).
     */
    public static boolean sameMethod(Method a, Method b) {
        return a.getName().equals(b.getName()) && a.getDeclaringClass().getName().equals(b.getDeclaringClass().getName())
                && java.util.Arrays.equals(a.getParameterTypes(), b.getParameterTypes());
    }

    private static final int MAX_DEPTH = 24;

    private static final ClassValue<List<Candidate>> CANDIDATES = new ClassValue<>() {
        @Override
        protected List<Candidate> computeValue(Class<?> type) {
            return candidatesOf(type);
        }
    };

    /** One routed method of a resource class: its template compiled for sub-resource methods and for locators. */
    public record Candidate(Method method, String template, Pattern resourcePattern, Pattern locatorPattern,
            List<String> names, int literals, int regexVars, String httpMethod, String literalPrefix) {
        public boolean isLocator() {
            return httpMethod == null;
        }

        /**
         * Whether the remaining path can match at all: both patterns begin with the template's
         * characters before its first variable, quoted, so a path that does not start with them
         * cannot match. Skips the regular expression for most candidates; decides nothing itself.
         */
        boolean mayMatch(String remaining) {
            return remaining.startsWith(literalPrefix);
        }

        /** The pattern a remaining path is matched with: {@code T(/)?} or, for a locator, {@code T(/.*)?}. */
        public Pattern pattern() {
            return isLocator() ? locatorPattern : resourcePattern;
        }
    }

    /** JAX-RS's order of matching templates: literal characters, variables, regex variables, methods before locators. */
    public static final Comparator<Candidate> ORDER = Comparator.comparingInt((Candidate c) -> -c.literals)
            .thenComparingInt(c -> -c.names.size()).thenComparingInt(c -> -c.regexVars)
            .thenComparingInt(c -> c.isLocator() ? 1 : 0);

    /** The routed methods of a resource class (computed once per class). */
    public static List<Candidate> candidates(Class<?> type) {
        return CANDIDATES.get(type);
    }

    /** The variables a match of the candidate bound, by name. */
    public static Map<String, String> values(Candidate c, Matcher m) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < c.names.size(); i++) {
            out.put(c.names.get(i), m.group(i + 1));
        }
        return out;
    }

    /**
     * Resolves {@code segments[from…]} below {@code root}.
     *
     * @param httpMethod upper-case HTTP method
     */
    public static Resolution resolve(Class<?> root, RequestPath path, int from, String httpMethod, LocatorHook hook) {
        return resolve(root, path, from, httpMethod, hook, m -> true);
    }

    /**
     * As {@link #resolve(Class, RequestPath, int, String, LocatorHook)}; where one template has
     * several methods for the HTTP method (JAX-RS then selects by {@code @Consumes}, as for
     * {@code import-config}'s JSON and multipart forms), the first that {@code consumes} accepts
     * is the one resolved, else any of them (Keycloak then answers 415 itself).
     */
    public static Resolution resolve(Class<?> root, RequestPath path, int from, String httpMethod, LocatorHook hook,
            java.util.function.Predicate<Method> consumes) {
        String remaining = path.join(from);
        Class<?> type = root;
        Map<String, String> params = new LinkedHashMap<>();
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            List<Match> matches = new ArrayList<>();
            for (Candidate c : CANDIDATES.get(type)) {
                if (!c.mayMatch(remaining)) {
                    continue;
                }
                Matcher m = c.pattern().matcher(remaining);
                if (m.matches()) {
                    matches.add(new Match(c, m));
                }
            }
            if (matches.isEmpty()) {
                return new NotFound();
            }
            matches.sort(Comparator.comparing(Match::c, ORDER));
            Match best = matches.get(0);
            if (!best.c.isLocator()) {
                Match chosen = null;
                for (Match x : matches) {
                    if (!x.c.isLocator() && x.c.template.equals(best.c.template) && x.c.httpMethod.equalsIgnoreCase(httpMethod)) {
                        if (consumes.test(x.c.method)) {
                            chosen = x;
                            break;
                        }
                        if (chosen == null) {
                            chosen = x;
                        }
                    }
                }
                if (chosen != null) {
                    params.putAll(values(chosen));
                    return new Resolved(chosen.c.method, params);
                }
                if (matches.stream().anyMatch(x -> !x.c.isLocator() && x.c.template.equals(best.c.template))) {
                    return new MethodNotAllowed();
                }
            }
            params.putAll(values(best));
            String tail = best.m.group(best.m.groupCount());
            remaining = tail == null || tail.equals("/") ? "" : tail;
            Class<?> next = best.c.method.getReturnType();
            if (next == Object.class || next.isInterface() || next == void.class) {
                Class<?> resolved = hook == null ? null : hook.resolve(best.c.method, Map.copyOf(params));
                if (resolved == null) {
                    return new Opaque(best.c.method, params);
                }
                if (resolved == NO_RESOURCE) {
                    return new NotFound();
                }
                next = resolved;
            }
            type = next;
        }
        return new NotFound();
    }

    private record Match(Candidate c, Matcher m) {
    }

    private static Map<String, String> values(Match x) {
        return values(x.c, x.m);
    }

    /** The public methods of a resource class that carry JAX-RS routing, with annotation inheritance. */
    static List<Candidate> candidatesOf(Class<?> type) {
        List<Candidate> out = new ArrayList<>();
        for (Method declared : type.getMethods()) {
            if (Modifier.isStatic(declared.getModifiers()) || declared.getDeclaringClass() == Object.class) {
                continue;
            }
            Method annotated = annotatedVersion(type, declared);
            if (annotated == null) {
                continue;
            }
            Path p = annotated.getAnnotation(Path.class);
            String http = httpMethodOf(annotated);
            out.add(candidate(declared, p == null ? "" : p.value(), http));
        }
        return List.copyOf(out);
    }

    /** The method itself when it carries JAX-RS annotations, else the overridden one that does (JAX-RS §3.6). */
    private static Method annotatedVersion(Class<?> type, Method m) {
        if (routing(m)) {
            return m;
        }
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            Method found = routingIn(c, m);
            if (found != null) {
                return found;
            }
            for (Class<?> i : c.getInterfaces()) {
                found = routingIn(i, m);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static Method routingIn(Class<?> c, Method m) {
        try {
            Method other = c.getDeclaredMethod(m.getName(), m.getParameterTypes());
            return routing(other) ? other : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static boolean routing(Method m) {
        return m.isAnnotationPresent(Path.class) || httpMethodOf(m) != null;
    }

    public static String httpMethodOf(Method method) {
        for (Annotation a : method.getAnnotations()) {
            HttpMethod hm = a.annotationType().getAnnotation(HttpMethod.class);
            if (hm != null) {
                return hm.value();
            }
        }
        return null;
    }

    private static Candidate candidate(Method method, String rawTemplate, String http) {
        String template = rawTemplate.isEmpty() || rawTemplate.startsWith("/") ? rawTemplate : "/" + rawTemplate;
        if (template.endsWith("/")) {
            template = template.substring(0, template.length() - 1);
        }
        List<String> names = new ArrayList<>();
        StringBuilder regex = new StringBuilder();
        int literals = 0;
        int regexVars = 0;
        int i = 0;
        while (i < template.length()) {
            char ch = template.charAt(i);
            if (ch == '{') {
                int depth = 1;
                int j = i + 1;
                while (j < template.length() && depth > 0) {
                    if (template.charAt(j) == '{') {
                        depth++;
                    } else if (template.charAt(j) == '}') {
                        depth--;
                    }
                    j++;
                }
                String var = template.substring(i + 1, j - 1);
                int colon = var.indexOf(':');
                names.add((colon < 0 ? var : var.substring(0, colon)).trim());
                if (colon >= 0) {
                    regexVars++;
                }
                regex.append('(').append(colon < 0 ? "[^/]+" : var.substring(colon + 1).trim()).append(')');
                i = j;
            } else {
                regex.append(Pattern.quote(String.valueOf(ch)));
                literals++;
                i++;
            }
        }
        // Inner groups of custom variable regexes must not shift the numbering: make them non-capturing.
        String body = nonCapturing(regex.toString(), names.size());
        return new Candidate(method, template, Pattern.compile(body + "(/)?"), Pattern.compile(body + "(/.*)?"),
                List.copyOf(names), literals, regexVars, http,
                template.indexOf('{') < 0 ? template : template.substring(0, template.indexOf('{')));
    }

    /** Rewrites capturing groups inside variable regexes as non-capturing, keeping one group per variable. */
    private static String nonCapturing(String regex, int variables) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (regex.startsWith("\\Q", i)) {
                quoted = true;
            } else if (quoted && regex.startsWith("\\E", i)) {
                quoted = false;
            }
            if (!quoted && c == '\\' && i + 1 < regex.length()) {
                out.append(c).append(regex.charAt(i + 1));
                i++;
                continue;
            }
            if (!quoted && c == '(') {
                boolean plainGroup = i + 1 >= regex.length() || regex.charAt(i + 1) != '?';
                out.append(c);
                if (depth > 0 && plainGroup) {
                    out.append("?:");
                }
                depth++;
                continue;
            }
            if (!quoted && c == ')') {
                depth--;
            }
            out.append(c);
        }
        return out.toString();
    }

    static boolean hasJaxRsAnnotation(Parameter p) {
        for (Annotation a : p.getAnnotations()) {
            String n = a.annotationType().getName();
            if (n.startsWith("jakarta.ws.rs.") || n.startsWith("org.jboss.resteasy.")) {
                return true;
            }
        }
        return false;
    }
}
