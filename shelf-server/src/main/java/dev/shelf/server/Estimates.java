package dev.shelf.server;

import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.Usage;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Usage for upstreams that report none: estimated from the text at about four UTF-8 bytes a token
 * and recorded as estimated (access log {@code usage_estimated}). Counting with the model's own
 * tokenizer replaces this where one is available.
 */
final class Estimates {
  private Estimates() {}

  /** A streamed answer's usage: the prompt estimated, the completion from the relayed bytes. */
  static Usage streamed(Usage promptOnly, long relayedBytes) {
    return new Usage(promptOnly.promptTokens(), (int) ((relayedBytes + 3) / 4), null, null);
  }

  /** UTF-8 length without encoding: one byte per ASCII char, about three otherwise. */
  static long utf8(@Nullable String s) {
    if (s == null) {
      return 0;
    }
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      n += s.charAt(i) < 0x80 ? 1 : Character.isSurrogate(s.charAt(i)) ? 2 : 3;
    }
    return n;
  }

  static Usage chat(ChatRequest r, @Nullable ChatCompletion answer) {
    int prompt = 0;
    for (ChatMessage m : r.messages()) {
      prompt += tokens(m.textContent()) + 4;
    }
    int completion = 0;
    if (answer != null) {
      for (ChatCompletion.Choice c : answer.choices()) {
        completion += tokens(c.message().textContent());
        if (c.message().toolCalls() != null) {
          for (var t : c.message().toolCalls()) {
            completion += tokens(t.name()) + tokens(t.arguments());
          }
        }
      }
    }
    return new Usage(prompt, completion, null, null);
  }

  static Usage completion(CompletionRequest r, @Nullable CompletionChunk answer) {
    int completion = 0;
    if (answer != null) {
      for (CompletionChunk.Choice c : answer.choices()) {
        completion += tokens(c.text());
      }
    }
    return new Usage(tokens(r.prompt().toString()), completion, null, null);
  }

  static Usage embedding(EmbeddingRequest r) {
    return new Usage(tokens(r.input().toString()), 0, null, null);
  }

  private static int tokens(String s) {
    return (s.getBytes(StandardCharsets.UTF_8).length + 3) / 4;
  }
}
