package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A whole {@code chat.completion} answer. */
public record ChatCompletion(
    String id,
    long created,
    String model,
    @Nullable String systemFingerprint,
    List<Choice> choices,
    @Nullable Usage usage) {

  public ChatCompletion {
    choices = List.copyOf(choices);
  }

  public record Choice(
      int index, ChatMessage message, String finishReason, @Nullable JsonNode logprobs) {}
}
