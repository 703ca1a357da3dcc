package dev.nhiguard.testing;

import java.net.URI;
import java.util.List;

import org.keycloak.admin.client.Keycloak;

/**
 * A running Keycloak with the NHI Guard providers, however it was started (a child process
 * of the test run, or a container built from {@code docker/}). Shared checks take this type,
 * so both harness modes run the same assertions.
 */
public interface KeycloakTarget {

    /** Base URL of the HTTP listener, e.g. {@code http://127.0.0.1:43121}. */
    URI baseUri();

    /** Base URL of the management listener (health, metrics), e.g. {@code http://127.0.0.1:43122}. */
    URI managementUri();

    /** Admin client logged in as the bootstrap admin of the master realm. */
    Keycloak adminClient();

    /** Plain HTTP access, for assertions on raw status codes, headers and bodies. */
    default HttpAdmin http() {
        return new HttpAdmin(baseUri());
    }

    String bootstrapAdminUsername();

    String bootstrapAdminPassword();

    /** Lines the server has logged so far. */
    List<String> logLines();
}
