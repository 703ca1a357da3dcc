package dev.nhiguard.guard.catalogue;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the catalogue's predicates may know about the target realm's current state. Implemented
 * over Keycloak's models at admission time, and by plain maps in unit tests.
 */
public interface Facts {

    /** Whether the client (internal id) exists and has a service account. */
    boolean isServiceAccountClient(String clientId);

    /** Whether the user (id) is the service-account user of a client. */
    boolean isServiceAccountUser(String userId);

    /** Whether the user is privileged: holds any realm-management role, or the approver role. */
    boolean isPrivilegedUser(String userId);

    /** The client's current representation, or null when it does not exist. */
    JsonNode currentClient(String clientId);

    /** The user's current representation, or null when it does not exist. */
    JsonNode currentUser(String userId);

    /** The realm's current representation (without secrets). */
    JsonNode currentRealm();

    /** Name of the approver realm role under the realm's policy. */
    String approverRole();
}
