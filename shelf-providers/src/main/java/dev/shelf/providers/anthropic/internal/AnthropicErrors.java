package dev.shelf.providers.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.providers.http.Headers;
import dev.shelf.providers.http.RetryAfter;
import dev.shelf.providers.http.Secrets;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic's errors to {@link ProviderException}s, in one place, for both an HTTP error answer and
 * an {@code error} event inside a 200 stream. Anthropic's body is {@code
 * {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":...}};
 * the error type decides the kind, the status where the type is missing or unknown:
 *
 * <pre>
 * overloaded_error, 529            UNAVAILABLE (retryable)
 * rate_limit_error, 429            RATE_LIMITED (retryable, with Retry-After)
 * api_error, other 5xx             UNAVAILABLE (retryable)
 * timeout_error, 504, 408          TIMEOUT (retryable)
 * authentication_error, 401        AUTH
 * permission_error, 403            AUTH
 * billing_error, 402               AUTH
 * not_found_error, 404             NOT_FOUND
 * invalid_request_error, 400, 413  BAD_REQUEST, or CONTEXT_LENGTH for "prompt is too long"
 * </pre>
 *
 * Anthropic's own words reach the client only for invalid requests, redacted and cut short; for
 * everything else the message is ours, so no upstream detail (or secret) leaks.
 */
public final class AnthropicErrors {
  private static final Pattern CONTEXT =
      Pattern.compile(
          "(?i)(prompt is too long|context window|context length|input length and `max_tokens`"
              + " exceed)");

  private AnthropicErrors() {}

  /**
   * A non-2xx answer; an {@link dev.shelf.providers.http.UpstreamHttp.ErrorMapper}. Only {@code
   * retry-after} is read (Anthropic sends no {@code retry-after-ms}).
   */
  public static ProviderException fromStatus(
      String provider, int status, Headers headers, byte[] body) {
    JsonNode error = errorNode(body);
    String type = error == null ? null : text(error.get("type"));
    String message = error == null ? null : text(error.get("message"));
    return map(provider, status, type, message, RetryAfter.parse(headers.get("retry-after")));
  }

  /** An {@code error} event after the stream began (HTTP status 200). */
  public static ProviderException inStream(String provider, JsonNode error) {
    return map(provider, 0, text(error.get("type")), text(error.get("message")), null);
  }

  static ProviderException map(
      String provider,
      int status,
      @Nullable String type,
      @Nullable String message,
      @Nullable Long retryAfter) {
    String what = describe(status, type);
    Kind kind = refine(kind(status, type), message);
    return switch (kind) {
      case RATE_LIMITED ->
          new ProviderException(
              kind,
              provider + " is rate limiting requests (" + what + ")",
              "rate_limit_exceeded",
              null,
              status,
              retryAfter,
              null);
      case AUTH ->
          new ProviderException(
              kind,
              provider + " refused Shelf's credentials (" + what + ")",
              null,
              null,
              status,
              null,
              null);
      case NOT_FOUND ->
          new ProviderException(
              kind,
              provider + " does not know this model or endpoint (" + what + ")",
              null,
              null,
              status,
              null,
              null);
      case UNAVAILABLE, TIMEOUT ->
          new ProviderException(
              kind,
              ("overloaded_error".equals(type) || status == 529
                      ? provider + " is overloaded ("
                      : provider + " failed (")
                  + what
                  + ")",
              null,
              null,
              status,
              retryAfter,
              null);
      case CONTEXT_LENGTH ->
          new ProviderException(
              kind,
              message == null
                  ? "The prompt is longer than the model's context window."
                  : Secrets.redact(message),
              "context_length_exceeded",
              "messages",
              status,
              null,
              null);
      default ->
          new ProviderException(
              Kind.BAD_REQUEST,
              message != null
                  ? Secrets.redact(message)
                  : provider + " rejected the request (" + what + ")",
              "request_too_large".equals(type) ? "request_too_large" : null,
              null,
              status,
              null,
              null);
    };
  }

  private static Kind kind(int status, @Nullable String type) {
    if (type != null) {
      switch (type) {
        case "overloaded_error", "api_error" -> {
          return Kind.UNAVAILABLE;
        }
        case "rate_limit_error" -> {
          return Kind.RATE_LIMITED;
        }
        case "timeout_error" -> {
          return Kind.TIMEOUT;
        }
        case "authentication_error", "permission_error", "billing_error" -> {
          return Kind.AUTH;
        }
        case "not_found_error" -> {
          return Kind.NOT_FOUND;
        }
        case "invalid_request_error", "request_too_large" -> {
          return Kind.BAD_REQUEST; // CONTEXT_LENGTH is decided by the message, in map()
        }
        default -> {
          // an error type added later: the status decides
        }
      }
    }
    if (status == 429) {
      return Kind.RATE_LIMITED;
    }
    if (status == 401 || status == 402 || status == 403) {
      return Kind.AUTH;
    }
    if (status == 404) {
      return Kind.NOT_FOUND;
    }
    if (status == 408 || status == 504) {
      return Kind.TIMEOUT;
    }
    if (status >= 500 || status == 0) {
      return Kind.UNAVAILABLE; // includes 529; an unknown error event mid-stream too
    }
    return Kind.BAD_REQUEST;
  }

  private static Kind refine(Kind kind, @Nullable String message) {
    return kind == Kind.BAD_REQUEST && message != null && CONTEXT.matcher(message).find()
        ? Kind.CONTEXT_LENGTH
        : kind;
  }

  /** "529 overloaded_error", "429", "overloaded_error" (mid-stream). */
  private static String describe(int status, @Nullable String type) {
    if (status == 0) {
      return type == null ? "error event" : type;
    }
    return type == null ? String.valueOf(status) : status + " " + type;
  }

  static @Nullable JsonNode errorNode(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      JsonNode e = Json.MAPPER.readTree(body).get("error");
      return e != null && e.isObject() ? e : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null; // an HTML error page from a proxy: the status decides
    }
  }

  private static @Nullable String text(@Nullable JsonNode n) {
    return n == null || !n.isTextual() || n.textValue().isEmpty() ? null : n.textValue();
  }
}
