package dev.shelf.gateway;

import dev.shelf.providers.spi.ProviderException;

/**
 * The upstream failed after the client had received part of the answer: the server ends the stream
 * with an error event. Nothing is retried, so nothing is duplicated.
 */
public final class StreamBrokenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ProviderException provider;

  public StreamBrokenException(ProviderException cause) {
    super(cause.getMessage(), cause, false, false);
    this.provider = cause;
  }

  public ProviderException provider() {
    return provider;
  }
}
