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
 * The {@code openai} adapter (generic OpenAI-compatible preset) against OpenAI's Chat Completions
 * stream (https://platform.openai.com/docs/api-reference/chat-streaming): {@code data: } chunks,
 * {@code "usage": null} on each until the last, a usage-only chunk with no choices (asked for with
 * {@code stream_options.include_usage}), then {@code data: [DONE]}. Parallel tool calls are
 * interleaved, as OpenAI's own streams may send them; reasoning is vLLM's and DeepSeek's {@code
 * reasoning_content}.
 */
class OpenAiConformanceTest extends ProviderConformanceTest {
  private static final String ID = "chatcmpl-Conformance0001";

  @Override
  String type() {
    return "openai";
  }

  @Override
  String baseUrl(String stubRoot) {
    return stubRoot + "/v1";
  }

  @Override
  String chatTarget() {
    return "/v1/chat/completions";
  }

  @Override
  Map.Entry<String, String> authHeader(String key) {
    return Map.entry("authorization", "Bearer " + key);
  }

  @Override
  boolean asksForStream(Request request) {
    var body = Json.parse(request.body());
    return body.path("stream").asBoolean(false)
        && body.path("stream_options").path("include_usage").asBoolean(false);
  }

  @Override
  boolean supportsInterleavedToolFragments() {
    return true;
  }

  /**
   * The fixture's own check of its TEXT stream, read back with {@link SseReader}: {@code
   * chat.completion.chunk} objects of one id, each with one choice and {@code "usage": null}, the
   * role first, the text in content deltas, exactly one finish reason; then a usage-only chunk with
   * no choices; then {@code [DONE]} and nothing after it.
   */
  @Test
  void theScriptedTextStreamIsOpenAiChunksThenDone() throws IOException {
    Scenario s = Scenario.TEXT;
    List<SseReader.Event> events = events(reply(s));
    assertThat(events).hasSizeGreaterThan(2);
    assertThat(events.getLast().isDone()).as("the last event is [DONE]").isTrue();
    List<SseReader.Event> beforeDone = events.subList(0, events.size() - 1);
    assertThat(beforeDone).as("[DONE] before the end").noneMatch(SseReader.Event::isDone);
    List<JsonNode> chunks = beforeDone.stream().map(e -> Json.parse(e.bytes())).toList();
    assertThat(chunks)
        .allSatisfy(
            c -> {
              assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
              assertThat(c.path("id").asText()).isEqualTo(ID);
            });
    assertThat(chunks.getFirst().path("choices").path(0).path("delta").path("role").asText())
        .isEqualTo("assistant");
    var text = new StringBuilder();
    var finishes = new ArrayList<String>();
    for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
      assertThat(c.path("usage").isNull()).as("usage null until the last chunk: %s", c).isTrue();
      assertThat(c.path("choices")).hasSize(1);
      JsonNode choice = c.path("choices").path(0);
      text.append(choice.path("delta").path("content").asText(""));
      if (!choice.path("finish_reason").isNull()) {
        finishes.add(choice.path("finish_reason").asText());
      }
    }
    assertThat(text.toString()).isEqualTo(String.join("", s.text()));
    assertThat(finishes).containsExactly(s.finishReason());
    JsonNode last = chunks.getLast();
    assertThat(last.path("choices")).as("choices of the usage chunk").isEmpty();
    Usage u = s.usage();
    JsonNode usage = last.path("usage");
    assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(u.promptTokens());
    assertThat(usage.path("completion_tokens").asInt()).isEqualTo(u.completionTokens());
    assertThat(usage.path("total_tokens").asInt()).isEqualTo(u.totalTokens());
    assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asInt())
        .isEqualTo(u.cachedTokens());
  }

  @Override
  Reply reply(Scenario s) {
    return switch (s) {
      case TEXT, LENGTH, REASONING -> Reply.sse(answer(s));
      case PARALLEL_TOOLS -> Reply.sse(tools(s));
      case RATE_LIMITED ->
          Reply.json(
              429,
              error(
                  "Rate limit reached for requests on key " + Scenario.KEY + " " + MARKER,
                  "requests",
                  "rate_limit_exceeded"),
              Map.of("retry-after", String.valueOf(Scenario.RETRY_AFTER_SECONDS)));
      case OVERLOADED ->
          Reply.json(
              503, error("The engine is currently overloaded. " + MARKER, "server_error", null));
      case UNAUTHORIZED ->
          Reply.json(
              401,
              error(
                  "Incorrect API key provided: " + Scenario.KEY + ". " + MARKER,
                  "invalid_request_error",
                  "invalid_api_key"));
      case ERROR_MID_STREAM -> {
        var events = new ArrayList<String>();
        events.add(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
        s.text().forEach(t -> events.add(chunk("{\"content\":" + q(t) + "}", null)));
        events.add(
            "data: "
                + error(
                    "The server had an error while processing your request. " + MARKER,
                    "server_error",
                    null)
                + "\n\n");
        yield Reply.sse(events);
      }
      case TRUNCATED -> {
        var events = new ArrayList<String>();
        events.add(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
        s.text().forEach(t -> events.add(chunk("{\"content\":" + q(t) + "}", null)));
        yield Reply.sse(events);
      }
    };
  }

  /**
   * The same answer as one {@code chat.completion}, for an upstream that ignores {@code stream}.
   */
  @Override
  @Nullable Reply wholeReply(Scenario s) {
    String message = "{\"role\":\"assistant\",\"content\":" + q(String.join("", s.text()));
    if (!s.reasoning().isEmpty()) {
      message += ",\"reasoning_content\":" + q(String.join("", s.reasoning()));
    }
    if (!s.tools().isEmpty()) {
      var calls = new ArrayList<String>();
      for (Scenario.Tool t : s.tools()) {
        calls.add(
            "{\"id\":"
                + q(callId(t))
                + ",\"type\":\"function\",\"function\":{\"name\":"
                + q(t.name())
                + ",\"arguments\":"
                + q(t.arguments())
                + "}}");
      }
      message += ",\"tool_calls\":[" + String.join(",", calls) + "]";
    }
    message += "}";
    return Reply.json(
        200,
        "{\"id\":\""
            + ID
            + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\""
            + Scenario.MODEL
            + "\",\"choices\":[{\"index\":0,\"message\":"
            + message
            + ",\"logprobs\":null,\"finish_reason\":"
            + q(s.finishReason())
            + "}],\"usage\":"
            + usage(s.usage())
            + "}");
  }

  private static List<String> answer(Scenario s) {
    var events = new ArrayList<String>();
    events.add(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
    s.reasoning().forEach(r -> events.add(chunk("{\"reasoning_content\":" + q(r) + "}", null)));
    s.text().forEach(t -> events.add(chunk("{\"content\":" + q(t) + "}", null)));
    return finish(events, s);
  }

  /** Both calls open, then their argument fragments alternate: 0, 1, 0, 1, 0. */
  private static List<String> tools(Scenario s) {
    var events = new ArrayList<String>();
    events.add(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null));
    s.text().forEach(t -> events.add(chunk("{\"content\":" + q(t) + "}", null)));
    List<Scenario.Tool> tools = s.tools();
    for (int i = 0; i < tools.size(); i++) {
      Scenario.Tool t = tools.get(i);
      events.add(
          toolDelta(
              i,
              "\"id\":"
                  + q(callId(t))
                  + ",\"type\":\"function\",\"function\":{\"name\":"
                  + q(t.name())
                  + ",\"arguments\":\"\"}"));
    }
    int most = tools.stream().mapToInt(t -> t.fragments().size()).max().orElse(0);
    for (int f = 0; f < most; f++) {
      for (int i = 0; i < tools.size(); i++) {
        List<String> fragments = tools.get(i).fragments();
        if (f < fragments.size()) {
          events.add(toolDelta(i, "\"function\":{\"arguments\":" + q(fragments.get(f)) + "}"));
        }
      }
    }
    return finish(events, s);
  }

  private static String callId(Scenario.Tool t) {
    return "call_" + t.vendorId().substring("toolu_01".length(), 20);
  }

  private static String toolDelta(int index, String fields) {
    return chunk("{\"tool_calls\":[{\"index\":" + index + "," + fields + "}]}", null);
  }

  private static List<String> finish(List<String> events, Scenario s) {
    events.add(chunk("{}", s.finishReason()));
    events.add(
        "data: {\"id\":\""
            + ID
            + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\""
            + Scenario.MODEL
            + "\",\"system_fingerprint\":\"fp_conformance\",\"choices\":[],\"usage\":"
            + usage(s.usage())
            + "}\n\n");
    events.add("data: [DONE]\n\n");
    return events;
  }

  private static String chunk(String delta, @Nullable String finishReason) {
    return "data: {\"id\":\""
        + ID
        + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\""
        + Scenario.MODEL
        + "\",\"system_fingerprint\":\"fp_conformance\",\"choices\":[{\"index\":0,\"delta\":"
        + delta
        + ",\"logprobs\":null,\"finish_reason\":"
        + (finishReason == null ? "null" : q(finishReason))
        + "}],\"usage\":null}\n\n";
  }

  private static String usage(Usage u) {
    String details =
        u.reasoningTokens() == null
            ? ""
            : ",\"completion_tokens_details\":{\"reasoning_tokens\":" + u.reasoningTokens() + "}";
    return "{\"prompt_tokens\":"
        + u.promptTokens()
        + ",\"completion_tokens\":"
        + u.completionTokens()
        + ",\"total_tokens\":"
        + u.totalTokens()
        + ",\"prompt_tokens_details\":{\"cached_tokens\":"
        + u.cachedTokens()
        + "}"
        + details
        + "}";
  }

  private static String error(String message, String type, @Nullable String code) {
    return "{\"error\":{\"message\":"
        + q(message)
        + ",\"type\":"
        + q(type)
        + ",\"param\":null,\"code\":"
        + (code == null ? "null" : q(code))
        + "}}";
  }
}
