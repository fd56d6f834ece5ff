package dev.shelf.providers.spi;

import org.jspecify.annotations.Nullable;

/**
 * An upstream failure, sorted by what the caller should do about it ({@link Kind}). Messages are
 * safe to show a client: adapters never put credentials or raw upstream bodies into them.
 */
public final class ProviderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, which decides retry, fallback and the status the client sees. */
  public enum Kind {
    /** Could not connect, or the connection was reset before an answer. Retry. */
    CONNECT(true, 502),
    /** No first token, or no end, within the deadline. Retry. */
    TIMEOUT(true, 504),
    /** The upstream said 429. Retry elsewhere; cool this deployment down. */
    RATE_LIMITED(true, 429),
    /** The upstream said 5xx or overloaded. Retry. */
    UNAVAILABLE(true, 502),
    /** The stream broke or was malformed after it began. Retry if nothing reached the client. */
    BROKEN_STREAM(true, 502),
    /** The prompt does not fit the model's context window. Fall back to a larger model. */
    CONTEXT_LENGTH(false, 400),
    /** The upstream rejected the request as invalid. Tell the client. */
    BAD_REQUEST(false, 400),
    /** The upstream refused our credentials: a configuration error. */
    AUTH(false, 502),
    /** The upstream does not know the model or endpoint: a configuration error. */
    NOT_FOUND(false, 502),
    /** The upstream's own content filter refused. */
    CONTENT_FILTER(false, 400),
    /** We cancelled the call (client gone, shutdown). */
    CANCELLED(false, 499);

    private final boolean retryable;
    private final int status;

    Kind(boolean retryable, int status) {
      this.retryable = retryable;
      this.status = status;
    }

    public boolean retryable() {
      return retryable;
    }

    /** The HTTP status the client sees when this is the final failure. */
    public int status() {
      return status;
    }
  }

  private final Kind kind;
  private final @Nullable String code;
  private final @Nullable String param;
  private final int upstreamStatus;
  private final @Nullable Long retryAfterMillis;

  public ProviderException(
      Kind kind,
      String message,
      @Nullable String code,
      @Nullable String param,
      int upstreamStatus,
      @Nullable Long retryAfterMillis,
      @Nullable Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
    this.code = code;
    this.param = param;
    this.upstreamStatus = upstreamStatus;
    this.retryAfterMillis = retryAfterMillis;
  }

  public ProviderException(Kind kind, String message) {
    this(kind, message, null, null, 0, null, null);
  }

  public ProviderException(Kind kind, String message, Throwable cause) {
    this(kind, message, null, null, 0, null, cause);
  }

  public Kind kind() {
    return kind;
  }

  public @Nullable String code() {
    return code;
  }

  public @Nullable String param() {
    return param;
  }

  /** The upstream's HTTP status, or 0 when there was none. */
  public int upstreamStatus() {
    return upstreamStatus;
  }

  public @Nullable Long retryAfterMillis() {
    return retryAfterMillis;
  }

  public boolean retryable() {
    return kind.retryable();
  }
}
