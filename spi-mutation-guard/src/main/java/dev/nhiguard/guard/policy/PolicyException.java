package dev.nhiguard.guard.policy;

/** A guard policy that cannot be used; the message says what is wrong, for a 400 answer. */
public final class PolicyException extends Exception {

    public PolicyException(String message) {
        super(message);
    }

    public PolicyException(String message, Throwable cause) {
        super(message, cause);
    }
}
