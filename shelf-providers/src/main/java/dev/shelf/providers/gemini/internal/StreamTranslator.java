package dev.shelf.providers.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Gemini's {@code streamGenerateContent?alt=sse} events, each a whole {@code
 * GenerateContentResponse}, to {@code chat.completion.chunk}s, one event at a time ({@link
 * #onEvent}), then {@link #end} when the bytes run out (Gemini has no end-of-stream event).
 *
 * <p>The invariants this class keeps:
 *
 * <ul>
 *   <li>Gemini sends each {@code functionCall} whole, with no id. Each call becomes one tool-call
 *       delta with a generated id ({@code <prefix><n>}), its name, and the whole {@code args}
 *       object as a single argument fragment, so arguments always parse as JSON ({@code {}} when
 *       Gemini sent none). Calls are numbered per candidate by their own count (0, 1, 2 …):
 *       parallel calls never share an index.
 *   <li>Parts marked {@code thought: true} are reasoning, not content.
 *   <li>Exactly one chunk per candidate carries its finish reason; {@code STOP} after function
 *       calls reads as {@code tool_calls}.
 *   <li>{@code usageMetadata} (cumulative; the last one seen wins) is reported once, in a final
 *       chunk with no choices, at the end.
 *   <li>A prompt blocked by Gemini ({@code promptFeedback.blockReason}) fails the call as {@link
 *       Kind#CONTENT_FILTER}, as Azure OpenAI answers a filtered prompt with a 400.
 * </ul>
 *
 * Lossy, as listed in {@code docs/gemini.md}: safety ratings, citation metadata, grounding
 * metadata, thought signatures, log probabilities and executable-code parts are dropped.
 */
public final class StreamTranslator {
  /** Per-candidate state: Gemini's candidates are OpenAI's choices, by index. */
  private static final class Candidate {
    boolean started;
    int nextTool;
    @Nullable String finish;
  }

  private final String provider;
  private final long created;
  private final String callIdPrefix;
  private final TreeMap<Integer, Candidate> candidates = new TreeMap<>();
  private String id = "";
  private String model;
  private @Nullable Usage usage;
  private boolean ended;

  /**
   * @param created the {@code created} time of every chunk (Gemini sends none)
   * @param model the model asked for, until Gemini names its {@code modelVersion}
   * @param callIdPrefix tool-call ids are this prefix and the call's index ({@code call_} gives
   *     {@code call_0}, {@code call_1}, …)
   */
  public StreamTranslator(String provider, long created, String model, String callIdPrefix) {
    this.provider = provider;
    this.created = created;
    this.model = model;
    this.callIdPrefix = callIdPrefix;
  }

  /**
   * Translates one event's parsed data. Returns the chunks to send, often several. An {@code error}
   * object or a blocked prompt throws the mapped {@link ProviderException}.
   */
  public List<ChatChunk> onEvent(JsonNode data) {
    if (data.path("error").isObject()) {
      throw GeminiErrors.inStream(provider, data.get("error"));
    }
    id = data.path("responseId").asText(id);
    model = data.path("modelVersion").asText(model);
    JsonNode usageMetadata = data.get("usageMetadata");
    if (usageMetadata != null && usageMetadata.isObject()) {
      usage = usage(usageMetadata);
    }
    JsonNode blocked = data.path("promptFeedback").get("blockReason");
    if (blocked != null && !blocked.isNull() && data.path("candidates").isEmpty()) {
      throw new ProviderException(
          Kind.CONTENT_FILTER,
          provider + " blocked the prompt (" + blocked.asText() + ")",
          "content_filter",
          "messages",
          0,
          null,
          null);
    }
    List<ChatChunk> out = new ArrayList<>();
    JsonNode list = data.path("candidates");
    for (int i = 0; i < list.size(); i++) {
      JsonNode c = list.get(i);
      int index = c.path("index").asInt(i);
      Candidate state = candidates.computeIfAbsent(index, k -> new Candidate());
      if (state.finish != null) {
        continue; // a candidate that already finished sends nothing more that we can use
      }
      if (!state.started) {
        state.started = true;
        out.add(chunk(index, new Delta("assistant", null, null, null, null), null));
      }
      for (JsonNode part : c.path("content").path("parts")) {
        Delta d = part(part, state);
        if (d != null) {
          out.add(chunk(index, d, null));
        }
      }
      JsonNode reason = c.get("finishReason");
      if (reason != null && reason.isTextual() && !reason.textValue().isEmpty()) {
        state.finish = finishReason(reason.textValue(), state.nextTool > 0);
        out.add(chunk(index, Delta.EMPTY, state.finish));
      }
    }
    return out;
  }

  /**
   * The stream ended. A candidate without a finish reason means the answer was cut off; otherwise
   * the usage chunk goes out.
   */
  public List<ChatChunk> end() {
    if (ended) {
      return List.of();
    }
    ended = true;
    if (candidates.isEmpty()) {
      throw new ProviderException(
          Kind.BROKEN_STREAM, "the stream from " + provider + " ended without an answer");
    }
    for (Candidate c : candidates.values()) {
      if (c.finish == null) {
        throw new ProviderException(
            Kind.BROKEN_STREAM, "the stream from " + provider + " ended before the answer did");
      }
    }
    Usage u = usage;
    return u == null ? List.of() : List.of(new ChatChunk(id, created, model, null, List.of(), u));
  }

  private @Nullable Delta part(JsonNode part, Candidate state) {
    JsonNode call = part.get("functionCall");
    if (call != null && call.isObject()) {
      int index = state.nextTool++;
      JsonNode args = call.get("args");
      String json = args != null && args.isObject() ? Json.string(args) : "{}";
      var delta =
          new ToolCallDelta(index, callIdPrefix + index, call.path("name").asText(""), json);
      return new Delta(null, null, null, List.of(delta), null);
    }
    JsonNode text = part.get("text");
    if (text == null || !text.isTextual() || text.textValue().isEmpty()) {
      // thoughtSignature alone, executableCode, codeExecutionResult, inlineData: no place (lossy)
      return null;
    }
    return part.path("thought").asBoolean(false)
        ? new Delta(null, null, text.textValue(), null, null)
        : new Delta(null, text.textValue(), null, null, null);
  }

  /**
   * Gemini's finish reason as an OpenAI one. Lossy: {@code LANGUAGE}, {@code OTHER}, {@code
   * MALFORMED_FUNCTION_CALL} and reasons added later read as {@code stop}.
   */
  static String finishReason(String reason, boolean calledTools) {
    return switch (reason) {
      case "MAX_TOKENS" -> "length";
      case "SAFETY",
          "RECITATION",
          "BLOCKLIST",
          "PROHIBITED_CONTENT",
          "SPII",
          "IMAGE_SAFETY",
          "IMAGE_PROHIBITED_CONTENT",
          "MODEL_ARMOR" ->
          "content_filter";
      default -> calledTools ? "tool_calls" : "stop"; // STOP, and the lossy ones above
    };
  }

  /**
   * {@code usageMetadata} as usage. Gemini's {@code promptTokenCount} already includes cached
   * tokens; tool-use prompt tokens are added to the prompt; thoughts are part of the completion
   * (and reported apart as reasoning tokens).
   */
  static Usage usage(JsonNode u) {
    int prompt = u.path("promptTokenCount").asInt(0) + u.path("toolUsePromptTokenCount").asInt(0);
    int candidates = u.path("candidatesTokenCount").asInt(0);
    JsonNode thoughts = u.get("thoughtsTokenCount");
    JsonNode cached = u.get("cachedContentTokenCount");
    return new Usage(
        prompt,
        candidates + (thoughts == null ? 0 : thoughts.asInt(0)),
        cached == null ? 0 : cached.asInt(0),
        thoughts == null ? null : thoughts.asInt(0));
  }

  private ChatChunk chunk(int index, Delta delta, @Nullable String finish) {
    return new ChatChunk(
        id, created, model, null, List.of(new Choice(index, delta, finish, null)), null);
  }
}
