package dev.shelf.providers.local;

import dev.shelf.providers.local.Generation.Scored;
import java.util.ArrayList;
import java.util.List;

/**
 * Sits between a generation and the client when a request has tools: content streams on as it
 * comes, and text that is (or may be becoming) a tool call is held until the end, then read as
 * calls ({@link ToolFormat#parse}) or, when it is not one, sent as the content it is.
 *
 * <p>What is held: white space at the start (the answer may yet open with a call, for the formats
 * whose calls are the whole answer), a tail that could be the beginning of the format's opening tag
 * ({@code <tool_call>}, DeepSeek's {@code <｜tool▁calls▁begin｜>}, {@code <function=}) and the white
 * space before it (content does not end with the line break before a call), and everything from the
 * first call on. The tokens of released text go out with it (for logprobs); the tokens of a call
 * are not reported, as OpenAI reports none for tool calls.
 */
final class ToolCallStream implements Generation.Emitter {
  private final ToolFormat format;
  private final Generation.Emitter out;
  private final StringBuilder held = new StringBuilder();
  private final List<Scored> heldTokens = new ArrayList<>();

  /** Text received so far, in characters: where the held text ends. */
  private int received;

  private boolean started;
  private boolean capturing;

  /** The call text the prompt ends with (a forced call), read before the generated text. */
  private final String forced;

  /**
   * @param forced text the prompt already opened a call with ({@link ToolFormat.Forced#text}), or
   *     empty: then the answer is read as a call from its start
   */
  ToolCallStream(ToolFormat format, String forced, Generation.Emitter out) {
    this.format = format;
    this.forced = forced;
    this.out = out;
    if (!forced.isEmpty()) {
      capturing = true;
      started = true;
    }
  }

  @Override
  public void emit(String text, List<Scored> tokens) {
    held.append(text);
    heldTokens.addAll(tokens);
    received += text.length();
    if (capturing) {
      return;
    }
    if (!started && format == ToolFormat.FUNCTIONARY_V32) {
      // the answer's first line names its recipient: "all" for content, else a function
      int line = held.indexOf("\n");
      if (line < 0) {
        return;
      }
      started = true;
      if (!held.substring(0, line).strip().equals(ToolFormat.ALL)) {
        capturing = true;
        return;
      }
      held.delete(0, line + 1);
    }
    if (!started) {
      int first = firstNonBlank(held);
      if (first < 0) {
        return;
      }
      String lead = held.substring(first);
      if (format.startsCall(lead.charAt(0))
          || (format == ToolFormat.GENERIC && ToolFormat.opener(lead) != null)) {
        started = true;
        capturing = true;
        return;
      }
      if (format == ToolFormat.GENERIC && ToolFormat.mayOpen(lead)) {
        return; // may yet be FireFunction's or Command R+'s opening
      }
      started = true;
    }
    if (format.tagged()) {
      int at = held.indexOf(format.open());
      if (at >= 0) {
        // the content ends before the white space that separates it from the call; that white
        // space stays held, to go out again if the call does not parse
        int end = blankTail(held, at);
        release(end, at);
        capturing = true;
        return;
      }
      int n = blankTail(held, held.length() - tail(held, format.open()));
      release(n, n);
    } else {
      release(held.length(), held.length());
    }
  }

  /**
   * Ends the stream: sends what is held as content unless it is a call, and returns the calls
   * (empty for none).
   */
  List<ToolFormat.Call> finish() {
    if (!started
        && format == ToolFormat.FUNCTIONARY_V32
        && held.toString().strip().equals(ToolFormat.ALL)) {
      held.setLength(0); // the recipient line alone: no content
    }
    if (capturing) {
      ToolFormat.Parsed parsed = format.parse(forced + held);
      if (parsed != null) {
        // the held text begins at the first call, so the parsed content is what came between and
        // after the calls; what came before them was sent already
        heldTokens.clear();
        held.setLength(0);
        if (!parsed.content().isBlank()) {
          out.emit(parsed.content().stripLeading(), List.of());
        }
        return parsed.calls();
      }
      if (!forced.isEmpty()) {
        out.emit(forced, List.of()); // what the model was made to begin with, then what it wrote
      }
    }
    release(held.length(), held.length());
    return List.of();
  }

  /**
   * Sends the first {@code n} held characters with the tokens that begin before held character
   * {@code tokensEnd} (at least {@code n}).
   */
  private void release(int n, int tokensEnd) {
    int end = received - held.length() + tokensEnd;
    List<Scored> tokens = new ArrayList<>();
    while (!heldTokens.isEmpty() && heldTokens.getFirst().offset() < end) {
      tokens.add(heldTokens.removeFirst());
    }
    if (n > 0 || !tokens.isEmpty()) {
      out.emit(held.substring(0, n), tokens);
      held.delete(0, n);
    }
  }

  /** Where the run of white space that ends at {@code end} begins. */
  private static int blankTail(CharSequence s, int end) {
    int i = end;
    while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) {
      i--;
    }
    return i;
  }

  private static int firstNonBlank(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      if (!Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /** The length of the longest tail of {@code s} (shorter than {@code tag}) that begins it. */
  static int tail(CharSequence s, String tag) {
    for (int k = Math.min(tag.length() - 1, s.length()); k > 0; k--) {
      boolean match = true;
      for (int i = 0; i < k && match; i++) {
        match = s.charAt(s.length() - k + i) == tag.charAt(i);
      }
      if (match) {
        return k;
      }
    }
    return 0;
  }
}
