package dev.shelf.providers.openai.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.providers.http.Headers;
import dev.shelf.providers.http.RetryAfter;
import dev.shelf.providers.http.Secrets;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Maps what an OpenAI-compatible upstream says when it fails to a {@link ProviderException}, in one
 * place. Upstream messages are passed on only for client errors (400-class), after secrets are
 * redacted and the text is cut short ({@link Secrets#redact}); for everything else the client sees
 * our own words.
 */
public final class UpstreamErrors {
  private static final Pattern CONTEXT =
      Pattern.compile(
          "(?i)(context[ _]length|maximum context|context window|too many tokens|prompt is too"
              + " long|input is too long|exceeds the model)");

  private UpstreamErrors() {}

  /** A non-2xx answer; an {@link dev.shelf.providers.http.UpstreamHttp.ErrorMapper}. */
  public static ProviderException fromStatus(
      String provider, int status, Headers headers, byte[] body) {
    JsonNode err = errorNode(body);
    String upstreamMessage = err == null ? null : message(err.get("message"));
    String code = err == null ? null : text(err.get("code"));
    String param = err == null ? null : text(err.get("param"));
    Long retryAfter = RetryAfter.millis(headers);
    String safe = upstreamMessage == null ? null : Secrets.redact(upstreamMessage);
    if (status == 429) {
      return new ProviderException(
          Kind.RATE_LIMITED,
          provider + " is rate limiting requests (429)",
          code,
          null,
          status,
          retryAfter,
          null);
    }
    if (status == 401 || status == 403) {
      return new ProviderException(
          Kind.AUTH,
          provider + " refused Shelf's credentials (" + status + ")",
          null,
          null,
          status,
          null,
          null);
    }
    if (status == 404) {
      return new ProviderException(
          Kind.NOT_FOUND,
          provider + " does not know this model or endpoint (404)",
          null,
          null,
          status,
          null,
          null);
    }
    if (status == 408 || status >= 500) {
      Kind kind = status == 504 || status == 408 ? Kind.TIMEOUT : Kind.UNAVAILABLE;
      return new ProviderException(
          kind, provider + " failed with status " + status, null, null, status, retryAfter, null);
    }
    if (isContextLength(code, upstreamMessage)) {
      return new ProviderException(
          Kind.CONTEXT_LENGTH,
          safe != null ? safe : "The prompt is longer than the model's context window.",
          "context_length_exceeded",
          "messages",
          status,
          null,
          null);
    }
    if ("content_filter".equals(code) || "content_policy_violation".equals(code)) {
      return new ProviderException(
          Kind.CONTENT_FILTER,
          safe != null ? safe : provider + " refused the content",
          "content_policy_violation",
          null,
          status,
          null,
          null);
    }
    return new ProviderException(
        Kind.BAD_REQUEST,
        safe != null ? safe : provider + " rejected the request (" + status + ")",
        code,
        param,
        status,
        null,
        null);
  }

  /** An error object sent inside a 200 stream ({@code data: {"error": ...}}). */
  public static ProviderException inStream(String provider, JsonNode error) {
    String message = message(error.get("message"));
    String code = text(error.get("code"));
    String type = text(error.get("type"));
    if (isContextLength(code, message)) {
      return new ProviderException(
          Kind.CONTEXT_LENGTH,
          message == null ? "context length exceeded" : Secrets.redact(message),
          "context_length_exceeded",
          "messages",
          0,
          null,
          null);
    }
    String what = type != null ? type : code != null ? code : "error";
    Kind kind =
        what.contains("rate_limit") || "429".equals(code) ? Kind.RATE_LIMITED : Kind.UNAVAILABLE;
    return new ProviderException(
        kind, provider + " sent an error in the stream: " + what, null, null, 0, null, null);
  }

  static boolean isContextLength(@Nullable String code, @Nullable String message) {
    return "context_length_exceeded".equals(code)
        || (message != null && CONTEXT.matcher(message).find());
  }

  static @Nullable JsonNode errorNode(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      JsonNode root = Json.MAPPER.readTree(body);
      JsonNode e = root.get("error");
      if (e != null && e.isObject()) {
        return e;
      }
      if (e != null && e.isTextual()) {
        return Json.object().put("message", e.textValue());
      }
      return root.isObject() && root.has("message") ? root : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  /** A scalar as text; null for absent, null, "null", empty, objects and arrays. */
  private static @Nullable String text(@Nullable JsonNode n) {
    if (n == null || !n.isValueNode() || n.isNull()) {
      return null;
    }
    String t = n.asText();
    return t.isEmpty() || t.toLowerCase(Locale.ROOT).equals("null") ? null : t;
  }

  /**
   * An error message: text, or, where a vendor sends a structured message (Mistral's 422 {@code
   * {"detail": [{"loc": [...], "msg": ...}]}}), that structure as compact JSON, so the client still
   * learns which field was refused.
   */
  private static @Nullable String message(@Nullable JsonNode n) {
    if (n != null && n.isContainerNode() && !n.isEmpty()) {
      return Json.string(n);
    }
    return text(n);
  }
}
