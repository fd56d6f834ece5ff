package dev.shelf.providers.conformance;

import static dev.shelf.providers.conformance.Scenario.MARKER;
import static dev.shelf.providers.conformance.Scenario.q;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.providers.sse.SseReader;
import dev.shelf.providers.testing.LoopbackStub.Reply;
import dev.shelf.providers.testing.LoopbackStub.Request;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The {@code gemini} adapter against {@code streamGenerateContent?alt=sse}
 * (https://ai.google.dev/api/generate-content), in the shapes of the recorded transcripts under
 * {@code src/test/resources/gemini/}: one {@code data:} line per event, each a whole {@code
 * GenerateContentResponse} with cumulative {@code usageMetadata}, CRLF line ends, no end event.
 * Reasoning parts are marked {@code thought: true}; {@code promptTokenCount} already includes
 * {@code cachedContentTokenCount}; {@code thoughtsTokenCount} is counted apart from {@code
 * candidatesTokenCount}. Gemini sends each {@code functionCall} whole and without an id, and says
 * {@code STOP} after calls; a rate limit carries its delay as {@code google.rpc.RetryInfo}, with no
 * {@code Retry-After} header.
 */
class GeminiConformanceTest extends ProviderConformanceTest {
  @Override
  String type() {
    return "gemini";
  }

  @Override
  String chatTarget() {
    return "/v1beta/models/" + Scenario.MODEL + ":streamGenerateContent?alt=sse";
  }

  @Override
  Map.Entry<String, String> authHeader(String key) {
    return Map.entry("x-goog-api-key", key);
  }

  @Override
  boolean asksForStream(Request request) {
    return request.target().contains(":streamGenerateContent?alt=sse")
        && Json.parse(request.body()).path("contents").isArray();
  }

  @Override
  boolean streamsArgumentFragments() {
    return false;
  }

  /**
   * The fixture's own check of its TEXT stream, read back with {@link SseReader}: unnamed events,
   * each ended by CRLF CRLF as recorded, each one {@code GenerateContentResponse} with one model
   * candidate; the text in its parts; {@code STOP} on the last event only, which carries the
   * cumulative {@code usageMetadata} that adds up to the scenario's usage.
   */
  @Test
  void theScriptedTextStreamIsCandidatesWithUsageOnTheLastEvent() throws IOException {
    Scenario s = Scenario.TEXT;
    Reply reply = reply(s);
    assertThat(reply.pieces()).allSatisfy(p -> assertThat(p).endsWith("\r\n\r\n"));
    List<SseReader.Event> events = events(reply);
    assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(e.event()).isNull());
    List<JsonNode> responses = events.stream().map(e -> Json.parse(e.bytes())).toList();
    var text = new StringBuilder();
    for (int i = 0; i < responses.size(); i++) {
      JsonNode r = responses.get(i);
      assertThat(r.path("candidates")).as("candidates of event %d", i).hasSize(1);
      JsonNode candidate = r.path("candidates").path(0);
      assertThat(candidate.path("content").path("role").asText()).isEqualTo("model");
      for (JsonNode part : candidate.path("content").path("parts")) {
        text.append(part.path("text").asText(""));
      }
      boolean last = i == responses.size() - 1;
      assertThat(candidate.path("finishReason").asText(null))
          .as("finishReason of event %d", i)
          .isEqualTo(last ? "STOP" : null);
    }
    assertThat(text.toString()).isEqualTo(String.join("", s.text()));
    Usage u = s.usage();
    JsonNode usage = responses.getLast().path("usageMetadata");
    assertThat(usage.isObject()).as("usageMetadata on the last event").isTrue();
    assertThat(usage.path("promptTokenCount").asInt()).isEqualTo(u.promptTokens());
    assertThat(
            usage.path("candidatesTokenCount").asInt() + usage.path("thoughtsTokenCount").asInt())
        .isEqualTo(u.completionTokens());
    assertThat(usage.path("totalTokenCount").asInt()).isEqualTo(u.totalTokens());
    assertThat(usage.path("cachedContentTokenCount").asInt()).isEqualTo(u.cachedTokens());
  }

  @Override
  Reply reply(Scenario s) {
    return switch (s) {
      case TEXT, REASONING, PARALLEL_TOOLS, LENGTH -> Reply.sse(answer(s));
      case RATE_LIMITED ->
          Reply.json(
              429,
              error(
                  429,
                  "RESOURCE_EXHAUSTED",
                  "You exceeded your current quota for key " + Scenario.KEY + ". " + MARKER,
                  ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                      + "\"retryDelay\":\""
                      + Scenario.RETRY_AFTER_SECONDS
                      + "s\"}]"));
      case OVERLOADED ->
          Reply.json(
              503,
              error(
                  503, "UNAVAILABLE", "The model is overloaded. Please try later. " + MARKER, ""));
      case UNAUTHORIZED ->
          Reply.json(
              401,
              error(
                  401,
                  "UNAUTHENTICATED",
                  "Request had invalid authentication credentials " + Scenario.KEY + " " + MARKER,
                  ""));
      case ERROR_MID_STREAM -> {
        var events = partial(s);
        events.add(
            "data: "
                + error(503, "UNAVAILABLE", "The model is overloaded. " + MARKER, "")
                + "\r\n\r\n");
        yield Reply.sse(events);
      }
      case TRUNCATED -> Reply.sse(partial(s));
    };
  }

  /** The scenario's text, one event per fragment, never finished. */
  private static List<String> partial(Scenario s) {
    var events = new ArrayList<String>();
    for (String t : s.text()) {
      events.add(event("{\"text\":" + q(t) + "}", null, s.usage()));
    }
    return events;
  }

  private static List<String> answer(Scenario s) {
    var events = new ArrayList<String>();
    Usage u = s.usage();
    for (String r : s.reasoning()) {
      events.add(event("{\"text\":" + q(r) + ",\"thought\":true}", null, u));
    }
    List<String> text = s.text();
    String finish =
        switch (s.finishReason()) {
          case "length" -> "MAX_TOKENS";
          default -> "STOP";
        };
    for (int i = 0; i < text.size(); i++) {
      boolean last = i == text.size() - 1 && s == Scenario.LENGTH;
      events.add(event("{\"text\":" + q(text.get(i)) + "}", last ? finish : null, u));
    }
    if (!s.tools().isEmpty()) {
      var calls = new ArrayList<String>();
      for (Scenario.Tool t : s.tools()) {
        calls.add(
            "{\"functionCall\":{\"name\":"
                + q(t.name())
                + ",\"args\":"
                + Json.string(t.argumentsJson())
                + "}}");
      }
      events.add(event(String.join(",", calls), finish, u));
    } else if (s != Scenario.LENGTH) {
      events.add(event("{\"text\":\"\"}", finish, u)); // Gemini's closing event, as recorded
    }
    return events;
  }

  /**
   * One event. Usage is cumulative in Gemini, and every event carries it: the canonical usage is
   * sent whole each time, which an adapter that summed events instead of keeping the last would
   * count several times.
   */
  private static String event(String parts, @Nullable String finishReason, Usage u) {
    int thoughts = u.reasoningTokens() == null ? 0 : u.reasoningTokens();
    int cached = u.cachedTokens() == null ? 0 : u.cachedTokens();
    return "data: {\"candidates\": [{\"content\": {\"parts\": ["
        + parts
        + "],\"role\": \"model\"}"
        + (finishReason == null ? "" : ",\"finishReason\": \"" + finishReason + "\"")
        + ",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": "
        + u.promptTokens()
        + ",\"candidatesTokenCount\": "
        + (u.completionTokens() - thoughts)
        + ",\"totalTokenCount\": "
        + u.totalTokens()
        + (cached == 0 ? "" : ",\"cachedContentTokenCount\": " + cached)
        + (thoughts == 0 ? "" : ",\"thoughtsTokenCount\": " + thoughts)
        + "},\"modelVersion\": \"gemini-conformance\",\"responseId\": \"ConfResponse0001\"}\r\n\r\n";
  }

  private static String error(int code, String status, String message, String details) {
    return "{\"error\": {\"code\": "
        + code
        + ",\"message\": "
        + q(message)
        + ",\"status\": \""
        + status
        + "\""
        + details
        + "}}";
  }
}
