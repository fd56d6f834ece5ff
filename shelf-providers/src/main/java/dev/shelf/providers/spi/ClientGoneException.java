package dev.shelf.providers.spi;

/** The client disconnected: stop work and release the upstream call. */
public final class ClientGoneException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ClientGoneException(Throwable cause) {
    super("client disconnected", cause, false, false);
  }
}
