package dev.shelf.gateway;

import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import java.nio.charset.StandardCharsets;

/**
 * Rough token counts for when no tokenizer is at hand: used to pre-check context windows (it errs
 * low, so it never refuses a prompt that fits) and to estimate usage an upstream did not report
 * (such records are marked estimated).
 */
final class Tokens {
  private Tokens() {}

  static int estimate(ChatRequest r) {
    int bytes = 0;
    for (ChatMessage m : r.messages()) {
      bytes += m.textContent().getBytes(StandardCharsets.UTF_8).length + 16;
    }
    return bytes / 4;
  }

  static int estimate(String text) {
    return (text.getBytes(StandardCharsets.UTF_8).length + 3) / 4;
  }
}
