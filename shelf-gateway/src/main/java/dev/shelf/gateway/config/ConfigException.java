package dev.shelf.gateway.config;

/**
 * A configuration error, with the place it was found: {@code shelf.yaml:12: models[0].price.input:
 * must be a number but was 'cheap'}.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
