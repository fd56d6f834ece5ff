package dev.shelf.eval.prompt;

import dev.shelf.api.ChatMessage;
import java.util.List;

/**
 * What is sent for one item: the prompt text (sent as one user message, as the harnesses send a
 * completion-style prompt to a chat endpoint) and the stop sequences the harness would use.
 */
public record Prompt(String text, List<String> stop) {
  public Prompt {
    stop = List.copyOf(stop);
  }

  public List<ChatMessage> messages() {
    return List.of(ChatMessage.of("user", text));
  }
}
