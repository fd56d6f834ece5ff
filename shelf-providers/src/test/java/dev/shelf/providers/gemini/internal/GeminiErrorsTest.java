package dev.shelf.providers.gemini.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Gemini's error bodies (Google's {@code google.rpc.Status} JSON) to provider exceptions. */
class GeminiErrorsTest {
  private static final String KEY = "AIzaSyD3xAmPlEkEy0123456789abcdefghijkl";

  static ProviderException fromStatus(int status, String body, Map<String, String> headers) {
    return GeminiErrors.fromStatus(
        "gemini",
        status,
        name -> headers.getOrDefault(name, ""),
        body.getBytes(StandardCharsets.UTF_8));
  }

  static String error(int code, String status, String message) {
    return "{\"error\": {\"code\": "
        + code
        + ",\"message\": \""
        + message
        + "\",\"status\": \""
        + status
        + "\"}}";
  }

  @ParameterizedTest
  @CsvSource({
    "400, INVALID_ARGUMENT, BAD_REQUEST",
    "400, FAILED_PRECONDITION, AUTH",
    "401, UNAUTHENTICATED, AUTH",
    "403, PERMISSION_DENIED, AUTH",
    "404, NOT_FOUND, NOT_FOUND",
    "429, RESOURCE_EXHAUSTED, RATE_LIMITED",
    "500, INTERNAL, UNAVAILABLE",
    "503, UNAVAILABLE, UNAVAILABLE",
    "504, DEADLINE_EXCEEDED, TIMEOUT",
    "499, CANCELLED, BAD_REQUEST",
    "502, SOMETHING_NEW, UNAVAILABLE",
  })
  void statusDecidesTheKind(int code, String status, Kind kind) {
    ProviderException e = fromStatus(code, error(code, status, "m"), Map.of());
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.upstreamStatus()).isEqualTo(code);
  }

  @ParameterizedTest
  @CsvSource({"429, RATE_LIMITED", "503, UNAVAILABLE", "500, UNAVAILABLE", "404, NOT_FOUND"})
  void withoutABodyTheHttpStatusDecides(int code, Kind kind) {
    assertThat(fromStatus(code, "<html>Bad gateway</html>", Map.of()).kind()).isEqualTo(kind);
  }

  @Test
  void aBadKeyIsAuthEvenThoughGeminiSays400() {
    ProviderException e =
        fromStatus(
            400,
            "{\"error\": {\"code\": 400,\"message\": \"API key not valid. Please pass a valid API"
                + " key.\",\"status\": \"INVALID_ARGUMENT\",\"details\": [{\"@type\":"
                + " \"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\": \"API_KEY_INVALID\","
                + "\"domain\": \"googleapis.com\"}]}}",
            Map.of());
    assertThat(e.kind()).isEqualTo(Kind.AUTH);
    assertThat(e.getMessage())
        .isEqualTo("gemini refused Shelf's credentials or account (400" + " INVALID_ARGUMENT)");
  }

  @Test
  void aTooLongInputIsContextLength() {
    ProviderException e =
        fromStatus(
            400,
            error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1200000) exceeds the maximum number of tokens allowed"
                    + " (1048576)."),
            Map.of());
    assertThat(e.kind()).isEqualTo(Kind.CONTEXT_LENGTH);
    assertThat(e.code()).isEqualTo("context_length_exceeded");
    assertThat(e.retryable()).isFalse();
  }

  @Test
  void rateLimitsCarryRetryInfoOrRetryAfter() {
    String body =
        "{\"error\": {\"code\": 429,\"message\": \"You exceeded your current quota.\","
            + "\"status\": \"RESOURCE_EXHAUSTED\",\"details\": [{\"@type\":"
            + " \"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\": \"23s\"}]}}";
    ProviderException e = fromStatus(429, body, Map.of());
    assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(e.retryAfterMillis()).isEqualTo(23_000L);
    assertThat(e.code()).isEqualTo("rate_limit_exceeded");
    assertThat(fromStatus(429, body, Map.of("retry-after", "2")).retryAfterMillis())
        .as("the header wins")
        .isEqualTo(2000L);
    assertThat(
            GeminiErrors.retryDelay(
                GenerateContentRequestTest.json(
                    "{'details':[{'@type':'type.googleapis.com/google.rpc.RetryInfo',"
                        + "'retryDelay':'0.5s'}]}")))
        .isEqualTo(500L);
  }

  @Test
  void upstreamWordsPassOnlyForBadRequestsAndNeverWithAKey() {
    ProviderException bad =
        fromStatus(400, error(400, "INVALID_ARGUMENT", "key " + KEY + " rejected"), Map.of());
    assertThat(bad.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(bad.getMessage()).isEqualTo("key [redacted] rejected").doesNotContain(KEY);
    ProviderException denied =
        fromStatus(403, error(403, "PERMISSION_DENIED", "key " + KEY), Map.of());
    assertThat(denied.getMessage()).doesNotContain(KEY).doesNotContain("key ");
  }

  @Test
  void anErrorArrayFromANonSseAnswerIsRead() {
    assertThat(fromStatus(400, "[" + error(400, "NOT_FOUND", "m") + "]", Map.of()).kind())
        .isEqualTo(Kind.NOT_FOUND);
  }
}
