package dev.shelf.providers.anthropic.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.api.Json;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Anthropic's documented error types and statuses to provider exceptions. */
class AnthropicErrorsTest {
  private static byte[] body(String type, String message) {
    return ("{\"type\":\"error\",\"error\":{\"type\":\""
            + type
            + "\",\"message\":\""
            + message
            + "\"},\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static ProviderException from(int status, byte[] body, Map<String, String> headers) {
    return AnthropicErrors.fromStatus(
        "claude", status, n -> headers.getOrDefault(n.toLowerCase(Locale.ROOT), ""), body);
  }

  @ParameterizedTest
  @CsvSource({
    "400, invalid_request_error, BAD_REQUEST",
    "401, authentication_error, AUTH",
    "402, billing_error, AUTH",
    "403, permission_error, AUTH",
    "404, not_found_error, NOT_FOUND",
    "413, request_too_large, BAD_REQUEST",
    "429, rate_limit_error, RATE_LIMITED",
    "500, api_error, UNAVAILABLE",
    "504, timeout_error, TIMEOUT",
    "529, overloaded_error, UNAVAILABLE"
  })
  void documentedErrors(int status, String type, Kind kind) {
    ProviderException e = from(status, body(type, "m"), Map.of());
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.upstreamStatus()).isEqualTo(status);
    assertThat(e.retryable()).isEqualTo(status == 429 || status >= 500);
    // The same type inside a stream maps to the same kind.
    ProviderException inStream =
        AnthropicErrors.inStream(
            "claude", Json.MAPPER.valueToTree(Map.of("type", type, "message", "m")));
    assertThat(inStream.kind()).isEqualTo(kind);
    assertThat(inStream.upstreamStatus()).isZero();
  }

  @ParameterizedTest
  @CsvSource({
    "400, BAD_REQUEST",
    "401, AUTH",
    "404, NOT_FOUND",
    "429, RATE_LIMITED",
    "500, UNAVAILABLE",
    "502, UNAVAILABLE",
    "503, UNAVAILABLE",
    "529, UNAVAILABLE"
  })
  void withoutABodyTheStatusDecides(int status, Kind kind) {
    ProviderException e = from(status, "<html>bad gateway</html>".getBytes(), Map.of());
    assertThat(e.kind()).isEqualTo(kind);
  }

  @Test
  void overloadedIsRetryableAndSaysSo() {
    ProviderException e = from(529, body("overloaded_error", "Overloaded"), Map.of());
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).isEqualTo("claude is overloaded (529 overloaded_error)");
  }

  @Test
  void rateLimitsCarryRetryAfter() {
    ProviderException e =
        from(
            429,
            body("rate_limit_error", "Number of request tokens..."),
            Map.of("retry-after", "7"));
    assertThat(e.retryAfterMillis()).isEqualTo(7000L);
    assertThat(e.code()).isEqualTo("rate_limit_exceeded");
    assertThat(e.getMessage()).isEqualTo("claude is rate limiting requests (429 rate_limit_error)");
    assertThat(from(429, body("rate_limit_error", "x"), Map.of()).retryAfterMillis()).isNull();
    assertThat(
            from(529, body("overloaded_error", "x"), Map.of("retry-after", "2")).retryAfterMillis())
        .isEqualTo(2000L);
  }

  @Test
  void promptTooLongIsAContextLengthError() {
    ProviderException e =
        from(
            400,
            body("invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"),
            Map.of());
    assertThat(e.kind()).isEqualTo(Kind.CONTEXT_LENGTH);
    assertThat(e.code()).isEqualTo("context_length_exceeded");
    assertThat(e.getMessage()).isEqualTo("prompt is too long: 208310 tokens > 200000 maximum");
  }

  @Test
  void invalidRequestsPassAnthropicsWordsOnRedacted() {
    ProviderException e =
        from(
            400,
            body(
                "invalid_request_error", "max_tokens: Field required (key sk-ant-api03-abcdef123)"),
            Map.of());
    assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(e.getMessage()).isEqualTo("max_tokens: Field required (key [redacted])");
  }

  @Test
  void otherErrorsUseOurOwnWords() {
    byte[] leaky = body("authentication_error", "invalid x-api-key sk-ant-api03-secret123456");
    ProviderException e = from(401, leaky, Map.of());
    assertThat(e.getMessage())
        .isEqualTo("claude refused Shelf's credentials (401 authentication_error)")
        .doesNotContain("sk-ant");
    assertThat(from(500, body("api_error", "internal detail"), Map.of()).getMessage())
        .isEqualTo("claude failed (500 api_error)");
    assertThat(AnthropicErrors.inStream("claude", Json.object()).getMessage())
        .isEqualTo("claude failed (error event)");
  }
}
