package dev.nhiguard.guard.catalogue;

/** The kind of object a guarded operation changes; decides how its before-image is taken. */
public enum TargetType {
    /** A client, by its internal id. */
    CLIENT,
    /** The realm's client collection (a client being created). */
    CLIENTS,
    /** A user, by id: representation, role mappings, groups, credential metadata, IdP links. */
    USER,
    /** The realm's security-relevant settings. */
    REALM,
    /** The realm's events configuration. */
    EVENTS_CONFIG,
    /** The realm's guard policy. */
    GUARD_POLICY,
    /** An agent of the agent registry (owned by another module; no before-image here). */
    AGENT,
    /** A realm-wide or nested object without a before-image: apply does not re-check it and rollback answers 422. */
    OTHER
}
