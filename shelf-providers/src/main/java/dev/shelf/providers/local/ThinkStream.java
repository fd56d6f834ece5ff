package dev.shelf.providers.local;

import dev.shelf.providers.local.Generation.Scored;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits a reasoning model's thinking from its answer, as llama.cpp's server does by default
 * ({@code --reasoning-format deepseek}): text inside {@code <think>...</think>} goes out as {@code
 * reasoning} (OpenAI clients read {@code reasoning_content}, Anthropic clients get a thinking
 * block), the rest goes on as the answer (to the tool-call reader, when there is one). The thinking
 * is open from the start when the prompt ends with {@code <think>} (DeepSeek R1's and QwQ's
 * templates open it), or when the answer begins with {@code <think>} and the template knows the tag
 * (Qwen3). The white space after {@code </think>} is dropped; a tail that may be the start of
 * {@code </think>} waits for the next token. Thinking tokens' log-probabilities are not reported.
 */
final class ThinkStream implements Generation.Emitter {
  static final String OPEN = "<think>";
  static final String CLOSE = "</think>";

  private final Consumer<String> reasoning;
  private final Generation.Emitter answer;
  private final StringBuilder held = new StringBuilder();
  private final List<Scored> heldTokens = new ArrayList<>();

  /** 0: not yet known whether the answer opens with thinking; 1: thinking; 2: answering. */
  private int state;

  private boolean afterClose;

  /** Characters of generated text received so far. */
  private int received;

  /** Where the answer begins in the generated text (-1 until it does): offsets go on from there. */
  private int shift = -1;

  /**
   * @param open whether the prompt opened the thinking
   * @param reasoning receives thinking text
   * @param answer receives the rest
   */
  ThinkStream(boolean open, Consumer<String> reasoning, Generation.Emitter answer) {
    this.state = open ? 1 : 0;
    this.reasoning = reasoning;
    this.answer = answer;
  }

  /** Whether a prompt ends by opening the thinking ({@code <think>} and white space). */
  static boolean opens(String prompt) {
    return prompt.stripTrailing().endsWith(OPEN);
  }

  @Override
  public void emit(String text, List<Scored> tokens) {
    int start = received; // where `text` begins in the generated text
    received += text.length();
    if (state == 2) {
      answer(text, tokens, start);
      return;
    }
    held.append(text);
    int heldStart = received - held.length();
    if (state == 0) {
      heldTokens.addAll(tokens);
      String s = held.toString();
      int blanks = s.length() - s.stripLeading().length();
      s = s.substring(blanks);
      if (s.startsWith(OPEN)) {
        held.delete(0, blanks + OPEN.length());
        heldTokens.clear();
        state = 1;
      } else if (s.isEmpty() || OPEN.startsWith(s)) {
        return; // may yet be the tag
      } else {
        state = 2;
        String all = held.toString();
        held.setLength(0);
        List<Scored> out = List.copyOf(heldTokens);
        heldTokens.clear();
        answer(all, out, heldStart);
        return;
      }
    }
    heldStart = received - held.length();
    int close = held.indexOf(CLOSE);
    if (close >= 0) {
      think(held.substring(0, close));
      String rest = held.substring(close + CLOSE.length());
      held.setLength(0);
      state = 2;
      afterClose = true;
      answer(rest, tokens, heldStart + close + CLOSE.length());
      return;
    }
    int keep = ToolCallStream.tail(held, CLOSE);
    think(held.substring(0, held.length() - keep));
    held.delete(0, held.length() - keep);
  }

  /** Ends the stream: what is still held was thinking (or, never opened, the answer). */
  void finish() {
    if (held.isEmpty()) {
      return;
    }
    String rest = held.toString();
    int start = received - held.length();
    held.setLength(0);
    if (state == 1) {
      think(rest);
    } else {
      answer(rest, List.copyOf(heldTokens), start);
      heldTokens.clear();
    }
  }

  private void think(String text) {
    if (!text.isEmpty()) {
      reasoning.accept(text);
    }
  }

  /**
   * Passes answer text on, {@code start} where it begins in the generated text: the tokens that
   * begin in it go with it, their offsets counted from the answer's start (as the next stream
   * counts), and those of the thinking stay behind.
   */
  private void answer(String text, List<Scored> tokens, int start) {
    if (afterClose) {
      int blanks = text.length() - text.stripLeading().length();
      text = text.substring(blanks);
      start += blanks;
      if (text.isEmpty()) {
        return;
      }
      afterClose = false;
    }
    if (shift < 0) {
      shift = start; // the answer's first character
    }
    List<Scored> out = new ArrayList<>();
    for (Scored t : tokens) {
      if (t.offset() >= start) {
        out.add(new Scored(t.id(), t.dist(), t.offset() - shift));
      }
    }
    answer.emit(text, out);
  }
}
