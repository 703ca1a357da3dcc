package dev.nhiguard.audit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of this provider JAR, as Maven stamped it at build time. */
public final class ModuleVersion {

    private ModuleVersion() {
    }

    public static String get() {
        try (InputStream in = ModuleVersion.class.getResourceAsStream("module.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
