package dev.nhiguard.guard.catalogue;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One guarded operation of the catalogue: an HTTP method and a path template relative to
 * {@code /admin/realms/{realm}}, a predicate on the body and the target's current state, what
 * it changes, and whether it only takes privileges away.
 */
public final class Operation {

    /** Decides whether a request matching the template is this operation. */
    @FunctionalInterface
    public interface Predicate {
        boolean test(Map<String, String> pathVars, JsonNode body, Facts facts);
    }

    private static final Pattern VAR = Pattern.compile("\\{([a-zA-Z]+)}");

    private final String id;
    private final String method;
    private final String template;
    private final java.util.List<Route> routes;
    private final OperationKind kind;
    private final boolean privilegeReducing;
    private final TargetType targetType;
    private final String targetVar;
    private final String description;
    private final Predicate predicate;

    Operation(String id, String method, String template, OperationKind kind, boolean privilegeReducing,
            TargetType targetType, String targetVar, String description, Predicate predicate) {
        this.id = id;
        this.method = method;
        this.template = template;
        this.kind = kind;
        this.privilegeReducing = privilegeReducing;
        this.targetType = targetType;
        this.targetVar = targetVar;
        this.description = description;
        this.predicate = predicate;
        this.routes = java.util.List.of(Route.of(method, template));
    }

    private Operation(Operation base, java.util.List<Route> routes) {
        this.id = base.id;
        this.method = base.method;
        this.template = base.template;
        this.kind = base.kind;
        this.privilegeReducing = base.privilegeReducing;
        this.targetType = base.targetType;
        this.targetVar = base.targetVar;
        this.description = base.description;
        this.predicate = base.predicate;
        this.routes = java.util.List.copyOf(routes);
    }

    /** The same operation, also reached by this method and path template. */
    Operation alsoAt(String otherMethod, String otherTemplate) {
        java.util.List<Route> all = new java.util.ArrayList<>(routes);
        all.add(Route.of(otherMethod, otherTemplate));
        return new Operation(this, all);
    }

    /** Every method and template this operation is reached by; the first is {@link #method()} / {@link #template()}. */
    public java.util.List<String> routes() {
        return routes.stream().map(r -> r.method + " " + r.template).toList();
    }

    /** One method and path template, compiled. */
    private record Route(String method, String template, Pattern pattern, java.util.List<String> vars) {
        static Route of(String method, String template) {
            Matcher m = VAR.matcher(template);
            StringBuilder regex = new StringBuilder();
            java.util.List<String> names = new java.util.ArrayList<>();
            int last = 0;
            while (m.find()) {
                regex.append(Pattern.quote(template.substring(last, m.start())));
                regex.append("([^/]+)");
                names.add(m.group(1));
                last = m.end();
            }
            regex.append(Pattern.quote(template.substring(last)));
            return new Route(method, template, Pattern.compile(regex.toString()), java.util.List.copyOf(names));
        }
    }

    public String id() { return id; }
    public String method() { return method; }
    /** Path template relative to {@code /admin/realms/{realm}}, e.g. {@code /clients/{client}}. */
    public String template() { return template; }
    public OperationKind kind() { return kind; }
    public boolean privilegeReducing() { return privilegeReducing; }
    public TargetType targetType() { return targetType; }
    public String description() { return description; }

    /**
     * The path variables when method and relative path match the template, else null. The path
     * is the decoded one of {@code RequestPath} (segments decoded once, no encoded separators),
     * so the variables are used as they are.
     */
    Map<String, String> matchPath(String httpMethod, String relativePath) {
        for (Route r : routes) {
            if (!r.method.equalsIgnoreCase(httpMethod)) {
                continue;
            }
            Matcher m = r.pattern.matcher(relativePath);
            if (!m.matches()) {
                continue;
            }
            Map<String, String> out = new java.util.LinkedHashMap<>();
            for (int i = 0; i < r.vars.size(); i++) {
                out.put(r.vars.get(i), m.group(i + 1));
            }
            return out;
        }
        return null;
    }

    boolean applies(Map<String, String> pathVars, JsonNode body, Facts facts) {
        return predicate.test(pathVars, body, facts);
    }

    /** The target's id within its type (client id, user id), or null for realm-wide targets. */
    String targetId(Map<String, String> pathVars) {
        return targetVar == null ? null : pathVars.get(targetVar);
    }
}
