package dev.shelf.guard.label;

/**
 * The explicit label: a visible notice added to generated text, at its start or its end (GB
 * 45438-2025 allows the start, the end or a suitable place in the middle), or not at all.
 *
 * <p>The notice is set apart from the text by a blank line: {@code notice + "\n\n"} before it, or
 * {@code "\n\n" + notice} after it. What carries an explicit label is signed with it: the signed
 * text is the text as the client received it.
 */
public record ExplicitLabel(Position position, String text) {
  /** The default wording, in Chinese and English. */
  public static final String DEFAULT_TEXT = "本内容由人工智能生成 / AI-generated content";

  public static final ExplicitLabel OFF = new ExplicitLabel(Position.OFF, DEFAULT_TEXT);

  /** Where the notice goes. */
  public enum Position {
    OFF,
    START,
    END
  }

  public ExplicitLabel {
    if (position != Position.OFF && text.isBlank()) {
      throw new IllegalArgumentException("an explicit label at " + position + " needs a text");
    }
  }

  public boolean on() {
    return position != Position.OFF;
  }

  /** What goes before the generated text: the notice and a blank line, or nothing. */
  public String prefix() {
    return position == Position.START ? text + "\n\n" : "";
  }

  /** What goes after the generated text: a blank line and the notice, or nothing. */
  public String suffix() {
    return position == Position.END ? "\n\n" + text : "";
  }

  /** The whole text with the notice where it belongs. */
  public String apply(String generated) {
    return prefix() + generated + suffix();
  }
}
