package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One {@code chat.completion.chunk}: the unit every provider streams. A non-streaming answer is
 * these chunks aggregated ({@link ChatAggregator}).
 */
public record ChatChunk(
    String id,
    long created,
    String model,
    @Nullable String systemFingerprint,
    List<Choice> choices,
    @Nullable Usage usage) {

  public ChatChunk {
    choices = List.copyOf(choices);
  }

  public ChatChunk withId(String newId, String newModel) {
    return new ChatChunk(newId, created, newModel, systemFingerprint, choices, usage);
  }

  public record Choice(
      int index, Delta delta, @Nullable String finishReason, @Nullable JsonNode logprobs) {}

  public record Delta(
      @Nullable String role,
      @Nullable String content,
      @Nullable String reasoning,
      @Nullable List<ToolCallDelta> toolCalls,
      @Nullable String refusal) {

    public static final Delta EMPTY = new Delta(null, null, null, null, null);

    public Delta {
      toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
    }
  }

  /**
   * A fragment of a tool call. The first fragment of a call carries its id and name; later ones
   * carry argument text to append. {@code index} tells parallel calls apart.
   */
  public record ToolCallDelta(
      int index, @Nullable String id, @Nullable String name, @Nullable String arguments) {}
}
