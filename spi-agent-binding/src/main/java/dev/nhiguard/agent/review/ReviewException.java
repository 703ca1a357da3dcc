package dev.nhiguard.agent.review;

/** A review request that cannot be done, with the kind of reason; REST maps the kind to a status. */
final class ReviewException extends RuntimeException {

    enum Kind { NOT_FOUND, FORBIDDEN, CONFLICT, INVALID, RATE_LIMITED }

    private final Kind kind;
    private final String error;

    ReviewException(Kind kind, String error, String message) {
        super(message);
        this.kind = kind;
        this.error = error;
    }

    Kind kind() {
        return kind;
    }

    String error() {
        return error;
    }

    static ReviewException notFound(String message) {
        return new ReviewException(Kind.NOT_FOUND, "not_found", message);
    }

    static ReviewException forbidden(String message) {
        return new ReviewException(Kind.FORBIDDEN, "not_reviewer", message);
    }

    static ReviewException conflict(String error, String message) {
        return new ReviewException(Kind.CONFLICT, error, message);
    }

    static ReviewException invalid(String message) {
        return new ReviewException(Kind.INVALID, "invalid_request", message);
    }
}
