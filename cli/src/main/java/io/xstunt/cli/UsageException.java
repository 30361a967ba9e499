package io.xstunt.cli;

/** Bad command-line arguments: the CLI prints the message and its usage, and exits with 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the arguments */
    public UsageException(String message) {
        super(message);
    }
}
