package dev.shelf.providers.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.providers.http.Headers;
import dev.shelf.providers.http.RetryAfter;
import dev.shelf.providers.http.Secrets;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Gemini's errors to {@link ProviderException}s, in one place, for an HTTP error answer and for an
 * {@code error} object inside a 200 stream. Gemini's body is Google's standard {@code
 * {"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED","details":[…]}}}; the {@code
 * status} decides the kind, the HTTP status where it is missing or unknown:
 *
 * <pre>
 * RESOURCE_EXHAUSTED, 429                      RATE_LIMITED (retryable; Retry-After or RetryInfo)
 * UNAVAILABLE, INTERNAL, UNKNOWN, ABORTED, 5xx UNAVAILABLE (retryable)
 * DEADLINE_EXCEEDED, 504, 408                  TIMEOUT (retryable)
 * UNAUTHENTICATED, PERMISSION_DENIED, 401, 403 AUTH
 * INVALID_ARGUMENT with reason API_KEY_INVALID AUTH (Gemini answers a bad key with a 400)
 * FAILED_PRECONDITION                          AUTH (billing or region: the operator's to fix)
 * NOT_FOUND, 404                               NOT_FOUND
 * INVALID_ARGUMENT, OUT_OF_RANGE, other 4xx    BAD_REQUEST, or CONTEXT_LENGTH when the input is
 *                                              too long
 * </pre>
 *
 * Gemini's own words reach the client only for invalid requests, redacted (Google API keys
 * included) and cut short; for everything else the message is ours.
 */
public final class GeminiErrors {
  private static final Pattern CONTEXT =
      Pattern.compile(
          "(?i)(input token count.*exceeds|exceeds the maximum number of tokens|context window"
              + "|context length|input is too long|prompt is too long)");
  private static final Pattern GOOGLE_KEY = Pattern.compile("AIza[0-9A-Za-z_\\-]{20,}");
  private static final Pattern DELAY = Pattern.compile("^(\\d+(?:\\.\\d+)?)s$");

  private GeminiErrors() {}

  /** A non-2xx answer; an {@link dev.shelf.providers.http.UpstreamHttp.ErrorMapper}. */
  public static ProviderException fromStatus(
      String provider, int status, Headers headers, byte[] body) {
    JsonNode error = errorNode(body);
    Long retry = RetryAfter.parse(headers.get("retry-after"));
    if (retry == null && error != null) {
      retry = retryDelay(error);
    }
    return map(provider, status, error, retry);
  }

  /** An {@code error} object after the stream began (HTTP status 200). */
  public static ProviderException inStream(String provider, JsonNode error) {
    ProviderException e = map(provider, error.path("code").asInt(0), error, retryDelay(error));
    // The error's code chose the kind, but inside a 200 stream there was no HTTP status: report 0,
    // as the SPI says and the other adapters do.
    return new ProviderException(
        e.kind(),
        String.valueOf(e.getMessage()),
        e.code(),
        e.param(),
        0,
        e.retryAfterMillis(),
        null);
  }

  static ProviderException map(
      String provider, int status, @Nullable JsonNode error, @Nullable Long retryAfter) {
    String code = error == null ? null : text(error.get("status"));
    String message = error == null ? null : text(error.get("message"));
    String what = code == null ? String.valueOf(status) : status + " " + code;
    Kind kind = kind(status, code, error);
    if (kind == Kind.BAD_REQUEST && message != null && CONTEXT.matcher(message).find()) {
      kind = Kind.CONTEXT_LENGTH;
    }
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
              provider + " refused Shelf's credentials or account (" + what + ")",
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
              kind, provider + " failed (" + what + ")", null, null, status, retryAfter, null);
      case CONTEXT_LENGTH ->
          new ProviderException(
              kind,
              message == null
                  ? "The input is longer than the model's context window."
                  : redact(message),
              "context_length_exceeded",
              "messages",
              status,
              null,
              null);
      default ->
          new ProviderException(
              Kind.BAD_REQUEST,
              message != null ? redact(message) : provider + " rejected the request (" + what + ")",
              null,
              null,
              status,
              null,
              null);
    };
  }

  private static Kind kind(int status, @Nullable String code, @Nullable JsonNode error) {
    if (code != null) {
      switch (code) {
        case "RESOURCE_EXHAUSTED" -> {
          return Kind.RATE_LIMITED;
        }
        case "UNAVAILABLE", "INTERNAL", "UNKNOWN", "ABORTED", "DATA_LOSS" -> {
          return Kind.UNAVAILABLE;
        }
        case "DEADLINE_EXCEEDED" -> {
          return Kind.TIMEOUT;
        }
        case "UNAUTHENTICATED", "PERMISSION_DENIED", "FAILED_PRECONDITION" -> {
          return Kind.AUTH;
        }
        case "NOT_FOUND" -> {
          return Kind.NOT_FOUND;
        }
        case "INVALID_ARGUMENT", "OUT_OF_RANGE" -> {
          return hasReason(error, "API_KEY_INVALID") ? Kind.AUTH : Kind.BAD_REQUEST;
        }
        default -> {
          // a status added later: the HTTP status decides
        }
      }
    }
    if (status == 429) {
      return Kind.RATE_LIMITED;
    }
    if (status == 401 || status == 403) {
      return Kind.AUTH;
    }
    if (status == 404) {
      return Kind.NOT_FOUND;
    }
    if (status == 408 || status == 504) {
      return Kind.TIMEOUT;
    }
    if (status >= 500 || status == 0) {
      return Kind.UNAVAILABLE;
    }
    return Kind.BAD_REQUEST;
  }

  private static boolean hasReason(@Nullable JsonNode error, String reason) {
    if (error != null) {
      for (JsonNode d : error.path("details")) {
        if (reason.equals(d.path("reason").asText())) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code google.rpc.RetryInfo}'s {@code retryDelay} ("23s", "0.5s") in milliseconds. */
  static @Nullable Long retryDelay(JsonNode error) {
    for (JsonNode d : error.path("details")) {
      if (d.path("@type").asText().endsWith("google.rpc.RetryInfo")) {
        Matcher m = DELAY.matcher(d.path("retryDelay").asText(""));
        if (m.matches()) {
          return RetryAfter.parse(m.group(1));
        }
      }
    }
    return null;
  }

  static String redact(String message) {
    return Secrets.redact(GOOGLE_KEY.matcher(message).replaceAll("[redacted]"));
  }

  static @Nullable JsonNode errorNode(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      JsonNode root = Json.MAPPER.readTree(body);
      // streamGenerateContent without alt=sse answers errors inside a JSON array
      if (root != null && root.isArray() && !root.isEmpty()) {
        root = root.get(0);
      }
      JsonNode e = root == null ? null : root.get("error");
      return e != null && e.isObject() ? e : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null; // an HTML error page from a proxy: the status decides
    }
  }

  private static @Nullable String text(@Nullable JsonNode n) {
    return n == null || !n.isTextual() || n.textValue().isEmpty() ? null : n.textValue();
  }
}
