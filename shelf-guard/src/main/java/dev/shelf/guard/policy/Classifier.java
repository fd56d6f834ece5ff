package dev.shelf.guard.policy;

import java.util.List;

/**
 * A moderation model: any shelf model asked, through a prompt, whether a text is safe. The server
 * supplies it (it calls the model through the gateway); a policy's {@code moderation} rule uses it.
 */
@FunctionalInterface
public interface Classifier {
  /** Classifies {@code text} with {@code model}, using {@code prompt} as the instructions. */
  Verdict classify(String model, String prompt, String text);

  /** What the model said: unsafe or not, the categories it named, and its raw answer. */
  record Verdict(boolean unsafe, List<String> categories, String raw) {
    public Verdict {
      categories = List.copyOf(categories);
    }

    /**
     * Reads an answer in the Llama Guard style: a first line {@code safe} or {@code unsafe}, then
     * optionally a comma-separated list of categories. Anything else counts as safe (the model did
     * not say unsafe), and the raw answer is kept for the audit.
     */
    public static Verdict parse(String answer) {
      String[] lines = answer.strip().split("\\R+");
      String first = lines.length == 0 ? "" : lines[0].strip().toLowerCase(java.util.Locale.ROOT);
      boolean unsafe = first.startsWith("unsafe") || first.startsWith("不安全");
      var categories = new java.util.ArrayList<String>();
      if (unsafe && lines.length > 1) {
        for (String c : lines[1].split("[,，]")) {
          if (!c.isBlank()) {
            categories.add(c.strip());
          }
        }
      }
      return new Verdict(
          unsafe, categories, answer.length() > 200 ? answer.substring(0, 200) : answer);
    }
  }
}
