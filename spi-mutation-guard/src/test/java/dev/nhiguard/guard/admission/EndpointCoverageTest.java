package dev.nhiguard.guard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.nhiguard.guard.catalogue.Catalogue;
import jakarta.ws.rs.HttpMethod;

/**
 * Coverage by enumeration: every JAX-RS write method of Keycloak's admin API and of our own admin
 * resources, read from the classes by reflection, has an entry in {@link CoverageTable}; no entry
 * names a method that does not exist; every operation an entry names is in the catalogue.
 *
 * <p>The walk starts at {@code RealmsAdminResource} ({@code /admin/realms}), which routes
 * {@code {realm}} to {@code RealmAdminResource}, and follows sub-resource locators by their declared
 * return type. A locator declared to return {@code Object} or an interface is <em>opaque</em>: the
 * classes do not say what it returns. Such locators are listed in {@link #EXPECTED_OPAQUE_LOCATORS};
 * a new one fails the build. {@code RealmAdminResource#extension} ({@code {extension}}) is opaque; the
 * resources it returns are the {@code AdminRealmResourceProvider}s of our modules and of the Keycloak
 * distribution, listed in {@link #EXTENSIONS} and walked as further roots. The distribution's
 * {@code org.keycloak} jars are unpacked by the build into {@code nhi.keycloak.dist.lib}: the walk
 * reads Keycloak's classes from them (the version we ship; several extension jars are not on Maven
 * Central), and the test checks that every {@code AdminRealmResourceProviderFactory} they register
 * is listed.
 */
class EndpointCoverageTest {

    private static final String KC = "org.keycloak.services.resources.admin.";

    /**
     * Conditional operations the lead adds to the catalogue with their real predicates. Accepted as
     * known until that merge; delete this constant then.
     */
    /**
     * Locators whose declared return type is {@code Object} or an interface. A write reached through
     * one whose class has no entry is held as unclassified-write.
     */
    static final Set<String> EXPECTED_OPAQUE_LOCATORS = Set.of(
            // {extension}: the AdminRealmResourceProviders, walked through EXTENSIONS below
            KC + "RealmAdminResource#extension",
            // policy/{type} and permission/{type}: a PolicyTypeService for a policy type, else a
            // PolicyResourceService for a policy id (typed create, update, delete of policies)
            "org.keycloak.authorization.admin.PolicyService#getResource",
            "org.keycloak.authorization.admin.PermissionService#getResource");

    /**
     * The admin resources behind {@code RealmAdminResource#extension}: provider id → the class its
     * {@code AdminRealmResourceProvider#getResource} returns.
     */
    static final Map<String, String> EXTENSIONS = Map.ofEntries(
            // our modules
            Map.entry("mutation-guard", "dev.nhiguard.guard.rest.MutationGuardResource"),
            Map.entry("agents", "dev.nhiguard.agent.registry.AgentsResource"),
            Map.entry("nhi", "dev.nhiguard.agent.inventory.NhiResource"),
            Map.entry("audit-chain", "dev.nhiguard.audit.rest.AuditChainResource"),
            // the Keycloak distribution
            Map.entry("user-storage", KC + "UserStorageProviderResource"),
            Map.entry("clear-user-cache", KC + "ClearUserCacheResource"),
            Map.entry("clear-realm-cache", KC + "ClearRealmCacheResource"),
            Map.entry("clear-keys-cache", KC + "ClearKeysCacheResource"),
            Map.entry("clear-crl-cache", KC + "ClearCrlCacheResource"),
            Map.entry("testLDAPConnection", KC + "TestLdapConnectionResource"),
            Map.entry("ldap-server-capabilities", KC + "LdapServerCapabilitiesResource"),
            Map.entry("ui-ext", "org.keycloak.admin.ui.rest.AdminExtResource"),
            Map.entry("ssf", "org.keycloak.ssf.services.admin.SsfAdminResource"));

    /** Every AdminRealmResourceProviderFactory registered by our modules and the distribution, and its provider id. */
    static final Map<String, String> EXTENSION_FACTORIES = Map.ofEntries(
            Map.entry("dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory", "mutation-guard"),
            Map.entry("dev.nhiguard.agent.registry.AgentsAdminResourceProviderFactory", "agents"),
            Map.entry("dev.nhiguard.agent.inventory.NhiAdminResourceProviderFactory", "nhi"),
            Map.entry("dev.nhiguard.audit.rest.AuditChainResourceProviderFactory", "audit-chain"),
            Map.entry(KC + "UserStorageProviderRealmAdminProvider", "user-storage"),
            Map.entry(KC + "ClearUserCacheRealmAdminProvider", "clear-user-cache"),
            Map.entry(KC + "ClearRealmCacheRealmAdminProvider", "clear-realm-cache"),
            Map.entry(KC + "ClearKeysCacheRealmAdminProvider", "clear-keys-cache"),
            Map.entry(KC + "ClearCrlCacheRealmAdminProvider", "clear-crl-cache"),
            Map.entry(KC + "TestLdapConnectionRealmAdminProvider", "testLDAPConnection"),
            Map.entry(KC + "LdapServerCapabilitiesRealmAdminProvider", "ldap-server-capabilities"),
            Map.entry("org.keycloak.admin.ui.rest.AdminExtProvider", "ui-ext"),
            Map.entry("org.keycloak.ssf.services.admin.SsfAdminRealmResourceProviderFactory", "ssf"));

    private static final String FACTORY_SERVICE =
            "META-INF/services/org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory";
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

    /** One write method reached by the walk. */
    record Endpoint(String key, String httpMethod, String path, Method method) {
    }

    private static ClassLoader loader;
    private static List<Path> distJars;
    private static final Map<String, List<Endpoint>> WRITES = new TreeMap<>();
    private static final Map<String, String> OPAQUE = new TreeMap<>();
    private static final Set<String> ALL_METHOD_KEYS = new TreeSet<>();
    private static final Set<String> WALKED_CLASSES = new TreeSet<>();

    @BeforeAll
    static void walk() throws Exception {
        String dir = System.getProperty("nhi.keycloak.dist.lib");
        assertTrue(dir != null && Files.isDirectory(Paths.get(dir)),
                "system property nhi.keycloak.dist.lib must name the unpacked distribution jars (run through Maven): " + dir);
        try (Stream<Path> s = Files.list(Paths.get(dir))) {
            distJars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        assertTrue(!distJars.isEmpty(), "no jars in " + dir);
        URL[] urls = distJars.stream().map(EndpointCoverageTest::url).toArray(URL[]::new);
        loader = new DistributionFirst(urls, EndpointCoverageTest.class.getClassLoader());

        walkFrom(load(KC + "RealmsAdminResource"), "/admin/realms", new HashSet<>());
        for (Map.Entry<String, String> e : new TreeMap<>(EXTENSIONS).entrySet()) {
            walkFrom(load(e.getValue()), "/admin/realms/{realm}/" + e.getKey(), new HashSet<>());
        }
    }

    /**
     * Loads {@code org.keycloak.*} classes from the distribution we ship ({@code keycloak.version})
     * before the SPI artifacts we compile against ({@code keycloak.spi.version}), so the walk reads
     * the admin API the server really has; everything else (JAX-RS, our modules) from the test class path.
     */
    private static final class DistributionFirst extends URLClassLoader {
        DistributionFirst(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("org.keycloak.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try {
                        c = findClass(name);
                    } catch (ClassNotFoundException notInDistribution) {
                        c = super.loadClass(name, false);
                    }
                }
                return c;
            }
        }
    }

    private static URL url(Path p) {
        try {
            return p.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw new AssertionError("class not on the test class path nor in the distribution jars: " + name, e);
        }
    }

    /** Walks a resource class; {@code seen} stops cycles on one path (a class may be reached on several). */
    private static void walkFrom(Class<?> type, String prefix, Set<Class<?>> seen) {
        if (!seen.add(type)) {
            return;
        }
        WALKED_CLASSES.add(type.getName());
        List<Method> methods = Arrays.stream(type.getMethods())
                .filter(m -> !m.isBridge() && !m.isSynthetic() && m.getDeclaringClass() != Object.class)
                .sorted((a, b) -> a.toGenericString().compareTo(b.toGenericString()))
                .toList();
        for (Method m : methods) {
            Method annotated = jaxRsAnnotated(type, m);
            if (annotated == null) {
                continue;
            }
            String key = type.getName() + "#" + m.getName();
            String http = httpMethod(annotated);
            jakarta.ws.rs.Path p = annotated.getAnnotation(jakarta.ws.rs.Path.class);
            String path = p == null ? prefix : join(prefix, p.value());
            if (http != null) {
                ALL_METHOD_KEYS.add(key);
                if (!READS.contains(http)) {
                    WRITES.computeIfAbsent(key, k -> new ArrayList<>()).add(new Endpoint(key, http, path, m));
                }
            } else if (p != null) {
                ALL_METHOD_KEYS.add(key);
                Class<?> next = m.getReturnType();
                if (next == Object.class || next.isInterface()) {
                    OPAQUE.putIfAbsent(key, path + " -> " + next.getName());
                } else {
                    walkFrom(next, path, seen);
                }
            }
        }
        seen.remove(type);
    }

    private static String join(String prefix, String path) {
        String a = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        String b = path.startsWith("/") ? path : "/" + path;
        return b.equals("/") ? a : a + b;
    }

    /**
     * The method carrying the JAX-RS annotations of {@code m} in {@code type}: {@code m} itself when it
     * has any, else the same method of a superclass, else of an implemented interface (JAX-RS 3.1
     * section 3.6, annotation inheritance), else null.
     */
    static Method jaxRsAnnotated(Class<?> type, Method m) {
        if (hasJaxRs(m)) {
            return m;
        }
        for (Class<?> c = type.getSuperclass(); c != null && c != Object.class; c = c.getSuperclass()) {
            Method found = declared(c, m);
            if (found != null && hasJaxRs(found)) {
                return found;
            }
        }
        Deque<Class<?>> ifaces = new ArrayDeque<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            ifaces.addAll(Arrays.asList(c.getInterfaces()));
        }
        while (!ifaces.isEmpty()) {
            Class<?> i = ifaces.poll();
            Method found = declared(i, m);
            if (found != null && hasJaxRs(found)) {
                return found;
            }
            ifaces.addAll(Arrays.asList(i.getInterfaces()));
        }
        return null;
    }

    private static Method declared(Class<?> c, Method m) {
        try {
            return c.getDeclaredMethod(m.getName(), m.getParameterTypes());
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static boolean hasJaxRs(Method m) {
        if (Arrays.stream(m.getAnnotations()).anyMatch(EndpointCoverageTest::isJaxRs)) {
            return true;
        }
        return Arrays.stream(m.getParameterAnnotations()).flatMap(Arrays::stream).anyMatch(EndpointCoverageTest::isJaxRs);
    }

    private static boolean isJaxRs(Annotation a) {
        return a.annotationType().getName().startsWith("jakarta.ws.rs.")
                || a.annotationType().isAnnotationPresent(HttpMethod.class);
    }

    /** The HTTP method of any annotation meta-annotated with {@code @HttpMethod}, or null (a locator). */
    static String httpMethod(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod h = a.annotationType().getAnnotation(HttpMethod.class);
            if (h != null) {
                return h.value();
            }
        }
        return null;
    }

    @Test
    void everyReachableWriteMethodIsClassified() {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<Endpoint>> e : WRITES.entrySet()) {
            String[] parts = e.getKey().split("#", 2);
            if (CoverageTable.of(parts[0], parts[1]).isEmpty()) {
                missing.add(e.getKey() + "  " + e.getValue().stream().map(x -> x.httpMethod() + " " + x.path())
                        .distinct().collect(Collectors.joining(", ")));
            }
        }
        printSummary();
        if (!missing.isEmpty()) {
            fail(missing.size() + " write method(s) without a CoverageTable entry (they would be held as unclassified-write):\n  "
                    + String.join("\n  ", missing));
        }
    }

    @Test
    void noEntryIsStale() {
        List<String> stale = new ArrayList<>();
        for (String key : CoverageTable.entries().keySet()) {
            String[] parts = key.split("#", 2);
            if (parts[1].equals("*")) {
                boolean anyWrite = WRITES.keySet().stream().anyMatch(k -> k.startsWith(parts[0] + "#"));
                if (!anyWrite) {
                    stale.add(key + " (no reachable write method in that class)");
                }
            } else if (!WRITES.containsKey(key)) {
                stale.add(key + (ALL_METHOD_KEYS.contains(key) ? " (a read or a locator, not a write)" : " (no such reachable method)"));
            }
        }
        if (!stale.isEmpty()) {
            fail(stale.size() + " stale CoverageTable entr(y/ies):\n  " + String.join("\n  ", stale));
        }
    }

    @Test
    void everyOperationIsInTheCatalogue() {
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, Coverage> e : CoverageTable.entries().entrySet()) {
            for (String id : operations(e.getValue())) {
                if (Catalogue.get().byId(id).isEmpty()) {
                    unknown.add(e.getKey() + " -> " + id);
                }
            }
        }
        assertTrue(Catalogue.get().byId("unclassified-write").isPresent(), "the catalogue lacks unclassified-write");
        if (!unknown.isEmpty()) {
            fail("operation ids the catalogue does not know:\n  " + String.join("\n  ", unknown));
        }
    }

    @Test
    void everyReasonIsOneLine() {
        for (Map.Entry<String, Coverage> e : CoverageTable.entries().entrySet()) {
            String reason = reason(e.getValue());
            assertTrue(reason != null && !reason.isBlank() && !reason.contains("\n"), e.getKey());
        }
    }

    @Test
    void opaqueLocatorsAreExactlyTheExpectedOnes() {
        System.out.println("Opaque locators (declared return type Object or an interface):");
        OPAQUE.forEach((k, v) -> System.out.println("  " + k + "  " + v));
        assertEquals(new TreeSet<>(EXPECTED_OPAQUE_LOCATORS), new TreeSet<>(OPAQUE.keySet()),
                "opaque locators changed: classify what they return, then update EXPECTED_OPAQUE_LOCATORS");
    }

    @Test
    void everyAdminExtensionOfTheDistributionAndOurModulesIsWalked() throws IOException {
        Set<String> registered = new TreeSet<>();
        for (Path jar : distJars) {
            registered.addAll(services(jar));
        }
        for (String module : List.of("dev.nhiguard.guard.rest.MutationGuardResourceProviderFactory",
                "dev.nhiguard.agent.registry.AgentsAdminResourceProviderFactory",
                "dev.nhiguard.agent.inventory.NhiAdminResourceProviderFactory",
                "dev.nhiguard.audit.rest.AuditChainResourceProviderFactory")) {
            load(module); // on the test class path
        }
        var onClassPath = loader.getResources(FACTORY_SERVICE);
        while (onClassPath.hasMoreElements()) {
            try (InputStream in = onClassPath.nextElement().openStream()) {
                registered.addAll(serviceLines(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
        assertEquals(new TreeSet<>(EXTENSION_FACTORIES.keySet()), registered,
                "AdminRealmResourceProviderFactory registrations changed: add the new extension's resource to EXTENSIONS");
        assertEquals(new TreeSet<>(EXTENSIONS.keySet()), new TreeSet<>(EXTENSION_FACTORIES.values()));
    }

    static List<String> operations(Coverage c) {
        if (c instanceof Coverage.Catalogue cat) {
            return cat.operations();
        }
        return c instanceof Coverage.Guarded g ? List.of(g.operation()) : List.of();
    }

    static String reason(Coverage c) {
        if (c instanceof Coverage.Catalogue cat) {
            return cat.reason();
        }
        return c instanceof Coverage.Guarded g ? g.reason() : ((Coverage.Unguarded) c).reason();
    }

    private static Set<String> services(Path jar) {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            ZipEntry e = z.getEntry(FACTORY_SERVICE);
            if (e == null) {
                return Set.of();
            }
            try (InputStream in = z.getInputStream(e)) {
                return serviceLines(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static Set<String> serviceLines(String text) {
        return text.lines().map(l -> l.replaceAll("#.*", "").trim()).filter(l -> !l.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static void printSummary() {
        int guarded = 0;
        int catalogue = 0;
        int unguarded = 0;
        int reducing = 0;
        int missing = 0;
        for (String key : WRITES.keySet()) {
            String[] parts = key.split("#", 2);
            var c = CoverageTable.of(parts[0], parts[1]);
            if (c.isEmpty()) {
                missing++;
            } else if (c.get() instanceof Coverage.Guarded) {
                guarded++;
            } else if (c.get() instanceof Coverage.Catalogue) {
                catalogue++;
            } else if (c.get() instanceof Coverage.Unguarded u) {
                unguarded++;
                if (u.privilegeReducing()) {
                    reducing++;
                }
            }
        }
        System.out.printf("Admin API write coverage: %d write methods in %d resource classes walked; guarded %d, catalogue %d,"
                + " unguarded %d (of which privilege-reducing %d), unclassified %d; opaque locators %d%n",
                WRITES.size(), WALKED_CLASSES.size(), guarded, catalogue, unguarded, reducing, missing, OPAQUE.size());
        WRITES.values().stream().flatMap(List::stream)
                .filter(x -> !x.key().startsWith(x.method().getDeclaringClass().getName() + "#"))
                .map(x -> x.key() + " (declared in " + x.method().getDeclaringClass().getName() + ")").distinct()
                .forEach(x -> System.out.println("  keyed by the class reached, not the declaring class: " + x));
        if (Boolean.getBoolean("nhi.coverage.list")) {
            WRITES.forEach((k, v) -> System.out.println("  " + k + "  " + v.stream()
                    .map(x -> x.httpMethod() + " " + x.path()).distinct().collect(Collectors.joining(", "))));
        }
    }

    /** The writes that take no realm write lock are unguarded entries of the table: they store nothing guarded. */
    @org.junit.jupiter.api.Test
    void writesTakingNoRealmLockAreUnguardedEntries() {
        for (String key : CoverageTable.storesNothing()) {
            org.junit.jupiter.api.Assertions.assertTrue(CoverageTable.entries().get(key) instanceof Coverage.Unguarded,
                    key + " must be an unguarded entry: " + CoverageTable.entries().get(key));
        }
    }
}
