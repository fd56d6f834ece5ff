package dev.shelf.eval.judge;

/**
 * The judge model: the reply to one prompt. Any shelf model through {@link OpenAiJudge}; tests
 * script it. May be called from several threads at once. A call that fails (HTTP error, timeout)
 * throws {@link Failed}; a reply without a verdict in the required format is not a failure here but
 * a judge error, counted by the caller.
 */
@FunctionalInterface
public interface Judge {
  String ask(String prompt);

  /** The judge could not be asked; nothing is stored, so the next pass asks again. */
  final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Failed(String message) {
      super(message);
    }
  }
}
