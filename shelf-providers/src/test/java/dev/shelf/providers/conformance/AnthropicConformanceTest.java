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
import org.junit.jupiter.api.Test;

/**
 * The {@code anthropic} adapter against Anthropic's Messages stream
 * (https://docs.anthropic.com/en/docs/build-with-claude/streaming), in the shapes of the recorded
 * transcripts under {@code src/test/resources/anthropic/}: {@code event:} and one {@code data:}
 * line per event, {@code message_start} with input usage split into uncached, cache-read and
 * cache-write tokens, content blocks by index (text, thinking, tool_use with {@code
 * input_json_delta} fragments), a {@code ping}, {@code message_delta} with the stop reason and
 * cumulative output tokens, {@code message_stop}. Tool blocks follow one another: Anthropic never
 * interleaves them. Anthropic reports no reasoning-token count.
 */
class AnthropicConformanceTest extends ProviderConformanceTest {
  /** Cache-write tokens in every message_start: part of the prompt, not of the cache reads. */
  private static final int CACHE_WRITES = 3;

  @Override
  String type() {
    return "anthropic";
  }

  @Override
  String chatTarget() {
    return "/v1/messages";
  }

  @Override
  Map.Entry<String, String> authHeader(String key) {
    return Map.entry("x-api-key", key);
  }

  @Override
  boolean asksForStream(Request request) {
    return Json.parse(request.body()).path("stream").asBoolean(false)
        && "text/event-stream".equals(request.headers().get("accept"));
  }

  @Override
  boolean reportsReasoningTokens() {
    return false;
  }

  /**
   * The fixture's own check of its TEXT stream, read back with {@link SseReader}: each event named
   * as its data's {@code type}, {@code message_start} first with the prompt split into uncached,
   * cache-read and cache-write tokens, content blocks opened and closed by index, the text in
   * {@code text_delta}s, then {@code message_delta} with the stop reason and output tokens, and
   * {@code message_stop} last.
   */
  @Test
  void theScriptedTextStreamRunsFromMessageStartToMessageStop() throws IOException {
    Scenario s = Scenario.TEXT;
    List<SseReader.Event> events = events(reply(s));
    List<String> names = events.stream().map(e -> String.valueOf(e.event())).toList();
    assertThat(names.getFirst()).isEqualTo("message_start");
    assertThat(names.subList(names.size() - 2, names.size()))
        .containsExactly("message_delta", "message_stop");
    List<JsonNode> data = events.stream().map(e -> Json.parse(e.bytes())).toList();
    var open = new ArrayList<Integer>();
    var text = new StringBuilder();
    for (int i = 0; i < events.size(); i++) {
      JsonNode d = data.get(i);
      assertThat(d.path("type").asText()).as("type of event %d", i).isEqualTo(names.get(i));
      int index = d.path("index").asInt(-1);
      switch (names.get(i)) {
        case "content_block_start" -> {
          assertThat(open).as("blocks open at %d", i).isEmpty();
          open.add(index);
        }
        case "content_block_delta" -> {
          assertThat(open).as("the block of delta %d", i).containsExactly(index);
          text.append(d.path("delta").path("text").asText(""));
        }
        case "content_block_stop" -> {
          assertThat(open).as("the block stopped at %d", i).containsExactly(index);
          open.clear();
        }
        default -> {}
      }
    }
    assertThat(open).as("blocks left open").isEmpty();
    assertThat(text.toString()).isEqualTo(String.join("", s.text()));
    Usage u = s.usage();
    JsonNode input = data.getFirst().path("message").path("usage");
    assertThat(input.path("cache_read_input_tokens").asInt()).isEqualTo(u.cachedTokens());
    assertThat(
            input.path("input_tokens").asInt()
                + input.path("cache_read_input_tokens").asInt()
                + input.path("cache_creation_input_tokens").asInt())
        .as("the prompt, in its three parts")
        .isEqualTo(u.promptTokens());
    JsonNode messageDelta = data.get(data.size() - 2);
    assertThat(messageDelta.path("delta").path("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(messageDelta.path("usage").path("output_tokens").asInt())
        .isEqualTo(u.completionTokens());
  }

  @Override
  Reply reply(Scenario s) {
    return switch (s) {
      case TEXT, REASONING, PARALLEL_TOOLS, LENGTH -> Reply.sse(answer(s));
      case RATE_LIMITED ->
          Reply.json(
              429,
              error(
                  "rate_limit_error",
                  "Number of request tokens has exceeded your rate limit for key "
                      + Scenario.KEY
                      + " "
                      + MARKER),
              Map.of("retry-after", String.valueOf(Scenario.RETRY_AFTER_SECONDS)));
      case OVERLOADED -> Reply.json(529, error("overloaded_error", "Overloaded " + MARKER));
      case UNAUTHORIZED ->
          Reply.json(
              401,
              error("authentication_error", "invalid x-api-key " + Scenario.KEY + " " + MARKER));
      case ERROR_MID_STREAM -> {
        var events = started(s);
        events.add(
            event(
                "error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                    + q("Overloaded " + MARKER)
                    + "}}"));
        yield Reply.sse(events);
      }
      case TRUNCATED -> Reply.sse(started(s));
    };
  }

  /** message_start and a text block with the scenario's text, left open. */
  private static List<String> started(Scenario s) {
    var events = new ArrayList<String>();
    events.add(messageStart(s.usage()));
    events.add(blockStart(0, "{\"type\":\"text\",\"text\":\"\"}"));
    s.text().forEach(t -> events.add(delta(0, "{\"type\":\"text_delta\",\"text\":" + q(t) + "}")));
    return events;
  }

  private static List<String> answer(Scenario s) {
    var events = new ArrayList<String>();
    events.add(messageStart(s.usage()));
    int index = 0;
    if (!s.reasoning().isEmpty()) {
      events.add(blockStart(index, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}"));
      for (String r : s.reasoning()) {
        events.add(delta(index, "{\"type\":\"thinking_delta\",\"thinking\":" + q(r) + "}"));
      }
      events.add(delta(index, "{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIMconf\"}"));
      events.add(blockStop(index++));
    }
    events.add(blockStart(index, "{\"type\":\"text\",\"text\":\"\"}"));
    events.add(event("ping", "{\"type\":\"ping\"}"));
    for (String t : s.text()) {
      events.add(delta(index, "{\"type\":\"text_delta\",\"text\":" + q(t) + "}"));
    }
    events.add(blockStop(index++));
    for (Scenario.Tool t : s.tools()) {
      events.add(
          blockStart(
              index,
              "{\"type\":\"tool_use\",\"id\":"
                  + q(t.vendorId())
                  + ",\"name\":"
                  + q(t.name())
                  + ",\"input\":{}}"));
      events.add(delta(index, "{\"type\":\"input_json_delta\",\"partial_json\":\"\"}"));
      for (String f : t.fragments()) {
        events.add(delta(index, "{\"type\":\"input_json_delta\",\"partial_json\":" + q(f) + "}"));
      }
      events.add(blockStop(index++));
    }
    String stop =
        switch (s.finishReason()) {
          case "length" -> "max_tokens";
          case "tool_calls" -> "tool_use";
          default -> "end_turn";
        };
    events.add(
        event(
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""
                + stop
                + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":"
                + s.usage().completionTokens()
                + "}}"));
    events.add(event("message_stop", "{\"type\":\"message_stop\"}"));
    return events;
  }

  /**
   * Anthropic counts the prompt in three parts; the canonical prompt is their sum, the canonical
   * cached tokens the cache reads. The first output token is counted here already, as Anthropic
   * does; message_delta's count is cumulative and replaces it.
   */
  private static String messageStart(Usage u) {
    int cacheRead = u.cachedTokens() == null ? 0 : u.cachedTokens();
    int input = u.promptTokens() - cacheRead - CACHE_WRITES;
    return event(
        "message_start",
        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01Conformance000000000001\","
            + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-conformance\","
            + "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{"
            + "\"input_tokens\":"
            + input
            + ",\"cache_creation_input_tokens\":"
            + CACHE_WRITES
            + ",\"cache_read_input_tokens\":"
            + cacheRead
            + ",\"output_tokens\":1}}}");
  }

  private static String blockStart(int index, String block) {
    return event(
        "content_block_start",
        "{\"type\":\"content_block_start\",\"index\":"
            + index
            + ",\"content_block\":"
            + block
            + "}");
  }

  private static String delta(int index, String delta) {
    return event(
        "content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":" + index + ",\"delta\":" + delta + "}");
  }

  private static String blockStop(int index) {
    return event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
  }

  private static String event(String name, String data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
  }

  private static String error(String type, String message) {
    return "{\"type\":\"error\",\"error\":{\"type\":\""
        + type
        + "\",\"message\":"
        + q(message)
        + "},\"request_id\":\"req_011Conformance\"}";
  }
}
