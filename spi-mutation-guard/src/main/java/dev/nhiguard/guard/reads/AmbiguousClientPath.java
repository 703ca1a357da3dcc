package dev.nhiguard.guard.reads;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A lenient second reading of an admin path the strict reading ({@code RequestPath}) refused:
 * whether a router that strips matrix parameters, decodes percent-escapes (also of {@code /})
 * and ignores empty and dot segments could have reached Keycloak's {@code clients} resources
 * with it. Such a read cannot be classified exactly, so it is refused rather than guessed.
 */
final class AmbiguousClientPath {

    private AmbiguousClientPath() {
    }

    static boolean mayReachClients(String rawPath) {
        String decoded;
        try {
            decoded = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            decoded = rawPath;
        }
        for (String segment : decoded.replace('\\', '/').split("/")) {
            int semicolon = segment.indexOf(';');
            String name = semicolon < 0 ? segment : segment.substring(0, semicolon);
            if (name.trim().equalsIgnoreCase("clients")) {
                return true;
            }
        }
        return false;
    }
}
