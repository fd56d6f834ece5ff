package dev.shelf.providers.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Anthropic Messages stream events to {@code chat.completion.chunk}s, one event at a time ({@link
 * #onEvent}), then {@link #end} when the bytes run out.
 *
 * <p>The invariants this class keeps, each a bug seen in other gateways:
 *
 * <ul>
 *   <li>Tool calls are numbered by their own count (0, 1, 2 …), not by Anthropic's content index,
 *       which also counts text and thinking blocks: a text block then two tool calls give tool
 *       indexes 0 and 1, never 1 and 2, and parallel calls never share an index.
 *   <li>The first delta of a call carries its id and name; {@code partial_json} fragments follow as
 *       argument text. A call whose input streamed no text (a tool without parameters) gets {@code
 *       {}}, so the arguments always concatenate to valid JSON.
 *   <li>Usage is reported once, in a final chunk with no choices, at {@code message_stop}: prompt
 *       tokens are input plus cache reads plus cache writes (Anthropic counts them apart), cached
 *       tokens the cache reads. {@code message_delta} usage is cumulative, so later values replace
 *       earlier ones; nothing is summed twice.
 *   <li>Exactly one chunk carries the finish reason (at {@code message_delta}).
 * </ul>
 *
 * Lossy, as listed in {@code docs/anthropic.md}: thinking signatures, redacted thinking, citations
 * and server-tool blocks are dropped.
 */
public final class StreamTranslator {
  private enum BlockKind {
    TEXT,
    THINKING,
    TOOL,
    JSON_ANSWER,
    IGNORED
  }

  /** One open content block, by Anthropic's index. */
  private static final class Block {
    final BlockKind kind;
    final int toolIndex;
    final @Nullable JsonNode startInput;
    boolean sawArguments;

    Block(BlockKind kind, int toolIndex, @Nullable JsonNode startInput) {
      this.kind = kind;
      this.toolIndex = toolIndex;
      this.startInput = startInput;
    }
  }

  private final String provider;
  private final long created;
  private final boolean jsonTool;
  private final Map<Integer, Block> blocks = new HashMap<>();
  private String id = "";
  private String model = "";
  private int nextToolIndex;
  private boolean clientToolCalled;
  private int inputTokens;
  private int cacheReadTokens;
  private int cacheCreationTokens;
  private int outputTokens;
  private boolean sawUsage;
  private @Nullable String finishReason;
  private boolean stopped;

  /**
   * @param created the {@code created} time of every chunk (Anthropic sends none)
   * @param jsonTool whether {@link MessagesRequest#JSON_TOOL} carries the answer as its input
   */
  public StreamTranslator(String provider, long created, boolean jsonTool) {
    this.provider = provider;
    this.created = created;
    this.jsonTool = jsonTool;
  }

  /** Whether {@code message_stop} arrived: the answer is complete. */
  public boolean stopped() {
    return stopped;
  }

  /**
   * Translates one event ({@code data} parsed; {@code event} is the SSE event name, used only when
   * the data carry no {@code type}). Returns the chunks to send, often none. An {@code error} event
   * throws the mapped {@link ProviderException}.
   */
  public List<ChatChunk> onEvent(@Nullable String event, JsonNode data) {
    String type = data.path("type").asText(event == null ? "" : event);
    return switch (type) {
      case "message_start" -> messageStart(data.path("message"));
      case "content_block_start" ->
          blockStart(data.path("index").asInt(), data.path("content_block"));
      case "content_block_delta" -> blockDelta(data.path("index").asInt(), data.path("delta"));
      case "content_block_stop" -> blockStop(data.path("index").asInt());
      case "message_delta" -> messageDelta(data.path("delta"), data.path("usage"));
      case "message_stop" -> {
        stopped = true;
        yield usageChunk();
      }
      case "error" -> throw AnthropicErrors.inStream(provider, data.path("error"));
      // ping, and event types Anthropic may add later: the docs ask clients to ignore them
      default -> List.of();
    };
  }

  /**
   * The stream ended. Without a stop reason the answer was cut off; with one but no {@code
   * message_stop}, the usage chunk still goes out.
   */
  public List<ChatChunk> end() {
    if (stopped) {
      return List.of();
    }
    if (finishReason == null) {
      throw new ProviderException(
          Kind.BROKEN_STREAM, "the stream from " + provider + " ended before the answer did");
    }
    stopped = true;
    return usageChunk();
  }

  private List<ChatChunk> messageStart(JsonNode message) {
    id = message.path("id").asText(id);
    model = message.path("model").asText(model);
    readUsage(message.path("usage"));
    return one(new Delta("assistant", null, null, null, null), null);
  }

  private List<ChatChunk> blockStart(int index, JsonNode block) {
    switch (block.path("type").asText()) {
      case "text" -> {
        blocks.put(index, new Block(BlockKind.TEXT, -1, null));
        return text(block.path("text").asText(""));
      }
      case "thinking" -> {
        blocks.put(index, new Block(BlockKind.THINKING, -1, null));
        String thinking = block.path("thinking").asText("");
        return thinking.isEmpty() ? List.of() : one(reasoning(thinking), null);
      }
      case "tool_use" -> {
        String name = block.path("name").asText("");
        if (jsonTool && name.equals(MessagesRequest.JSON_TOOL)) {
          blocks.put(index, new Block(BlockKind.JSON_ANSWER, -1, block.get("input")));
          return List.of();
        }
        int toolIndex = nextToolIndex++;
        clientToolCalled = true;
        blocks.put(index, new Block(BlockKind.TOOL, toolIndex, block.get("input")));
        var first = new ToolCallDelta(toolIndex, block.path("id").asText(""), name, "");
        return one(new Delta(null, null, null, List.of(first), null), null);
      }
      default -> {
        // redacted_thinking, server_tool_use, web_search_tool_result, …: nothing to say in the
        // chat completion shape (lossy).
        blocks.put(index, new Block(BlockKind.IGNORED, -1, null));
        return List.of();
      }
    }
  }

  private List<ChatChunk> blockDelta(int index, JsonNode delta) {
    Block b = blocks.get(index);
    if (b == null) {
      throw new ProviderException(
          Kind.BROKEN_STREAM, provider + " sent a delta for content block " + index + " unopened");
    }
    switch (delta.path("type").asText()) {
      case "text_delta" -> {
        return b.kind == BlockKind.TEXT ? text(delta.path("text").asText("")) : List.of();
      }
      case "thinking_delta" -> {
        String thinking = delta.path("thinking").asText("");
        return b.kind == BlockKind.THINKING && !thinking.isEmpty()
            ? one(reasoning(thinking), null)
            : List.of();
      }
      case "input_json_delta" -> {
        String json = delta.path("partial_json").asText("");
        if (json.isEmpty()) {
          return List.of();
        }
        if (!json.isBlank()) {
          b.sawArguments = true;
        }
        if (b.kind == BlockKind.TOOL) {
          return one(arguments(b.toolIndex, json), null);
        }
        return b.kind == BlockKind.JSON_ANSWER ? text(json) : List.of();
      }
      default -> {
        // signature_delta (the thinking signature), citations_delta: no place for them (lossy)
        return List.of();
      }
    }
  }

  private List<ChatChunk> blockStop(int index) {
    Block b = blocks.remove(index);
    if (b == null
        || b.sawArguments
        || (b.kind != BlockKind.TOOL && b.kind != BlockKind.JSON_ANSWER)) {
      return List.of();
    }
    // No argument text streamed: the input given at the start is the whole input ({} usually).
    JsonNode input = b.startInput;
    String whole = input != null && input.isObject() ? Json.string(input) : "{}";
    return b.kind == BlockKind.TOOL ? one(arguments(b.toolIndex, whole), null) : text(whole);
  }

  private List<ChatChunk> messageDelta(JsonNode delta, JsonNode usage) {
    readUsage(usage);
    JsonNode reason = delta.get("stop_reason");
    if (reason == null || reason.isNull()) {
      return List.of();
    }
    finishReason = finishReason(reason.asText(), jsonTool && !clientToolCalled);
    return one(Delta.EMPTY, finishReason);
  }

  /**
   * Anthropic's stop reason as an OpenAI finish reason. Lossy: {@code pause_turn} (a server tool
   * paused a long turn) reads as {@code stop}; {@code model_context_window_exceeded} as {@code
   * length}.
   */
  static String finishReason(String stopReason, boolean answeredByJsonTool) {
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> answeredByJsonTool ? "stop" : "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn
    };
  }

  /** Usage fields present in this object replace what was known (Anthropic's are cumulative). */
  private void readUsage(JsonNode usage) {
    if (!usage.isObject()) {
      return;
    }
    sawUsage = true;
    inputTokens = intOr(usage, "input_tokens", inputTokens);
    cacheReadTokens = intOr(usage, "cache_read_input_tokens", cacheReadTokens);
    cacheCreationTokens = intOr(usage, "cache_creation_input_tokens", cacheCreationTokens);
    outputTokens = intOr(usage, "output_tokens", outputTokens);
  }

  private static int intOr(JsonNode o, String field, int dflt) {
    JsonNode v = o.get(field);
    return v != null && v.isNumber() ? v.intValue() : dflt;
  }

  private List<ChatChunk> usageChunk() {
    if (!sawUsage) {
      return List.of();
    }
    var usage =
        new Usage(
            inputTokens + cacheReadTokens + cacheCreationTokens,
            outputTokens,
            cacheReadTokens,
            null);
    return List.of(new ChatChunk(id, created, model, null, List.of(), usage));
  }

  private List<ChatChunk> text(String text) {
    return text.isEmpty() ? List.of() : one(new Delta(null, text, null, null, null), null);
  }

  private static Delta reasoning(String thinking) {
    return new Delta(null, null, thinking, null, null);
  }

  private static Delta arguments(int toolIndex, String json) {
    return new Delta(
        null, null, null, List.of(new ToolCallDelta(toolIndex, null, null, json)), null);
  }

  private List<ChatChunk> one(Delta delta, @Nullable String finish) {
    return List.of(
        new ChatChunk(id, created, model, null, List.of(new Choice(0, delta, finish, null)), null));
  }
}
