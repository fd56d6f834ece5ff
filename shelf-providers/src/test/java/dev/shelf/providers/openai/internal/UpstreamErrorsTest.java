package dev.shelf.providers.openai.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.providers.http.Headers;
import dev.shelf.providers.http.Secrets;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UpstreamErrorsTest {
  private static final String P = "acme";

  private static Headers headers(String... nameValues) {
    var m = new LinkedHashMap<String, String>();
    for (int i = 0; i < nameValues.length; i += 2) {
      m.put(nameValues[i].toLowerCase(java.util.Locale.ROOT), nameValues[i + 1]);
    }
    return name -> m.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), "");
  }

  private static byte[] body(String singleQuoted) {
    return singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode node(String singleQuoted) {
    return Json.parse(body(singleQuoted));
  }

  private static ProviderException from(int status, String body, String... headers) {
    return UpstreamErrors.fromStatus(P, status, headers(headers), body(body));
  }

  @ParameterizedTest
  @CsvSource({
    "400, BAD_REQUEST",
    "401, AUTH",
    "403, AUTH",
    "404, NOT_FOUND",
    "408, TIMEOUT",
    "409, BAD_REQUEST",
    "422, BAD_REQUEST",
    "429, RATE_LIMITED",
    "500, UNAVAILABLE",
    "502, UNAVAILABLE",
    "503, UNAVAILABLE",
    "504, TIMEOUT",
    "529, UNAVAILABLE"
  })
  void statusMapping(int status, Kind kind) {
    ProviderException e = from(status, "{'error':{'message':'nope','type':'some_error'}}");
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.upstreamStatus()).isEqualTo(status);
    assertThat(e.retryable()).isEqualTo(status == 408 || status == 429 || status >= 500);
  }

  @Test
  void clientErrorsPassTheUpstreamWordsOn() {
    ProviderException e =
        from(
            400,
            "{'error':{'message':'Invalid value for temperature','type':'invalid_request_error',"
                + "'param':'temperature','code':null}}");
    assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(e.getMessage()).isEqualTo("Invalid value for temperature");
    assertThat(e.param()).isEqualTo("temperature");
    assertThat(e.code()).as("a null code stays null (the type is not a code)").isNull();
  }

  @Test
  void serverAndAuthErrorsUseOurOwnWords() {
    String leaky = "{'error':{'message':'db at 10.0.0.7 failed for key sk-live-123456789'}}";
    assertThat(from(500, leaky).getMessage()).isEqualTo("acme failed with status 500");
    assertThat(from(401, leaky).getMessage()).isEqualTo("acme refused Shelf's credentials (401)");
    assertThat(from(404, leaky).getMessage())
        .isEqualTo("acme does not know this model or endpoint (404)");
    assertThat(from(429, leaky).getMessage()).isEqualTo("acme is rate limiting requests (429)");
  }

  @Test
  void errorBodiesInOtherShapes() {
    assertThat(from(400, "{'error':'plain string error'}").getMessage())
        .isEqualTo("plain string error");
    assertThat(from(400, "{'message':'top-level message','code':'bad'}").getMessage())
        .isEqualTo("top-level message");
    assertThat(from(400, "<html>Bad Request</html>").getMessage())
        .isEqualTo("acme rejected the request (400)");
    assertThat(from(422, "").getMessage()).isEqualTo("acme rejected the request (422)");
    ProviderException nullish = from(400, "{'error':{'message':'m','code':'null','type':'null'}}");
    assertThat(nullish.code()).as("the string 'null' counts as absent").isNull();
  }

  @Test
  void contentFilter() {
    ProviderException e =
        from(400, "{'error':{'message':'flagged by policy','code':'content_filter'}}");
    assertThat(e.kind()).isEqualTo(Kind.CONTENT_FILTER);
    assertThat(e.code()).isEqualTo("content_policy_violation");
    assertThat(e.getMessage()).isEqualTo("flagged by policy");
  }

  // -------------------------------------------------------------------- retry-after

  /** Parsing itself is {@code RetryAfterTest}'s; here: both headers reach the exception. */
  @ParameterizedTest
  @CsvSource({
    "Retry-After, 7, 7000",
    "retry-after, 1.5, 1500",
    "retry-after-ms, 250, 250",
    "Retry-After-Ms, 12.9, 12"
  })
  void retryAfterIsCarried(String header, String value, long millis) {
    assertThat(from(429, "{}", header, value).retryAfterMillis()).isEqualTo(millis);
    assertThat(from(503, "{}", header, value).retryAfterMillis()).isEqualTo(millis);
    assertThat(from(400, "{}", header, value).retryAfterMillis()).isNull();
  }

  @Test
  void retryAfterMsWinsAndNonsenseIsDropped() {
    assertThat(from(429, "{}", "retry-after", "9", "retry-after-ms", "300").retryAfterMillis())
        .isEqualTo(300L);
    assertThat(from(429, "{}", "retry-after", "soon").retryAfterMillis()).isNull();
  }

  @Test
  void rateLimitsKeepTheUpstreamCode() {
    ProviderException e =
        from(
            429,
            "{'error':{'message':'slow down','code':'rate_limit_exceeded'}}",
            "retry-after",
            "2");
    assertThat(e.code()).isEqualTo("rate_limit_exceeded");
    assertThat(e.retryAfterMillis()).isEqualTo(2000L);
    assertThat(e.kind().status()).isEqualTo(429);
  }

  // ------------------------------------------------------------------ context length

  @ParameterizedTest
  @ValueSource(
      strings = {
        "This model's maximum context length is 8192 tokens. However, your messages resulted in"
            + " 9000 tokens.",
        "prompt is too long: 210000 tokens > 200000 maximum",
        "Input is too long for requested model.",
        "The input exceeds the model's context window",
        "Requested token count exceeds the model's maximum context length of 32768 tokens",
        "Range of input length should be [1, 30720]; too many tokens",
        "context_length_exceeded"
      })
  void contextLengthIsDetectedFromTheMessage(String message) {
    for (int status : new int[] {400, 413, 422}) {
      ProviderException e =
          UpstreamErrors.fromStatus(
              P,
              status,
              headers(),
              Json.bytes(Json.object().set("error", Json.object().put("message", message))));
      assertThat(e.kind()).as("%d %s", status, message).isEqualTo(Kind.CONTEXT_LENGTH);
      assertThat(e.code()).isEqualTo("context_length_exceeded");
      assertThat(e.param()).isEqualTo("messages");
      assertThat(e.getMessage()).isEqualTo(Secrets.redact(message));
    }
  }

  @Test
  void contextLengthByCodeAlone() {
    ProviderException e = from(400, "{'error':{'code':'context_length_exceeded'}}");
    assertThat(e.kind()).isEqualTo(Kind.CONTEXT_LENGTH);
    assertThat(e.getMessage()).isEqualTo("The prompt is longer than the model's context window.");
    assertThat(e.retryable()).isFalse();
  }

  @Test
  void ordinaryMessagesAreNotContextErrors() {
    assertThat(UpstreamErrors.isContextLength(null, "Invalid 'temperature': 3 is too high"))
        .isFalse();
    assertThat(UpstreamErrors.isContextLength("invalid_value", null)).isFalse();
  }

  // ---------------------------------------------------------------------- redaction

  /** What counts as a secret is {@code SecretsTest}'s; here: client errors pass on no secret. */
  @Test
  void clientErrorsAreRedacted() {
    String message = "Incorrect key sk-proj-AbC123xyz456_-q, header was Bearer eyJhbGciOi.J9x.y";
    for (int status : new int[] {400, 409, 422}) {
      assertThat(from(status, "{'error':{'message':'" + message + "'}}").getMessage())
          .isEqualTo(Secrets.redact(message))
          .isEqualTo("Incorrect key [redacted], header was [redacted]");
    }
  }

  @Test
  void longMessagesAreCut() {
    String long600 = "word ".repeat(120);
    assertThat(from(400, "{'error':{'message':'" + long600 + "'}}").getMessage())
        .isEqualTo(long600.substring(0, 500) + "...");
  }

  // ------------------------------------------------------------------------ in-stream

  @Test
  void errorsInsideAStream() {
    ProviderException rate =
        UpstreamErrors.inStream(
            P, node("{'message':'Rate limit reached','type':'rate_limit_exceeded'}"));
    assertThat(rate.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(rate.getMessage())
        .isEqualTo("acme sent an error in the stream: rate_limit_exceeded");

    assertThat(UpstreamErrors.inStream(P, node("{'code':'429'}")).kind())
        .isEqualTo(Kind.RATE_LIMITED);

    ProviderException server =
        UpstreamErrors.inStream(
            P, node("{'type':'server_error','message':'sk-leak12345678 boom'}"));
    assertThat(server.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(server.getMessage())
        .isEqualTo("acme sent an error in the stream: server_error")
        .doesNotContain("leak");

    ProviderException ctx =
        UpstreamErrors.inStream(
            P, node("{'message':'maximum context length is 4096, key sk-abcdef123456'}"));
    assertThat(ctx.kind()).isEqualTo(Kind.CONTEXT_LENGTH);
    assertThat(ctx.getMessage()).isEqualTo("maximum context length is 4096, key [redacted]");

    assertThat(UpstreamErrors.inStream(P, node("{}")).getMessage())
        .isEqualTo("acme sent an error in the stream: error");
  }

  @Test
  void errorNodeShapes() {
    assertThat(UpstreamErrors.errorNode(new byte[0])).isNull();
    assertThat(UpstreamErrors.errorNode(body("[1,2]"))).isNull();
    assertThat(UpstreamErrors.errorNode(body("{'detail':'x'}"))).isNull();
    assertThat(UpstreamErrors.errorNode(body("{'error':{'message':'m'}}")))
        .isEqualTo(node("{'message':'m'}"));
    assertThat(UpstreamErrors.errorNode(body("{'error':'m'}"))).isEqualTo(node("{'message':'m'}"));
  }
}
