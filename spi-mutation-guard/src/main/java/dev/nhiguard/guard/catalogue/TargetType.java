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
    /**
     * The realm's own audit sinks (realm attribute {@code nhi.audit.sinks} the audit module writes,
     * read here without a compile-time dependency on it): destinations, formats, secrets sealed.
     */
    AUDIT_SINKS,
    /**
     * An agent of the agent registry, by its client's id: the agent as the agent API shows it, read
     * from the client attributes the agent module writes (no compile-time dependency on it).
     */
    AGENT,
    /**
     * A named definition, keyed {@code <kind>:<id>} from the request path (role, client scope, identity
     * provider, component, authentication flow, group, client policies, user profile, realm defaults);
     * where the path names none (a create), the request is held as {@link #OTHER}.
     */
    DEFINITION,
    /** A realm-wide or nested object without a before-image: apply does not re-check it and rollback answers 422. */
    OTHER
}
